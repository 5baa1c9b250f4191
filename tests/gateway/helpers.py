"""Helpers of the gateway tests: the scripted backend's replies, configs, admin look-ups."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from rollyard.gateway import BackendConfig, GatewayConfig
from rollyard.models import ScriptedCall
from rollyard.wire import Request, ToolResultPart
from tests.servers import ADMIN_KEY, ServedApp


def scripted_reply(request: Request) -> str | list[ScriptedCall]:
    """Tool results last: echo them. Tools offered: two parallel calls. Else: text."""
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


def gateway_config(db: Path, backend_url: str, **overrides: object) -> GatewayConfig:
    return GatewayConfig(
        db=f"sqlite:///{db}",
        admin_key=ADMIN_KEY,
        backends=[BackendConfig(name="scripted", kind="openai", url=f"{backend_url}/v1", max_retries=0)],
        **overrides,  # type: ignore[arg-type]
    )


def session() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def admin_calls(served: ServedApp, session_id: str) -> list[dict[str, object]]:
    """A session's records through the admin API."""
    response = httpx.get(
        f"{served.url}/admin/sessions/{session_id}/calls", headers={"authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
