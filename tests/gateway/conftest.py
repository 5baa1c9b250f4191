"""Gateway fixtures: a scripted OpenAI-compatible backend and gateways on real loopback ports."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollyard.gateway import BackendConfig, GatewayConfig, build_app
from rollyard.models import ScriptedCall, ScriptedModel, model_app
from rollyard.wire import Request, ToolResultPart
from tests.servers import ADMIN_KEY, ServedApp, serve_app


def scripted_reply(request: Request) -> str | list[ScriptedCall]:
    """Tool results present: echo them. Tools offered: two parallel calls. Else: text."""
    results = [p for m in request.messages for p in m.parts if isinstance(p, ToolResultPart)]
    if results and request.messages[-1].role == "tool":
        return "results: " + ", ".join(r.text for r in results)
    if request.tools:
        name = request.tools[0].name
        return [
            ScriptedCall(name, {"city": "Paris", "note": "fragmented " * 4}, id=f"call_{uuid.uuid4().hex[:8]}"),
            ScriptedCall(name, {"city": "Tokyo"}, id=f"call_{uuid.uuid4().hex[:8]}"),
        ]
    return "hello from the scripted backend"


@pytest.fixture(scope="module")
def scripted_backend() -> Iterator[tuple[ScriptedModel, ServedApp]]:
    model = ScriptedModel(scripted_reply, name="scripted")
    with serve_app(model_app(model)) as served:
        yield model, served


def gateway_config(db: Path, backend_url: str, **overrides: object) -> GatewayConfig:
    return GatewayConfig(
        db=f"sqlite:///{db}",
        admin_key=ADMIN_KEY,
        backends=[BackendConfig(name="scripted", kind="openai", url=f"{backend_url}/v1", max_retries=0)],
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def gateway(
    scripted_backend: tuple[ScriptedModel, ServedApp], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedApp]:
    db = tmp_path_factory.mktemp("gw") / "calls.db"
    with serve_app(build_app(gateway_config(db, scripted_backend[1].url))) as served:
        yield served


def session() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def admin_calls(served: ServedApp, session_id: str) -> list[dict[str, object]]:
    import httpx

    response = httpx.get(
        f"{served.url}/admin/sessions/{session_id}/calls", headers={"authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert response.status_code == 200, response.text
    calls = response.json()
    json.dumps(calls)
    return calls  # type: ignore[no-any-return]
