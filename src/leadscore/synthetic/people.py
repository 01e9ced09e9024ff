"""The people and companies of the synthetic CRM: what a rep reads of a lead (its name,
company, job title, e-mail, phone, owner and sales territory), never what a model reads.

Names follow each account's country; a company is an account's, so its leads share it, its
e-mail domain, owner and territory. Everything is fictional: e-mail domains end in
``.example`` (reserved, RFC 2606), phone numbers lie in ranges reserved for fiction where a
country has them (UK 07700 900xxx and 020 7946 0xxx, US 555-01xx, France 01 99 00 xx xx)
and use 555 after the area code elsewhere.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.synthetic import catalog as cat

# the draws come from a generator of their own (seed, PEOPLE_STREAM): adding people left
# every other table, and so every trained model, as it was
PEOPLE_STREAM = 3
MISSING_PHONE_RATE = 0.08  # leads who left no number


@dataclass(frozen=True)
class Names:
    """One country's first names (female, male), surnames and company legal forms."""

    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    legal_forms: tuple[str, ...]


_GERMAN_SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Koch", "Richter", "Wolf", "Schröder", "Neumann", "Schwarz",
    "Braun", "Krüger", "Hofmann", "Lehmann", "Köhler", "Weiß", "Jäger", "Brandt",
)  # fmt: skip
NAMES = {
    "DE": Names(
        ("Anna", "Julia", "Katharina", "Sabine", "Stefanie", "Laura", "Miriam", "Jana", "Birgit",
         "Sophie", "Claudia", "Franziska"),
        ("Thomas", "Michael", "Andreas", "Stefan", "Jürgen", "Matthias", "Tobias", "Jan",
         "Sebastian", "Florian", "Markus", "Jörg"),
        _GERMAN_SURNAMES,
        ("GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "SE"),
    ),
    "AT": Names(
        ("Johanna", "Theresa", "Magdalena", "Elisabeth", "Verena", "Katrin", "Barbara"),
        ("Lukas", "Florian", "Christoph", "Dominik", "Bernhard", "Wolfgang", "Georg"),
        ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer",
         "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schwarz", "Wimmer"),
        ("GmbH", "GmbH", "AG", "KG"),
    ),
    "CH": Names(
        ("Sarah", "Nicole", "Corinne", "Andrea", "Regula", "Simone", "Martina"),
        ("Reto", "Urs", "Beat", "Daniel", "Marco", "Lukas", "Patrick"),
        ("Meier", "Keller", "Brunner", "Baumann", "Frei", "Gerber", "Widmer", "Zürcher",
         "Schmid", "Steiner", "Graf", "Kälin", "Moser", "Bühler", "Suter", "Egli"),
        ("AG", "AG", "GmbH", "Sàrl"),
    ),
    "NL": Names(
        ("Sanne", "Anouk", "Lotte", "Femke", "Eva", "Maaike", "Ingrid"),
        ("Jeroen", "Bram", "Sander", "Maarten", "Pieter", "Joost", "Ruud"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
         "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"),
        ("B.V.", "B.V.", "N.V."),
    ),
    "FR": Names(
        ("Camille", "Claire", "Sophie", "Élodie", "Nathalie", "Céline", "Amélie"),
        ("Julien", "Nicolas", "Thierry", "François", "Mathieu", "Sébastien", "Olivier"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier"),
        ("SAS", "SAS", "SARL", "SA"),
    ),
    "GB": Names(
        ("Emma", "Olivia", "Charlotte", "Sophie", "Hannah", "Rebecca", "Lucy"),
        ("James", "Oliver", "Harry", "George", "Thomas", "William", "Daniel"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Harper", "Cole",
         "Walker", "Wright", "Hughes", "Clarke", "Turner", "Hall", "Wood"),
        ("Ltd", "Ltd", "plc", "LLP"),
    ),
    "US": Names(
        ("Jennifer", "Emily", "Ashley", "Megan", "Rachel", "Lauren", "Nicole"),
        ("Michael", "Christopher", "Matthew", "Joshua", "Ryan", "Brandon", "Kevin"),
        ("Johnson", "Miller", "Davis", "Anderson", "Martinez", "Thompson", "Moore", "Jackson",
         "White", "Harris", "Clark", "Lewis", "Young", "Allen", "King", "Scott"),
        ("Inc.", "Inc.", "LLC", "Corp."),
    ),
}  # fmt: skip
# what a company does, by language and industry (in cat.INDUSTRIES' order)
_TRADES = {
    "de": (
        ("Maschinenbau", "Anlagentechnik", "Präzisionstechnik"),
        ("Handel", "Handelshaus", "Warenhaus"),
        ("Finanzberatung", "Vermögensverwaltung", "Versicherungsmakler"),
        ("Medizintechnik", "Pflegedienste", "Labordiagnostik"),
        ("Software", "IT-Systeme", "Digital"),
        ("Logistik", "Spedition", "Transporte"),
    ),
    "nl": (
        ("Techniek", "Machinebouw"), ("Handel", "Groothandel"), ("Financiële Diensten",),
        ("Zorg", "Medische Techniek"), ("Software", "ICT"), ("Logistiek", "Transport"),
    ),
    "fr": (
        ("Industrie", "Mécanique"), ("Distribution", "Commerce"), ("Finance", "Conseil"),
        ("Santé", "Médical"), ("Logiciels", "Informatique"), ("Logistique", "Transports"),
    ),
    "en": (
        ("Engineering", "Manufacturing"), ("Retail", "Trading"), ("Capital", "Financial"),
        ("Healthcare", "Medical"), ("Software", "Systems"), ("Logistics", "Freight"),
    ),
}  # fmt: skip
_LANGUAGE = {"DE": "de", "AT": "de", "CH": "de", "NL": "nl", "FR": "fr", "GB": "en", "US": "en"}
# a buying centre's roles: (male, female) title, by language
_TITLES = {
    "de": (
        ("Geschäftsführer", "Geschäftsführerin"), ("Einkaufsleiter", "Einkaufsleiterin"),
        ("IT-Leiter", "IT-Leiterin"), ("Leiter Produktion", "Leiterin Produktion"),
        ("Kaufmännischer Leiter", "Kaufmännische Leiterin"), ("CFO", "CFO"),
        ("Head of Operations", "Head of Operations"), ("Vertriebsleiter", "Vertriebsleiterin"),
    ),
    "nl": (
        ("Algemeen directeur", "Algemeen directeur"), ("Inkoopmanager", "Inkoopmanager"),
        ("Hoofd IT", "Hoofd IT"), ("Operationeel directeur", "Operationeel directeur"),
        ("CFO", "CFO"), ("Head of Operations", "Head of Operations"),
    ),
    "fr": (
        ("Directeur général", "Directrice générale"), ("Responsable achats", "Responsable achats"),
        ("DSI", "DSI"), ("Directeur des opérations", "Directrice des opérations"),
        ("Directeur financier", "Directrice financière"),
        ("Head of Operations", "Head of Operations"),
    ),
    "en": (
        ("CEO", "CEO"), ("Head of Procurement", "Head of Procurement"),
        ("IT Director", "IT Director"), ("Head of Operations", "Head of Operations"),
        ("CFO", "CFO"), ("Purchasing Manager", "Purchasing Manager"),
    ),
}  # fmt: skip
# each country's sales territory (Germany's two by account) and the reps who own it
TERRITORIES = {
    "DE": ("DACH Nord", "DACH Süd"),
    "AT": ("Österreich & Schweiz",),
    "CH": ("Österreich & Schweiz",),
    "NL": ("Benelux",),
    "FR": ("Frankreich",),
    "GB": ("UK & Irland",),
    "US": ("Nordamerika",),
}
REPS = {
    "DACH Nord": ("Katrin Vogel", "Jan Petersen"),
    "DACH Süd": ("Markus Huber", "Sabine Maier"),
    "Österreich & Schweiz": ("Lukas Gruber",),
    "Benelux": ("Sanne de Vries",),
    "Frankreich": ("Julien Moreau",),
    "UK & Irland": ("Emma Clarke",),
    "Nordamerika": ("Michael Brooks",),
}
# the towns that tell apart two companies of one name
PLACES = {
    "DE": ("Hamburg", "München", "Köln", "Stuttgart", "Leipzig", "Bremen", "Nürnberg",
           "Dortmund", "Hannover", "Dresden", "Freiburg", "Kiel"),
    "AT": ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck", "Klagenfurt"),
    "CH": ("Zürich", "Bern", "Basel", "Luzern", "St. Gallen", "Winterthur"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Den Haag"),
    "FR": ("Lyon", "Lille", "Nantes", "Bordeaux", "Toulouse", "Strasbourg"),
    "GB": ("London", "Leeds", "Bristol", "Manchester", "Glasgow", "Cambridge"),
    "US": ("Boston", "Chicago", "Denver", "Austin", "Seattle", "Atlanta"),
}  # fmt: skip
# the display columns of the canonical customers (data.tables.DISPLAY_COLUMNS)
DISPLAY = ("name", "company", "job_title", "email", "phone", "owner", "territory")
_FOLDED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe"})


def ascii_fold(text: str) -> str:
    """``text`` in ASCII as a German writes it where umlauts cannot be (Müller: Mueller;
    Lefèvre: Lefevre)."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLDED).replace("Ü", "Ue"))
    return folded.encode("ascii", "ignore").decode("ascii")


@functools.lru_cache(maxsize=65_536)  # the same few thousand names, again and again
def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits, words joined by "-" (a domain's label)."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def people_frame(
    account: np.ndarray, country: np.ndarray, industry: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Each lead's display columns: ``account``, ``country`` and ``industry`` are the
    leads' codes (country and industry index ``cat.COUNTRIES``, ``cat.INDUSTRIES``)."""
    countries = [cat.COUNTRIES[c] for c in country]
    companies = _accounts(account, countries, industry, rng)
    n = len(account)
    # one draw a lead for each choice, taken modulo the list it picks from
    female = rng.random(n) < 0.42
    first, last, title, area, digits = rng.integers(0, 1 << 30, size=(5, n))
    no_phone = rng.random(n) < MISSING_PHONE_RATE
    rows: dict[str, list[str | None]] = {c: [] for c in DISPLAY}
    taken: set[str] = set()
    for i, (code, where) in enumerate(zip(account, countries, strict=True)):
        company = companies[int(code)]
        names = NAMES[where]
        given = names.female if female[i] else names.male
        first_name, surname = (
            given[first[i] % len(given)],
            names.surnames[last[i] % len(names.surnames)],
        )
        titles = _TITLES[_LANGUAGE[where]]
        rows["name"].append(f"{first_name} {surname}")
        rows["company"].append(company.name)
        rows["job_title"].append(titles[title[i] % len(titles)][int(female[i])])
        rows["email"].append(_email(first_name, surname, company.domain, taken))
        rows["phone"].append(None if no_phone[i] else phone_number(where, area[i], digits[i]))
        rows["owner"].append(company.owner)
        rows["territory"].append(company.territory)
    return pd.DataFrame(rows, dtype="str")


@dataclass(frozen=True)
class _Company:
    name: str
    domain: str
    territory: str
    owner: str


def _accounts(
    account: np.ndarray, countries: list[str], industry: np.ndarray, rng: np.random.Generator
) -> dict[int, _Company]:
    """A company for each account, drawn in account order."""
    first_lead: dict[int, int] = {}
    for i, code in enumerate(account):
        first_lead.setdefault(int(code), i)
    companies: dict[int, _Company] = {}
    names: set[str] = set()
    domains: set[str] = set()
    for code in sorted(first_lead):
        where, trade = countries[first_lead[code]], int(industry[first_lead[code]])
        name, base = _company_name(where, trade, rng, place=False)
        for _ in range(3):  # a rep tells two accounts apart by their names
            if name not in names:
                break
            name, base = _company_name(where, trade, rng, place=True)
        names.add(name)
        domain, n = _slug(base), 1
        while f"{domain}.example" in domains:
            n += 1
            domain = f"{_slug(base)}{n}"
        domains.add(f"{domain}.example")
        territory = _pick(TERRITORIES[where], rng)
        owner = _pick(REPS[territory], rng)
        companies[code] = _Company(name, f"{domain}.example", territory, owner)
    return companies


def _company_name(
    country: str, industry: int, rng: np.random.Generator, *, place: bool
) -> tuple[str, str]:
    """A company's name with its legal form, and the name without it (for its domain);
    with ``place``, the town it is in (Müller Maschinenbau Leipzig GmbH)."""
    names, language = NAMES[country], _LANGUAGE[country]
    trade = _pick(_TRADES[language][industry], rng)
    form = _pick(names.legal_forms, rng)
    founder = _pick(names.surnames, rng)
    town = f" {_pick(PLACES[country], rng)}" if place else ""
    if language == "en" and rng.random() < 0.4:  # partners: Harper & Cole Ltd
        partner = _pick(names.surnames, rng)
        if partner != founder:
            return f"{founder} & {partner}{town} {form}", f"{founder} {partner}{town}"
    founder = founder[0].upper() + founder[1:]  # "Van Dijk" where a name begins
    return f"{founder} {trade}{town} {form}", f"{founder} {trade}{town}"


def _email(first: str, last: str, domain: str, taken: set[str]) -> str:
    """first.last@domain in ASCII, with a number where a colleague of the same name has
    the address already."""
    local = ".".join(_slug(part).replace("-", "") for part in (first, last))
    address, n = f"{local}@{domain}", 1
    while address in taken:
        n += 1
        address = f"{local}{n}@{domain}"
    taken.add(address)
    return address


def phone_number(country: str, area: int, digits: int) -> str:
    """A fictional number in the country's international format; ``area`` and ``digits``
    are random non-negative integers that pick the area code and the line."""
    if country == "GB":
        if area % 2:
            return f"+44 7700 900{digits % 1000:03d}"
        return f"+44 20 7946 0{digits % 1000:03d}"
    if country == "US":
        codes = ("212", "312", "415", "617", "206")
        return f"+1 {codes[area % len(codes)]} 555-01{digits % 100:02d}"
    if country == "FR":
        return f"+33 1 99 00 {digits % 10_000 // 100:02d} {digits % 100:02d}"
    prefix, areas = _PHONE_AREAS[country]
    return f"{prefix} {areas[area % len(areas)]} 555{digits % 10_000:04d}"


# country code and area codes (without the trunk 0) of the countries with no fiction range
_PHONE_AREAS = {
    "DE": ("+49", ("30", "40", "89", "221", "69", "711")),
    "AT": ("+43", ("1", "316", "512", "662")),
    "CH": ("+41", ("44", "31", "61", "22")),
    "NL": ("+31", ("20", "10", "30", "70")),
}


def _pick(options: tuple, rng: np.random.Generator):
    # a float scaled, not rng.integers: a scalar draw of that costs ten times as much
    return options[int(rng.random() * len(options))]
