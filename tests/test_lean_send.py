"""The lean server's answer write (``sparklytics.lean_server._send_all``): an answer
the socket buffer cannot take at once still arrives whole, and a peer that is gone is
a broken stream, not an ``OSError`` escaping the connection handler."""

from __future__ import annotations

import os

import pytest
import trio

from sparklytics.lean_server import _send_all


async def _stream_pair() -> tuple[trio.SocketStream, trio.SocketStream]:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        client_box: list[trio.SocketStream] = []

        async def connect() -> None:
            client_box.append(await trio.open_tcp_stream("127.0.0.1", port))

        nursery.start_soon(connect)
        server = await listener.accept()
    await listener.aclose()
    return server, client_box[0]


async def test_an_answer_bigger_than_the_send_buffer_arrives_whole() -> None:
    server, client = await _stream_pair()
    answer = os.urandom(8 * 1024 * 1024)  # far beyond any socket send buffer
    received = bytearray()

    async def read_all() -> None:
        while len(received) < len(answer):
            received.extend(await client.receive_some(1 << 16))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read_all)
        with trio.CancelScope() as scope:
            scope.cancel()  # shielded: a cancelled request still sends its whole answer
            await _send_all(server, answer)
    assert bytes(received) == answer
    await server.aclose()
    await client.aclose()


async def test_writing_to_a_peer_that_reset_the_connection_is_a_broken_stream() -> None:
    server, client = await _stream_pair()
    client.socket.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    await client.aclose()  # linger 0: closing sends a reset, delivered at once on loopback
    with pytest.raises(trio.BrokenResourceError):
        await _send_all(server, b"HTTP/1.1 202 \r\ncontent-length: 0\r\n\r\n")
    await server.aclose()
