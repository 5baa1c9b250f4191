"""Gateway fixtures: a scripted OpenAI-compatible backend and a gateway on real loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rollyard.gateway import build_app
from rollyard.models import ScriptedModel, model_app
from tests.gateway.helpers import gateway_config, scripted_reply
from tests.servers import ServedApp, serve_app


@pytest.fixture(scope="module")
def scripted_backend() -> Iterator[tuple[ScriptedModel, ServedApp]]:
    """The scripted double behind a real OpenAI-compatible HTTP server."""
    model = ScriptedModel(scripted_reply, name="scripted")
    with serve_app(model_app(model)) as served:
        yield model, served


@pytest.fixture(scope="module")
def gateway(
    scripted_backend: tuple[ScriptedModel, ServedApp], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedApp]:
    db = tmp_path_factory.mktemp("gw") / "calls.db"
    with serve_app(build_app(gateway_config(db, scripted_backend[1].url))) as served:
        yield served
