"""GBNF grammars that let a small embedded model call tools reliably.

SmolLM2-135M cannot follow a free-form tool-call format, but under a grammar built
from the offered tool schemas it emits valid calls (ARCHITECTURE decision 9). Each
call is framed by fixed text and only the arguments are free, so the chat template
can render a call back exactly as it was sampled."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from llama_cpp.llama_grammar import json_schema_to_gbnf

from ..wire import ToolSpec

CALL_OPEN = "<tool_call>\n"
CALL_CLOSE = "\n</tool_call>"
CALL_SEPARATOR = "\n"

# Tokens of a GBNF rule body: string literals and character classes are kept whole
# so that rule names are only renamed where they are references.
_GBNF_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\[(?:\\.|[^\]\\])*\]|[A-Za-z0-9_-]+|\s+|.', re.S)
_RULE = re.compile(r"^([A-Za-z0-9_-]+)\s*::=\s*(.*)$")


def call_prefix(name: str) -> str:
    """The fixed text that opens a call to ``name``; the arguments JSON follows."""
    return f"{CALL_OPEN}{{{json.dumps('name')}: {json.dumps(name)}, {json.dumps('arguments')}: "


def render_call(name: str, arguments: str) -> str:
    """A tool call as the embedded model writes it: fixed frame, raw arguments."""
    return f"{call_prefix(name)}{arguments or '{}'}}}{CALL_CLOSE}"


def _gbnf_literal(text: str) -> str:
    return json.dumps(text)


def _prefixed_rules(gbnf: str, prefix: str) -> tuple[str, list[str]]:
    """Rename every rule of a grammar with ``prefix`` (rules of several tools share
    one grammar, and the JSON-schema converter names them alike)."""
    lines = [line for line in gbnf.splitlines() if line.strip()]
    names = {m.group(1) for line in lines if (m := _RULE.match(line))}
    out: list[str] = []
    for line in lines:
        match = _RULE.match(line)
        if match is None:  # a continuation line
            body, head = line, ""
        else:
            head, body = f"{prefix}{match.group(1)} ::= ", match.group(2)
        renamed = "".join(f"{prefix}{tok}" if tok in names else tok for tok in _GBNF_TOKEN.findall(body))
        out.append(head + renamed)
    return "\n".join(out), sorted(names)


def _parameters_schema(tool: ToolSpec) -> dict[str, Any]:
    schema = tool.parameters or {"type": "object", "properties": {}}
    if not schema.get("properties") and schema.get("type", "object") == "object":
        return {"type": "object", "properties": {}}
    return schema


def tool_call_grammar(tools: Sequence[ToolSpec], *, mode: Literal["auto", "required"], parallel: bool) -> str:
    """A GBNF grammar: free text or tool calls (``auto``), or only calls (``required``).

    Only function tools can be offered to the embedded model."""
    rules: list[str] = []
    alternatives: list[str] = []
    for index, tool in enumerate(tools):
        prefix = f"t{index}-"
        args_gbnf, _ = _prefixed_rules(json_schema_to_gbnf(json.dumps(_parameters_schema(tool))), prefix)
        rules.append(args_gbnf)
        alternatives.append(f"{_gbnf_literal(call_prefix(tool.name))} {prefix}root {_gbnf_literal('}' + CALL_CLOSE)}")
    rules.append("call ::= " + " | ".join(f"( {alt} )" for alt in alternatives))
    calls = f"call ( {_gbnf_literal(CALL_SEPARATOR)} call )*" if parallel else "call"
    rules.append(f"calls ::= {calls}")
    if mode == "required":
        rules.append("root ::= calls")
    else:
        # Text may not start with "<" so that a call is always the grammar's call.
        rules.append("text ::= [^<\\x00] [^\\x00]*")
        rules.append("root ::= text | calls")
    return "\n".join(rules) + "\n"
