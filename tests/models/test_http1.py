"""The upstream HTTP/1.1 client against real sockets on 127.0.0.1: raw asyncio servers that
answer exactly the bytes each case needs (chunked, close-delimited, gzip, truncated,
malformed, silent, idle-closing)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from rollyard.models._http import RetryPolicy, UpstreamError, _Failed, _Refused, _TimedOut, post_json
from rollyard.models._http1 import Http1Poster

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []
        self.url = ""


async def read_request(reader: asyncio.StreamReader, server: Server) -> bool:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return False
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    server.requests.append((head, await reader.readexactly(length)))
    return True


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[Server]:
    state = Server()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            await handler(reader, writer, state)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/chat/completions?x=1"
    async with server:
        yield state


def answer(body: bytes, *extra: bytes, status: bytes = b"200 OK") -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n" % len(body) + headers + b"\r\n" + body


async def keep_alive_json(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
    while await read_request(reader, server):
        n = len(server.requests)
        writer.write(answer(json.dumps({"n": n}).encode(), b"Content-Type: application/json"))
        await writer.drain()


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_keep_alive_reuses_one_connection_and_sends_the_request_whole() -> None:
    async def main() -> tuple[Server, list[Any]]:
        poster = Http1Poster()
        async with serve(keep_alive_json) as server:
            results = [await poster.post(server.url, {"q": i, "text": "héllo"}, {"X-Api-Key": "k"}) for i in range(3)]
            await poster.aclose()
        return server, results

    server, results = run(main())
    assert server.connections == 1
    assert [json.loads(body) for _, body, _ in results] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert results[0][0] == 200 and results[0][2] == "OK"
    head, body = server.requests[2]
    assert head.startswith(b"POST /v1/chat/completions?x=1 HTTP/1.1\r\n")
    assert b"\r\nX-Api-Key: k\r\n" in head and b"\r\nContent-Type: application/json\r\n" in head
    assert json.loads(body) == {"q": 2, "text": "héllo"}


def test_concurrent_posts_open_their_own_connections() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        while await read_request(reader, server):
            await asyncio.sleep(0.05)
            writer.write(answer(b"{}"))

    async def main() -> Server:
        poster = Http1Poster()
        async with serve(slow) as server:
            await asyncio.gather(*(poster.post(server.url, {}, {}) for _ in range(4)))
            await asyncio.gather(*(poster.post(server.url, {}, {}) for _ in range(4)))  # the pool serves these
            await poster.aclose()
        return server

    server = run(main())
    assert server.connections == 4 and len(server.requests) == 8


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n', b'{"a": 1}'),
        (b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"until": "close"}', b'{"until": "close"}'),
        (answer(gzip.compress(b'{"z": 1}'), b"Content-Encoding: gzip"), b'{"z": 1}'),
    ],
    ids=["chunked", "close-delimited", "gzip"],
)
def test_bodies_however_they_are_framed(raw: bytes, expected: bytes) -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await read_request(reader, server)
        writer.write(raw)
        await writer.drain()
        if b"Connection: close" in raw:
            writer.close()
        else:
            await read_request(reader, server)  # keeps the connection until the client leaves

    async def main() -> tuple[int, bytes, str]:
        poster = Http1Poster()
        async with serve(once) as server:
            try:
                return await poster.post(server.url, {}, {})
            finally:
                await poster.aclose()

    assert run(main())[:2] == (200, expected)


def test_an_idle_connection_the_server_closed_is_retried_on_a_new_one() -> None:
    async def one_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await read_request(reader, server)
        writer.write(answer(b'{"ok": true}'))  # says keep-alive, then closes anyway (a server's idle timeout)
        await writer.drain()

    async def main() -> tuple[dict[str, Any], Server]:
        poster = Http1Poster()
        async with serve(one_per_connection) as server:
            await poster.post(server.url, {}, {})
            await asyncio.sleep(0.1)
            result = await post_json(poster, server.url, {}, headers={}, retry=RetryPolicy(2, 0.01), backend="b")
            await poster.aclose()
        return result, server

    result, server = run(main())
    assert result == {"ok": True} and server.connections == 2 and len(server.requests) == 2


def test_errors_are_typed() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await read_request(reader, server)
        await asyncio.sleep(5)

    async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await read_request(reader, server)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
        await writer.drain()

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await read_request(reader, server)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    async def main() -> dict[str, BaseException]:
        seen: dict[str, BaseException] = {}
        for name, handler in (("silent", silent), ("truncated", truncated), ("garbage", garbage)):
            poster = Http1Poster(timeout_s=0.3)
            async with serve(handler) as server:
                try:
                    await poster.post(server.url, {}, {})
                except Exception as exc:
                    seen[name] = exc
                await poster.aclose()
        async with serve(keep_alive_json) as server:
            closed_url = server.url
        try:
            await Http1Poster().post(closed_url, {}, {})
        except Exception as exc:
            seen["refused"] = exc
        try:
            await post_json(Http1Poster(), closed_url, {}, headers={}, retry=RetryPolicy(1, 0.01), backend="vllm")
        except Exception as exc:
            seen["refused after retries"] = exc
        return seen

    seen = run(main())
    assert isinstance(seen["silent"], _TimedOut)
    assert isinstance(seen["truncated"], _Failed) and "middle of its answer" in str(seen["truncated"])
    assert isinstance(seen["garbage"], _Failed) and "invalid HTTP answer" in str(seen["garbage"])
    assert isinstance(seen["refused"], _Refused)
    error = seen["refused after retries"]
    assert isinstance(error, UpstreamError) and "refused the connection" in str(error)


def test_a_cancelled_post_does_not_leave_its_connection_for_reuse() -> None:
    async def slow_then_fast(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        while await read_request(reader, server):
            if len(server.requests) == 1:
                await asyncio.sleep(0.3)
            writer.write(answer(json.dumps({"n": len(server.requests)}).encode()))
            await writer.drain()

    async def main() -> tuple[bytes, Server]:
        poster = Http1Poster()
        async with serve(slow_then_fast) as server:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(poster.post(server.url, {}, {}), 0.05)
            _, body, _ = await poster.post(server.url, {}, {})  # never the first call's late answer
            await poster.aclose()
        return body, server

    body, server = run(main())
    assert json.loads(body) == {"n": 2} and server.connections == 2
