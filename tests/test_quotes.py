"""The customer's own words: real-sounding sentences in English, Bahasa Indonesia and Melayu, and the
ones that must not be read as a saving, a budget constraint or growth."""

from __future__ import annotations

from datetime import date

import pytest
from builders import TODAY, account, catalog, data, days, ticket, usage

from playbooks import quotes
from playbooks.assess import assess
from playbooks.model import Ticket
from prompts import grounding
from prompts.facts import Facts

SAID_ON = date(2026, 11, 20)

# sentence -> (kind, what it states); several kinds may come from one sentence
READ = [
    ("Pak Andi senang laporan harian sekarang hanya butuh 10 menit, dulu 2 jam.", "saving", "a saving: 2 h → 10 min a day"),
    ("Closing reports used to take 3 hours, now 20 minutes every week.", "saving", "a saving: 3 h → 20 min a week"),
    ("Rekap stok dari 2 jam jadi 15 menit setiap hari.", "saving", "a saving: 2 h → 15 min a day"),
    ("Laporan bulanan kini siap dalam 30 minit, dahulu setengah hari.", "saving", "a saving: 4 h → 30 min a month"),
    ("Our accountant spends hours on billing each week.", "time_spent", "time spent: hours a week"),
    ("Kami menghabiskan 3 jam setiap minggu untuk rekap stok.", "time_spent", "time spent: 3 h a week"),
    ("Staff take about two hours a day to reconcile the tills.", "time_spent", "time spent: 2 h a day"),
    ("We re-type everything into Xero at month end.", "manual_work", "work done by hand"),
    ("Tim keuangan harus ekspor data tiap outlet ke Excel setiap minggu.", "manual_work", "work done by hand"),
    ("Kakitangan terpaksa taip semula semua invois.", "manual_work", "work done by hand"),
    ("Anggaran agak ketat sampai kuartal depan.", "budget", "budget tight until 2027-01-01"),
    ("Budget frozen until January.", "budget", "budget frozen until 2027-01-01"),
    ("Ada pembekuan anggaran sampai Maret karena audit.", "budget", "budget frozen until 2027-03-01"),
    ("Bajet kami terhad sehingga hujung tahun.", "budget", "budget tight until 2027-01-01"),
    ("Our budget is tight until the end of March.", "budget", "budget tight until 2027-04-01"),
    ("Budget is a bit tight this quarter.", "budget", "budget tight"),
    ("Omzet naik sejak pakai dashboard.", "growth", "their business is growing"),
    ("We opened two new branches this year.", "growth", "their business is growing"),
    ("Jualan meningkat selepas kempen raya.", "growth", "their business is growing"),
    ("Opened a third outlet in Thonglor.", "growth", "their business is growing"),
    ("Puan Lim gembira laporan siap dalam sehari.", "satisfaction", "satisfied"),
    ("Dr Lim wants one view across all five clinics.", "need", "asked for multi location"),
    ("Kami perlu melihat semua outlet dalam satu dashboard.", "need", "asked for multi location"),
    ("Kami mahu lihat semua cawangan sekaligus.", "need", "asked for multi location"),
    ("Quarterly business review: patient no-shows down 18%.", "result", "a result they measured: 18%"),
    ("Waktu tutup buku berkurang 50 persen.", "result", "a result they measured: 50%"),
    ("20% fewer stockouts this quarter.", "result", "a result they measured: 20%"),
]  # fmt: skip

NOT_READ = [
    ("Budget is not an issue for us.", "budget"),
    ("Anggaran sudah disetujui untuk tahun depan.", "budget"),
    ("No budget issues this year.", "budget"),
    ("Omzet turun bulan ini.", "growth"),
    ("Sales are down in December.", "growth"),
    ("We are not planning to open new branches.", "growth"),
    ("Mereka merancang kelas tambahan pada tahun depan.", "growth"),
    ("The meeting is at 10 minutes past 2.", "saving"),
    ("Laporan ini berisi data 2 jam terakhir.", "saving"),
    ("Exports now take 20 minutes instead of 5 minutes.", "saving"),  # slower is not a saving
    ("Tidak perlu lagi input manual.", "manual_work"),
    ("We no longer re-type invoices.", "manual_work"),
    ("Kami tidak senang dengan kecepatan ekspor.", "satisfaction"),
    ("Jason said they are happy with the current plan.", "satisfaction"),
    ("Now it only takes 10 minutes.", "time_spent"),
    ("We do not need one view across all stores.", "need"),
    ("Dr Lim wants a new report for the front desk.", "need"),  # a want, but no catalog feature
    ("We have 18% of seats unused.", "result"),
    ("Can we get a discount of 20%?", "result"),
]  # fmt: skip


def read(sentence: str) -> dict[str, str]:
    found = quotes.read_ticket(Ticket(SAID_ON, "conversation", "Check-in", sentence))
    return {q.kind: quotes.note(q) for q in found}


