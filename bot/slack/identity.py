"""Who is clicking: a Slack user becomes a registered CSM, or gets the polite line and nothing else."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from storage.db import session_scope
from storage.repository import csm_by

log = logging.getLogger("expansion_bot.slack")

KNOWN_TTL_S = 300.0  # a CSM removed from csms.csv loses access within five minutes
UNKNOWN_TTL_S = 60.0  # a newly added CSM gets in within a minute, without a users.info per click


@dataclass(frozen=True)
class Caller:
    user_id: str
    email: str = ""  # the registered CSM's email; "" when the user is not one
    why_not: str = ""  # other_team | guest | unknown | no_user | other_slack_id

    @property
    def registered(self) -> bool:
        return bool(self.email)

    @property
    def user_key(self) -> str:
        return f"slack:{self.user_id}"


def actor_team(body: dict[str, Any]) -> str:
    """The team of the person acting, not of the channel: in Slack Connect they differ."""
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    event = body.get("event")
    if isinstance(event, dict) and str(event.get("user_team", "")).startswith("T"):
        return str(event["user_team"])
    if body.get("user_team_id"):
        return str(body["user_team_id"])
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    return str(body.get("team_id") or "")


def actor_user(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    if isinstance(user, str):
        return user
    event = body.get("event")
    if isinstance(event, dict) and event.get("user"):
        return str(event["user"])
    return str(body.get("user_id") or "")


class Identity:
    """Slack user id → CSM email, by slack_user_id or by the email users.info reports; cached briefly."""

    def __init__(self, client: WebClient, engine: Engine) -> None:
        self._client = client
        self._engine = engine
        self._cache: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def resolve(self, user_id: str, team_id: str, our_teams: frozenset[str]) -> Caller:
        """A registered CSM of our workspace, or a Caller saying why not (never raises)."""
        if not user_id:
            return Caller("", why_not="no_user")
        if our_teams and team_id and team_id not in our_teams:
            return Caller(user_id, why_not="other_team")
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit and hit[0] > now:
            return hit[1]
        caller = self._lookup(user_id, our_teams)
        ttl = KNOWN_TTL_S if caller.registered else UNKNOWN_TTL_S
        with self._lock:
            self._cache[user_id] = (now + ttl, caller)
        return caller

    def _lookup(self, user_id: str, our_teams: frozenset[str]) -> Caller:
        with session_scope(self._engine) as session:
            csm = csm_by(session, slack_user_id=user_id)
            if csm is not None:
                return Caller(user_id, email=csm.email)
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, SlackClientError) as exc:
            log.warning("users.info failed for %s: %s", user_id, exc)
            return Caller(user_id, why_not="unknown")
        if our_teams and user.get("team_id") and user["team_id"] not in our_teams:
            return Caller(user_id, why_not="other_team")
        if user.get("is_restricted") or user.get("is_ultra_restricted") or user.get("is_stranger"):
            return Caller(user_id, why_not="guest")
        if user.get("is_bot") or user.get("deleted"):
            return Caller(user_id, why_not="unknown")
        email = str((user.get("profile") or {}).get("email") or "").strip().lower()
        if not email:
            return Caller(user_id, why_not="unknown")
        return self._by_email(user_id, email)

    def _by_email(self, user_id: str, email: str) -> Caller:
        """Match the CSM by email and remember the Slack id on the row, so the next lookup is local."""
        with session_scope(self._engine) as session:
            csm = csm_by(session, email=email)
            if csm is None:
                return Caller(user_id, why_not="unknown")
            if csm.slack_user_id and csm.slack_user_id != user_id:
                # Anyone can put a CSM's address on a Slack profile; the configured id is the one to trust.
                log.warning(
                    "refused %s: profile email %s belongs to CSM with slack_user_id %s",
                    user_id,
                    email,
                    csm.slack_user_id,
                )
                return Caller(user_id, why_not="other_slack_id")
            if not csm.slack_user_id:
                csm.slack_user_id = user_id
                session.add(csm)
            return Caller(user_id, email=csm.email)
