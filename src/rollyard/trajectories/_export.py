"""Export samples for trainers: JSONL, Parquet, or a Hugging Face ``datasets`` folder.

Row schema (the same in every format):

| column | type | meaning |
|---|---|---|
| session_id | string | the gateway session |
| chain_id | string | the chain (for per_call: the call id) |
| input_ids | list[int32] | prompt + completion ids of the chain's last call |
| loss_mask | list[int8] | 1 on sampled tokens, 0 on prompt, tool results, template glue |
| logprobs | list[float32] | the sampling logprob where mask is 1, else 0.0 |
| call_ids | list[string] | the calls whose sampled spans the row trains |
| reward | float or null | null when none was assigned |
| metadata | string (JSON) | model, policy_version, harness, parent_chain_id, tool_call_parse_failed |
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, TypeAlias

from ._builders import TokenSample

ExportFormat: TypeAlias = Literal["jsonl", "parquet", "hf"]


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("session_id", pa.string()),
            ("chain_id", pa.string()),
            ("input_ids", pa.list_(pa.int32())),
            ("loss_mask", pa.list_(pa.int8())),
            ("logprobs", pa.list_(pa.float32())),
            ("call_ids", pa.list_(pa.string())),
            ("reward", pa.float64()),
            ("metadata", pa.string()),
        ]
    )


def _flat(sample: TokenSample) -> dict[str, Any]:
    row = sample.row()
    row["metadata"] = json.dumps(row["metadata"], sort_keys=True)
    return row


def export_samples(samples: Iterable[TokenSample], path: str | Path, fmt: ExportFormat) -> int:
    """Write samples to ``path`` in ``fmt``; returns the number of rows."""
    path = Path(path)
    rows = [_flat(s) for s in samples]
    match fmt:
        case "jsonl":
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, separators=(",", ":")) + "\n")
        case "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=_schema()), path)
        case "hf":
            import datasets
            import pyarrow as pa

            table = pa.Table.from_pylist(rows, schema=_schema())
            datasets.Dataset(table).save_to_disk(str(path))
    return len(rows)


def load_rows(path: str | Path, fmt: ExportFormat) -> list[dict[str, Any]]:
    """Read an export back as plain rows (for checks and notebooks)."""
    path = Path(path)
    match fmt:
        case "jsonl":
            with path.open(encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        case "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_table(path).to_pylist())
        case "hf":
            import datasets

            return list(datasets.load_from_disk(str(path)).to_list())
