"""The gateway: any harness or SDK points its base URL here; every call is forwarded
to a backend and recorded token-faithfully."""

from ._app import build_app
from ._config import BackendConfig, GatewayConfig
from ._pipeline import GatewayState
from ._router import Backend, Router, UnknownModelError, build_backend
from ._serve import serve_in_loop
from ._sessions import SessionInfo, harness_of, resolve_session

__all__ = [
    "Backend",
    "BackendConfig",
    "GatewayConfig",
    "GatewayState",
    "Router",
    "SessionInfo",
    "UnknownModelError",
    "build_app",
    "build_backend",
    "harness_of",
    "resolve_session",
    "serve_in_loop",
]
