"""The pipeline, figured by hand for a small portfolio in three currencies (SQLite and PostgreSQL), the
commission around its threshold, the chart read back, the CLI, and the demo's history."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from conftest import TODAY
from matplotlib import image
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from bot.cli import app
from handlers.chart import MONTH_COLOUR, TYPE_COLOUR, png
from handlers.commands import Command
from handlers.context import Context
from handlers.dispatch import handle, handle_text
from handlers.pipeline import chart_rows, compute
from playbooks.pipeline import Opp, Reporting, commission
from storage import models as db
from storage.db import session_scope
from storage.demo import load_demo

REPORTING = {"currency": "IDR", "as_of": "2026-11-01", "rates": {"SGD": 12000, "VND": 0.6}}


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def seed(engine: Engine, *, reporting: bool = False) -> None:
    """Four accounts in IDR, SGD and VND; six opportunities; ARR changes including a churn."""
    catalog = json.loads(json.dumps(_catalog(reporting)))
    accounts = [
        ("A-ID1", "ID", "IDR", 20_000_000, 500, "Retail", "dewi@example.com", None),
        ("A-ID2", "ID", "IDR", 10_000_000, 400, "Cafe", "budi@example.com", None),
        ("A-SG1", "SG", "SGD", 5_000, 600, "Retail", "wei@example.com", None),
        ("A-VN1", "VN", "VND", 30_000_000, 450, "Cafe", "linh@example.com", ago(30)),
    ]
    opps = [  # account, type, offering, status, value, currency, created, closed
        ("A-ID1", "upsell", "tier2", "closed_won", 4_500_000, "IDR", 60, 40),
        ("A-ID1", "add_on", "accounting", "closed_lost", 2_000_000, "IDR", 50, 30),
        ("A-ID2", "seats", "seats", "closed_won", 6_000_000, "IDR", 20, 10),
        ("A-SG1", "upsell", "tier2", "closed_lost", 390, "SGD", 100, 70),
        ("A-SG1", "seats", "seats", "identified", 400, "SGD", 5, None),
        ("A-VN1", "upsell", "tier2", "closed_won", 7_500_000, "VND", 200, 150),
    ]
    changes = [
        ("A-ID1", 40, 15_500_000, 20_000_000, "expansion"),
        ("A-ID2", 10, 4_000_000, 10_000_000, "expansion"),
        ("A-VN1", 150, 22_500_000, 30_000_000, "expansion"),
        ("A-VN1", 30, 30_000_000, 0, "churn"),
    ]
    with session_scope(engine) as s:
        s.add(db.CatalogDoc(document=catalog))
        for email, name in [
            ("dewi@example.com", "Dewi"),
            ("budi@example.com", "Budi"),
            ("wei@example.com", "Wei"),
            ("linh@example.com", "Linh"),
        ]:
            s.add(db.Csm(email=email, name=name, team="t"))
        for aid, country, cur, arr, start, industry, csm, churned in accounts:
            s.add(
                db.Account(
                    account_id=aid, name=aid, country=country, industry=industry, plan="tier1", currency=cur,
                    arr=arr, start_date=ago(start), health_score=80, csm_email=csm, team="t", churned_on=churned,
                )
            )  # fmt: skip
        for aid, type_, offering, status, value, cur, created, closed in opps:
            owner = next(a[6] for a in accounts if a[0] == aid)
            s.add(
                db.Opportunity(
                    account_id=aid, type=type_, offering=offering, offering_name=offering, status=status,
                    owner_email=owner, est_value=value, currency=cur, created_on=ago(created),
                    closed_on=ago(closed) if closed else None, signals=["feature_limit"],
                )
            )  # fmt: skip
        for aid, days, before, after, reason in changes:
            s.add(
                db.ArrChange(
                    account_id=aid, changed_on=ago(days), arr_before=before, arr_after=after, reason=reason
                )
            )


def _catalog(reporting: bool) -> dict:
    doc: dict = {
        "currency": "IDR",
        "plans": [
            {"code": "tier1", "name": "Tier 1", "price": 4_500_000},
            {"code": "tier2", "name": "Tier 2", "price": 9_000_000, "target_conversion": 0.15},
        ],
        "add_ons": [
            {"code": "accounting", "name": "Accounting Module", "price": 2_000_000, "target_conversion": 10}
        ],
    }
    if reporting:
        doc["reporting"] = REPORTING
    return doc


def test_figures_by_hand_for_three_currencies(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as s:
        m, _, _, _ = compute(s, TODAY)
    assert m.by_status == {"closed_lost": 2, "closed_won": 3, "identified": 1}
    assert {k: (r.won, r.decided) for k, r in m.conversion["type"].items()} == {
        "add_on": (0, 1),
        "seats": (1, 1),
        "upsell": (2, 3),
    }
    assert {k: (r.won, r.decided) for k, r in m.conversion["country"].items()} == {
        "ID": (2, 3),
        "SG": (0, 1),
        "VN": (1, 1),
    }
    assert {k: (r.won, r.decided) for k, r in m.conversion["csm"].items()} == {
        "Dewi": (1, 2),
        "Budi": (1, 1),
        "Wei": (0, 1),
        "Linh": (1, 1),
    }
    assert {k: (r.won, r.decided) for k, r in m.conversion["industry"].items()} == {
        "Cafe": (2, 2),
        "Retail": (1, 3),
    }
    # each currency on its own, never added together
    idr, sgd, vnd = m.currencies["IDR"], m.currencies["SGD"], m.currencies["VND"]
    assert (idr.won_value, idr.won_count, idr.average_deal) == (10_500_000, 2, 5_250_000)
    assert idr.by_type == {"upsell": 4_500_000, "seats": 6_000_000}
    assert (sgd.open_value, sgd.won_value, vnd.won_value) == (400, 0, 7_500_000)
    # NRR: IDR (20M + 10M) / (15.5M + 4M); SGD unchanged; VND churned after a 7.5M expansion
    assert idr.nrr == round(30_000_000 / 19_500_000, 4) and sgd.nrr == 1.0 and vnd.nrr == 0.0
    assert vnd.nrr_parts["churn"] == 30_000_000 and m.churn_known
    assert m.avg_days_to_close == round((20 + 20 + 10 + 30 + 50) / 5, 1)
    assert m.time_to_first_upgrade_days == round((460 + 390 + 300) / 3, 1)
    assert (
        m.won_by_month["2026-10"] == 1 and m.won_by_month["2026-11"] == 1 and m.won_by_month["2026-06"] == 1
    )
    assert [(code, r.won, r.decided, t) for code, _, r, t in m.targets] == [
        ("tier2", 2, 3, 0.15),
        ("accounting", 0, 1, 0.10),
    ]
    assert m.reported is None  # no rates: nothing is converted


def test_the_reply_formats_each_currency_its_own_way_and_converts_only_with_team_rates(
    engine: Engine,
) -> None:
    seed(engine, reporting=True)
    reply = handle(Command("pipeline"), Context(engine=engine, today=TODAY))
    text = reply.text
    assert "Expansion revenue: Rp 10.500.000 (2 won)" in text
    assert "Open pipeline: S$400" in text and "Expansion revenue: 7.500.000 ₫ (1 won)" in text
    assert "by country: ID 67% (2 of 3); SG 0% (0 of 1); VN 100% (1 of 1)" in text
    assert "Tier 2: 67% (2 of 3) — target 15%" in text
    assert "All currencies in IDR (team rates as of 2026-11-01)" in text
    reported = reply.data["pipeline"]["reported"]
    assert reported["open_value"] == 400 * 12000 and reported["won_value"] == 10_500_000 + 7_500_000 * 0.6
    assert "NRR" not in text or "churn" in text


def test_nrr_says_plainly_when_churn_and_contraction_are_not_known(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as s:
        s.execute(db.ArrChange.__table__.delete().where(db.ArrChange.reason == "churn"))  # type: ignore[attr-defined]
        vn = s.get(db.Account, "A-VN1")
        assert vn is not None
        vn.churned_on = None
    text = handle(Command("pipeline"), Context(engine=engine, today=TODAY)).text
    assert "expansion only: no churn or contraction is recorded" in text


def won(owner: str, month_day: date, value: float, currency: str = "IDR") -> Opp:
    return Opp(
        "A", "upsell", "tier2", "Tier 2", "closed_won", value, currency, month_day, month_day, owner, "ID", ""
    )


def test_commission_around_the_threshold() -> None:
    deals = [
        won("dewi", date(2026, 10, 3), 6_000_000),
        won("dewi", date(2026, 10, 20), 4_000_000),  # exactly Rp 10M in October: nothing above it
        won("dewi", date(2026, 11, 2), 10_500_000),  # Rp 500K above: 5% of it
        won("budi", date(2026, 11, 5), 9_999_999),
        won("budi", date(2026, 11, 6), 2),  # one rupiah above
        won("wei", date(2026, 11, 6), 2_000, "SGD"),  # no SGD threshold and no rate: not computed
    ]
    paid = {(c.owner, c.month): c.amount for c in commission(deals, 0.05, {"IDR": 10_000_000})}
    assert paid == {("dewi", "2026-10"): 0.0, ("dewi", "2026-11"): 25_000.0, ("budi", "2026-11"): 0.05}
    with_rates = Reporting("IDR", TODAY, {"SGD": 12000}, 0.05, {"IDR": 10_000_000})
    from playbooks.pipeline import commission_settings

    rate, limits = commission_settings(with_rates)
    assert limits["SGD"] == pytest.approx(10_000_000 / 12000)
    (sgd,) = [c for c in commission(deals, rate, limits) if c.currency == "SGD"]
    assert sgd.amount == round((2_000 - 10_000_000 / 12000) * 0.05, 2)


def colour_runs(pixels: np.ndarray, colour: str) -> int:
    """How many separate bars of this colour cross the row just above the lowest bar pixel."""
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    mask = np.all(np.abs(pixels[:, :, :3] - rgb) < 0.02, axis=2)
    rows = np.where(mask.any(axis=1))[0]
    line = mask[rows.max() - 2]
    return int(np.count_nonzero(line[1:] & ~line[:-1]) + line[0])


def test_the_chart_is_a_png_with_a_bar_per_month_won_and_per_type(engine: Engine, tmp_path) -> None:
    seed(engine, reporting=True)
    with session_scope(engine) as s:
        m, catalog, _, _ = compute(s, TODAY)
    (row,) = chart_rows(m, catalog)  # every currency converts: one row in IDR
    assert row.currency == "IDR" and [v for _, v in row.months if v] == [4_500_000, 4_500_000, 6_000_000]
    path = tmp_path / "pipeline.png"
    path.write_bytes(png([row], "test"))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    assert colour_runs(pixels, MONTH_COLOUR) == 3  # June (VND converted), October, November
    assert colour_runs(pixels, TYPE_COLOUR) == 2  # tier upgrade, more seats


def test_slack_gets_the_chart_and_text_channels_do_not(engine: Engine) -> None:
    seed(engine)
    slack = handle(
        Command("pipeline"),
        Context(engine=engine, today=TODAY, channel="slack", caller_email="dewi@example.com"),
    )
    console = handle(Command("pipeline"), Context(engine=engine, today=TODAY))
    assert [f.name for f in slack.files] == ["pipeline.png"] and slack.files[0].content[:4] == b"\x89PNG"
    assert console.files == []


def test_cli_pipeline_json_and_chart_on_the_demo_with_history(env_db: str, tmp_path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    chart = tmp_path / "out.png"
    result = runner.invoke(app, ["pipeline", "--json", "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    assert set(data["pipeline"]["currencies"]) == {"IDR", "MYR", "PHP", "SGD", "THB", "VND"}
    assert sum(data["pipeline"]["won_by_month"].values()) >= 30  # twelve months of history
    assert any(c["signal"] == "feature_limit" and c["country"] == "ID" for c in data["learned"])
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_demo_history_reloads_idempotently_and_reset_starts_over(engine: Engine) -> None:
    def counts() -> tuple[int, int, int, int]:
        with session_scope(engine) as s:
            return tuple(  # type: ignore[return-value]
                int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in (db.Account, db.Opportunity, db.Outcome, db.ArrChange)
            )

    load_demo(engine, TODAY)
    first = counts()
    load_demo(engine, TODAY + timedelta(days=1))  # another day: the same history, moved along
    assert counts() == first
    handle_text("outcome ID-001 no tier2", Context(engine=engine, today=TODAY))
    assert counts()[2] == first[2] + 1
    load_demo(engine, TODAY)
    assert counts()[2] == first[2] + 1  # a plain reload keeps what was recorded
    load_demo(engine, TODAY, reset=True)
    assert counts() == first


@pytest.mark.parametrize(
    ("reporting", "message"),
    [
        ({"currency": "IDR", "rates": {"SGD": 12000}}, "reporting.as_of: the date the rates were set"),
        (
            {"currency": "IDR", "as_of": "2026-11-01", "rates": {"SGD": -1}},
            "reporting.rates.SGD: must be a number > 0",
        ),
        ({"currency": "IDR", "as_of": "2026-11-01", "rates": [12000]}, "reporting.rates: a mapping"),
        ({"currency": "IDR", "as_of": "2026-11-01", "commission": {"rate": 5}}, "reporting.commission.rate"),
        ({"currency": "IDR", "as_of": "2026-11-01", "fetch": True}, "reporting.fetch: unknown key"),
    ],
)
def test_a_bad_reporting_section_is_refused_with_where_and_why(reporting: dict, message: str) -> None:
    from playbooks.catalog import CatalogError, parse_catalog

    with pytest.raises(CatalogError, match=message.replace(".", r"\.")):
        parse_catalog(_catalog(False) | {"reporting": reporting})
