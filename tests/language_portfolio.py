"""A generated portfolio for the language suite: contacts with names from all six countries, with and
without a salutation and a gender, industries that use different words for their sites, senders of
both genders (and one unknown), and accounts new and old. Each contact carries the greeting a native
reader expects in the account's own language and in English (LANGUAGE.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from builders import TODAY, account, catalog, data, days, goal, ticket, usage

from playbooks.assess import assess
from playbooks.model import Contact
from prompts.facts import Facts


@dataclass(frozen=True)
class Person:
    name: str
    salutation: str = ""
    gender: str = ""
    local: str = ""  # the greeting's form and name in the account's own language
    english: str = ""  # … and in an English draft


# country -> (currency, language, contacts with what a native reader expects to be called)
PEOPLE: dict[str, tuple[str, str, list[Person]]] = {
    "ID": (
        "IDR",
        "id",
        [
            Person("Budi Santoso", local="Bapak Budi", english="Bapak Budi"),
            Person("Dian Permata", local="Dian Permata", english="Dian Permata"),  # unknown: no hedge
            Person("Tiara Anggraini", gender="f", local="Ibu Tiara", english="Ibu Tiara"),
            Person(
                "Hendro Wibisono", salutation="Bapak Hendro", local="Bapak Hendro", english="Bapak Hendro"
            ),
        ],
    ),
    "MY": (
        "MYR",
        "ms",
        [
            Person("Ahmad bin Ismail", local="Encik Ahmad", english="Encik Ahmad"),  # never "Encik Ismail"
            Person("Noraini binti Hassan", local="Puan Noraini", english="Puan Noraini"),
            Person("Lim Kok Leong", gender="m", local="Encik Lim", english="Encik Lim"),  # surname first
            Person("Rahman Abdullah", "Dato' Sri Rahman", "m", "Dato' Sri Rahman", "Dato' Sri Rahman"),
            Person("Suresh a/l Kumar", local="Encik Suresh", english="Encik Suresh"),
        ],
    ),
    "SG": (
        "SGD",
        "en",
        [
            Person("Tan Wei Ming", local="Mr Tan", english="Mr Tan"),  # Chinese: surname first
            Person("Rachel Ng", local="Ms Ng", english="Ms Ng"),
            Person(
                "Siti Nurhaliza binti Osman",
                gender="f",
                local="Ms Siti Nurhaliza",
                english="Ms Siti Nurhaliza",
            ),
            Person("Chris Lee", local="Chris Lee", english="Chris Lee"),  # unknown: the full name
        ],
    ),
    "TH": (
        "THB",
        "th",
        [
            Person("Suda Chaiyaporn", local="คุณสุดา", english="Khun Suda"),  # given name, Thai script
            Person(
                "Kittipong Boonmee", salutation="Khun Kittipong", local="คุณกิตติพงษ์", english="Khun Kittipong"
            ),
            Person("Pornchai Wong", local="คุณ Pornchai", english="Khun Pornchai"),
            Person("Dr Anan Chaiyaporn", local="ดร.อนันต์", english="Dr Anan"),
        ],
    ),
    "VN": (
        "VND",
        "vi",
        [
            Person("Nguyen Van Hung", local="Anh Hùng", english="Anh Hung"),  # the given name is last
            Person("Tran Thi Thao", local="Chị Thảo", english="Chị Thao"),
            Person("Pham Thu Ha", salutation="chị Hà", gender="f", local="chị Hà", english="chị Hà"),
            Person("Do Kim", local="Do Kim", english="Do Kim"),  # unknown: the full name, never "anh/chị Kim"
        ],
    ),
    "PH": (
        "PHP",
        "en",
        [
            Person("Jose Cruz", local="Sir Jose", english="Sir Jose"),
            Person("Maria Clara Reyes", gender="f", local="Ma'am Maria", english="Ma'am Maria"),
            Person("Kim Santos", local="Kim", english="Kim"),
        ],
    ),
}
INDUSTRIES = ("Food & beverage", "Dental clinic", "Logistics", "Agriculture", "Education", "Manufacturing")
SENDERS = (("Somchai Rattanakul", "m"), ("Dewi Lestari", "f"), ("Alex Morgan", ""))


def _data(n: int, country: str, currency: str, language: str, person: Person) -> tuple[Facts, Person]:
    """An account with a proposal to make: growing users near their seats, power users, requests."""
    new = n % 4 == 3  # a customer for 100 days: welcomed, not thanked "as always"
    acct = account(
        account_id=f"{country}-9{n:02d}",
        name=f"{INDUSTRIES[n % len(INDUSTRIES)].split()[0]} {country} {n}",
        country=country,
        currency=currency,
        language=language,
        industry=INDUSTRIES[n % len(INDUSTRIES)],
        locations=3 + n % 3,
        seats_purchased=20,
        start_date=days(100 if new else 500),
        renewal_date=TODAY + timedelta(days=75 if n % 2 else 200),
    )
    contacts = (
        (
            Contact(
                person.name,
                "Operations Manager",
                is_champion=True,
                since=days(400),
                salutation=person.salutation,
                gender=person.gender,
            ),
        )
        if person.name
        else ()  # no contact on record: the draft greets the account's team, in its language
    )
    d = data(
        acct,
        usage=usage([11, 13, 15, 18], power=3 + n % 3, adoption=0.93),
        contacts=contacts,
        tickets=(
            ticket(20, "Consolidated report", kind="feature_request", feature="consolidated_reports"),
            ticket(9, "All outlets in one view", kind="feature_request", feature="multi_location"),
        ),
        goals=(goal("Daily sales report for every manager", 10 + 50 * (n % 3)),),
    )
    sender, sex = SENDERS[n % len(SENDERS)]
    f = Facts(assess(d, catalog(), TODAY), d, catalog(), language, "email", sender, sex)
    return f, person


def generated() -> dict[str, tuple[Facts, Person]]:
    """Every generated account's facts (in its own language, email) with its contact's expected names;
    one account per country has no contact on record."""
    out: dict[str, tuple[Facts, Person]] = {}
    n = 0
    for country, (currency, language, people) in PEOPLE.items():
        for person in [*people, Person("")]:
            f, p = _data(n, country, currency, language, person)
            out[f.account.account_id] = (f, p)
            n += 1
    return out
