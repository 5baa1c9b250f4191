"""Shared fixtures: the real embedded model (loaded once) and real HTTP servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rollyard.gateway import GatewayConfig, build_app
from rollyard.models import EmbeddedModel
from tests.servers import ADMIN_KEY, ServedApp, serve_app


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedModel]:
    """The embedded SmolLM2 model, loaded once per test session."""
    model = EmbeddedModel(n_ctx=4096)
    model.warm()
    yield model


@pytest.fixture(scope="session")
def embedded_server(embedded: EmbeddedModel) -> Iterator[ServedApp]:
    """``rollyard model serve``'s app over the embedded model, on a real loopback port."""
    from rollyard.models import model_app

    with serve_app(model_app(embedded)) as served:
        yield served


@pytest.fixture(scope="session")
def embedded_gateway(embedded: EmbeddedModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    db = tmp_path_factory.mktemp("gw-embedded") / "calls.db"
    config = GatewayConfig(db=f"sqlite:///{db}", admin_key=ADMIN_KEY)
    with serve_app(build_app(config, embedded=embedded)) as served:
        yield served
