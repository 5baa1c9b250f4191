"""Evaluations talk to their models through an in-process rollyard gateway, so every
model call is recorded (token-faithfully where the backend allows) under a session per
(case, strategy, model)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

from ..gateway import Backend, BackendConfig, GatewayConfig, Router, build_app, build_backend, serve_in_loop
from ..models import EmbeddedModel, Model, OpenAICompatibleModel
from ..store import open_store
from ._runner import EvalCase, ModelFactory


@dataclass(frozen=True)
class ModelChoice:
    """``embedded``, ``URL`` or ``NAME@URL`` (NAME: the model the backend serves)."""

    label: str
    url: str | None = None
    upstream_model: str | None = None

    @classmethod
    def parse(cls, spec: str) -> ModelChoice:
        if spec == "embedded":
            return cls("embedded")
        name, at, url = spec.rpartition("@")
        if not at:
            url = spec
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"model {spec!r}: use 'embedded', a base URL (http://host:port/v1) or NAME@URL")
        if name:
            return cls(name, url, name)
        return cls(urlparse(url).netloc or url, url, _served_model(url))

    def backend(self, embedded: EmbeddedModel | None = None) -> Backend:
        """The gateway backend serving this choice (``embedded`` reuses a loaded model)."""
        if self.url is None:
            return build_backend(BackendConfig(name=self.label, kind="embedded"), embedded=embedded)
        config = BackendConfig(name=self.label, kind="openai", url=self.url, upstream_model=self.upstream_model)
        return build_backend(config)


def _served_model(url: str) -> str | None:
    """The first model a backend lists at ``/models`` (vLLM insists on its served name)."""
    try:
        data = httpx.get(url.rstrip("/") + "/models", timeout=5.0).json()
        return str(data["data"][0]["id"])
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None


@contextlib.asynccontextmanager
async def through_gateway(
    choices: Mapping[str, ModelChoice | Model], db: str | None, *, embedded: EmbeddedModel | None = None
) -> AsyncIterator[tuple[str, ModelFactory]]:
    """Serve a gateway on 127.0.0.1 in front of the given backends (a ``ModelChoice``, or a
    ``Model`` such as a scripted double); yields its URL and a factory of agent-side models."""
    backends = [
        value.backend(embedded)
        if isinstance(value, ModelChoice)
        else Backend(BackendConfig(name=label, kind="embedded"), value)  # an in-process Model
        for label, value in choices.items()
    ]
    router = Router(backends)
    app = build_app(GatewayConfig(db=db), store=open_store(db), router=router)
    async with serve_in_loop(app) as url:

        def model_for(case: EvalCase, strategy: str, label: str, session: str) -> Model:
            return OpenAICompatibleModel(f"{url}/s/{session}/v1", kind="openai", model=label, name=label)

        yield url, model_for
