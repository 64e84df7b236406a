"""The CSV import contract: counts, idempotence, all-or-nothing, and the exact error messages."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

import storage.importer as importer
from playbooks.catalog import TOP_KEYS
from storage.importer import ImportFailed, import_paths
from storage.models import Account, CatalogDoc, Contact, Csm, Goal, Team, Ticket, Usage

CATALOG = """\
currency: IDR
plans:
  - {code: tier1, name: Tier 1, price: 4500000}
  - {code: tier2, name: Tier 2, price: 9000000}
"""
TEAMS = "team,slack_channel,timezone,digest_time\njakarta,#cs-jakarta,Asia/Jakarta,8:30\n"
CSMS = "email,name,team,slack_user_id,whatsapp\nDewi@Example.com,Dewi Lestari,jakarta,U01,+62 812-3456-7890\n"
ACCOUNTS = """\
account_id,name,country,industry,plan,currency,arr,seats_purchased,start_date,renewal_date,health_score,csm_email,team,locations,tools,language
ID-001,Kopi Nusantara,ID,Food,tier1,,24000000,20,2025-05-01,2027-06-01,84,dewi@example.com,jakarta,4,Jurnal; GoFood,id
SG-001,Lion Logistics,sg,,tier2,usd,50000.5,,2025-01-15,,70,dewi@example.com,jakarta,,,
"""
USAGE = """\
account_id,date,active_users,power_users,logins,actions,feature_adoption
ID-001,2026-10-01,12,4,60,900,0.9
ID-001,2026-11-01,14,5,70,1000,0.95
SG-001,2026-11-01,30,2,100,2000,.4
"""
TICKETS = """\
account_id,date,kind,subject,body,requested_feature
ID-001,2026-10-10,feature_request,Multi-outlet report,"All outlets, one dashboard",multi_location
ID-001,2026-11-02,Ticket,Export to Excel,,
"""
GOALS = """\
account_id,goal,status,achieved_on
ID-001,Halve reporting time,achieved,2026-11-01
SG-001,Track fleet costs,in_progress,
"""
CONTACTS = """\
account_id,name,role,is_champion,is_decision_maker,since,left_on
ID-001,Andi,Finance lead,yes,n,2025-05-01,
ID-001,Rina,Owner,0,TRUE,,
"""
FILES = {
    "catalog.yaml": CATALOG,
    "teams.csv": TEAMS,
    "csms.csv": CSMS,
    "accounts.csv": ACCOUNTS,
    "usage.csv": USAGE,
    "tickets.csv": TICKETS,
    "goals.csv": GOALS,
    "contacts.csv": CONTACTS,
}
USAGE_HEADER = USAGE.splitlines()[0] + "\n"
TABLES: list[type[SQLModel]] = [Team, Csm, Account, Usage, Ticket, Goal, Contact, CatalogDoc]


def write(name: str, text: str | bytes) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_all(folder: str = "data", **changes: str) -> Path:
    for name, text in FILES.items():
        write(f"{folder}/{name}", changes.get(name.replace(".", "_"), text))
    return Path(folder)


def errors_of(engine: Engine, *paths: Path | str) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [Path(p) for p in paths])
    return failed.value.errors


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            m.__name__: sorted(tuple(r) for r in conn.execute(select(m.__table__)).all())  # type: ignore[attr-defined]
            for m in TABLES
        }


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    """The whole valid set imported once."""
    import_paths(engine, [write_all()])
    return engine


def test_full_import_reports_counts_per_file(engine: Engine) -> None:
    summary = import_paths(engine, [write_all()])
    assert summary.describe() == (
        "data/catalog.yaml: added\n"
        "data/teams.csv: 1 added, 0 updated, 0 unchanged\n"
        "data/csms.csv: 1 added, 0 updated, 0 unchanged\n"
        "data/accounts.csv: 2 added, 0 updated, 0 unchanged\n"
        "data/usage.csv: 3 added, 0 updated, 0 unchanged\n"
        "data/tickets.csv: 2 added, 0 updated, 0 unchanged\n"
        "data/goals.csv: 2 added, 0 updated, 0 unchanged\n"
        "data/contacts.csv: 2 added, 0 updated, 0 unchanged"
    )
    assert summary.changed == 14


def test_values_are_normalised(loaded: Engine) -> None:
    with loaded.connect() as conn:
        kopi = conn.execute(select(Account.__table__).where(Account.__table__.c.account_id == "ID-001")).one()
        lion = conn.execute(select(Account.__table__).where(Account.__table__.c.account_id == "SG-001")).one()
        csm = conn.execute(select(Csm.__table__)).one()
        team = conn.execute(select(Team.__table__)).one()
        contacts = conn.execute(select(Contact.__table__).order_by(Contact.__table__.c.name)).all()
        tickets = conn.execute(select(Ticket.__table__.c.kind).order_by(Ticket.__table__.c.date)).scalars()
        goal = conn.execute(select(Goal.__table__).where(Goal.__table__.c.status == "achieved")).one()
        assert list(tickets) == ["feature_request", "ticket"]
    assert (kopi.currency, kopi.tools, kopi.seats_purchased, kopi.renewal_date) == (
        "IDR",
        ["Jurnal", "GoFood"],
        20,
        date(2027, 6, 1),
    )
    assert (lion.country, lion.currency, lion.arr, lion.seats_purchased, lion.tools, lion.industry) == (
        "SG",
        "USD",
        50000.5,
        None,
        [],
        "",
    )
    assert (csm.email, csm.whatsapp, csm.timezone) == ("dewi@example.com", "+6281234567890", "Asia/Singapore")
    assert (team.digest_time, team.timezone) == ("08:30", "Asia/Jakarta")
    assert [(c.name, c.is_champion, c.is_decision_maker) for c in contacts] == [
        ("Andi", True, False),
        ("Rina", False, True),
    ]
    assert goal.achieved_on == date(2026, 11, 1)


def test_reimport_changes_nothing(loaded: Engine) -> None:
    before = snapshot(loaded)
    summary = import_paths(loaded, [Path("data")])
    assert summary.changed == 0
    assert summary.describe().splitlines()[:3] == [
        "data/catalog.yaml: unchanged",
        "data/teams.csv: 0 added, 0 updated, 1 unchanged",
        "data/csms.csv: 0 added, 0 updated, 1 unchanged",
    ]
    assert snapshot(loaded) == before


def test_an_update_and_an_addition_are_counted(loaded: Engine) -> None:
    accounts = (
        ACCOUNTS.replace(",84,", ",91,")
        + "TH-001,Siam Spa,TH,,tier1,,10,,2026-01-01,,80,dewi@example.com,jakarta,,,th\n"
    )
    summary = import_paths(loaded, [write("accounts.csv", accounts)])
    assert summary.describe() == "accounts.csv: 1 added, 1 updated, 1 unchanged"
    with loaded.connect() as conn:
        health = conn.execute(select(Account.__table__.c.health_score, Account.__table__.c.currency)).all()
    assert sorted(health) == [(70, "USD"), (80, "THB"), (91, "IDR")]


def test_catalog_change_is_an_update(loaded: Engine) -> None:
    summary = import_paths(loaded, [write("catalog.yaml", CATALOG.replace("9000000", "9500000"))])
    assert summary.describe() == "catalog.yaml: updated"


def test_a_column_left_out_keeps_its_stored_value(loaded: Engine) -> None:
    summary = import_paths(loaded, [write("csms.csv", "email,name,team\ndewi@example.com,Dewi L.,jakarta\n")])
    assert summary.describe() == "csms.csv: 0 added, 1 updated, 0 unchanged"
    with loaded.connect() as conn:
        csm = conn.execute(select(Csm.__table__)).one()
    assert (csm.name, csm.whatsapp, csm.slack_user_id) == ("Dewi L.", "+6281234567890", "U01")


def test_bom_and_blank_lines_are_accepted(engine: Engine) -> None:
    write("teams.csv", "\ufeff" + TEAMS + "\n,,,\n")
    assert (
        import_paths(engine, [Path("teams.csv")]).describe() == "teams.csv: 1 added, 0 updated, 0 unchanged"
    )


def test_header_only_file_has_no_rows(loaded: Engine) -> None:
    assert import_paths(loaded, [write("usage.csv", USAGE_HEADER)]).describe() == "usage.csv: no rows"


@pytest.mark.parametrize(
    "raw",
    ["+62 812-3456-7890", "whatsapp:+62 812 3456 7890", " +6281234567890 ", "whatsapp:+62(812)34567890"],
)
def test_whatsapp_numbers_become_e164(engine: Engine, raw: str) -> None:
    import_paths(
        engine,
        [write("teams.csv", TEAMS), write("csms.csv", f"email,name,team,whatsapp\na@b.co,A,jakarta,{raw}\n")],
    )
    with engine.connect() as conn:
        assert conn.execute(select(Csm.__table__.c.whatsapp)).scalar_one() == "+6281234567890"


def test_names_with_a_prefix_or_suffix_are_recognised(loaded: Engine) -> None:
    write("2026-11_usage.csv", USAGE_HEADER + "ID-001,2026-11-20,1,1,1,1,0.1\n")
    write("usage_part2.csv", USAGE_HEADER + "ID-001,2026-11-21,1,1,1,1,0.1\n")
    summary = import_paths(loaded, [Path("usage_part2.csv"), Path("2026-11_usage.csv")])
    assert summary.describe() == (
        "usage_part2.csv: 1 added, 0 updated, 0 unchanged\n2026-11_usage.csv: 1 added, 0 updated, 0 unchanged"
    )


def test_children_may_name_accounts_of_the_same_import(engine: Engine) -> None:
    paths = [write(f"d/{n}", FILES[n]) for n in ("usage.csv", "accounts.csv", "catalog.yaml")]
    summary = import_paths(engine, paths)
    assert [f.name for f in summary.files] == ["d/catalog.yaml", "d/accounts.csv", "d/usage.csv"]
    assert summary.warnings == [
        "d/accounts.csv: csm_email not checked: no csms imported yet",
        "d/accounts.csv: team not checked: no teams imported yet",
    ]
    assert "warning: d/accounts.csv: team not checked" in summary.describe()


def test_progress_bar_for_big_files(loaded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "PROGRESS_LINES", 2)
    monkeypatch.setattr(importer, "BATCH", 1)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    rows = "".join(f"ID-001,2025-01-{d:02d},1,1,1,1,0.5\n" for d in range(1, 29))
    summary = import_paths(loaded, [write("usage.csv", USAGE_HEADER + rows)], console=console)
    assert summary.describe() == "usage.csv: 28 added, 0 updated, 0 unchanged"


def test_failed_import_changes_nothing(loaded: Engine) -> None:
    before = snapshot(loaded)
    write_all(
        "next",
        catalog_yaml=CATALOG.replace("9000000", "1"),
        accounts_csv=ACCOUNTS.replace(",84,", ",85,"),
        usage_csv=USAGE + "ID-001,2026-11-02,1,1,1,1,0.5\n" + "ID-001,2026-11-03,1,1,1,1,7\n",
    )
    assert errors_of(loaded, "next") == [
        "next/usage.csv:6: feature_adoption: must be a number from 0 to 1 (got '7')",
    ]
    assert snapshot(loaded) == before


def test_failed_first_import_leaves_an_empty_database(engine: Engine) -> None:
    write_all("next", contacts_csv=CONTACTS + "ID-001,Budi,,maybe,,,\n")
    assert errors_of(engine, "next") == [
        "next/contacts.csv:4: is_champion: must be true/false, yes/no, y/n or 1/0 (got 'maybe')"
    ]
    assert all(rows == [] for rows in snapshot(engine).values())


ACCOUNT_HEADER = ACCOUNTS.splitlines()[0] + "\n"
GOOD_ACCOUNT = ACCOUNTS.splitlines()[1]


def account(**values: str) -> str:
    """accounts.csv with one row: the valid Kopi Nusantara row with some cells replaced."""
    cells = dict(
        zip(ACCOUNT_HEADER.strip().split(","), next(__import__("csv").reader([GOOD_ACCOUNT])), strict=True)
    )
    cells.update(values)
    return ACCOUNT_HEADER + ",".join(f'"{v}"' if "," in v else v for v in cells.values()) + "\n"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "usage.csv",
            "account_id,date,active_users,power_users,logins,actions,feature_adoption,notes\n",
            "usage.csv:1: notes: unknown column (expected: account_id, date, active_users, power_users, "
            "logins, actions, feature_adoption, revenue)",
        ),
        (
            "usage.csv",
            "account_id,date,active_users,power_users,logins,actions\nID-001,2026-11-01,1,1,1,1\n",
            "usage.csv:1: feature_adoption: missing required column",
        ),
        ("teams.csv", "team,team\na,b\n", "teams.csv:1: team: column appears twice"),
        (
            "usage.csv",
            USAGE_HEADER + "ID-001,2026-11-01,-3,1,1,1,0.5\n",
            "usage.csv:2: active_users: must be a whole number ≥ 0 (got '-3')",
        ),
        (
            "usage.csv",
            USAGE_HEADER + "ID-001,2026-11-01,1.5,1,1,1,0.5\n",
            "usage.csv:2: active_users: must be a whole number ≥ 0 (got '1.5')",
        ),
        (
            "usage.csv",
            USAGE_HEADER + "ID-001,01/11/2026,1,1,1,1,0.5\n",
            "usage.csv:2: date: must be a date YYYY-MM-DD (got '01/11/2026')",
        ),
        (
            "usage.csv",
            USAGE_HEADER + "ID-001,2026-02-30,1,1,1,1,0.5\n",
            "usage.csv:2: date: must be a date YYYY-MM-DD (got '2026-02-30')",
        ),
        (
            "usage.csv",
            USAGE_HEADER + "ID-001,2026-11-01,1,1,1,1,1.01\n",
            "usage.csv:2: feature_adoption: must be a number from 0 to 1 (got '1.01')",
        ),
        ("usage.csv", USAGE_HEADER + "ID-001, ,1,1,1,1,0.5\n", "usage.csv:2: date: required"),
        (
            "usage.csv",
            USAGE_HEADER + "XX-9,2026-11-01,1,1,1,1,0.5\n",
            "usage.csv:2: account_id: unknown account id 'XX-9'",
        ),
        (
            "usage.csv",
            USAGE_HEADER + "ID-001,2026-11-01,1,1,1,1,0.5,9\n",
            "usage.csv:2: 8 fields where the header has 7",
        ),
        ("usage.csv", USAGE_HEADER + "ID-001,2026-11-01\n", "usage.csv:2: 2 fields where the header has 7"),
        (
            "tickets.csv",
            TICKETS.splitlines()[0] + "\nID-001,2026-11-01,bug,Crash,,\n",
            "tickets.csv:2: kind: must be one of ticket, feature_request, conversation (got 'bug')",
        ),
        (
            "goals.csv",
            "account_id,goal,status\nID-001,Go live,achieved\n",
            "goals.csv:2: achieved_on: required when status is achieved",
        ),
        (
            "goals.csv",
            "account_id,goal,status,achieved_on\nID-001,Go live,open,2026-01-01\n",
            "goals.csv:2: achieved_on: must be empty unless status is achieved",
        ),
        (
            "goals.csv",
            "account_id,goal,status\nID-001,Go live,done\n",
            "goals.csv:2: status: must be one of open, in_progress, achieved (got 'done')",
        ),
        (
            "contacts.csv",
            "account_id,name,since,left_on\nID-001,Andi,2026-02-01,2026-01-01\n",
            "contacts.csv:2: left_on: is before since",
        ),
        (
            "accounts.csv",
            account(country="MX"),
            "accounts.csv:2: country: must be one of SG, MY, ID, TH, VN, PH (got 'MX')",
        ),
        (
            "accounts.csv",
            account(health_score="101"),
            "accounts.csv:2: health_score: must be a whole number from 0 to 100 (got '101')",
        ),
        ("accounts.csv", account(arr="1,000"), "accounts.csv:2: arr: must be a number ≥ 0 (got '1,000')"),
        (
            "accounts.csv",
            account(currency="Rupiah"),
            "accounts.csv:2: currency: must be a 3-letter currency code such as IDR (got 'Rupiah')",
        ),
        (
            "accounts.csv",
            account(plan="tier9"),
            "accounts.csv:2: plan: unknown plan 'tier9' (catalog plans: tier1, tier2)",
        ),
        (
            "accounts.csv",
            account(csm_email="nobody@example.com"),
            "accounts.csv:2: csm_email: unknown CSM 'nobody@example.com'",
        ),
        (
            "accounts.csv",
            account(csm_email="dewi"),
            "accounts.csv:2: csm_email: must be an email address (got 'dewi')",
        ),
        ("accounts.csv", account(team="mars"), "accounts.csv:2: team: unknown team 'mars'"),
        (
            "accounts.csv",
            account(language="de"),
            "accounts.csv:2: language: must be one of en, id, ms, th, vi, fil (got 'de')",
        ),
        (
            "accounts.csv",
            account(renewal_date="2024-01-01"),
            "accounts.csv:2: renewal_date: is before start_date",
        ),
        (
            "accounts.csv",
            account(seats_purchased="99999999999"),
            "accounts.csv:2: seats_purchased: must be at most 2147483647 (got '99999999999')",
        ),
        (
            "csms.csv",
            "email,name,team,whatsapp\na@b.co,A,jakarta,0812 3456 7890\n",
            "csms.csv:2: whatsapp: must be an international number starting with + (e.g. +62 812-3456-7890) "
            "(got '0812 3456 7890')",
        ),
        (
            "csms.csv",
            "email,name,team,whatsapp\na@b.co,A,jakarta,+62 12\n",
            "csms.csv:2: whatsapp: is not a valid phone number (got '+62 12')",
        ),
        (
            "csms.csv",
            "email,name,team,timezone\na@b.co,A,jakarta,Asia/Nowhere\n",
            "csms.csv:2: timezone: must be an IANA time zone such as Asia/Jakarta (got 'Asia/Nowhere')",
        ),
        (
            "teams.csv",
            "team,digest_time\njakarta,8.30\n",
            "teams.csv:2: digest_time: must be a time HH:MM (24-hour) (got '8.30')",
        ),
        (
            "usage.csv",
            USAGE_HEADER
            + "ID-001,2026-11-01,1,1,1,1,0.5\nSG-001,2026-11-01,1,1,1,1,0.5\nID-001,2026-11-01,2,1,1,1,0.5\n",
            "usage.csv:4: account_id, date: duplicate of line 2",
        ),
        (
            "csms.csv",
            "email,name,team\nA@b.co,A,jakarta\na@B.CO,A,jakarta\n",
            "csms.csv:3: email: duplicate of line 2",
        ),
        (
            "tickets.csv",
            TICKETS.splitlines()[0]
            + "\n"
            + "ID-001,2026-11-01,ticket,Crash,,\nID-001,2026-11-01,TICKET,Crash,other,\n",
            "tickets.csv:3: account_id, date, kind, subject: duplicate of line 2",
        ),
        (
            "usage.csv",
            USAGE_HEADER.encode() + b"ID-001,2026-11-01,1,1,1,1,0.5\nID-\xe9,x\n",
            "usage.csv:3: not UTF-8 text (byte 0xe9); save the file as UTF-8",
        ),
        ("usage.csv", b"", "usage.csv:1: empty file; expected a header row"),
        ("usage.csv", b"\xef\xbb\xbf\n  \n", "usage.csv:1: empty file; expected a header row"),
        ("usage.csv", b",,,\n", "usage.csv:1: empty file; expected a header row"),
        (
            "usage.csv",
            b"PK\x03\x04\x00\x00\x08\x00",
            "usage.csv:1: contains NUL bytes; this is a binary file, not CSV text",
        ),
        (
            "tickets.csv",
            TICKETS.splitlines()[0] + "\nID-001,2026-11-01,ticket,Crash," + "x" * 100_000 + ",\n",
            "tickets.csv:2: body: longer than 10,000 characters (100,000)",
        ),
        (
            "tickets.csv",
            TICKETS.splitlines()[0] + "\nID-001,2026-11-01,ticket," + "s" * 501 + ",,\n",
            "tickets.csv:2: subject: longer than 500 characters (501)",
        ),
        (
            "tickets.csv",
            TICKETS.splitlines()[0] + "\nID-001,2026-11-01,ticket,Crash," + "x" * 200_000 + ",\n",
            "tickets.csv:2: a cell is longer than 10,000 characters",
        ),
        (
            "tickets.csv",
            TICKETS.splitlines()[0] + '\nID-001,2026-11-01,ticket,Crash,"never closed,\n',
            "tickets.csv:2: unreadable CSV (unexpected end of data); check the quotes on this line",
        ),
    ],
)
def test_bad_input_is_refused_with_a_precise_message(
    loaded: Engine, name: str, text: str | bytes, expected: str
) -> None:
    before = snapshot(loaded)
    assert errors_of(loaded, write(name, text)) == [expected]
    assert snapshot(loaded) == before


def test_every_problem_of_a_file_is_reported(loaded: Engine) -> None:
    rows = (
        "ID-001,2026-11-40,x,1,1,1,2\n" + "ID-001,2026-11-05,1,1,1,1,0.5\n" + "NOPE,2026-11-05,1,1,1,1,0.5\n"
    )
    assert errors_of(loaded, write("usage.csv", USAGE_HEADER + rows)) == [
        "usage.csv:2: date: must be a date YYYY-MM-DD (got '2026-11-40')",
        "usage.csv:2: active_users: must be a whole number ≥ 0 (got 'x')",
        "usage.csv:2: feature_adoption: must be a number from 0 to 1 (got '2')",
        "usage.csv:4: account_id: unknown account id 'NOPE'",
    ]


def test_multiline_cells_keep_line_numbers_right(loaded: Engine) -> None:
    text = (
        TICKETS.splitlines()[0]
        + '\nID-001,2026-11-01,ticket,Crash,"line one\nline two",\nID-001,2026-11-02,bug,X,,\n'
    )
    assert errors_of(loaded, write("tickets.csv", text)) == [
        "tickets.csv:4: kind: must be one of ticket, feature_request, conversation (got 'bug')"
    ]


def test_duplicates_across_files_of_one_kind(loaded: Engine) -> None:
    write("usage_a.csv", USAGE_HEADER + "ID-001,2026-11-01,1,1,1,1,0.5\n")
    write("usage_b.csv", USAGE_HEADER + "SG-001,2026-11-01,1,1,1,1,0.5\nID-001,2026-11-01,1,1,1,1,0.5\n")
    assert errors_of(loaded, "usage_a.csv", "usage_b.csv") == [
        "usage_b.csv:3: account_id, date: duplicate of usage_a.csv:2"
    ]


def test_errors_stop_at_fifty(loaded: Engine) -> None:
    write(
        "usage.csv",
        USAGE_HEADER + "".join(f"ID-001,2026-01-{d:02d},-1,1,1,1,0.5\n" for d in range(1, 31)) * 3,
    )
    with pytest.raises(ImportFailed) as failed:
        import_paths(loaded, [Path("usage.csv")])
    assert len(failed.value.errors) == 50
    assert failed.value.truncated
    assert "stopped after 50" in str(failed.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "notes.csv",
            "notes.csv: unrecognised file name; expected one of teams.csv, csms.csv, accounts.csv, usage.csv, "
            "tickets.csv, goals.csv, contacts.csv (a prefix or suffix is fine)",
        ),
        ("usage2.csv", None),
        (
            "accounts_usage.csv",
            "accounts_usage.csv: the name matches accounts and usage; rename it to one of them",
        ),
        ("readme.txt", "readme.txt: not a .csv file or catalog.yaml"),
        ("prices.yaml", "prices.yaml: a YAML file must be named catalog.yaml"),
    ],
)
def test_unrecognised_file_names(engine: Engine, name: str, expected: str | None) -> None:
    errors = errors_of(engine, write(name, "a,b\n1,2\n"))
    assert errors == [expected] if expected else errors[0].startswith(f"{name}: unrecognised file name")


def test_missing_path_and_empty_folder(engine: Engine) -> None:
    Path("empty").mkdir()
    assert errors_of(engine, "missing.csv", "empty") == [
        "missing.csv: no such file or folder",
        "empty: no CSV files or catalog.yaml in this folder",
    ]


def test_folder_ignores_hidden_and_other_files(engine: Engine) -> None:
    write_all()
    write("data/.~lock.accounts.csv#", "junk")
    write("data/README.md", "notes")
    write("data/settings.yaml", "a: 1")
    assert len(import_paths(engine, [Path("data")]).files) == 8


def test_accounts_without_any_catalog(engine: Engine) -> None:
    accounts = ACCOUNTS.replace("dewi@example.com,jakarta", "x@y.co,t")
    assert errors_of(engine, write("accounts.csv", accounts)) == [
        "accounts.csv:2: plan: no catalog yet; import catalog.yaml first or with this file"
    ]


def test_the_stored_catalog_checks_plans(loaded: Engine) -> None:
    summary = import_paths(loaded, [write("accounts.csv", account(plan="tier2"))])
    assert summary.describe() == "accounts.csv: 0 added, 1 updated, 0 unchanged"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            CATALOG.replace("price: 4500000", "price: -1"),
            "catalog.yaml: plans[0].price: must be a number ≥ 0",
        ),
        ("currency: IDR\nplans: []\n", "catalog.yaml: plans: at least one plan is required"),
        (
            CATALOG + "colour: red\n",
            f"catalog.yaml: catalog.colour: unknown key (allowed: {', '.join(TOP_KEYS)})",
        ),
        (
            "currency: IDR\nplans:\n  - {code: a, name: [\n",
            "catalog.yaml:4: invalid YAML: expected the node content, but found '<stream end>'",
        ),
        (
            "- just\n- a list\n",
            "catalog.yaml: catalog: must be a mapping with currency, plans, add_ons, products, "
            "rules, discounts",
        ),
    ],
)
def test_catalog_errors(loaded: Engine, text: str, expected: str) -> None:
    before = snapshot(loaded)
    write("catalog.yaml", text)
    write("accounts.csv", account(plan="tier1"))
    assert errors_of(loaded, "catalog.yaml", "accounts.csv") == [expected]
    assert snapshot(loaded) == before


def test_a_newer_snapshot_is_what_the_engine_reads_next(loaded: Engine) -> None:
    """Importing usage refreshes the engine's precomputed view, so the next assessment sees the new day."""
    from sqlmodel import Session

    from storage.repository import load_accounts

    def latest_users() -> tuple[date, int]:
        with Session(loaded) as s:
            [data] = load_accounts(s, ["ID-001"], today=date(2026, 11, 24))
            assert data.summary is not None and data.usage == ()  # read from the summary, not the rows
            return data.summary.latest.date, data.summary.latest.active_users

    assert latest_users() == (date(2026, 11, 1), 14)
    import_paths(loaded, [write("more/usage.csv", USAGE_HEADER + "ID-001,2026-11-20,19,6,80,1200,0.95\n")])
    assert latest_users() == (date(2026, 11, 20), 19)


