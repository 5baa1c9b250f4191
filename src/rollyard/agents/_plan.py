"""Plans as typed data: steps with references to earlier results, never strings.

A planner emits the plan as a call to the ``plan`` tool, so a small model decoding
under a grammar can only produce a well-formed plan. The parser still tolerates what
models write anyway (string ids, ``"$1"`` / ``"#E1"`` references, missing fields) and
reports what it cannot read as data, never as an exception."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..tools import Toolset
from ..wire import Message, TextPart, ToolSpec

PLAN_TOOL = ToolSpec(
    name="plan",
    description=(
        "Plan the tool calls that solve the task. Each step calls one tool; an argument may be "
        '{"$ref": N} to use the result of step N.'
    ),
    parameters={
        "type": "object",
        "properties": {
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "tool": {"type": "string"},
                        "args": {"type": "object"},
                    },
                    "required": ["id", "tool", "args"],
                },
            }
        },
        "required": ["steps"],
    },
)

_STRING_REF = re.compile(r"^\s*(?:\$|#E|#)\{?(\d+)\}?((?:\.[A-Za-z_]\w*)*)\s*$")


@dataclass
class PlanStep:
    """One planned tool call; ``args`` hold ``{"$ref": N}`` where step N's value goes."""

    id: int
    tool: str
    args: dict[str, Any]
    deps: set[int] = field(default_factory=set)
    error: str | None = None
    """Why the step could not be read (a parse failure, reported as data)."""


def _refs(value: Any, found: set[int]) -> Any:
    """Normalize references to ``{"$ref": N}`` and collect N."""
    if isinstance(value, dict):
        if set(value) >= {"$ref"} and isinstance(value["$ref"], int | str):
            try:
                n = int(str(value["$ref"]).lstrip("$#E"))
            except ValueError:
                return value
            found.add(n)
            return {**value, "$ref": n}
        return {k: _refs(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_refs(v, found) for v in value]
    if isinstance(value, str) and (match := _STRING_REF.match(value)):
        found.add(int(match.group(1)))
        path = [p for p in match.group(2).split(".") if p]
        return {"$ref": int(match.group(1)), "path": path} if path else {"$ref": int(match.group(1))}
    return value


def parse_step(raw: Any, position: int) -> PlanStep:
    """Read one step as models write it; what cannot be read becomes ``error``."""
    if not isinstance(raw, dict):
        return PlanStep(position, "", {}, error=f"step {position} is not an object")
    try:
        step_id = int(str(raw.get("id", position)).lstrip("$#E"))
    except ValueError:
        step_id = position
    tool = raw.get("tool") or raw.get("name") or raw.get("function")
    args = raw.get("args", raw.get("arguments", raw.get("parameters", {})))
    if args is None:
        args = {}
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return PlanStep(step_id, str(tool or ""), {}, error=f"step {step_id}: arguments are not JSON")
    if not isinstance(tool, str) or not tool:
        return PlanStep(step_id, "", {}, error=f"step {step_id} names no tool")
    if not isinstance(args, dict):
        return PlanStep(step_id, tool, {}, error=f"step {step_id}: arguments must be an object")
    deps: set[int] = set()
    normalized = _refs(args, deps)
    for extra in raw.get("deps", []) if isinstance(raw.get("deps"), list) else []:
        try:
            deps.add(int(str(extra).lstrip("$#E")))
        except ValueError:
            pass
    deps.discard(step_id)
    return PlanStep(step_id, tool, normalized, deps)


def resolve(value: Any, results: dict[int, Any]) -> Any:
    """Replace references by the referenced step's typed value (with an optional path)."""
    if isinstance(value, dict):
        if "$ref" in value and isinstance(value["$ref"], int):
            resolved = results[value["$ref"]]
            for key in value.get("path") or []:
                if isinstance(resolved, list | tuple) and isinstance(key, str) and key.lstrip("-").isdigit():
                    key = int(key)
                resolved = resolved[key]
            return resolved
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    return value


class IncrementalPlanParser:
    """Feeds on the plan's JSON text as it streams and yields each step as soon as its
    object is complete, so a dispatcher can start it before the plan ends."""

    def __init__(self) -> None:
        self.text = ""
        self._pos: int | None = None
        self._count = 0
        self._decoder = json.JSONDecoder()

    def feed(self, fragment: str) -> Iterator[PlanStep]:
        self.text += fragment
        if self._pos is None:
            at = self.text.find('"steps"')
            bracket = self.text.find("[", at) if at >= 0 else -1
            if bracket < 0:
                return
            self._pos = bracket + 1
        while True:
            rest = self.text[self._pos :]
            stripped = rest.lstrip(" \n\t\r,")
            if not stripped or stripped.startswith("]"):
                return
            start = self._pos + (len(rest) - len(stripped))
            try:
                raw, end = self._decoder.raw_decode(self.text, start)
            except ValueError:
                return  # the element is not complete yet
            self._pos = end
            self._count += 1
            yield parse_step(raw, self._count)

    def finish(self) -> list[PlanStep]:
        """Steps a non-streamed (or oddly shaped) plan holds, once it is complete."""
        whole = _first_json(self.text)
        if whole is None:
            return [PlanStep(0, "", {}, error="the plan is not JSON")] if self._count == 0 else []
        steps = whole.get("steps", whole.get("plan")) if isinstance(whole, dict) else whole
        if isinstance(steps, dict):
            steps = [steps]
        if not isinstance(steps, list):
            return [PlanStep(0, "", {}, error="the plan has no steps list")] if self._count == 0 else []
        return [parse_step(raw, i + 1) for i, raw in enumerate(steps)][self._count :]


def _first_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (models wrap plans in prose or fences)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        return value
    return None


def parse_plan(text: str) -> list[PlanStep]:
    """Steps of a complete plan: the ``plan`` tool's arguments, or JSON inside text."""
    parser = IncrementalPlanParser()
    steps = list(parser.feed(text))
    return steps + parser.finish()


def tool_catalogue(toolset: Toolset) -> str:
    """The tools as signatures, one a line, for planner prompts. Not as JSON schemas:
    a small model copies schema text into its arguments."""
    lines = []
    for spec in toolset.specs():
        properties = (spec.parameters or {}).get("properties", {})
        signature = ", ".join(f"{name}: {schema.get('type', 'any')}" for name, schema in properties.items())
        lines.append(f"- {spec.name}({signature}): {spec.description or ''}")
    return "\n".join(lines)


_REF_STRING = {"type": "string", "pattern": "^[$][0-9]+([.][A-Za-z_][A-Za-z0-9_]*)*$"}


def _step_schema(spec: ToolSpec) -> dict[str, Any]:
    parameters = spec.parameters or {}
    if "$defs" in json.dumps(parameters) or '"$ref"' in json.dumps(parameters):
        args: dict[str, Any] = {"type": "object"}  # nested definitions: left loose rather than mis-typed
    else:
        properties = parameters.get("properties", {})
        args = {
            "type": "object",
            "properties": {name: {"anyOf": [schema, _REF_STRING]} for name, schema in properties.items()},
            "required": list(parameters.get("required", [])),
        }
    return {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "tool": {"const": spec.name}, "args": args},
        "required": ["id", "tool", "args"],
    }


