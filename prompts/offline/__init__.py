"""The offline writer: deterministic briefs, drafts and objection answers from templates and phrase banks."""

from __future__ import annotations

from prompts.facts import Facts
from prompts.schema import Brief, Draft, ObjectionAnswer, Written

OBJECTIONS = ("budget", "happy", "think")


class OfflineWriter:
    """Needs no model and no network: the default writer, and the fallback of the model writer."""

    name = "offline"

    def brief(self, facts: Facts) -> Written[Brief]:
        from prompts.offline.brief import write_brief

        return Written(write_brief(facts), self.name)

    def draft(self, facts: Facts) -> Written[Draft]:
        from prompts.offline.draft import write_draft

        return Written(write_draft(facts), self.name)

    def objection(self, facts: Facts, kind: str) -> Written[ObjectionAnswer]:
        from prompts.offline.objection import write_objection

        return Written(write_objection(facts, kind), self.name)
