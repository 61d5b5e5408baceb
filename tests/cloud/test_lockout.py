"""The login lockout across nodes: failed attempts are counted in PostgreSQL, so a client
gets 5 guesses per window whichever node answers, and PostgreSQL holds nothing that
gives its IP back (``sparklytics/stores/postgres/login_attempts.py``).

Client IPs are set with ``X-Forwarded-For``: the nodes trust their loopback balancer, and
the tests talk to them from loopback too."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import psycopg

from sparklytics.stores.postgres.login_attempts import client_hash, lockout_key
from tests.cloud.conftest import LOCKOUT_SECRET, PASSWORD
from tests.postgres import every_stored_value

GUESSER = "203.0.113.77"
BYSTANDER = "203.0.113.78"


def _login(url: str, password: str, client: str) -> httpx.Response:
    return httpx.post(f"{url}/api/auth/login", json={"password": password}, headers={"X-Forwarded-For": client},
                      timeout=30)


def test_the_sixth_failure_is_429_on_either_node_until_the_window_passes(cluster) -> None:
    nodes = [cluster.node(1), cluster.node(2)]
    for attempt in range(5):  # alternating nodes
        assert _login(nodes[attempt % 2], "wrong password", GUESSER).status_code == 401
    for url in (cluster.url, *nodes):
        locked = _login(url, "wrong password", GUESSER)
        assert locked.status_code == 429, locked.text
        assert locked.json()["error"]["code"] and "Retry-After" in locked.headers
        assert _login(url, PASSWORD, GUESSER).status_code == 429  # the right password too
    assert _login(cluster.url, "wrong password", BYSTANDER).status_code == 401
    assert _login(cluster.url, PASSWORD, BYSTANDER).status_code == 200

    with psycopg.connect(cluster.state["postgres"], autocommit=True) as conn:  # the window passes
        conn.execute("UPDATE login_attempts SET at = at - interval '15 minutes 1 second'")
    assert _login(nodes[0], PASSWORD, GUESSER).status_code == 200
    with psycopg.connect(cluster.state["postgres"]) as conn:
        assert conn.execute("SELECT count(*) FROM login_attempts WHERE at > now() - interval '15 minutes'").fetchone()[0] == 0


def test_postgresql_alone_does_not_give_the_guessing_ip_back(cluster) -> None:
    client = "198.51.100.23"
    for url in (cluster.node(1), cluster.node(2)):
        assert _login(url, "wrong password", client).status_code == 401
    candidates = [f"198.51.100.{n}" for n in range(256)]
    with psycopg.connect(cluster.state["postgres"]) as conn:
        stored = {bytes(row[0]) for row in conn.execute("SELECT client FROM login_attempts")}
        values = every_stored_value(conn)
    dump = b"\n".join(values)
    assert client.encode() not in dump and LOCKOUT_SECRET.encode() not in dump
    found = {hmac.new(value, ip.encode(), hashlib.sha256).digest() for value in values for ip in candidates}
    found |= {client_hash(lockout_key(value.decode(errors="replace")), ip) for value in values for ip in candidates}
    assert not found & stored
    # The nodes' secret, which only their environment holds, does find it: the check can fail.
    assert client_hash(lockout_key(LOCKOUT_SECRET), client) in stored

