"""Model names -> backends."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import AnthropicModel, EmbeddedModel, Model, OpenAICompatibleModel, RetryPolicy
from ..wire import WireError
from ._config import BackendConfig, GatewayConfig


class UnknownModelError(WireError):
    kind = "not_found"


@dataclass
class Backend:
    config: BackendConfig
    model: Model

    @property
    def name(self) -> str:
        return self.config.name


def build_backend(config: BackendConfig, *, embedded: EmbeddedModel | None = None) -> Backend:
    """The ``Model`` for one configured backend."""
    retry = RetryPolicy(max_retries=config.max_retries)
    match config.kind:
        case "embedded":
            return Backend(config, embedded or EmbeddedModel(name=config.name))
        case "anthropic":
            assert config.url is not None
            model: Model = AnthropicModel(
                config.url,
                api_key=config.api_key(),
                model=config.upstream_model,
                name=config.name,
                timeout_s=config.timeout_s,
                retry=retry,
            )
            return Backend(config, model)
        case "vllm" | "sglang" | "llamacpp" | "openai":
            assert config.url is not None
            if config.api == "anthropic":
                raise ValueError(f"backend {config.name!r}: kind {config.kind!r} speaks chat, not anthropic")
            model = OpenAICompatibleModel(
                config.url,
                kind=config.kind,
                api_key=config.api_key(),
                model=config.upstream_model,
                name=config.name,
                timeout_s=config.timeout_s,
                retry=retry,
            )
            return Backend(config, model)


class Router:
    """Resolves a requested model name: aliases first, then a backend's name or its
    ``models`` list; a lone backend answers to any name."""

    def __init__(self, backends: list[Backend], aliases: dict[str, str] | None = None) -> None:
        if not backends:
            raise ValueError("the gateway needs at least one backend")
        self.backends = backends
        self.aliases = dict(aliases or {})

    @classmethod
    def from_config(cls, config: GatewayConfig, *, embedded: EmbeddedModel | None = None) -> Router:
        return cls([build_backend(b, embedded=embedded) for b in config.backends], config.aliases)

    def resolve(self, model_name: str) -> Backend:
        name = self.aliases.get(model_name, model_name)
        for backend in self.backends:
            if name == backend.name or name in backend.config.models:
                return backend
        if len(self.backends) == 1:
            return self.backends[0]
        known = sorted({b.name for b in self.backends} | {m for b in self.backends for m in b.config.models})
        raise UnknownModelError(
            f"model {model_name!r} is not served by this gateway; known: {', '.join(known)}", field="model"
        )

    def model_names(self) -> list[str]:
        names: list[str] = []
        for backend in self.backends:
            names.extend([backend.name, *backend.config.models])
        names.extend(self.aliases)
        return list(dict.fromkeys(names))

    async def aclose(self) -> None:
        for backend in self.backends:
            await backend.model.aclose()
