"""The grounding check: a text may only use the amounts, percentages, counts, dates, links, e-mail
addresses and phone numbers of its facts, and never asks for a password or a code.

Pure functions over text and a Grounds value; nothing here knows about models, handlers or databases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from playbooks.text import fold

NUM = r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
MULTIPLIERS = {
    "k": 1e3, "rb": 1e3, "ribu": 1e3, "thousand": 1e3, "nghìn": 1e3, "ngàn": 1e3, "n": 1e3,
    "m": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6, "millions": 1e6, "jt": 1e6, "juta": 1e6,
    "j": 1e6, "tr": 1e6, "triệu": 1e6, "trieu": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "miliar": 1e9, "milyar": 1e9, "bilion": 1e9,
}  # fmt: skip
MULT = r"(?:" + "|".join(sorted((re.escape(m) for m in MULTIPLIERS), key=len, reverse=True)) + r")"
# Multipliers that say "money" on their own, without a currency: "9 juta", "7.5 million".
WORD_MULT = r"(?:millions?|juta|jt|triệu|trieu|billion|miliar|milyar|bilion|thousand|ribu|rb|nghìn|ngàn)"
CUR_PRE = r"(?:Rp\.?|IDR|RM|MYR|S\$|SGD|US\$|USD|\$|฿|THB|₫|VNĐ|VND|₱|PHP)"
CUR_POST = r"(?:IDR|MYR|SGD|USD|THB|VND|VNĐ|PHP|₫|฿|đồng|dong|đ|rupiah|ringgit|baht|pesos?|dollars?)"
END = r"(?![\w])"
AMOUNT = re.compile(
    rf"(?<![A-Za-z])(?P<pre>{CUR_PRE})\s?(?P<n1>{NUM})(?:\s?(?P<m1>{MULT}){END})?"
    rf"|(?P<n2>{NUM})(?:\s?(?P<m2>{MULT}))?\s?(?P<post>{CUR_POST}){END}"
    rf"|(?<![\w.,])(?P<n3>{NUM})\s?(?P<m3>{WORD_MULT}){END}",
    re.IGNORECASE,
)
PERCENT = re.compile(rf"(?P<n>{NUM})\s?(?:%|persen|peratus|percent|per cent|phần trăm)", re.IGNORECASE)
MONTHS = {
    **dict.fromkeys(["january", "jan", "januari", "enero", "มกราคม"], 1),
    **dict.fromkeys(["february", "feb", "februari", "febrero", "pebrero", "กุมภาพันธ์"], 2),
    **dict.fromkeys(["march", "mar", "maret", "mac", "marso", "มีนาคม"], 3),
    **dict.fromkeys(["april", "apr", "abril", "เมษายน"], 4),
    **dict.fromkeys(["may", "mei", "mayo", "พฤษภาคม"], 5),
    **dict.fromkeys(["june", "jun", "juni", "hunyo", "มิถุนายน"], 6),
    **dict.fromkeys(["july", "jul", "juli", "julai", "hulyo", "กรกฎาคม"], 7),
    **dict.fromkeys(["august", "aug", "agustus", "ogos", "agosto", "สิงหาคม"], 8),
    **dict.fromkeys(["september", "sep", "sept", "setyembre", "กันยายน"], 9),
    **dict.fromkeys(["october", "oct", "oktober", "okt", "oktubre", "ตุลาคม"], 10),
    **dict.fromkeys(["november", "nov", "nobyembre", "พฤศจิกายน"], 11),
    **dict.fromkeys(["december", "dec", "desember", "des", "disember", "disyembre", "ธันวาคม"], 12),
}
MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
DATES = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[.-](?P<m>\d{1,2})[.-](?P<y>\d{4})\b"),
    re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\b"),
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s+(?P<y>\d{{4}}))?(?!\w)", re.I
    ),
    re.compile(rf"(?<!\w){MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}}))?", re.I),
    re.compile(r"\b(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})(?:,?\s+(?:năm\s+)?(?P<y>\d{4}))?", re.I),
]
COUNT_NOUNS = (
    r"seats?|users?|licen[cs]es?|outlets?|locations?|branches|branch|clinics?|stores?|shops?|staff|"
    r"people|members?|kursi|lisensi|lesen|pengguna|akaun|akun|cabang|cawangan|lokasi|toko|kedai|staf|"
    r"orang|ahli|tempat"
)
COUNT = re.compile(rf"(?P<n>{NUM})\s+(?:[^\W\d]+\s+){{0,2}}?(?:{COUNT_NOUNS})\b", re.IGNORECASE)
BARE = re.compile(rf"(?<![\w.,])(?P<n>{NUM})(?![\w])")
DISCOUNT_WORDS = re.compile(
    r"discount|diskon|diskaun|potongan|rebate|rebat|percent off|% off|giảm giá|ส่วนลด|cashback|voucher|promo"
    r"|special (?:price|offer|deal|rate)|exclusive (?:price|offer|deal)|half[- ]price|price cut"
    r"|harga (?:khusus|spesial|istimewa)|(?:setengah|separuh) harga|tawaran (?:istimewa|khas)",
    re.IGNORECASE,
)
FREE_MONTHS = re.compile(
    r"(?P<a>\d+)\s*(?:bulan|months?)\s*(?:free|gratis|percuma)"
    r"|(?:free|gratis|percuma)\s*(?:for\s*|selama\s*)?(?P<b>\d+)\s*(?:bulan|months?)",
    re.IGNORECASE,
)
# A return or a payback is a computed fact: in a sentence about one, multiples and months must be the case's.
RETURN_WORDS = re.compile(
    r"\bROI\b|return on|pays? (?:for )?itself|pays? back|payback|paid back|balik modal|pulang modal"
    r"|kembali modal|investasi(?:nya)? kembali|pengembalian investasi|pulangan pelaburan"
    r"|kali lipat|kali ganda"
    r"|times (?:the|its|what it) (?:cost|price|investment|costs)",
    re.IGNORECASE,
)
MULTIPLE = re.compile(rf"(?<![\w.,])(?P<n>{NUM})\s?(?:×|x(?!\w)|times\b|kali\b)", re.IGNORECASE)
MONTHS_OF = re.compile(rf"(?<![\w.,])(?P<n>{NUM})\s?(?:months?|bulan)\b", re.IGNORECASE)
PLACEHOLDER = re.compile(
    r"\{[^}]*\}|\[(?:your |the )?(?:name|company|customer|nama|date|amount|price|contact)[^\]]*\]"
    r"|<[A-Z_]{3,}>|\bTODO\b|\bXXX\b|lorem ipsum",
    re.IGNORECASE,
)

# Ways a text can send the customer somewhere or ask for access: refused unless the facts hold them.
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TLDS = r"com|net|org|io|co|id|my|sg|th|vn|ph|app|link|ly|me|info|biz|xyz|site|online|cc|to|gl|page|dev|ai|top"
LINK = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"“”‘’()]+|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{TLDS})\b"
    r"(?:/[^\s<>\"“”‘’()]*)?",
    re.IGNORECASE,
)
PHONE = re.compile(r"(?<![\w+.,])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{2,5}\)?){2,5}(?![\w])")
CREDENTIALS = re.compile(
    r"\b(?:pass(?:words?|codes?|wd)|one[- ]time (?:pass(?:word|code)|code)|verification codes?"
    r"|security codes?|log[- ]?in (?:details|info|information|credentials|page|link|url)"
    r"|sign[- ]in (?:details|page|link)|credentials?|user ?names? and passwords?"
    r"|admin (?:access|account|login)|kata sandi|sandi|kata laluan"
    r"|kode (?:otp|verifikasi|keamanan|akses)|kod (?:otp|pengesahan|keselamatan|akses)"
    r"|nama pengguna|(?:maklumat|butiran) log masuk|(?:detail|data|info) login|ak[au]n admin|akaun admin)\b",
    re.IGNORECASE,
)
CREDENTIAL_CODES = re.compile(r"\b(?:OTP|PIN|TAC)s?\b")  # upper case only: "pin" is also a verb


def refs_in(text: str) -> set[str]:
    """The links, e-mail addresses and phone numbers a text holds, in a comparable form."""
    return {_ref(m.group(0)) for pattern in (EMAIL, LINK) for m in pattern.finditer(text)} | {
        _ref(m.group(0)) for m in PHONE.finditer(text) if _phone(m.group(0))
    }


def _ref(raw: str) -> str:
    raw = raw.rstrip(".,;:!?")
    if "@" not in raw and re.fullmatch(r"[\d\s().+-]+", raw):
        return "+" + re.sub(r"\D", "", raw).lstrip("0")
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", raw.casefold()).rstrip("/")


def _phone(raw: str) -> bool:
    """A phone number, not an amount: 8+ digits, written with a + or grouped by spaces, dashes, brackets."""
    digits = sum(c.isdigit() for c in raw)
    return digits >= 8 and (raw.startswith("+") or bool(re.search(r"[\s()-]", raw.strip())))


@dataclass(frozen=True)
class Grounds:
    """Everything a text may state: the numbers and dates of its facts and the catalog's discounts."""

    amounts: frozenset[float] = frozenset()
    percents: frozenset[float] = frozenset()
    counts: frozenset[int] = frozenset()
    dates: frozenset[date] = frozenset()
    discount_names: tuple[str, ...] = ()
    discount_percents: frozenset[float] = frozenset()
    months_free: frozenset[int] = frozenset()
    other_accounts: tuple[str, ...] = ()
    banned: tuple[str, ...] = ()  # phrases that must not appear, e.g. an offer's name in a check-in
    ratios: frozenset[float] = frozenset()  # the business cases' ROI multiples and payback months
    refs: frozenset[str] = frozenset()  # links, e-mails and phone numbers the facts hold (see refs_in)
    allow_amounts: bool = True
    notes: dict[str, str] = field(default_factory=dict)


