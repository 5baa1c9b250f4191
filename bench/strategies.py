"""Strategies on k independent tool calls: makespan, LLM calls and tokens, side by side.

Each task needs k independent tool calls of fixed latency (200 ms, asyncio.sleep), then
an answer. The model is the scripted double with a fixed latency per call (100 ms) and
token counts that grow with the request (characters / 4), so a strategy that re-sends
a growing history pays for it. The critical path is one planning call, one tool call,
one answer call.

    python bench/strategies.py           # a table
    python bench/strategies.py --json    # speedup_compiler_vs_react_k8, compiler_makespan_over_critical_path_k8,
                                         # prompt_tokens_react_over_rewoo"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from rollyard.agents import LLMCompiler, ReAct, ReWOO
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.tools import Tool, Toolset
from rollyard.wire import Message, Request, Response, ToolResultPart, Usage

TOOL_S = 0.2
LLM_S = 0.1


def toolset() -> Toolset:
    async def fetch(item: int) -> int:
        """Fetch one item (slow)."""
        await asyncio.sleep(TOOL_S)
        return item * 10

    return Toolset([Tool.from_function(fetch)])


def tokens_of(request: Request) -> int:
    text = "".join(m.text + "".join(p.text for p in m.parts if isinstance(p, ToolResultPart)) for m in request.messages)
    specs = json.dumps([t.parameters for t in request.tools])
    return max(1, (len(text) + len(specs)) // 4)


def scripted(k: int, mode: str) -> ScriptedModel:
    """A double that plays each strategy's protocol for a k-call task."""

    async def reply(request: Request) -> Any:
        await asyncio.sleep(LLM_S)
        done = sum(1 for m in request.messages for p in m.parts if isinstance(p, ToolResultPart))
        names = {t.name for t in request.tools}
        if "plan" in names:
            steps = [{"id": i + 1, "tool": "fetch", "args": {"item": i}} for i in range(k)]
            call: Any = [ScriptedCall("plan", {"steps": steps})]
        elif mode == "react" and done < k:
            call = [ScriptedCall("fetch", {"item": done})]
        elif mode == "react-parallel" and done < k:
            call = [ScriptedCall("fetch", {"item": i}) for i in range(k)]
        else:
            call = f"sum is {sum(i * 10 for i in range(k))}"
        model_reply = ScriptedModel([call]).to_response(call, model="m")
        return Response(
            id=model_reply.id,
            model="m",
            message=Message("assistant", list(model_reply.message.parts)),
            finish_reason=model_reply.finish_reason,
            usage=Usage(input_tokens=tokens_of(request), output_tokens=10),
        )

    return ScriptedModel(reply)


async def measure(name: str, k: int) -> dict[str, Any]:
    tools = toolset()
    if name == "react":
        agent: Any = ReAct(scripted(k, "react"), tools, parallel_tool_calls=False, max_steps=k + 2)
    elif name == "react-parallel":
        agent = ReAct(scripted(k, "react-parallel"), tools, max_steps=4)
    elif name == "rewoo":
        agent = ReWOO(scripted(k, "rewoo"), tools)
    else:
        agent = LLMCompiler(scripted(k, "compiler"), tools)
    started = time.perf_counter()
    result = await agent.run(f"Fetch items 0..{k - 1} and add them.")
    seconds = time.perf_counter() - started
    assert result.status == "success", (name, result.status, result.reason)
    return {
        "strategy": name,
        "k": k,
        "makespan_s": round(seconds, 3),
        "llm_calls": result.llm_calls,
        "tool_calls": result.tool_calls,
        "prompt_tokens": result.prompt_tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for k in range(2, 9):
        for name in ("react", "react-parallel", "rewoo", "compiler"):
            rows.append(asyncio.run(measure(name, k)))
    critical = 2 * LLM_S + TOOL_S
    by = {(r["strategy"], r["k"]): r for r in rows}
    summary = {
        "critical_path_s": critical,
        "speedup_compiler_vs_react_k8": round(by[("react", 8)]["makespan_s"] / by[("compiler", 8)]["makespan_s"], 3),
        "compiler_makespan_over_critical_path_k8": round(by[("compiler", 8)]["makespan_s"] / critical, 3),
        "prompt_tokens_react_over_rewoo": round(
            by[("react", 8)]["prompt_tokens"] / by[("rewoo", 8)]["prompt_tokens"], 3
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
    print(f"critical path (plan + one tool + answer): {critical:.3f} s")
    for key, value in summary.items():
        print(f"{key:45} {value}")


if __name__ == "__main__":
    main()
