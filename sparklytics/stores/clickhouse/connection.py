"""Talking to ClickHouse over its HTTP interface: settings, parameters, results, errors.

Every value travels as a query parameter (``{name:Type}`` in the SQL, ``param_name``
in the request), never inside the SQL text. :class:`ClickHouseClient` is the blocking
client of the Writer's worker thread (the EventStore may block); :class:`AsyncClickHouse`
the Trio-native one of the AnalyticsStore (``httpx.AsyncClient`` runs on Trio through
anyio without blocking the loop, STACK-NOTES.md "ClickHouse").

There is no ClickHouse Keeper in our clusters, so DDL and mutations cannot go ``ON
CLUSTER``: :attr:`ClickHouseSettings.shard_urls` lists every shard's HTTP endpoint and
those statements run on each; queries and inserts go to the first (its ``Distributed``
tables reach the others).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# A query with a ``max_execution_time`` is stopped by the server, which answers
# TIMEOUT_EXCEEDED (the store's ``query_timeout``); the client waits this much longer, so
# it never gives up first and turns a slow report into ``storage_unavailable``.
_ANSWER_MARGIN_S = 10.0


@dataclass(frozen=True, slots=True)
class ClickHouseSettings:
    """Where the cluster is: every shard's HTTP URL (the first takes queries and
    inserts), the ``remote_servers`` cluster name, the database, the credentials, and
    this app node's id (each node has its own WAL, so its own recovery point)."""

    shard_urls: tuple[str, ...]
    cluster: str
    database: str = "sparklytics"
    user: str = "default"
    password: str = ""
    node_id: str = "node-1"


class ClickHouseError(Exception):
    """ClickHouse refused a statement or could not be reached; the message says which."""

    @property
    def unavailable(self) -> bool:
        """The server, or a shard behind a ``Distributed`` table, could not be reached:
        retry later (503), unlike a statement ClickHouse refused (our bug)."""
        return any(mark in str(self) for mark in _UNAVAILABLE)


# How an unreachable server or shard shows: our transport errors and ClickHouse's codes.
_UNAVAILABLE = (" unreachable: ", "(ALL_CONNECTION_TRIES_FAILED)", "(NETWORK_ERROR)", "(SOCKET_TIMEOUT)",
                "(ALL_REPLICAS_ARE_STALE)", "(NO_REMOTE_SHARD_AVAILABLE)")


def param_text(value: Any) -> str:
    """A parameter value in ClickHouse's text form (what ``param_*`` carries)."""
    match value:
        case None:
            return "\\N"
        case bool():
            return "1" if value else "0"
        case datetime():
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        case date():
            return value.isoformat()
        case list() | tuple():
            return "[" + ",".join(_quoted(item) for item in value) + "]"
        case _:
            return str(value)


def _quoted(item: Any) -> str:
    if isinstance(item, str):
        return "'" + item.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return param_text(item)


def _request_params(database: str, params: Mapping[str, Any], settings: Mapping[str, Any] | None) -> dict[str, str]:
    # A column and an alias of the same name (``max(is_bot) AS is_bot``) mean the column.
    query = {"database": database, "output_format_json_quote_64bit_integers": "0", "prefer_column_name_to_alias": "1"}
    query.update({f"param_{name}": param_text(value) for name, value in params.items()})
    if settings:
        query.update({name: str(value) for name, value in settings.items()})
    return query


def _raise_for(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise ClickHouseError(response.text.strip())


def _rows(text: str) -> list[list[Any]]:
    return json.loads(text)["data"] if text else []


def encode_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as ``JSONCompactEachRow`` (one JSON list a line), datetimes as text."""
    return "".join(json.dumps(row, default=param_text) + "\n" for row in rows).encode()


class ClickHouseClient:
    """Blocking client (worker threads only)."""

    def __init__(self, settings: ClickHouseSettings) -> None:
        self.settings = settings
        self._http = httpx.Client(timeout=_TIMEOUT, auth=(settings.user, settings.password))

    def execute(self, sql: str, params: Mapping[str, Any] | None = None, *, url: str | None = None,
                data: bytes | None = None, settings: Mapping[str, Any] | None = None) -> str:
        """Run one statement (on ``url``, default the first shard); return the body text.

        With ``data`` the statement is an ``INSERT … FORMAT`` and ``data`` its rows."""
        query = _request_params(self.settings.database, params or {}, settings)
        target = url or self.settings.shard_urls[0]
        try:
            if data is None:
                response = self._http.post(target, params=query, content=sql.encode())
            else:
                response = self._http.post(target, params={**query, "query": sql}, content=data)
        except httpx.HTTPError as error:
            raise ClickHouseError(f"ClickHouse at {target} unreachable: {error}") from error
        _raise_for(response)
        return response.text

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        return _rows(self.execute(sql + "\nFORMAT JSONCompact", params))

    def on_every_shard(self, sql: str, params: Mapping[str, Any] | None = None, *,
                       settings: Mapping[str, Any] | None = None) -> None:
        """DDL and mutations: each shard by itself (no Keeper, so no ``ON CLUSTER``)."""
        for url in self.settings.shard_urls:
            self.execute(sql, params, url=url, settings=settings)

    def close(self) -> None:
        self._http.close()


class AsyncClickHouse:
    """Trio-native client for the reports (``httpx.AsyncClient`` through anyio)."""

    def __init__(self, settings: ClickHouseSettings) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(timeout=_TIMEOUT, auth=(settings.user, settings.password))

    async def rows(self, sql: str, params: Mapping[str, Any] | None = None, *,
                   settings: Mapping[str, Any] | None = None) -> list[list[Any]]:
        query = _request_params(self.settings.database, params or {}, settings)
        target = self.settings.shard_urls[0]
        try:
            response = await self._http.post(target, params=query, content=(sql + "\nFORMAT JSONCompact").encode(),
                                             timeout=read_timeout_for(settings))
        except httpx.HTTPError as error:
            raise ClickHouseError(f"ClickHouse at {target} unreachable: {error}") from error
        _raise_for(response)
        return _rows(response.text)

    async def stream(self, sql: str, params: Mapping[str, Any]) -> AsyncIterator[bytes]:
        """The body of ``sql`` (which names its own ``FORMAT``) as it arrives."""
        query = _request_params(self.settings.database, params, None)
        target = self.settings.shard_urls[0]
        try:
            async with self._http.stream("POST", target, params=query, content=sql.encode()) as response:
                if response.status_code != 200:
                    raise ClickHouseError((await response.aread()).decode(errors="replace").strip())
                async for chunk in response.aiter_bytes():
                    yield chunk
        except httpx.HTTPError as error:
            raise ClickHouseError(f"ClickHouse at {target} unreachable: {error}") from error

    async def aclose(self) -> None:
        await self._http.aclose()


def read_timeout_for(settings: Mapping[str, Any] | None) -> httpx.Timeout:
    """How long to wait for an answer to a query run with ``settings``: past its
    ``max_execution_time`` by a margin, never less than the default."""
    limit = (settings or {}).get("max_execution_time")
    if limit is None:
        return _TIMEOUT
    return httpx.Timeout(max(_TIMEOUT.read, float(limit) + _ANSWER_MARGIN_S), connect=_TIMEOUT.connect)