def number_values(token: str) -> set[float]:
    """Every reading of a formatted number: '1.350' is 1350 (or 1.35), '4,5' is 4.5, '9,000,000' 9000000."""
    t = token.replace("\u00a0", "").replace("\u202f", "")
    if not re.search(r"[.,]", t):
        return {float(t)}
    out: set[float] = set()
    groups = re.split(r"[.,]", t)
    if all(len(g) == 3 for g in groups[1:]) and len(set(re.findall(r"[.,]", t))) == 1:
        out.add(float("".join(groups)))
    last = max(t.rfind("."), t.rfind(","))
    head, tail = t[:last], t[last + 1 :]
    head_groups = re.split(r"[.,]", head)
    if all(len(g) == 3 for g in head_groups[1:]) and t[last] not in head:
        out.add(float("".join(head_groups) + "." + tail))
    return out


def amount_values(number: str, multiplier: str | None) -> set[float]:
    factor = MULTIPLIERS.get((multiplier or "").casefold(), 1.0)
    return {v * factor for v in number_values(number)}


def _amount_ok(number: str, multiplier: str | None, allowed: frozenset[float]) -> bool:
    """Exact for whole figures; a compact figure ("Rp4,5 jt") within its own last digit, never 5% off."""
    factor = MULTIPLIERS.get((multiplier or "").casefold(), 1.0)
    if factor == 1.0:
        return _near(number_values(number), allowed, 0.005)
    decimals = re.search(r"[.,](\d{1,2})$", number)
    step = factor * (10.0 ** -len(decimals.group(1)) if decimals else 1.0)
    values = amount_values(number, multiplier)
    return any(abs(v - a) <= min(step / 2, 0.05 * a) for v in values for a in allowed)


