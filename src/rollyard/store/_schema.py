"""The calls table, shared by the SQLite and Postgres stores. The full record is kept
as JSON text (exact round trip); a few columns are lifted out for queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from ._records import CallRecord


class Migration(TypedDict):
    sqlite: Sequence[str]
    postgres: Sequence[str]


# Each entry migrates the schema from version i to i + 1; never edit a shipped one.
MIGRATIONS: Sequence[Migration] = (
    {
        "sqlite": (
            """CREATE TABLE calls (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                session_id TEXT NOT NULL,
                parent_session_id TEXT,
                harness TEXT,
                api TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at REAL NOT NULL,
                prompt_tokens INTEGER NOT NULL DEFAULT 0,
                completion_tokens INTEGER NOT NULL DEFAULT 0,
                record TEXT NOT NULL
            )""",
            "CREATE INDEX calls_by_session ON calls (session_id, seq)",
        ),
        "postgres": (
            """CREATE TABLE calls (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                session_id TEXT NOT NULL,
                parent_session_id TEXT,
                harness TEXT,
                api TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                prompt_tokens BIGINT NOT NULL DEFAULT 0,
                completion_tokens BIGINT NOT NULL DEFAULT 0,
                record TEXT NOT NULL
            )""",
            "CREATE INDEX calls_by_session ON calls (session_id, seq)",
        ),
    },
    {
        # Evaluation runs and their per-task results, beside the calls they made, so an
        # interrupted ``rollyard eval`` can ``--resume`` from the same database.
        "sqlite": (
            "CREATE TABLE eval_runs (run_id TEXT PRIMARY KEY, created_at REAL NOT NULL, spec TEXT NOT NULL)",
            """CREATE TABLE eval_results (
                run_id TEXT NOT NULL,
                result_key TEXT NOT NULL,
                created_at REAL NOT NULL,
                result TEXT NOT NULL,
                PRIMARY KEY (run_id, result_key)
            )""",
        ),
        "postgres": (
            "CREATE TABLE eval_runs (run_id TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL,"
            " spec TEXT NOT NULL)",
            """CREATE TABLE eval_results (
                run_id TEXT NOT NULL,
                result_key TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                result TEXT NOT NULL,
                PRIMARY KEY (run_id, result_key)
            )""",
        ),
    },
)

INSERT_COLUMNS = (
    "id",
    "session_id",
    "parent_session_id",
    "harness",
    "api",
    "status",
    "created_at",
    "prompt_tokens",
    "completion_tokens",
    "record",
)

SESSIONS_QUERY = (
    "SELECT session_id, MAX(parent_session_id), MAX(harness), COUNT(*),"
    " SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), MIN(created_at), MAX(created_at),"
    " SUM(prompt_tokens), SUM(completion_tokens) FROM calls GROUP BY session_id ORDER BY MIN(seq)"
)


def _tokens(record: CallRecord) -> tuple[int, int]:
    usage = record.usage or {}
    prompt = len(record.prompt_token_ids) if record.prompt_token_ids is not None else int(usage.get("input_tokens", 0))
    completion = (
        len(record.completion_token_ids)
        if record.completion_token_ids is not None
        else int(usage.get("output_tokens", 0))
    )
    return prompt, completion


def row_values(record: CallRecord) -> tuple[Any, ...]:
    return (
        record.id,
        record.session_id,
        record.parent_session_id,
        record.harness,
        record.api,
        record.status,
        record.created_at,
        *_tokens(record),
        record.dumps(),
    )
