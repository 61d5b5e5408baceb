"""Failures during ingest: an acknowledged event is never lost or doubled.

Every event has its own path. After the failure heals, every acknowledged event must be
stored exactly once (none lost, none doubled by a replay that ClickHouse's deduplication
tokens should drop). A request cut off by the failure got no answer: its events may or
may not be stored (the node may have logged them before it died), but only once."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx

from sparklytics.api.collect import MAX_BATCH

from tests.cloud.conftest import QUEUE_BOUND, new_website, recent_days, wait_for_pageviews


class Sender(threading.Thread):
    """Posts pageviews to ``url`` until stopped; counts the 202s."""

    def __init__(self, url: str, website_id: str, batch: int = 5) -> None:
        super().__init__(daemon=True)
        self.url, self.website_id, self.batch = url, website_id, batch
        self.acknowledged = 0
        self.acked_paths: set[str] = set()
        self.unanswered_paths: set[str] = set()
        self.refused: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            n = 0
            while not self.stop.is_set():
                events = [
                    {"website_id": self.website_id, "type": "pageview", "url": f"https://example.com/{n}/{i}",
                     "visitor_id": f"v{n % 7}"}
                    for i in range(self.batch)
                ]
                n += 1
                paths = {event["url"].removeprefix("https://example.com") for event in events}
                try:
                    response = client.post(f"{self.url}/api/collect", json=events)
                except httpx.TransportError:
                    self.unanswered_paths |= paths
                    time.sleep(0.05)
                    continue
                if response.status_code == 202:
                    self.acknowledged += len(events)
                    self.acked_paths |= paths
                else:
                    self.refused[response.status_code] = self.refused.get(response.status_code, 0) + 1
                time.sleep(0.01)


def _settled_count(api: httpx.Client, website_id: str, expected: int) -> int:
    wait_for_pageviews(api, website_id, expected, timeout=90)
    time.sleep(3)  # a replay that doubled anything would show by now
    return api.get(f"/api/websites/{website_id}/stats", params={**recent_days(), "include_bots": "true"}).json()["data"]["pageviews"]


def _assert_each_acknowledged_event_stored_once(cluster, api: httpx.Client, website_id: str, sender: Sender) -> None:
    count = _settled_count(api, website_id, sender.acknowledged)
    stored = _stored_paths(cluster, website_id)
    assert sum(stored.values()) == count  # the API counts what ClickHouse holds
    assert {path for path, times in stored.items() if times > 1} == set()  # nothing doubled
    assert sender.acked_paths <= stored.keys()  # nothing acknowledged lost
    assert stored.keys() <= sender.acked_paths | sender.unanswered_paths


def _stored_paths(cluster, website_id: str) -> dict[str, int]:
    response = httpx.post(cluster.state["clickhouse"][0], params={"param_site": website_id}, timeout=30, content=(
        "SELECT path, count() FROM sparklytics.events WHERE website_id = {site:String} GROUP BY path FORMAT JSONCompact"))
    return {path: int(times) for path, times in response.json()["data"]}


def test_kill_9_of_a_node_during_ingest_loses_and_doubles_nothing(cluster, api) -> None:
    site = new_website(api, "kill-9")
    sender = Sender(cluster.node(1), site)
    sender.start()
    time.sleep(2)
    victim = cluster.pid("node1")
    os.kill(victim, signal.SIGKILL)
    acknowledged_before_kill = sender.acknowledged
    cluster.wait_until_running_again("node1", victim)
    time.sleep(1)
    sender.stop.set()
    sender.join()
    assert acknowledged_before_kill > 0 and sender.acknowledged > acknowledged_before_kill
    _assert_each_acknowledged_event_stored_once(cluster, api, site, sender)


def test_a_shard_down_during_ingest_keeps_acknowledging_then_drains(cluster, api) -> None:
    site = new_website(api, "shard-down")
    sender = Sender(cluster.url, site)
    sender.start()
    time.sleep(1)
    cluster.hold("shard2")
    victim = cluster.pid("shard2")
    os.kill(victim, signal.SIGTERM)
    time.sleep(1)
    during_outage = sender.acknowledged
    time.sleep(4)
    assert sender.acknowledged > during_outage, sender.refused  # acks continue into the WALs
    health = httpx.get(f"{cluster.node(1)}/health", timeout=10)
    assert health.status_code == 503 and health.json()["stores"]["clickhouse"] != "ok"
    cluster.release("shard2")
    cluster.wait_until_running_again("shard2", victim)
    time.sleep(1)
    sender.stop.set()
    sender.join()
    assert not sender.unanswered_paths, sender.refused  # the nodes stayed up and answered every request
    _assert_each_acknowledged_event_stored_once(cluster, api, site, sender)
    assert httpx.get(f"{cluster.url}/health", timeout=10).status_code == 200



def test_a_long_outage_fills_the_wal_bound_then_answers_503_and_drains_after(cluster, api) -> None:
    site = new_website(api, "outage")
    cluster.hold("shard1")
    victim = cluster.pid("shard1")
    os.kill(victim, signal.SIGTERM)
    acknowledged, refusal = 0, None
    with httpx.Client(base_url=cluster.node(2), timeout=30) as node:
        for n in range(2 * QUEUE_BOUND // MAX_BATCH):
            batch = [{"website_id": site, "type": "pageview", "url": f"https://example.com/{n}/{i}", "visitor_id": f"v{i}"}
                     for i in range(MAX_BATCH)]
            response = node.post("/api/collect", json=batch)
            if response.status_code != 202:
                refusal = response
                break
            acknowledged += len(batch)
    try:
        assert refusal is not None and refusal.status_code == 503, "the bound was never reached"
        assert refusal.json()["error"]["code"] == "ingest_overloaded" and int(refusal.headers["Retry-After"]) > 0
        assert QUEUE_BOUND - MAX_BATCH <= acknowledged <= QUEUE_BOUND
    finally:
        cluster.release("shard1")
    cluster.wait_until_running_again("shard1", victim)
    assert _settled_count(api, site, acknowledged) == acknowledged
