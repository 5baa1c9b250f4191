"""Errors in the caller's dialect (each recorded), sessions, and the admin API."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from rollyard.gateway import BackendConfig, GatewayConfig, build_app, resolve_session
from rollyard.models import ScriptedModel
from tests.gateway.helpers import admin_calls, gateway_config, session
from tests.servers import ADMIN_KEY, ServedApp, serve_app

ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}
CHAT_OK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_OK = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
RESPONSES_OK = {"model": "m", "input": "hi"}


def post(served: ServedApp, path: str, body: object, sid: str, **kwargs: object) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.post(f"{served.url}/s/{sid}{path}", content=body, headers={"content-type": "application/json"})
    return httpx.post(f"{served.url}/s/{sid}{path}", json=body, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/chat/completions", b"{oops", "body"),
        ("/v1/chat/completions", {"model": "m", "messages": [{"role": "alien", "content": "x"}]}, "messages[0].role"),
        ("/v1/messages", {"model": "m", "messages": []}, "max_tokens"),
        ("/v1/messages", b"[1, 2]", "body"),
        ("/v1/responses", {"model": "m", "input": [{"type": "teleport"}]}, "input[0].type"),
    ],
)
def test_malformed_requests_answer_400_in_dialect_and_are_recorded(
    gateway: ServedApp, path: str, body: object, field: str
) -> None:
    sid = session()
    response = post(gateway, path, body, sid)
    assert response.status_code == 400
    payload = response.json()
    if path == "/v1/messages":
        assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
        assert field in payload["error"]["message"]
    else:
        assert payload["error"]["param"] == field and payload["error"]["message"]
    (record,) = admin_calls(gateway, sid)
    assert record["status"] == "error" and record["http_status"] == 400 and field in str(record["error"])


def test_unknown_model_is_404(scripted_backend: tuple[ScriptedModel, ServedApp], tmp_path: Path) -> None:
    url = f"{scripted_backend[1].url}/v1"
    config = GatewayConfig(
        db=f"sqlite:///{tmp_path / 'c.db'}",
        admin_key=ADMIN_KEY,
        backends=[
            BackendConfig(name="a", kind="openai", url=url, models=["alpha"]),
            BackendConfig(name="b", kind="openai", url=url, models=["beta"]),
        ],
        aliases={"gpt-5-codex": "beta"},
    )
    with serve_app(build_app(config)) as served:
        sid = session()
        assert post(served, "/v1/chat/completions", {**CHAT_OK, "model": "beta"}, sid).status_code == 200
        assert post(served, "/v1/chat/completions", {**CHAT_OK, "model": "gpt-5-codex"}, sid).status_code == 200
        missing = post(served, "/v1/messages", {**ANTHROPIC_OK, "model": "nope"}, sid)
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
        records = admin_calls(served, sid)
        assert [r["backend"] for r in records] == ["b", "b", None]
        assert records[2]["http_status"] == 404


def test_body_over_the_limit_is_413(scripted_backend: tuple[ScriptedModel, ServedApp], tmp_path: Path) -> None:
    config = gateway_config(tmp_path / "c.db", scripted_backend[1].url, max_body_bytes=2048)
    with serve_app(build_app(config)) as served:
        sid = session()
        big = {"model": "m", "messages": [{"role": "user", "content": "x" * 5000}]}
        response = post(served, "/v1/chat/completions", big, sid)
        assert response.status_code == 413 and "limit" in response.json()["error"]["message"]
        (record,) = admin_calls(served, sid)
        assert record["http_status"] == 413


def test_upstream_down_is_502_and_timeout_504(tmp_path: Path) -> None:
    config = gateway_config(tmp_path / "c.db", "http://127.0.0.1:9")
    with serve_app(build_app(config)) as served:
        sid = session()
        for path, body in (
            ("/v1/chat/completions", CHAT_OK),
            ("/v1/messages", ANTHROPIC_OK),
            ("/v1/responses", RESPONSES_OK),
        ):
            response = post(served, path, body, sid)
            assert response.status_code == 502, response.text
            assert "refused" in response.text
        with pytest.raises(openai.InternalServerError):
            openai.OpenAI(base_url=f"{served.url}/v1", api_key="x", max_retries=0).chat.completions.create(
                **CHAT_OK  # type: ignore[arg-type]
            )
        assert len(admin_calls(served, sid)) == 3


def test_sessions_from_path_key_and_headers() -> None:
    assert resolve_session("run-1", {"authorization": "Bearer exp"}).session_id == "run-1"
    assert resolve_session(None, {"authorization": "Bearer exp-7"}).session_id == "exp-7"
    # A credential is never taken for a session name (nor stored).
    info = resolve_session(None, {"authorization": "Bearer sk-real", "x-claude-code-session-id": "cc-1"})
    assert info.session_id == "cc-1"
    codex = resolve_session(None, {"session-id": "th-1", "user-agent": "codex_exec/0.169.0 (Debian)"})
    assert (codex.session_id, codex.harness) == ("th-1", "codex")
    child = resolve_session(None, {"x-session-id": "child", "x-parent-session-id": "root"})
    assert (child.session_id, child.parent_session_id) == ("child", "root")


def test_admin_api_needs_the_key_and_lists(gateway: ServedApp) -> None:
    sid = session()
    assert post(gateway, "/v1/chat/completions", CHAT_OK, sid).status_code == 200
    assert httpx.get(f"{gateway.url}/admin/sessions").status_code == 401
    assert httpx.get(f"{gateway.url}/admin/sessions", headers={"authorization": "Bearer wrong"}).status_code == 401
    sessions = httpx.get(f"{gateway.url}/admin/sessions", headers=ADMIN).json()
    assert sid in [s["session_id"] for s in sessions]
    (record,) = admin_calls(gateway, sid)
    one = httpx.get(f"{gateway.url}/admin/calls/{record['id']}", headers=ADMIN).json()
    assert one == record
    assert httpx.get(f"{gateway.url}/admin/calls/nope", headers=ADMIN).status_code == 404
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'rollyard_calls_total{api="chat",status="ok",backend="scripted"}' in metrics


def test_admin_off_without_a_key(scripted_backend: tuple[ScriptedModel, ServedApp], tmp_path: Path) -> None:
    config = gateway_config(tmp_path / "c.db", scripted_backend[1].url).model_copy(update={"admin_key": None})
    with serve_app(build_app(config)) as served:
        assert httpx.get(f"{served.url}/admin/sessions", headers=ADMIN).status_code == 404


def test_pause_holds_new_calls_and_policy_version_is_recorded(gateway: ServedApp) -> None:
    sid = session()
    assert httpx.put(f"{gateway.url}/admin/policy-version", json={"policy_version": "v7"}, headers=ADMIN).is_success
    assert httpx.post(f"{gateway.url}/admin/pause", headers=ADMIN).json()["paused"] is True
    done = threading.Event()

    def call() -> None:
        post(gateway, "/v1/chat/completions", CHAT_OK, sid)
        done.set()

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.5)
    held = not done.is_set()
    assert httpx.get(f"{gateway.url}/healthz").json()["paused"] is True
    httpx.post(f"{gateway.url}/admin/resume", headers=ADMIN)
    worker.join(timeout=10)
    assert held and done.is_set()
    (record,) = admin_calls(gateway, sid)
    assert record["policy_version"] == "v7" and record["timings"]["queued_s"] > 0  # type: ignore[index]
    httpx.put(f"{gateway.url}/admin/policy-version", json={"policy_version": None}, headers=ADMIN)


def test_head_root_models_and_count_tokens(gateway: ServedApp) -> None:
    assert httpx.head(f"{gateway.url}/").status_code == 200
    assert httpx.get(f"{gateway.url}/healthz").json()["status"] == "ok"
    assert "scripted" in [m["id"] for m in httpx.get(f"{gateway.url}/v1/models").json()["data"]]
    counted = httpx.post(
        f"{gateway.url}/v1/messages/count_tokens?beta=true",
        json={"model": "m", "messages": [{"role": "user", "content": "hello there"}]},
    ).json()
    assert counted["input_tokens"] > 0


def test_recorded_usage_has_every_usage_field() -> None:
    import dataclasses

    from rollyard.gateway._pipeline import _usage_json
    from rollyard.wire import Message, Response, Usage

    usage = Usage(3, 4, cache_read_tokens=1, cache_creation_tokens=2, reasoning_tokens=5, extra={"x": [1]})
    response = Response(id="r", model="m", message=Message(role="assistant", parts=[]), usage=usage)
    assert _usage_json(response) == dataclasses.asdict(usage)
