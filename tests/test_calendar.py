"""The calendar: public holidays per country, no digest on a team's holiday (the next working day
carries it, once), and no proposal in the week of Lebaran, Tết or Songkran. Time travels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine
from builders import account, catalog, data
from fakes.slack_api import FakeSlack
from sqlalchemy import Engine, select
from test_digest_support import fake_slack, slack_settings
from typer.testing import CliRunner

from bot.cli import app
from bot.digest_delivery import retry_pending
from bot.scheduler import run_digest
from playbooks import calendar
from playbooks.assess import assess
from prompts.facts import Facts
from prompts.offline.draft import write_draft
from storage import models as db
from storage.db import session_scope
from storage.importer import ImportFailed, import_paths

# Eid al-Fitr 2027 in Indonesia: Wednesday 10 and Thursday 11 March (estimated by the holidays package)
EID = date(2027, 3, 10)


def jakarta_0831(day: date) -> datetime:
    """A minute after the Jakarta team's 08:30 digest time (UTC+7)."""
    return datetime(day.year, day.month, day.day, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("where", "day", "name"),
    [
        ("ID", date(2027, 3, 10), "Eid al-Fitr (estimated)"),
        ("MY", date(2027, 3, 10), "Eid al-Fitr"),
        ("MY-KUL", date(2027, 2, 1), "Federal Territory Day"),  # a state's own holiday
        ("SG", date(2027, 8, 9), "National Day"),
        ("TH", date(2027, 4, 13), "Songkran Festival"),
        ("VN", date(2027, 2, 6), "Lunar New Year"),
        ("PH", date(2027, 3, 26), "Good Friday"),
        ("MY", date(2027, 2, 1), None),  # not a national holiday
        ("ID", date(2027, 3, 12), None),
    ],
)
def test_public_holidays_per_country_and_state(where: str, day: date, name: str | None) -> None:
    assert calendar.holiday_on(where, day) == name


def test_a_teams_country_is_its_column_else_its_timezones() -> None:
    assert calendar.team_region("", "Asia/Jakarta") == "ID"
    assert calendar.team_region("MY-SGR", "Asia/Singapore") == "MY-SGR"
    assert calendar.team_region(None, "Europe/London") == ""  # no calendar: the digest always goes
    assert calendar.region("my-selangor") == ("MY", "10")
    with pytest.raises(ValueError, match="must be one of SG, MY, ID, TH, VN, PH"):
        calendar.region("US")
    with pytest.raises(ValueError, match="MY has no state 'XX' \\(states: JHR"):
        calendar.region("MY-XX")


@pytest.mark.parametrize(
    ("country", "currency", "day", "wait"),
    [
        ("ID", "IDR", date(2027, 3, 5), "around Idul Fitri (Lebaran) (2027-03-10 to 2027-03-11, estimated date): "
         "after the holiday, revisit on 2027-03-19"),
        ("VN", "VND", date(2027, 2, 1), "around Tết (2027-02-04 to 2027-02-10): after the holiday, "
         "revisit on 2027-02-18"),
        ("TH", "THB", date(2027, 4, 10), "around Songkran (2027-04-13 to 2027-04-15): after the holiday, "
         "revisit on 2027-04-21"),
        ("MY", "MYR", date(2027, 2, 3), "around Chinese New Year (2027-02-06 to 2027-02-08): after the holiday, "
         "revisit on 2027-02-15"),
        ("PH", "PHP", date(2027, 3, 22), "around Holy Week (2027-03-25 to 2027-03-27): after the holiday, "
         "revisit on 2027-03-31"),
    ],
)  # fmt: skip
def test_the_timing_guard_waits_until_after_the_big_holiday(country, currency, day, wait) -> None:
    a = assess(data(account(country=country, currency=currency)), catalog(), day)
    assert a.timing.waits == (wait,) and a.timing.wait_codes == ("holiday",)
    assert a.approach.when == f"wait: {wait}; revisit on {a.timing.revisit_on.isoformat()}"
    assert calendar.season(country, a.timing.revisit_on) is None  # business as usual by then


def test_away_from_the_big_holidays_nothing_waits() -> None:
    for country, currency in (("ID", "IDR"), ("SG", "SGD"), ("TH", "THB")):
        a = assess(data(account(country=country, currency=currency)), catalog(), date(2027, 6, 15))
        assert a.timing.waits == ()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture
def scheduled(
    monkeypatch: pytest.MonkeyPatch, database_url: str, demo_engine: Engine, slack: FakeSlack
) -> Engine:
    """The cron job's own settings (read from the environment), pointed at the demo and the fake Slack."""
    for name, value in {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": slack.api_url,
    }.items():
        monkeypatch.setenv(name, value)
    return demo_engine


