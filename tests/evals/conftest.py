"""Shared fixtures for the evals tests: the BFCL data, fetched once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollyard.evals._bfcl_data import ensure_bfcl


@pytest.fixture(scope="session")
def bfcl_root() -> Path:
    """The extracted bfcl-eval tree: downloaded with pip and verified on first use, then
    reused from the cache (``$ROLLYARD_BFCL_DIR`` points at an extracted tree instead)."""
    return ensure_bfcl()
