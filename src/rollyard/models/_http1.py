"""A small HTTP/1.1 keep-alive client for plain-``http://`` backends (a local vLLM, SGLang,
llama.cpp server): the gateway's hot path.

One JSON POST and one response is all the gateway asks of an upstream; a general client
spends most of its time on what this path never uses (cookies, redirects, multidict
headers, tracing). This one writes the request in one send and parses the answer with
httptools (uvicorn's own parser: chunked bodies, keep-alive), which takes several tenths
of a millisecond off every call under load (``bench/gateway.py``). ``https://`` URLs go to
aiohttp."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import deque
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httptools
import httpx
import orjson

from ._http import AiohttpPoster, HttpxPoster, JsonPoster, _Failed, _Refused, _TimedOut

IDLE_S = 4.0
"""Idle connections are dropped before common servers close them (uvicorn: 5 s)."""


class _Connection(asyncio.Protocol):
    """One upstream connection; serves one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self._body: list[bytes] = []
        self._encoding = b""
        self._header_name = b""
        self._received = False
        self._headers_done = False
        self._delimited = False
        self._complete = False

    # ---- asyncio.Protocol ----

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a TCP connection's transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done and not self._complete and not self._delimited:
            self.on_message_complete()  # no length, not chunked: the body ends with the connection
            return
        if not self._received:
            # Nothing came back: a kept-alive connection the server had closed; the request never ran.
            self._fail(_Refused(f"connection dropped before any answer{f': {exc}' if exc else ''}"))
        else:
            self._fail(_Failed("the backend closed the connection in the middle of its answer"))

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(_Failed(f"invalid HTTP answer: {exc}"))
            self.close()

    # ---- httptools callbacks ----

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-encoding":
            self._encoding = value.strip().lower()
        elif name in (b"content-length", b"transfer-encoding"):
            self._delimited = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._complete = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            body = b"".join(self._body)
            try:
                body = _decoded(body, self._encoding)
            except zlib.error as exc:
                waiter.set_exception(_Failed(f"cannot decode a {self._encoding.decode()} body: {exc}"))
                return
            keep = self._parser.should_keep_alive() and not self.closed
            waiter.set_result((self._parser.get_status_code(), body, keep))

    # ---- use ----

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._body = []
        self._encoding = b""
        self._received = self._headers_done = self._delimited = self._complete = False
        self.transport.write(request)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _decoded(body: bytes, encoding: bytes) -> bytes:
    if encoding in (b"", b"identity"):
        return body
    if encoding in (b"gzip", b"x-gzip"):
        return zlib.decompress(body, wbits=47)
    if encoding == b"deflate":
        return zlib.decompress(body)
    raise zlib.error(f"unsupported content-encoding {encoding.decode(errors='replace')}")


class Http1Poster(JsonPoster):
    """Pooled keep-alive connections per host, made on first use inside the running loop."""

    def __init__(self, timeout_s: float = 600.0, connect_timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tls = AiohttpPoster(timeout_s, connect_timeout_s)

    async def post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes, str]:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            return await self._tls.post(url, body, headers)
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a pool belongs to its loop; sync wrappers run each call in a new one
            self._loop, self._idle = loop, {}
        key = (parts.hostname, parts.port or 80)
        data = orjson.dumps(body)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"]
        head.extend(f"{name}: {value}\r\n" for name, value in headers.items() if name.lower() != "content-type")
        head.append(f"Content-Length: {len(data)}\r\n\r\n")
        request = "".join(head).encode("latin-1") + data
        connection = self._checkout(key) or await self._connect(loop, key)
        try:
            async with asyncio.timeout(self.timeout_s):
                status, content, keep = await connection.send(request)
        except TimeoutError:
            connection.close()
            raise _TimedOut(f"no answer within {self.timeout_s:g} s") from None
        except BaseException:  # cancelled, or failed mid-answer: the connection cannot be reused
            connection.close()
            raise
        if keep:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(key, deque()).append(connection)
        else:
            connection.close()
        return status, content, _reason(status)

    def _checkout(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to be stale
            if not connection.closed and now - connection.idle_since < IDLE_S:
                return connection
            connection.close()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, key: tuple[str, int]) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                transport, connection = await loop.create_connection(_Connection, *key)
        except TimeoutError:
            raise _Refused(f"no connection within {self.connect_timeout_s:g} s") from None
        except OSError as exc:
            raise _Refused(str(exc)) from None
        connection.transport = transport  # uvloop calls connection_made only on its next turn
        return connection

    async def aclose(self) -> None:
        if self._loop is asyncio.get_running_loop():
            for idle in self._idle.values():
                for connection in idle:
                    connection.close()
        self._idle = {}
        await self._tls.aclose()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def make_poster(http_client: httpx.AsyncClient | None, timeout_s: float) -> JsonPoster:
    """The client behind a remote backend: an injected httpx client when given, else this one."""
    return HttpxPoster(http_client) if http_client is not None else Http1Poster(timeout_s)
