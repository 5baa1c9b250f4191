"""Model backends behind one interface: ``Model.request`` / ``Model.stream``.

- ``EmbeddedModel``: SmolLM2-135M-Instruct in-process (llama-cpp-python), engine token ids.
- ``OpenAICompatibleModel``: vLLM, SGLang, llama.cpp server, OpenAI (Chat Completions).
- ``AnthropicModel``: the Anthropic Messages API.
- ``ScriptedModel``: the test double (a script of replies, or a function of the request).
"""

from ._anthropic_http import AnthropicModel
from ._base import Model, TokenSource
from ._embedded import EmbeddedModel, EmbeddedModelUnavailableError, smollm2_gguf_path
from ._http import RetryPolicy, UpstreamError
from ._openai_http import BackendKind, OpenAICompatibleModel, token_capture_fields
from ._scripted import ScriptedCall, ScriptedModel, ScriptExhaustedError
from ._server import model_app

__all__ = [
    "AnthropicModel",
    "BackendKind",
    "EmbeddedModel",
    "EmbeddedModelUnavailableError",
    "Model",
    "OpenAICompatibleModel",
    "RetryPolicy",
    "ScriptExhaustedError",
    "ScriptedCall",
    "ScriptedModel",
    "TokenSource",
    "UpstreamError",
    "model_app",
    "smollm2_gguf_path",
    "token_capture_fields",
]
