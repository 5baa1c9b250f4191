"""Harness quirks, handled on the canonical request before it goes to a backend in
another dialect (same-dialect calls pass through untouched).

Each is a lesson from the systems we compete with (ARCHITECTURE: lessons)."""

from __future__ import annotations

import dataclasses

from ..wire import ConversionReport, Message, Request, TextPart, ToolResultPart

BILLING_PREFIX = "x-anthropic-billing-header:"


def strip_billing_header(request: Request, report: ConversionReport) -> Request:
    """Claude Code puts a per-request billing hash line first in ``system``; it changes
    every call, so no two prompts would share a prefix. Drop it."""
    messages: list[Message] = []
    stripped = False
    for message in request.messages:
        if message.role in ("system", "developer"):
            parts = [p for p in message.parts if not (isinstance(p, TextPart) and p.text.startswith(BILLING_PREFIX))]
            if len(parts) != len(message.parts):
                stripped = True
                if not parts:
                    continue
                message = dataclasses.replace(message, parts=parts)
        messages.append(message)
    if stripped:
        report.warn("dropped Claude Code's per-request billing header line from the system prompt")
    return dataclasses.replace(request, messages=messages)


def merge_leading_system(request: Request) -> Request:
    """Codex sends its base prompt as several developer messages; most chat templates
    accept one system message. Merge the leading system/developer messages."""
    lead: list[Message] = []
    for message in request.messages:
        if message.role not in ("system", "developer"):
            break
        lead.append(message)
    if len(lead) <= 1 and all(m.role == "system" for m in lead):
        return request
    text = "\n\n".join(m.text for m in lead if m.text)
    merged = Message("system", [TextPart(text)], content_form="string")
    return dataclasses.replace(request, messages=[merged, *request.messages[len(lead) :]])


def drop_tool_choice_without_tools(request: Request, report: ConversionReport) -> Request:
    """A compaction turn may send ``tools=[]`` with a ``tool_choice``: backends reject it."""
    if request.tool_choice is not None and not request.tools:
        report.warn("dropped tool_choice: the request offers no tools")
        return dataclasses.replace(request, tool_choice=None)
    return request


def flatten_tool_results(request: Request) -> Request:
    """Qwen Code sends tool results as arrays of text parts; many chat templates expect
    a string. Text-only results become strings (images are left as they are)."""
    messages = []
    for message in request.messages:
        if message.role == "tool":
            parts = [
                dataclasses.replace(p, content=[TextPart(p.text)], content_form="string")
                if isinstance(p, ToolResultPart) and all(isinstance(c, TextPart) for c in p.content)
                else p
                for p in message.parts
            ]
            message = dataclasses.replace(message, parts=parts)
        messages.append(message)
    return dataclasses.replace(request, messages=messages)


def prepare_for_backend(request: Request, *, backend_dialect: str | None, report: ConversionReport) -> Request:
    """All quirks, in order, for a request crossing to ``backend_dialect`` (None: an
    in-process model rendering its own template)."""
    request = strip_billing_header(request, report)
    request = drop_tool_choice_without_tools(request, report)
    if backend_dialect != "anthropic":
        request = merge_leading_system(request)
        request = flatten_tool_results(request)
    return request
