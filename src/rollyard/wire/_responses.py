"""Placeholder: being written."""

from typing import Any, NoReturn

from ._codec import Codec


def _todo(*args: Any, **kwargs: Any) -> NoReturn:
    raise NotImplementedError("responses codec")


RESPONSES = Codec("responses", _todo, _todo, _todo, _todo, _todo, _todo, _todo)