def plan_tool(toolset: Toolset, max_steps: int = 8) -> ToolSpec:
    """The ``plan`` tool typed for ``toolset``: each step names one of its tools with
    that tool's arguments (or ``"$N"`` references). A model decoding under a grammar
    built from this schema can only write well-formed steps."""
    steps = {"type": "array", "items": {"anyOf": [_step_schema(s) for s in toolset.specs()]}, "maxItems": max_steps}
    return ToolSpec(
        name=PLAN_TOOL.name,
        description=PLAN_TOOL.description,
        parameters={"type": "object", "properties": {"steps": steps}, "required": ["steps"]},
    )


def plan_from_message(message: Message) -> list[PlanStep]:
    """The steps of a planner's reply: its ``plan`` call, else JSON inside its text."""
    for call in message.tool_calls:
        if call.name == PLAN_TOOL.name:
            return parse_plan(call.arguments)
    if message.text.strip():
        return parse_plan(message.text)
    return [PlanStep(0, "", {}, error="the planner wrote no plan")]


PLANNER_RULES = (
    "Call the plan tool once with every tool call the task needs, as steps "
    '[{"id": 1, "tool": "...", "args": {...}}, ...]. To use the result of an earlier step as an argument, '
    'write "$N" (N is that step\'s id), or "$N.field" for one field of it. '
    "Do not compute results yourself: let the tools do it."
)


def planner_messages(toolset: Toolset, task: str, extra_rules: str = "", notes: Sequence[str] = ()) -> list[Message]:
    """System + user messages asking for a plan (as a call to the ``plan`` tool)."""
    system = f"You plan tool calls. Tools:\n{tool_catalogue(toolset)}\n{PLANNER_RULES} {extra_rules}".strip()
    user = task if not notes else f"{task}\n\nEarlier attempts:\n" + "\n".join(notes)
    return [Message("system", [TextPart(system)]), Message("user", [TextPart(user)])]
