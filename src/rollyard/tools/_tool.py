"""``Tool``: a Python callable (sync or async) made callable by a model.

The JSON schema comes from the type hints (pydantic), the descriptions from the
docstring (Google style ``Args:``). Arguments are validated; a validation error goes
back to the model as a tool error, never raised into the run."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ..wire import ToolSpec

ToolStatus: TypeAlias = Literal["ok", "error", "invalid_arguments", "timeout", "denied", "unknown_tool"]


@dataclass(frozen=True)
class ToolResult:
    """What a tool call returned, as the model will read it."""

    call_id: str
    name: str
    status: ToolStatus
    content: str
    value: Any = None
    """The Python value returned (typed data for plans that reference results)."""
    seconds: float = 0.0
    attempts: int = 1

    @property
    def is_error(self) -> bool:
        return self.status != "ok"


_ARG_LINE = re.compile(r"^(\w+)\s*(?:\([^)]*\))?:\s*(.*)$")
_SECTIONS = ("Args:", "Arguments:", "Parameters:")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(summary, {argument: description}) from a Google-style docstring: the summary
    is the first paragraph; arguments come from the ``Args:`` section."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or line.strip() in _SECTIONS:
            break
        summary.append(line.strip())
    args: dict[str, str] = {}
    current: str | None = None
    in_args = False
    base_indent = 0
    for line in lines:
        stripped = line.strip()
        if stripped in _SECTIONS:
            in_args, current = True, None
            continue
        if not in_args:
            continue
        if line and not line[0].isspace():
            break  # the next section (Returns:, Raises:...)
        match = _ARG_LINE.match(stripped)
        indent = len(line) - len(line.lstrip())
        if match and (current is None or indent <= base_indent):
            current, base_indent = match.group(1), indent
            args[current] = match.group(2).strip()
        elif current and stripped:
            args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(summary), args


def _arguments_model(function: Callable[..., Any], name: str, descriptions: dict[str, str]) -> type[BaseModel]:
    signature = inspect.signature(function)
    hints = get_type_hints(function)
    fields: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise TypeError(f"tool {name!r}: *args and **kwargs cannot be described to a model")
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, Field(default, description=descriptions.get(parameter.name)))
    model: type[BaseModel] = create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    return model


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, default=str, ensure_ascii=False)  # models read "Tomás", not escapes
    except (TypeError, ValueError):
        return str(value)


@dataclass
class Tool:
    """A callable a model can call. Build one with ``Tool.from_function`` or ``@tool``."""

    name: str
    description: str
    function: Callable[..., Any]
    arguments_model: type[BaseModel]
    timeout_s: float | None = 30.0
    retries: int = 0
    """Extra attempts after an exception (not after invalid arguments or a timeout)."""
    requires_approval: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    json_schema: dict[str, Any] | None = None
    """A schema given as is (MCP tools): arguments then pass through unvalidated here,
    and the tool's own server validates them."""

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout_s: float | None = 30.0,
        retries: int = 0,
        requires_approval: bool = False,
    ) -> Tool:
        tool_name = name or function.__name__
        summary, descriptions = parse_docstring(function.__doc__)
        return cls(
            name=tool_name,
            description=description or summary or tool_name,
            function=function,
            arguments_model=_arguments_model(function, tool_name, descriptions),
            timeout_s=timeout_s,
            retries=retries,
            requires_approval=requires_approval,
        )

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments, as models are offered it."""
        if self.json_schema is not None:
            return self.json_schema
        schema = self.arguments_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            if isinstance(prop, dict):
                prop.pop("title", None)
        return schema

    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description, parameters=self.parameters)

    def validate(self, arguments: dict[str, Any]) -> BaseModel:
        return self.arguments_model.model_validate(arguments)

    async def call(self, call_id: str, arguments: str | dict[str, Any]) -> ToolResult:
        """Validate and run; every failure comes back as a ``ToolResult``, never raised."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            parsed = json.loads(arguments or "{}") if isinstance(arguments, str) else arguments
            if not isinstance(parsed, dict):
                raise ValueError("arguments must be a JSON object")
            validated = self.validate(parsed)
        except (ValueError, ValidationError) as exc:
            return ToolResult(call_id, self.name, "invalid_arguments", f"invalid arguments for {self.name}: {exc}")
        kwargs = {k: getattr(validated, k) for k in type(validated).model_fields} | (validated.model_extra or {})
        attempt = 0
        while True:
            attempt += 1
            try:
                value = await asyncio.wait_for(self._invoke(kwargs), timeout=self.timeout_s)
                return ToolResult(
                    call_id, self.name, "ok", _render(value), value, loop.time() - started, attempts=attempt
                )
            except TimeoutError:
                return ToolResult(
                    call_id,
                    self.name,
                    "timeout",
                    f"{self.name} timed out after {self.timeout_s}s",
                    seconds=loop.time() - started,
                    attempts=attempt,
                )
            except Exception as exc:
                if attempt <= self.retries:
                    continue
                return ToolResult(
                    call_id,
                    self.name,
                    "error",
                    f"{self.name} failed: {type(exc).__name__}: {exc}",
                    seconds=loop.time() - started,
                    attempts=attempt,
                )

    async def _invoke(self, kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(self.function):
            return await self.function(**kwargs)
        result = await asyncio.to_thread(self.function, **kwargs)
        if inspect.isawaitable(result):
            return await result
        return result


def tool(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    timeout_s: float | None = 30.0,
    retries: int = 0,
    requires_approval: bool = False,
) -> Any:
    """Decorator: ``@tool`` or ``@tool(requires_approval=True)`` makes a ``Tool``."""

    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool.from_function(
            f, name=name, timeout_s=timeout_s, retries=retries, requires_approval=requires_approval
        )

    return wrap(function) if function is not None else wrap


AsyncToolFunction: TypeAlias = Callable[..., Awaitable[Any]]


class PassThroughArguments(BaseModel):
    """Arguments model of tools whose schema is given as is: accepts any object."""

    model_config = ConfigDict(extra="allow")
