"""Typed field access for parsing untrusted JSON: every failure names its path."""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload

from ._errors import MalformedRequestError, WireError

T = TypeVar("T")

EXT_KEY = "_rollyard"
"""Extension key carrying what a foreign dialect cannot express, in lossless renders."""


def loads_object(raw: bytes | str, error: type[WireError] = MalformedRequestError) -> dict[str, Any]:
    """Parse a JSON body that must be an object."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(f"body is not valid JSON ({exc})", field="body") from None
    if not isinstance(value, dict):
        raise error(f"body must be a JSON object, got {type(value).__name__}", field="body")
    return value


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


def _check(value: Any, t: type | tuple[type, ...], path: str, error: type[WireError]) -> Any:
    # bool is an int subclass; a JSON true is never a valid number here.
    wants_number = t in (int, float) or (isinstance(t, tuple) and (int in t or float in t))
    if isinstance(value, bool) and wants_number and not (t is bool or (isinstance(t, tuple) and bool in t)):
        raise error(f"expected {_type_name(t)}, got boolean", field=path)
    if not isinstance(value, t):
        raise error(f"expected {_type_name(t)}, got {type(value).__name__}", field=path)
    return value


@overload
def req(obj: dict[str, Any], key: str, t: type[T], path: str, error: type[WireError] = ...) -> T: ...
@overload
def req(obj: dict[str, Any], key: str, t: tuple[type, ...], path: str, error: type[WireError] = ...) -> Any: ...
def req(obj: dict[str, Any], key: str, t: Any, path: str, error: type[WireError] = MalformedRequestError) -> Any:
    """A required field of the given type; ``path`` is the object's own path."""
    full = f"{path}.{key}" if path else key
    if key not in obj or obj[key] is None:
        raise error("required field is missing", field=full)
    return _check(obj[key], t, full, error)


@overload
def opt(obj: dict[str, Any], key: str, t: type[T], path: str, error: type[WireError] = ...) -> T | None: ...
@overload
def opt(obj: dict[str, Any], key: str, t: tuple[type, ...], path: str, error: type[WireError] = ...) -> Any: ...
def opt(obj: dict[str, Any], key: str, t: Any, path: str, error: type[WireError] = MalformedRequestError) -> Any:
    """An optional field (absent or null gives None) of the given type."""
    if obj.get(key) is None:
        return None
    full = f"{path}.{key}" if path else key
    if t is float and isinstance(obj[key], int) and not isinstance(obj[key], bool):
        return float(obj[key])
    return _check(obj[key], t, full, error)


def as_object(value: Any, path: str, error: type[WireError] = MalformedRequestError) -> dict[str, Any]:
    return _check(value, dict, path, error)  # type: ignore[no-any-return]


def as_list(value: Any, path: str, error: type[WireError] = MalformedRequestError) -> list[Any]:
    return _check(value, list, path, error)  # type: ignore[no-any-return]


def extras(obj: dict[str, Any], known: frozenset[str] | set[str]) -> dict[str, Any]:
    """The keys of ``obj`` that the parser did not map (kept for re-rendering)."""
    return {k: v for k, v in obj.items() if k not in known and k != EXT_KEY}


def ext_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The ``_rollyard`` extension dict of an object (empty when absent)."""
    value = obj.get(EXT_KEY)
    return value if isinstance(value, dict) else {}


def put_ext(obj: dict[str, Any], **fields: Any) -> None:
    """Add non-empty fields to ``obj``'s ``_rollyard`` extension."""
    kept = {k: v for k, v in fields.items() if v not in (None, {}, [])}
    if kept:
        obj.setdefault(EXT_KEY, {}).update(kept)