def _near(values: set[float], allowed: frozenset[float], rel: float) -> bool:
    return any(abs(v - a) <= max(rel * abs(a), 0.5) for v in values for a in allowed)


def _date_ok(d: int, m: int, y: int | None, allowed: frozenset[date]) -> bool:
    if y is not None and y < 100:
        y += 2000
    return any(a.day == d and a.month == m and (y is None or a.year == y) for a in allowed)


def find_dates(text: str) -> list[tuple[tuple[int, int], int, int, int | None, str]]:
    """(span, day, month, year or None, matched text) for every date-looking thing in a text."""
    found = []
    for pattern in DATES:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = MONTHS[groups["mon"].casefold()] if groups.get("mon") else int(groups["m"])
            year = int(groups["y"]) if groups.get("y") else None
            found.append((m.span(), int(groups["d"]), month, year, m.group(0)))
    return found


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in taken)


def check(text: str, grounds: Grounds) -> list[str]:
    """Every problem that makes a text unsafe to send; an empty list means it is grounded."""
    problems: list[str] = []
    taken: list[tuple[int, int]] = []
    problems += _refs(text, grounds, taken)
    for span, d, month, y, raw in find_dates(text):
        if _overlaps(span, taken):
            continue
        taken.append(span)
        if raw == "24/7" or not (1 <= month <= 12 and 1 <= d <= 31):
            continue
        ok = _date_ok(d, month, y, grounds.dates)
        if not ok and d <= 12 and "/" in raw:  # 11/24 read the American way
            ok = _date_ok(month, d, y, grounds.dates)
        if not ok:
            problems.append(f"date not in the facts: {raw}")
    for m in AMOUNT.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        taken.append(m.span())
        number, mult = next((m[f"n{i}"], m[f"m{i}"]) for i in (1, 2, 3) if m[f"n{i}"])
        if not grounds.allow_amounts:
            problems.append(f"amount in a message that must not quote prices: {m.group(0).strip()}")
        elif not _amount_ok(number, mult, grounds.amounts):
            problems.append(f"amount not in the facts: {m.group(0).strip()}")
    for m in PERCENT.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        taken.append(m.span())
        if not _near(number_values(m["n"]), grounds.percents | grounds.discount_percents, 0.0):
            problems.append(f"percentage not in the facts: {m.group(0)}")
    for m in COUNT.finditer(text):
        span = m.span("n")
        if _overlaps(span, taken):
            continue
        taken.append(span)
        if not any(v == int(v) and int(v) in grounds.counts for v in number_values(m["n"])):
            problems.append(f"count not in the facts: {m.group(0)}")
    problems += _phones(text, grounds, taken)  # after amounts: "Rp 12 000 000" is money, not a phone
    for m in BARE.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        values = number_values(m["n"])
        if max(values) < 1000 or (re.fullmatch(r"\d{4}", m["n"]) and 1990 <= int(m["n"]) <= 2100):
            continue
        if not (_near(values, grounds.amounts, 0.005) or any(int(v) in grounds.counts for v in values)):
            problems.append(f"number not in the facts: {m['n']}")
    problems += _returns(text, grounds)
    problems += _discounts(text, grounds)
    problems += _names(text, grounds)
    if found := PLACEHOLDER.search(text):
        problems.append(f"placeholder left in the text: {found.group(0)}")
    return problems