# --- hostile files (issue 15) -----------------------------------------------------------------------


def laughs(levels: int) -> str:
    """The classic "billion laughs": each level is ten aliases of the one before, 10**levels values."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return CATALOG + "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 8])
def test_a_billion_laughs_catalog_is_refused_at_once(loaded: Engine, levels: int) -> None:
    import time

    before = snapshot(loaded)
    write("catalog.yaml", laughs(levels))
    started = time.perf_counter()
    errors = errors_of(loaded, "catalog.yaml")
    elapsed = time.perf_counter() - started
    assert len(errors) == 1 and errors[0].startswith("catalog.yaml:")
    assert "refused: its aliases (*name) expand it to more than 100,000 values" in errors[0]
    assert "without aliases" in errors[0]
    assert elapsed < 1.0  # refused, not expanded: the expanded file is 10**levels values
    assert snapshot(loaded) == before


def test_a_small_alias_is_still_fine(loaded: Engine) -> None:
    """Anchors that share a list between plans are ordinary YAML: only an expansion bomb is refused."""
    write(
        "catalog.yaml",
        CATALOG.replace("price: 4500000}", "price: 4500000, features: &base [dashboard]}").replace(
            "price: 9000000}", "price: 9000000, features: *base}"
        ),
    )
    assert "catalog.yaml: updated" in import_paths(loaded, [Path("catalog.yaml")]).describe()


def test_a_self_referring_alias_and_an_oversized_catalog_are_refused(loaded: Engine) -> None:
    write("catalog.yaml", CATALOG + "loop: &loop [1, *loop]\n")
    (error,) = errors_of(loaded, "catalog.yaml")
    assert error.startswith("catalog.yaml:") and "refers to the value that contains it" in error
    write("catalog.yaml", "[" * 5000 + "]" * 5000 + "\n")
    assert errors_of(loaded, "catalog.yaml") == ["catalog.yaml: refused: nested too deeply to be a catalog"]
    write("catalog.yaml", CATALOG + "# padding\n" * 120_000)
    (error,) = errors_of(loaded, "catalog.yaml")
    assert error.startswith("catalog.yaml: refused: the file is") and "at most 1,048,576" in error


def test_a_link_out_of_the_folder_is_refused_and_nothing_is_read_through_it(loaded: Engine) -> None:
    secret = write("outside/secret.txt", "root:x:0:0:root:/root:/bin/bash\n")
    folder = write_all("linked")
    (folder / "tickets.csv").unlink()
    (folder / "tickets.csv").symlink_to(secret.resolve())
    before = snapshot(loaded)
    errors = errors_of(loaded, folder)
    assert errors == ["linked/tickets.csv: links to a file outside the imported folder; copy the file in"]
    assert not any("root:" in e for e in errors)
    assert snapshot(loaded) == before
    (Path("linked") / "again.csv").symlink_to(Path("linked/accounts.csv").resolve())  # inside: fine
    (Path("linked") / "tickets.csv").unlink()
    write("linked/tickets.csv", TICKETS)
    (Path("linked") / "again.csv").unlink()
    import_paths(loaded, [folder])
