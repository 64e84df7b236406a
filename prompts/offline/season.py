"""A greeting for the big holiday near the account (playbooks/calendar.py), in the bank's language."""

from __future__ import annotations

from typing import Any

from prompts.facts import Facts
from prompts.offline.text import fill


def season_line(f: Facts, bank: dict[str, Any], v: dict[str, Any]) -> str:
    """ "Wishing you and the team a wonderful Lebaran ahead." before it (or during), "I hope … had" after;
    "" away from the big holidays or in a bank without season greetings."""
    season, words = f.season, bank.get("season")
    if season is None or not words:
        return ""
    name = words["names"].get(season.name, season.name)
    when = "before" if f.assessment.today <= season.last else "after"
    return fill(words[when], v | {"season": name})
