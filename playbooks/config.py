"""Loads the data files that hold the engine's numbers and country profiles."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@cache
def load(name: str) -> dict[str, Any]:
    """A YAML file next to this module, read once per process (by libyaml when installed: a one-shot
    `ask` reads four of them, and the pure-Python parser took about 80 ms)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load((HERE / f"{name}.yaml").read_text("utf-8"), Loader=loader)
    return data


def thresholds() -> dict[str, Any]:
    return load("thresholds")


def country(code: str) -> dict[str, Any]:
    """The profile of a country (style, decisions, do/avoid, address forms, locale)."""
    profiles = load("countries")["countries"]
    return profiles.get(code.upper(), profiles["SG"])
