"""The three API dialects rollyard speaks, and one canonical conversation model.

>>> from rollyard.wire import codec
>>> body = codec("anthropic").convert_request_to(chat_body_dict, codec("chat"))  # doctest: +SKIP

Every dialect parses into ``Request`` / ``Response`` / ``StreamEvent`` and renders from
them; converting is parse in one dialect, render in another.
"""

from ._anthropic import ANTHROPIC
from ._canonical import (
    DIALECTS,
    ContentForm,
    ConversionReport,
    Dialect,
    FinishReason,
    ImagePart,
    Message,
    MessageEnd,
    MessageStart,
    Part,
    PartEnd,
    PartStart,
    ReasoningConfig,
    ReasoningDelta,
    ReasoningOpaque,
    ReasoningPart,
    ReasoningSummaryDelta,
    Request,
    Response,
    Role,
    StreamEvent,
    TextDelta,
    TextPart,
    TokenLogprob,
    ToolArgsDelta,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from ._chat import CHAT
from ._codec import Codec
from ._errors import (
    ErrorKind,
    MalformedRequestError,
    MalformedResponseError,
    UnsupportedFeatureError,
    WireError,
)
from ._fields import EXT_KEY, loads_object
from ._responses import RESPONSES
from ._stream import SSEMessage, StreamAccumulator, events_to_response, parse_sse, response_to_events, sse

CODECS: dict[Dialect, Codec] = {"chat": CHAT, "responses": RESPONSES, "anthropic": ANTHROPIC}


def codec(dialect: Dialect) -> Codec:
    """The codec of one dialect: ``chat``, ``responses`` or ``anthropic``."""
    return CODECS[dialect]


def convert_request(
    body: dict[str, object],
    source: Dialect,
    target: Dialect,
    *,
    lossless: bool = True,
    report: ConversionReport | None = None,
) -> dict[str, object]:
    """Convert a request body from one dialect to another through the canonical model."""
    return CODECS[source].convert_request_to(dict(body), CODECS[target], lossless=lossless, report=report)


__all__ = [
    "ANTHROPIC",
    "CHAT",
    "CODECS",
    "DIALECTS",
    "EXT_KEY",
    "RESPONSES",
    "Codec",
    "ContentForm",
    "ConversionReport",
    "Dialect",
    "ErrorKind",
    "FinishReason",
    "ImagePart",
    "MalformedRequestError",
    "MalformedResponseError",
    "Message",
    "MessageEnd",
    "MessageStart",
    "Part",
    "PartEnd",
    "PartStart",
    "ReasoningConfig",
    "ReasoningDelta",
    "ReasoningOpaque",
    "ReasoningPart",
    "ReasoningSummaryDelta",
    "Request",
    "Response",
    "Role",
    "SSEMessage",
    "StreamAccumulator",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "TokenLogprob",
    "ToolArgsDelta",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "ToolSpec",
    "UnsupportedFeatureError",
    "Usage",
    "WireError",
    "codec",
    "convert_request",
    "events_to_response",
    "loads_object",
    "parse_sse",
    "response_to_events",
    "sse",
]
