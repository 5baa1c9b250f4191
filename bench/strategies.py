"""Strategies on k independent tool calls: makespan, LLM calls and tokens, side by side.

Each task needs k independent tool calls of fixed latency (200 ms, asyncio.sleep), then
an answer. The model is the scripted double with a fixed latency per call (100 ms); it
reports prompt tokens as the characters of the whole rendered request / 4 (messages,
tool calls, tool results and the tool schemas offered), so a strategy that re-sends a
growing history pays for it. The critical path is one planning call, one tool call and
one answering call: a lower bound for any strategy that must plan before it acts.

    python bench/strategies.py           # a table
    python bench/strategies.py --json    # speedup_compiler_vs_react_k8, compiler_makespan_over_critical_path_k8,
                                         # prompt_tokens_react_over_rewoo (and every row)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from rollyard.agents import LLMCompiler, ReAct, ReWOO, Strategy
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.tools import Toolset
from rollyard.wire import ImagePart, ReasoningPart, Request, Response, TextPart, ToolCallPart, ToolResultPart, Usage

TOOL_S = 0.2
LLM_S = 0.1
STRATEGIES = ("react", "react-parallel", "rewoo", "compiler")


def toolset() -> Toolset:
    async def fetch_price(item: int) -> dict[str, Any]:
        """Fetch the current price of one catalogue item (slow: a remote service).

        Args:
            item: The catalogue number of the item.
        """
        await asyncio.sleep(TOOL_S)
        return {"item": item, "price": item * 10, "currency": "EUR"}

    return Toolset([fetch_price])


def rendered_chars(request: Request) -> int:
    """Size of the request as a chat template would render it."""
    size = sum(
        len(json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}))
        for t in request.tools
    )
    for message in request.messages:
        size += len(message.role) + 8  # the turn's frame
        for part in message.parts:
            match part:
                case TextPart(text=text):
                    size += len(text)
                case ToolCallPart(name=name, arguments=arguments):
                    size += len(name) + len(arguments) + 30
                case ToolResultPart():
                    size += len(part.text) + len(part.call_id) + 20
                case ReasoningPart(text=text):
                    size += len(text or "")
                case ImagePart():
                    size += 0
    return size


def scripted(k: int, mode: str) -> ScriptedModel:
    """A double that plays each strategy's protocol for a k-call task, 100 ms a call."""
    replier = ScriptedModel([])

    async def reply(request: Request) -> Response:
        await asyncio.sleep(LLM_S)
        done = sum(1 for m in request.messages for p in m.parts if isinstance(p, ToolResultPart))
        names = {t.name for t in request.tools}
        answer: Any
        if "plan" in names:
            steps = [{"id": i + 1, "tool": "fetch_price", "args": {"item": i}} for i in range(k)]
            answer = ScriptedCall("plan", {"steps": steps})
        elif mode == "react" and done < k:
            answer = ScriptedCall("fetch_price", {"item": done})
        elif mode == "react-parallel" and done < k:
            answer = [ScriptedCall("fetch_price", {"item": i}) for i in range(k)]
        else:
            answer = f"The {k} items cost {sum(i * 10 for i in range(k))} EUR in all."
        response = replier.to_response(answer, model="bench")
        completion = sum(len(p.arguments) for p in response.message.tool_calls) + len(response.message.text)
        response.usage = Usage(input_tokens=rendered_chars(request) // 4, output_tokens=max(1, completion // 4))
        return response

    return ScriptedModel(reply)


def agent(name: str, k: int) -> Strategy:
    tools = toolset()
    if name == "react":
        return ReAct(scripted(k, name), tools, parallel_tool_calls=False, max_steps=k + 2)
    if name == "react-parallel":
        return ReAct(scripted(k, name), tools, max_steps=4)
    if name == "rewoo":
        return ReWOO(scripted(k, name), tools)
    return LLMCompiler(scripted(k, name), tools)


async def measure(name: str, k: int) -> dict[str, Any]:
    started = time.perf_counter()
    result = await agent(name, k).run(f"What do catalogue items 0 to {k - 1} cost in all?")
    seconds = time.perf_counter() - started
    assert result.status == "success", (name, result.status, result.reason)
    assert result.tool_calls == k, (name, result.tool_calls)
    return {
        "strategy": name,
        "k": k,
        "makespan_s": round(seconds, 3),
        "llm_calls": result.llm_calls,
        "tool_calls": result.tool_calls,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rows = [asyncio.run(measure(name, k)) for k in range(2, 9) for name in STRATEGIES]
    critical = LLM_S + TOOL_S + LLM_S
    by = {(r["strategy"], r["k"]): r for r in rows}
    summary = {
        "critical_path_s": critical,
        "speedup_compiler_vs_react_k8": round(by[("react", 8)]["makespan_s"] / by[("compiler", 8)]["makespan_s"], 2),
        "speedup_compiler_vs_react_parallel_k8": round(
            by[("react-parallel", 8)]["makespan_s"] / by[("compiler", 8)]["makespan_s"], 2
        ),
        "compiler_makespan_over_critical_path_k8": round(by[("compiler", 8)]["makespan_s"] / critical, 3),
        "prompt_tokens_react_over_rewoo": round(
            by[("react", 8)]["prompt_tokens"] / by[("rewoo", 8)]["prompt_tokens"], 2
        ),
        "prompt_tokens_react_parallel_over_rewoo": round(
            by[("react-parallel", 8)]["prompt_tokens"] / by[("rewoo", 8)]["prompt_tokens"], 2
        ),
    }
    if args.json:
        print(json.dumps({**summary, "rows": rows}))
        return
    print(f"{'strategy':15} {'k':>2} {'makespan s':>10} {'llm calls':>9} {'tool calls':>10} {'prompt tok':>10}")
    for r in rows:
        print(
            f"{r['strategy']:15} {r['k']:>2} {r['makespan_s']:>10.3f} {r['llm_calls']:>9} "
            f"{r['tool_calls']:>10} {r['prompt_tokens']:>10}"
        )
    print(f"critical path (plan + one tool + answer): {critical:.3f} s; react = one tool call per turn")
    for key, value in summary.items():
        print(f"{key:42} {value}")


if __name__ == "__main__":
    main()
