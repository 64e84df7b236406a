"""Loads accounts and runs the engine on them: the step between storage and every handler."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from playbooks.assess import assess, assess_if_signalled
from playbooks.model import AccountData, Assessment, Catalog
from storage.repository import load_accounts, load_catalog


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
    return assess(data, catalog, today), data


def assess_team(session: Session, team: str, today: date) -> list[Assessment]:
    """The team's accounts that show at least one signal (the rest have nothing to offer today)."""
    catalog = catalog_or_fail(session)
    found = (assess_if_signalled(d, catalog, today) for d in load_accounts(session, team=team, today=today))
    return [a for a in found if a is not None]
