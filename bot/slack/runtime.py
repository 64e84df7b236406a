"""What every Slack listener shares: settings, database, Web API client, identity, reply poster, shares."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot import wiring
from bot.settings import Settings
from bot.slack.identity import Caller, Identity, actor_team, actor_user
from bot.slack.replies import ReplyPoster, oops
from handlers.context import Context
from handlers.dispatch import NOT_REGISTERED
from handlers.reply import Reply

log = logging.getLogger("expansion_bot.slack")

SHARE_CACHE_SIZE = 500
OTHER_TEAM = "Sorry, I can only help the Customer Success team of this workspace."


def team_ids_setting(settings: Settings) -> frozenset[str]:
    """SLACK_TEAM_ID (comma-separated for several workspaces); empty means "the token's, from auth.test"."""
    return frozenset(t.strip() for t in settings.slack_team_id.split(",") if t.strip())


class Shares:
    """Recent private replies by reference, so "Share to channel" posts exactly what the user saw."""

    def __init__(self, size: int = SHARE_CACHE_SIZE) -> None:
        self._items: OrderedDict[str, Reply] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, reply: Reply) -> str:
        ref = uuid.uuid4().hex[:12]
        with self._lock:
            self._items[ref] = reply
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return ref

    def get(self, ref: str) -> Reply | None:
        with self._lock:
            return self._items.get(ref)


@dataclass
class SlackRuntime:
    settings: Settings
    engine: Engine
    client: WebClient
    identity: Identity
    replies: ReplyPoster
    team_ids: frozenset[str] = frozenset()
    shares: Shares = field(default_factory=Shares)
    _writer: Callable[[], Any] | None = None

    @classmethod
    def create(cls, settings: Settings, engine: Engine, client: WebClient) -> SlackRuntime:
        return cls(
            settings=settings,
            engine=engine,
            client=client,
            identity=Identity(client, engine),
            replies=ReplyPoster(client),
            team_ids=team_ids_setting(settings),
        )

    def our_teams(self, context: BoltContext) -> frozenset[str]:
        """SLACK_TEAM_ID if set, else the workspace of the bot token (Bolt's auth.test result)."""
        if self.team_ids:
            return self.team_ids
        result = context.authorize_result
        return frozenset({result.team_id}) if result is not None and result.team_id else frozenset()

    def foreign(self, body: dict[str, Any], context: BoltContext) -> bool:
        """Cheap enough for an ack: the actor belongs to another workspace (Slack Connect)."""
        ours, theirs = self.our_teams(context), actor_team(body)
        return bool(ours and theirs and theirs not in ours)

    def caller(self, body: dict[str, Any], context: BoltContext) -> Caller:
        return self.identity.resolve(actor_user(body), actor_team(body), self.our_teams(context))

    def context(self, caller: Caller) -> Context:
        """The handlers' Context for this caller; the writer is built once per process."""
        ctx = wiring.context(
            self.settings, self.engine, caller=caller.email, user_key=caller.user_key, channel="slack"
        )
        if self._writer is None:
            self._writer = cache(wiring.writer_factory(self.settings))
        ctx.writer_factory = self._writer
        return ctx


OTHER_SLACK_ID = (
    "Sorry, your Slack profile's email belongs to a CSM who is registered with another Slack account, "
    "so I can't answer you as them. Ask your admin to check slack_user_id in csms.csv."
)


def refusal(caller: Caller) -> str:
    """The one polite line for anyone who is not a registered CSM of this workspace, saying why."""
    return {"other_team": OTHER_TEAM, "other_slack_id": OTHER_SLACK_ID}.get(caller.why_not, NOT_REGISTERED)


def failure(where: str) -> str:
    """Log the traceback under a reference id and return the line the user sees."""
    ref, line = oops()
    log.exception("slack %s failed", where, extra={"request_id": ref})
    return line
