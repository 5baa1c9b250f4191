"""Token-faithful training samples from recorded calls, with fidelity statistics."""

from ._builders import (
    BUILDERS,
    BreakCause,
    Builder,
    BuildResult,
    BuildStats,
    PerCallBuilder,
    PrefixMergeBuilder,
    TokenSample,
    builder,
)
from ._calls import TokenCall, token_call
from ._export import ExportFormat, export_samples, load_rows
from ._source import build_from_store, load_calls

__all__ = [
    "BUILDERS",
    "BreakCause",
    "BuildResult",
    "BuildStats",
    "Builder",
    "ExportFormat",
    "PerCallBuilder",
    "PrefixMergeBuilder",
    "TokenCall",
    "TokenSample",
    "build_from_store",
    "builder",
    "export_samples",
    "load_calls",
    "load_rows",
    "token_call",
]