def deliveries(engine: Engine) -> list[tuple[str, date, str]]:
    with session_scope(engine) as s:
        return [(r.team, r.day, r.status) for r in s.scalars(select(db.DigestDelivery))]


def test_no_digest_on_a_public_holiday_and_the_next_working_day_carries_it_once(
    scheduled, slack, database_url
):
    for day in (EID, date(2027, 3, 11)):  # both days of Idul Fitri
        with time_machine.travel(jakarta_0831(day), tick=False):
            run_digest("jakarta")
            assert retry_pending(slack_settings(database_url, slack.api_url), scheduled) == 0
    assert slack.posts == [] and deliveries(scheduled) == []  # nothing sent, nothing left pending
    with time_machine.travel(jakarta_0831(date(2027, 3, 12)), tick=False):
        run_digest("jakarta")
        run_digest("jakarta")  # a second run the same morning sends nothing more
    assert len(slack.posts) == 1
    text = json.dumps(slack.posts[0], ensure_ascii=False)
    assert (
        "Also covers 2027-03-10 (Eid al-Fitr (estimated)), 2027-03-11 (Eid al-Fitr Second Day (estimated))"
        in text
    )
    assert deliveries(scheduled) == [("jakarta", date(2027, 3, 12), "sent")]


def test_a_teams_own_country_decides_its_holidays(scheduled, slack):
    with session_scope(scheduled) as s:
        s.get(db.Team, "jakarta").country = "SG"  # a Jakarta-time team serving Singapore
    with time_machine.travel(jakarta_0831(date(2027, 3, 11)), tick=False):  # a holiday in ID, not in SG
        run_digest("jakarta")
    assert len(slack.posts) == 1


def test_digest_json_for_a_holiday_names_it(env_db: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    result = runner.invoke(app, ["digest", "--team", "jakarta", "--date", EID.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["holiday"] == "Eid al-Fitr (estimated)"
    normal = json.loads(
        runner.invoke(app, ["digest", "--team", "jakarta", "--date", "2027-03-09", "--json"]).output
    )
    assert "holiday" not in normal


TEAMS = "team,slack_channel,timezone,digest_time,country\n{rows}"
CSV = {
    "catalog.yaml": "currency: IDR\nplans:\n  - {code: tier1, name: Tier 1, price: 4500000}\n",
    "csms.csv": "email,name,team\ndewi@example.com,Dewi,jakarta\n",
}


def import_teams(engine: Engine, tmp_path, rows: str) -> None:
    for name, text in {**CSV, "teams.csv": TEAMS.format(rows=rows)}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    import_paths(engine, [tmp_path])


def test_teams_csv_takes_an_optional_country_with_a_state(engine: Engine, tmp_path) -> None:
    import_teams(
        engine, tmp_path, "jakarta,#cs,Asia/Jakarta,08:30,\nkl,#kl,Asia/Kuala_Lumpur,08:30,my-selangor\n"
    )
    with session_scope(engine) as s:
        assert s.get(db.Team, "jakarta").country is None  # the timezone decides: ID
        assert s.get(db.Team, "kl").country == "MY-10"
    assert calendar.holiday_on("MY-10", date(2027, 12, 11)) == "Birthday of The Sultan of Selangor"


def test_a_bad_team_country_is_refused_with_the_states_it_could_be(engine: Engine, tmp_path) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_teams(engine, tmp_path, "kl,#kl,Asia/Kuala_Lumpur,08:30,MY-XX\n")
    assert "teams.csv:2: country: MY has no state 'XX' (states: JHR" in failed.value.errors[0]
    with session_scope(engine) as s:
        assert s.get(db.Team, "kl") is None  # all or nothing


@pytest.mark.parametrize(
    ("day", "language", "channel", "greeting"),
    [
        (date(2027, 3, 5), "en", "email", "Wishing you and the team a wonderful Lebaran ahead."),
        (date(2027, 3, 5), "id", "whatsapp", "Selamat menyambut Idul Fitri untuk"),
        (date(2027, 3, 15), "ms", "email", "menikmati Hari Raya Aidilfitri yang bermakna."),
        (date(2027, 3, 15), "en", "slack", "I hope you and the team had a wonderful Lebaran."),
    ],
)
def test_a_draft_greets_the_season_when_it_is_near(day, language, channel, greeting) -> None:
    d = data(account())
    f = Facts(assess(d, catalog(), day), d, catalog(), language=language, channel=channel)
    assert greeting in write_draft(f).body
    away = Facts(assess(d, catalog(), date(2027, 6, 15)), d, catalog(), language=language, channel=channel)
    assert "Lebaran" not in write_draft(away).body and "Idul Fitri" not in write_draft(away).body
