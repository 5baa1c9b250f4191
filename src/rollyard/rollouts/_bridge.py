"""A loopback bridge into a network namespace that has nothing but 127.0.0.1.

A fresh network namespace has its own loopback, so a harness inside it cannot reach the
gateway on the host's 127.0.0.1. The gateway also listens on a Unix socket (files are
shared across network namespaces), so inside the namespace this module listens on
``127.0.0.1:PORT`` and relays every connection to that socket, then runs the harness as
its child and exits with the harness's exit code:

    unshare --net ... bash -c 'ip link set lo up && exec "$@"' bash \\
        python -m rollyard.rollouts._bridge --port 18080 --unix /run/gw.sock -- codex exec ...

``namespace_command`` builds that whole command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

DEFAULT_PORT = 18080
"""The bridge's port inside the namespace (each namespace has its own ports, so a fixed one never collides)."""

_CHUNK = 64 * 1024
_SETUP = 'ip link set lo up && exec "$@"'


def namespace_command(
    command: Sequence[str], *, unix_socket: str, port: int = DEFAULT_PORT, python: str | None = None
) -> list[str]:
    """The argv that runs ``command`` in a fresh loopback-only network namespace, with
    ``http://127.0.0.1:PORT`` inside it bridged to the gateway's ``unix_socket``.

    The namespace also gets its own PID namespace (``--pid --fork --kill-child``): when the
    ``unshare`` process dies, the kernel kills every process the harness started, even those
    that left its process group, and ``--mount-proc`` keeps the host's processes out of sight."""
    return [
        "unshare",
        "--net",
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "bash",
        "-c",
        _SETUP,
        "bash",
        python or sys.executable,
        "-P",  # not the harness's cwd on sys.path: a workspace must not shadow our modules
        "-m",
        "rollyard.rollouts._bridge",
        "--port",
        str(port),
        "--unix",
        unix_socket,
        "--",
        *command,
    ]


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until EOF, then half-close (HTTP clients may shut down writing first)."""
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:  # the other side went away: the connection is over either way
        pass


class Bridge:
    """A TCP server on 127.0.0.1 relaying each connection to a Unix socket."""

    def __init__(self, unix_socket: str) -> None:
        self.unix_socket = unix_socket
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, port: int, host: str = "127.0.0.1") -> int:
        """Listen on ``host:port`` (0: any free port); the port, once listening."""
        self._server = await asyncio.start_server(self._accept, host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._relay(reader, writer)
        except asyncio.CancelledError:
            pass  # closing: the connection is dropped, as a server that stops drops it
        finally:
            self._connections.discard(task)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        writers = [client_writer]
        try:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.unix_socket)
            writers.append(upstream_writer)
            await asyncio.gather(_pump(client_reader, upstream_writer), _pump(upstream_reader, client_writer))
        except OSError:
            pass  # the gateway is not there (any more): the client sees the connection close
        finally:
            for writer in writers:
                writer.close()

    async def aclose(self) -> None:
        """Stop listening and drop the connections still open."""
        if self._server is not None:
            self._server.close()
        pending = list(self._connections)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)


async def run_bridged(port: int, unix_socket: str, command: Sequence[str]) -> int:
    """Serve the bridge, run ``command`` until it exits, stop the bridge; the command's exit
    code (``128 + N`` when it died of signal N, as a shell reports it)."""
    bridge = Bridge(unix_socket)
    await bridge.start(port)
    try:
        process = await asyncio.create_subprocess_exec(*command)
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            # Pass a polite stop on to the harness; it then exits and so do we.
            loop.add_signal_handler(number, _forward, process, number)
        code = await process.wait()
    finally:
        await bridge.aclose()
    return 128 - code if code < 0 else code


def _forward(process: asyncio.subprocess.Process, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(number)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rollyard.rollouts._bridge",
        description="Relay 127.0.0.1:PORT to a Unix socket while running a command (inside a network namespace).",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port to listen on, on 127.0.0.1")
    parser.add_argument("--unix", required=True, help="the Unix socket to relay each connection to")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]: what to run while relaying")
    args = parser.parse_args(argv)
    command: list[str] = args.command
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        parser.error("give the command to run after --")
    try:
        return asyncio.run(run_bridged(args.port, args.unix, command))
    except FileNotFoundError as error:
        print(f"bridge: cannot run {command[0]!r}: {error}", file=sys.stderr)
        return 127
    except OSError as error:
        print(f"bridge: {error}", file=sys.stderr)
        return 126


if __name__ == "__main__":
    sys.exit(main())
