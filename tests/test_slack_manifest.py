"""The manifest creates the app the code expects: the same commands, one URL, the scopes used."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.commands import VERBS

MANIFEST = Path(__file__).parents[1] / "bot" / "slack" / "manifest.yaml"


def test_manifest_matches_the_code() -> None:
    m = yaml.safe_load(MANIFEST.read_text("utf-8"))
    commands = m["features"]["slash_commands"]
    assert sorted(c["command"] for c in commands) == sorted(VERBS)
    urls = {c["url"] for c in commands} | {
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
    }
    assert urls == {"https://YOUR-HOST/slack/events"}
    assert all(len(c["description"]) <= 100 for c in commands)
    events = {"app_home_opened", "message.im", "app_mention"}
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == events
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "users:read.email", "im:history"} <= scopes
    assert {"assistant:write", "app_mentions:read"} <= scopes  # the agent DM and mentions
    assert "files:write" in scopes  # the pipeline chart (files_upload_v2)
    assert m["features"]["agent_view"]["agent_description"] and "assistant_view" not in m["features"]
    assert m["features"]["app_home"]["messages_tab_enabled"]
    assert m["settings"]["socket_mode_enabled"] is False and m["features"]["app_home"]["home_tab_enabled"]
