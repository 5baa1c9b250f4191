"""Loading calls from a store for building."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ..store import open_store
from ._builders import BuildResult, builder
from ._calls import TokenCall, token_call


async def load_calls(db: str | None, sessions: Sequence[str] = ()) -> list[TokenCall]:
    """Token views of the calls in ``db`` (all, or of the given sessions), store order."""
    store = open_store(db)
    try:
        records = []
        if sessions:
            for session in sessions:
                records.extend(await store.calls(session))
        else:
            records = await store.calls()
    finally:
        await store.aclose()
    return [token_call(record, order) for order, record in enumerate(records)]


def build_from_store(db: str | None, builder_name: str, sessions: Sequence[str] = ()) -> BuildResult:
    """Load and build in one step (blocking convenience for the CLI)."""
    return builder(builder_name).build(asyncio.run(load_calls(db, sessions)))
