"""Group commit: one writer thread commits every waiting record in one transaction,
and each ``submit`` returns only after its record's transaction committed."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from ._records import CallRecord

_BATCH_MAX = 256

_Item = tuple[CallRecord, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class GroupCommitWriter:
    """Runs ``commit_batch`` (which must commit durably or raise) on its own thread."""

    def __init__(self, commit_batch: Callable[[list[CallRecord]], None], name: str) -> None:
        self._commit_batch = commit_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()
        self.closed = False

    async def submit(self, record: CallRecord) -> None:
        if self.closed:
            raise RuntimeError("store is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((record, loop, done))
        await done

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < _BATCH_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(more)
            error: BaseException | None = None
            try:
                self._commit_batch([record for record, _, _ in batch])
            except BaseException as exc:  # every waiter hears of it: never lost silently
                error = exc
            for _, loop, future in batch:
                loop.call_soon_threadsafe(_settle, future, error)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
