"""Loads accounts and runs the engine on them: the step between storage and every handler."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from playbooks.assess import assess, assess_if_signalled
from playbooks.digest import signal_bar
from playbooks.model import AccountData, Assessment, Catalog
from storage.repository import load_accounts, load_catalog
from storage.tracking import learned, track


class NoCatalog(LookupError):
    """No catalog imported yet: nothing can be offered."""


def catalog_or_fail(session: Session) -> Catalog:
    catalog = load_catalog(session)
    if catalog is None:
        raise NoCatalog("No catalog is loaded yet: import catalog.yaml (or run `expansion-bot demo`).")
    return catalog


def assess_one(session: Session, account_id: str, today: date) -> tuple[Assessment, AccountData]:
    catalog = catalog_or_fail(session)
    data = load_accounts(session, [account_id], today=today, with_usage=True)[0]
    assessment = assess(data, catalog, today, learned(session))
    track(session, [assessment], today)  # recorded on sight: whatever the engine shows is tracked
    return assessment, data


def assess_team(session: Session, team: str, today: date) -> list[Assessment]:
    """The team's accounts that show at least one signal (the rest have nothing to offer today)."""
    catalog = catalog_or_fail(session)
    history = learned(session)
    candidates = load_accounts(session, team=team, today=today, bar=signal_bar(catalog, today))
    found = (assess_if_signalled(d, catalog, today, history, cases=False) for d in candidates)
    return [a for a in found if a is not None]
