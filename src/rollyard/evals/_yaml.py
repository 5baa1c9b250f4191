"""YAML as task and contract authors mean it.

PyYAML's safe loader turns an unquoted ``2026-03-04`` or ``2026-03-04 09:00:00`` into a
``date`` or ``datetime``; world rows hold ISO text, so a contract comparing against such a
value would fail with no hint why. Here timestamps stay the text that was written."""

from __future__ import annotations

from typing import Any

import yaml


class TextTimestampLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without the implicit timestamp type."""


TextTimestampLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """Parse ``text`` like ``yaml.safe_load``, keeping dates and times as strings."""
    return yaml.load(text, Loader=TextTimestampLoader)
