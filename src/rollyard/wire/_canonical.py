"""The canonical conversation model every dialect parses into and renders from.

Plain dataclasses: pydantic lives at the HTTP edges, not here. Each object keeps the
fields of its source dialect that the canonical model has no slot for in ``extra``;
``Request.origin`` / ``Response.origin`` says which dialect those extras belong to, so
a same-dialect re-render puts them back verbatim and a cross-dialect render either
carries them in the ``_rollyard`` extension key (lossless mode) or reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Dialect: TypeAlias = Literal["chat", "responses", "anthropic"]
"""OpenAI Chat Completions, OpenAI Responses, Anthropic Messages."""

DIALECTS: tuple[Dialect, ...] = ("chat", "responses", "anthropic")

Role: TypeAlias = Literal["system", "developer", "user", "assistant", "tool"]

FinishReason: TypeAlias = Literal[
    "stop",  # natural end (chat "stop", anthropic "end_turn")
    "stop_sequence",  # a stop sequence matched (chat reports "stop")
    "length",  # token limit (anthropic "max_tokens", responses incomplete)
    "tool_calls",  # the turn ends in tool calls (anthropic "tool_use")
    "content_filter",  # filtered (anthropic "refusal")
    "pause_turn",  # anthropic server-tool pause
    "error",
]

ContentForm: TypeAlias = Literal["string", "parts"]
"""Whether the source gave content as a bare string or as a list of parts; kept so
that a same-dialect re-render is byte-for-byte the same shape."""


@dataclass
class TextPart:
    """A span of text in a message or tool result."""

    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    """Dialect fields with no canonical slot (``cache_control``, ``citations``...)."""


@dataclass
class ImagePart:
    """An image, by URL (``http(s):`` or ``data:``) or by base64 data + media type."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReasoningPart:
    """A reasoning block: Anthropic ``thinking``/``redacted_thinking``, a Responses
    ``reasoning`` item, or chat ``reasoning_content``. Opaque fields (``signature``,
    ``redacted_data``, ``encrypted_content``) round-trip byte-exact."""

    text: str | None = None
    signature: str | None = None
    redacted_data: str | None = None
    """Anthropic ``redacted_thinking.data``: the block has no visible text."""
    encrypted_content: str | None = None
    summary: list[str] | None = None
    """Responses reasoning summaries (``summary_text`` items)."""
    id: str | None = None
    """Responses reasoning item id (``rs_...``)."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolCallPart:
    """A call the assistant made. ``arguments`` is the JSON text exactly as the model
    produced it (``""`` means no arguments: renderers that need an object use ``{}``)."""

    id: str
    name: str
    arguments: str
    kind: Literal["function", "custom"] = "function"
    """``custom`` is a Responses free-form tool call whose ``arguments`` is raw input."""
    item_id: str | None = None
    """Responses item id (``fc_...``), distinct from the call id."""
    namespace: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolResultPart:
    """The result of a tool call, matched by ``call_id``."""

    call_id: str
    content: list[TextPart | ImagePart]
    content_form: ContentForm = "string"
    is_error: bool | None = None
    kind: Literal["function", "custom"] = "function"
    item_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text parts joined, for targets that only take a string."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


Part: TypeAlias = TextPart | ImagePart | ReasoningPart | ToolCallPart | ToolResultPart


@dataclass
class Message:
    """One conversation turn. Tool results live in ``role="tool"`` messages, one
    ``ToolResultPart`` each, in order; Anthropic merges consecutive ones back into one
    user message when rendering."""

    role: Role
    parts: list[Part]
    content_form: ContentForm = "parts"
    name: str | None = None
    id: str | None = None
    """Responses message item id (``msg_...``)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [p for p in self.parts if isinstance(p, ToolCallPart)]


