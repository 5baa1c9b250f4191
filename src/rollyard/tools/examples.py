"""Example toolsets: a calculator, and a small stateful notes store."""

from __future__ import annotations

import ast
import copy
import operator
from typing import Any

from ._tool import Tool
from ._toolset import Toolset

_OPERATORS: dict[type, Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return float(_OPERATORS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](_evaluate(node.operand)))
    raise ValueError(f"unsupported expression: {ast.dump(node)[:60]}")


def add(a: float, b: float) -> float:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def multiply(a: float, b: float) -> float:
    """Multiply two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a * b


def evaluate(expression: str) -> float:
    """Evaluate an arithmetic expression (+ - * / // % ** and parentheses).

    Args:
        expression: For example "(2 + 3) * 4".
    """
    return _evaluate(ast.parse(expression, mode="eval"))


def calculator() -> Toolset:
    """``add``, ``multiply`` and ``evaluate``."""
    return Toolset([add, multiply, evaluate])


class NotesToolset(Toolset):
    """A small in-memory notes store (stateful, with snapshot/restore)."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}
        super().__init__(
            [
                Tool.from_function(self.write_note, name="write_note"),
                Tool.from_function(self.read_note, name="read_note"),
                Tool.from_function(self.list_notes, name="list_notes"),
                Tool.from_function(self.delete_note, name="delete_note"),
            ]
        )

    def write_note(self, title: str, text: str) -> str:
        """Write (or overwrite) a note.

        Args:
            title: The note's title.
            text: The note's text.
        """
        self.notes[title] = text
        return f"saved {title!r}"

    def read_note(self, title: str) -> str:
        """Read a note.

        Args:
            title: The note's title.
        """
        if title not in self.notes:
            raise KeyError(f"no note titled {title!r}")
        return self.notes[title]

    def list_notes(self) -> list[str]:
        """The titles of all notes."""
        return sorted(self.notes)

    def delete_note(self, title: str) -> str:
        """Delete a note.

        Args:
            title: The note's title.
        """
        self.notes.pop(title, None)
        return f"deleted {title!r}"

    def snapshot(self) -> Any:
        return copy.deepcopy(self.notes)

    def restore(self, state: Any) -> None:
        self.notes = copy.deepcopy(state)


def notes() -> NotesToolset:
    return NotesToolset()
