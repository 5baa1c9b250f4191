"""Running a model on BFCL cases, by BFCL's own protocol.

Single-turn: one request with the case's tools; the calls in the reply are judged by the
AST checker. Multi-turn: per turn, the user's message joins the conversation and the model
calls tools (run against BFCL's simulated APIs) until it answers in text, within the step
budget; then the state checker judges the whole run. The strategy name is kept as a label:
BFCL defines the protocol, so every strategy runs it the same way.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from ..wire import Message, Request, TextPart, ToolCallPart, ToolResultPart
from ._bfcl_ast import check_calls
from ._bfcl_multi import MultiTurnRun

if TYPE_CHECKING:
    from ..models import Model
    from ._bfcl_data import BFCLCheck
    from ._runner import AgentSettings, CaseResult, EvalCase


def _messages(turn: list[dict[str, str]]) -> list[Message]:
    return [Message(m["role"], [TextPart(m["content"])]) for m in turn]  # type: ignore[arg-type]


def _arguments(call: ToolCallPart) -> dict[str, Any]:
    value = json.loads(call.arguments or "{}")
    if not isinstance(value, dict):
        raise ValueError(f"arguments of {call.name} are not a JSON object")
    return value


class _Meter:
    def __init__(self) -> None:
        self.llm_calls = self.tool_calls = self.prompt_tokens = self.completion_tokens = 0

    async def ask(self, model: Model, request: Request) -> Message:
        response = await model.request(request)
        self.llm_calls += 1
        if response.usage is not None:
            self.prompt_tokens += response.usage.input_tokens or 0
            self.completion_tokens += response.usage.output_tokens or 0
        return response.message


async def run_bfcl_case(
    case: EvalCase, strategy: str, model: Model, model_name: str, settings: AgentSettings
) -> CaseResult:
    from ._runner import CaseResult

    bfcl = case.bfcl
    assert bfcl is not None
    started = time.perf_counter()
    meter = _Meter()
    last_text = ""
    if bfcl.is_multi_turn:
        check, last_text = await _multi_turn(bfcl, model, model_name, settings, meter)
    else:
        request = Request(
            model=model_name,
            messages=_messages(bfcl.turns[0]),
            tools=bfcl.tool_specs(0),
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
        )
        message = await meter.ask(model, request)
        last_text = message.text
        try:
            calls = [(c.name, _arguments(c)) for c in message.tool_calls]
        except ValueError as exc:
            check = _failed(f"unparsable call arguments: {exc}")
        else:
            meter.tool_calls = len(calls)
            check = check_calls(bfcl, calls)
    return CaseResult.of(
        case,
        strategy,
        model_name,
        success=check.passed,
        score=1.0 if check.passed else 0.0,
        status="success",
        reason="" if check.passed else check.reason,
        failures=[] if check.passed else [check.reason],
        answer=last_text,
        llm_calls=meter.llm_calls,
        tool_calls=meter.tool_calls,
        prompt_tokens=meter.prompt_tokens,
        completion_tokens=meter.completion_tokens,
        seconds=time.perf_counter() - started,
    )


def _failed(reason: str) -> BFCLCheck:
    from ._bfcl_data import BFCLCheck

    return BFCLCheck(False, reason)


async def _multi_turn(
    bfcl: Any, model: Model, model_name: str, settings: AgentSettings, meter: _Meter
) -> tuple[BFCLCheck, str]:
    run = MultiTurnRun(bfcl)
    messages: list[Message] = []
    steps = settings.budget.max_requests or 16
    text = ""
    for turn, turn_messages in enumerate(bfcl.turns):
        messages.extend(_messages(turn_messages))
        toolset = run.toolset(turn)
        for _ in range(steps):
            request = Request(
                model=model_name,
                messages=list(messages),
                tools=toolset.specs(),
                max_tokens=settings.max_tokens,
                temperature=settings.temperature,
            )
            message = await meter.ask(model, request)
            messages.append(message)
            text = message.text
            if not message.tool_calls:
                break
            for call in message.tool_calls:
                result = await toolset.call(call.id, call.name, call.arguments)
                meter.tool_calls += 1
                messages.append(Message("tool", [ToolResultPart(call.id, [TextPart(result.content)])]))
        run.end_turn()
    return run.check(), text
