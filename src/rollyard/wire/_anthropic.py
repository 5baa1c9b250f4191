"""Placeholder: being written."""

from typing import Any, NoReturn

from ._codec import Codec


def _todo(*args: Any, **kwargs: Any) -> NoReturn:
    raise NotImplementedError("anthropic codec")


ANTHROPIC = Codec("anthropic", _todo, _todo, _todo, _todo, _todo, _todo, _todo)