@pytest.mark.parametrize(("sentence", "kind", "note"), READ)
def test_what_the_customer_said_is_read_with_its_numbers(sentence: str, kind: str, note: str) -> None:
    assert read(sentence).get(kind) == note


@pytest.mark.parametrize(("sentence", "kind"), NOT_READ)
def test_sentences_that_must_not_match(sentence: str, kind: str) -> None:
    assert kind not in read(sentence)


def test_a_quote_keeps_its_words_and_date() -> None:
    (q,) = [x for x in quotes.read_ticket(Ticket(SAID_ON, "ticket", "Stok", "Halo. Anggaran ketat.")) if x]
    assert q.cited == "“Anggaran ketat” (ticket, 2026-11-20)"


def batik(*said: Ticket) -> tuple:
    """Seats 18 of 20 with three new users: a seat opportunity, and what the customer said."""
    d = data(account(), usage=usage([12, 14, 15, 18]), tickets=said)
    return d, assess(d, catalog(), TODAY)


def test_a_tight_budget_lowers_timing_with_the_quote_and_waits_until_its_horizon() -> None:
    _, before = batik(
        ticket(9, "Staf gudang baru", "Tiga staf gudang baru perlu akses.", kind="conversation")
    )
    said = "Tiga staf gudang baru perlu akses. Anggaran agak ketat sampai kuartal depan."
    _, after = batik(ticket(9, "Staf gudang baru", said, kind="conversation"))
    seats_before = next(o for o in before.opportunities if o.type == "seats")
    seats_after = next(o for o in after.opportunities if o.type == "seats")
    assert seats_before.scores.timing == 7 and seats_after.scores.timing == 4
    assert "“Anggaran agak ketat sampai kuartal depan”" in seats_after.scores.evidence[2]
    assert after.timing.ok and after.timing.wait_codes == ("budget_tight",)
    assert after.timing.revisit_on == date(2027, 1, 1)  # said 2026-11-15: the next quarter starts 1 January
    assert after.approach.when.startswith("wait: budget tight until 2027-01-01")
    assert after.approach.when.endswith("revisit on 2027-01-01")


def test_a_budget_that_has_freed_up_no_longer_waits() -> None:
    _, a = batik(ticket(60, "Anggaran", "Anggaran ketat sampai bulan depan.", kind="conversation"))
    assert a.timing.waits == () and a.timing.revisit_on is None  # said in September, freed up 1 October


def test_a_frozen_budget_blocks_until_the_month_they_named() -> None:
    _, a = batik(
        ticket(20, "Rencana", "Ada pembekuan anggaran sampai Maret karena audit.", kind="conversation")
    )
    assert not a.timing.ok and a.timing.codes == ("budget_freeze",)
    assert a.timing.revisit_on == date(2027, 3, 1)
    assert "“Ada pembekuan anggaran sampai Maret karena audit”" in a.timing.reasons[0]


def test_a_stated_saving_is_value_realised_at_a_staff_hour_of_their_country() -> None:
    said = "Pak Andi senang laporan harian sekarang hanya butuh 10 menit, dulu 2 jam."
    _, a = batik(ticket(6, "Check-in bulanan", said, kind="conversation"))
    (line,) = a.realised
    assert line.yearly.amount == round(1.83 * 260 * 75_000)  # 1 h 50 min a day, 260 working days
    assert line.formula.startswith("1.83 h/day × 260 × Rp 75.000 = Rp 35.685.000 a year")
    assert f"“{said[:-1]}” (conversation, {days(6).isoformat()})" in line.formula
    assert a.readiness.value_realised


def test_a_need_stated_in_a_qbr_note_is_a_feature_request_in_their_words() -> None:
    qbr = (
        "Quarterly business review: patient no-shows down 18%. Dr Lim wants one view across all five clinics."
    )
    d = data(account(locations=5), tickets=(ticket(8, "QBR with Dr Lim", qbr, kind="conversation"),))
    a = assess(d, catalog(), TODAY)
    limit = next(s for s in a.signals if s.name == "feature_limit")
    assert limit.offering == "tier2" and limit.data["features"] == "multi_location"
    assert limit.evidence.endswith(
        f"they said “Dr Lim wants one view across all five clinics” (conversation, {days(8)})"
    )
    up = next(o for o in a.opportunities if o.type == "upsell")
    assert up.scores.fit == 9  # solves a pain the customer stated, not only "clear value"


def test_a_result_they_measured_is_a_fact_a_text_may_repeat_and_no_other() -> None:
    qbr = "Quarterly business review: patient no-shows down 18%."
    d = data(account(locations=5), tickets=(ticket(8, "QBR with Dr Lim", qbr, kind="conversation"),))
    grounds = Facts(assess(d, catalog(), TODAY), d, catalog()).grounds()
    assert grounding.check("Congratulations on no-shows down 18%.", grounds) == []
    assert grounding.check("Congratulations on no-shows down 25%.", grounds) == [
        "percentage not in the facts: 25%"
    ]