@dataclass
class ToolSpec:
    """A tool offered to the model.

    ``function`` tools map to every dialect. ``custom`` (free-form), ``namespace``
    (a group of tools) and ``builtin`` (``web_search`` and other hosted tools) are kept
    as ``raw`` and reported as unsupported where a target cannot express them."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    kind: Literal["function", "custom", "namespace", "builtin"] = "function"
    strict: bool | None = None
    raw: dict[str, Any] | None = None
    """The dialect's own definition, for the non-function kinds."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolChoice:
    """``auto`` / ``none`` / ``required`` (anthropic ``any``) / a named tool."""

    mode: Literal["auto", "none", "required", "tool"]
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReasoningConfig:
    """What the client asked of reasoning: OpenAI ``reasoning.effort`` / ``summary``,
    Anthropic ``thinking`` (``enabled`` with a budget, ``adaptive``, ``disabled``)."""

    effort: str | None = None
    summary: str | None = None
    thinking_type: str | None = None
    budget_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Request:
    """A model request in canonical form. System and developer prompts are messages:
    Anthropic's top-level ``system`` becomes the leading system message(s), Responses
    ``instructions`` a leading system message flagged ``extra["instructions"]``."""

    model: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    stream: bool = False
    stream_include_usage: bool | None = None
    reasoning: ReasoningConfig | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    user: str | None = None
    origin: Dialect | None = None
    """The dialect the request was parsed from: owner of every ``extra`` in it."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Usage:
    """Token usage in OpenAI semantics: ``input_tokens`` INCLUDES cache reads and
    writes. Anthropic's ``input_tokens`` excludes them; its codec converts."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class TokenLogprob:
    """One sampled token with its log probability (and alternatives when asked)."""

    token: str
    logprob: float
    token_id: int | None = None
    bytes: list[int] | None = None
    top: tuple[tuple[str, float], ...] = ()


@dataclass
class Response:
    """A complete model response: one assistant message plus metadata. Engines that
    expose them fill the token ids (vLLM ``return_token_ids`` style) and logprobs."""

    id: str
    model: str
    message: Message
    finish_reason: FinishReason = "stop"
    stop_sequence: str | None = None
    usage: Usage | None = None
    created: int | None = None
    prompt_token_ids: list[int] | None = None
    completion_token_ids: list[int] | None = None
    logprobs: list[TokenLogprob] | None = None
    origin: Dialect | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---- streaming: canonical events every dialect encodes and decodes ----


@dataclass(frozen=True)
class MessageStart:
    id: str
    model: str
    created: int | None = None


@dataclass(frozen=True)
class PartStart:
    """A new part opens at ``index`` (position in ``Response.message.parts``)."""

    index: int
    kind: Literal["text", "reasoning", "tool_call"]
    tool_call_id: str | None = None
    tool_name: str | None = None
    tool_kind: Literal["function", "custom"] = "function"
    item_id: str | None = None
    """Responses item id for the part (``msg_``, ``rs_``, ``fc_``)."""


@dataclass(frozen=True)
class TextDelta:
    index: int
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    index: int
    text: str


@dataclass(frozen=True)
class ReasoningSummaryDelta:
    index: int
    summary_index: int
    text: str


@dataclass(frozen=True)
class ReasoningOpaque:
    """Opaque reasoning payloads, sent once when the part is complete."""

    index: int
    signature: str | None = None
    redacted_data: str | None = None
    encrypted_content: str | None = None


@dataclass(frozen=True)
class ToolArgsDelta:
    index: int
    fragment: str


@dataclass(frozen=True)
class PartEnd:
    index: int


@dataclass(frozen=True)
class MessageEnd:
    finish_reason: FinishReason
    usage: Usage | None = None
    stop_sequence: str | None = None


StreamEvent: TypeAlias = (
    MessageStart
    | PartStart
    | TextDelta
    | ReasoningDelta
    | ReasoningSummaryDelta
    | ReasoningOpaque
    | ToolArgsDelta
    | PartEnd
    | MessageEnd
)


@dataclass
class ConversionReport:
    """What a render could not express in its target dialect. Lossless renders carry
    such things in the ``_rollyard`` extension key and still note them here;
    upstream renders (``lossless=False``) drop them and note them here, never silently."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