def _refs(text: str, grounds: Grounds, taken: list[tuple[int, int]]) -> list[str]:
    """E-mail addresses and links the facts do not hold, and any request for a password or code."""
    problems = []
    for kind, pattern in (("e-mail address", EMAIL), ("link", LINK)):
        for m in pattern.finditer(text):
            if _overlaps(m.span(), taken):
                continue
            taken.append(m.span())
            if _ref(m.group(0)) not in grounds.refs:
                problems.append(f"{kind} not in the facts: {m.group(0)[:80]}")
    for pattern in (CREDENTIALS, CREDENTIAL_CODES):
        problems += [f"asks for credentials: {m.group(0)}" for m in pattern.finditer(text)]
    return problems


def _phones(text: str, grounds: Grounds, taken: list[tuple[int, int]]) -> list[str]:
    """Phone numbers the facts do not hold (after dates and amounts, so 2026-12-31 stays a date)."""
    problems = []
    for m in PHONE.finditer(text):
        if _overlaps(m.span(), taken) or not _phone(m.group(0)):
            continue
        taken.append(m.span())
        if _ref(m.group(0)) not in grounds.refs:
            problems.append(f"phone number not in the facts: {m.group(0).strip()}")
    return problems


def _returns(text: str, grounds: Grounds) -> list[str]:
    """An ROI multiple or a payback in months only as the business case computed it (one decimal)."""
    problems = []
    months_ok = grounds.ratios | {1.0, 12.0} | {float(m) for m in grounds.months_free}
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if not RETURN_WORDS.search(sentence):
            continue
        for m in MULTIPLE.finditer(sentence):
            if not any(abs(v - r) < 0.05 for v in number_values(m["n"]) for r in grounds.ratios):
                problems.append(f"ROI not in the facts: {m.group(0).strip()}")
        for m in MONTHS_OF.finditer(sentence):
            if not any(abs(v - r) < 0.05 for v in number_values(m["n"]) for r in months_ok):
                problems.append(f"payback not in the facts: {m.group(0).strip()}")
    return problems


def _discounts(text: str, grounds: Grounds) -> list[str]:
    """Only the catalog's standing offers: named, with their own numbers, never a made-up percentage off."""
    problems = []
    names = [fold(n) for n in grounds.discount_names]
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if DISCOUNT_WORDS.search(sentence):
            for m in PERCENT.finditer(sentence):
                if not _near(number_values(m["n"]), grounds.discount_percents, 0.0):
                    problems.append(f"discount not in the catalog: {m.group(0)}")
            if not any(n in fold(sentence) for n in names):
                problems.append(f"mentions a discount the catalog does not offer: “{sentence.strip()[:80]}”")
        for m in FREE_MONTHS.finditer(sentence):
            months = int(m["a"] or m["b"])
            if months != 1 and months not in grounds.months_free:
                problems.append(f"free months not in the catalog: {m.group(0)}")
    return problems


@lru_cache(maxsize=256)
def _phrases(names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One pattern for a list of names, each as a whole phrase of folded text, and folded → name."""
    folded = {fold(n): n for n in names if n.strip()}
    if not folded:
        return None
    alternatives = "|".join(re.escape(f) for f in sorted(folded, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), folded


def _found(names: tuple[str, ...], folded_text: str) -> list[str]:
    compiled = _phrases(names)
    if compiled is None:
        return []
    pattern, by_fold = compiled
    return list(dict.fromkeys(by_fold[m.group(0)] for m in pattern.finditer(folded_text)))


def _names(text: str, grounds: Grounds) -> list[str]:
    folded = fold(text)
    return [f"names another account: {name}" for name in _found(grounds.other_accounts, folded)] + [
        f"mentions “{b}” in a message that must not make an offer" for b in _found(grounds.banned, folded)
    ]
