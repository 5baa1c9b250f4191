"""Model backends behind one interface: ``Model.request`` / ``Model.stream``.

- ``EmbeddedModel``: SmolLM2-135M-Instruct in-process (llama-cpp-python), engine token ids.
- ``OpenAICompatibleModel``: vLLM, SGLang, llama.cpp server, OpenAI (Chat Completions).
- ``AnthropicModel``: the Anthropic Messages API.
- ``ScriptedModel``: the test double (a script of replies, or a function of the request).
"""

from ._base import Model, TokenSource
from ._embedded import EmbeddedModel, EmbeddedModelUnavailableError, smollm2_gguf_path
from ._scripted import ScriptedCall, ScriptedModel, ScriptExhaustedError

__all__ = [
    "EmbeddedModel",
    "EmbeddedModelUnavailableError",
    "Model",
    "ScriptExhaustedError",
    "ScriptedCall",
    "ScriptedModel",
    "TokenSource",
    "smollm2_gguf_path",
]
