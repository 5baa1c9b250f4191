"""Gateway configuration: command-line flags, or a TOML file with several backends
and model aliases.

```toml
db = "sqlite:///runs/calls.db"
admin_key_env = "ROLLYARD_ADMIN_KEY"

[[backends]]
name = "qwen"                       # also a model name clients may ask for
url = "http://127.0.0.1:8000/v1"
api = "chat"                        # chat | anthropic
kind = "vllm"                       # vllm | sglang | llamacpp | openai | anthropic
models = ["Qwen/Qwen3-8B"]          # names this backend answers to
api_key_env = "VLLM_API_KEY"        # the key is read from the environment, never stored

[[backends]]
name = "embedded"                   # the in-process SmolLM2 model
kind = "embedded"

[aliases]
"gpt-5-codex" = "qwen"              # harness model names -> backend or model names
```
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BackendApi = Literal["chat", "anthropic"]
BackendKindName = Literal["vllm", "sglang", "llamacpp", "openai", "anthropic", "embedded"]


class BackendConfig(BaseModel):
    """One model backend."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: BackendKindName = "vllm"
    url: str | None = None
    api: BackendApi | None = None
    models: list[str] = Field(default_factory=list)
    upstream_model: str | None = None
    """Model name sent upstream (default: the name the client asked for)."""
    api_key_env: str | None = None
    timeout_s: float = 600.0
    max_retries: int = 2

    @model_validator(mode="after")
    def _check(self) -> BackendConfig:
        if self.kind != "embedded" and not self.url:
            raise ValueError(f"backend {self.name!r} of kind {self.kind!r} needs a url")
        if self.api is None:
            self.api = "anthropic" if self.kind == "anthropic" else "chat"
        return self

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class GatewayConfig(BaseModel):
    """Everything ``rollyard gateway`` needs."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8400
    db: str | None = None
    admin_key: str | None = None
    admin_key_env: str | None = None
    backends: list[BackendConfig] = Field(default_factory=lambda: [BackendConfig(name="embedded", kind="embedded")])
    aliases: dict[str, str] = Field(default_factory=dict)
    max_body_bytes: int = 32 * 1024 * 1024
    policy_version: str | None = None

    def resolved_admin_key(self) -> str | None:
        if self.admin_key:
            return self.admin_key
        return os.environ.get(self.admin_key_env) if self.admin_key_env else None

    @classmethod
    def from_toml(cls, path: str | Path) -> GatewayConfig:
        with open(path, "rb") as handle:
            return cls.model_validate(tomllib.load(handle))
