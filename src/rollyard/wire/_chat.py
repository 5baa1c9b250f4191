"""Placeholder: being written."""

from typing import Any, NoReturn

from ._codec import Codec


def _todo(*args: Any, **kwargs: Any) -> NoReturn:
    raise NotImplementedError("chat codec")


CHAT = Codec("chat", _todo, _todo, _todo, _todo, _todo, _todo, _todo)
