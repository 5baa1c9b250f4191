"""Built-in worlds by name (imported on first use: each pulls in only its own module)."""

from __future__ import annotations

import importlib

from ._base import Environment

WORLDS: dict[str, str] = {
    "files": "rollyard.envs._files:FileSystemWorld",
    "calendar": "rollyard.envs._calendar:CalendarWorld",
    "chat": "rollyard.envs._teamchat:TeamChatWorld",
    "shop": "rollyard.envs._shop:ShopWorld",
}


def make_world(name: str, seed: int = 0) -> Environment:
    """A fresh built-in world, reset to ``seed``."""
    try:
        module_name, _, class_name = WORLDS[name].partition(":")
    except KeyError:
        raise ValueError(f"no world named {name!r}; worlds: {', '.join(WORLDS)}") from None
    world_class = getattr(importlib.import_module(module_name), class_name)
    world = world_class(seed=seed)
    assert isinstance(world, Environment)
    return world
