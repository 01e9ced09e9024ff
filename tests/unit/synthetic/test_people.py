"""The synthetic CRM's people: realistic, fictional, the same for the same seed, and drawn
without touching the rest of the CRM."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from leadscore.data.tables import DISPLAY_COLUMNS
from leadscore.synthetic import GeneratedCRM
from leadscore.synthetic import catalog as cat
from leadscore.synthetic.people import (
    DISPLAY,
    NAMES,
    REPS,
    TERRITORIES,
    ascii_fold,
    people_frame,
    phone_number,
)
from tests.conftest import read_table

# the ranges each country's numbers are drawn from (reserved for fiction where there is one)
FICTIONAL_PHONES = {
    "DE": r"\+49 \d{2,3} 555\d{4}",
    "AT": r"\+43 \d{1,3} 555\d{4}",
    "CH": r"\+41 \d{2} 555\d{4}",
    "NL": r"\+31 \d{2} 555\d{4}",
    "FR": r"\+33 1 99 00 \d{2} \d{2}",
    "GB": r"\+44 (7700 900\d{3}|20 7946 0\d{3})",
    "US": r"\+1 \d{3} 555-01\d{2}",
}
EMAIL = re.compile(r"[a-z]+\.[a-z]+\d*@[a-z0-9-]+\.example")


def _leads(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    draw = np.random.default_rng(seed)
    account = np.sort(draw.integers(0, n // 2, n))
    country = draw.integers(0, len(cat.COUNTRIES), n // 2)[account]
    industry = draw.integers(0, len(cat.INDUSTRIES), n // 2)[account]
    return account, country, industry


def test_the_display_columns_are_the_canonical_ones() -> None:
    assert DISPLAY == DISPLAY_COLUMNS


def test_same_generator_seed_gives_the_same_people() -> None:
    leads = _leads(600, 1)
    first = people_frame(*leads, np.random.default_rng(5))
    again = people_frame(*leads, np.random.default_rng(5))
    other = people_frame(*leads, np.random.default_rng(6))
    pd.testing.assert_frame_equal(first, again)
    assert not first["name"].equals(other["name"])


def test_people_look_real_and_are_fictional() -> None:
    account, country, industry = _leads(3_000, 2)
    people = people_frame(account, country, industry, np.random.default_rng(3))
    assert list(people.columns) == list(DISPLAY_COLUMNS) and len(people) == 3_000
    for column in ("name", "company", "job_title", "email", "owner", "territory"):
        assert people[column].notna().all() and (people[column].str.strip() != "").all()
    assert people["email"].is_unique and people["email"].str.fullmatch(EMAIL).all()
    assert people["email"].map(str.isascii).all()
    for code, where in enumerate(cat.COUNTRIES):
        mine = people[country == code]
        first = mine["name"].str.split(" ", n=1).str[0]
        assert first.isin(NAMES[where].female + NAMES[where].male).all()
        assert mine["territory"].isin(TERRITORIES[where]).all()
        phones = mine["phone"].dropna()
        assert len(phones) > 0.8 * len(mine)
        assert phones.str.fullmatch(FICTIONAL_PHONES[where]).all(), where
    owned = people.groupby("territory")["owner"].agg(set)
    assert all(owners <= set(REPS[territory]) for territory, owners in owned.items())


def test_an_account_is_one_company_with_one_owner_and_domain() -> None:
    account, country, industry = _leads(2_000, 4)
    people = people_frame(account, country, industry, np.random.default_rng(8))
    people["account"] = account
    people["domain"] = people["email"].str.split("@").str[1]
    per_account = people.groupby("account")[["company", "domain", "owner", "territory"]]
    assert (per_account.nunique() == 1).all().all()
    companies = people.drop_duplicates("account")
    assert companies["company"].is_unique and companies["domain"].is_unique


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Müller", "Mueller"), ("Weiß", "Weiss"), ("Lefèvre", "Lefevre"), ("Élodie", "Elodie"),
     ("Kälin", "Kaelin"), ("Über", "Ueber")],
)  # fmt: skip
def test_ascii_folding_writes_umlauts_as_a_german_would(text: str, folded: str) -> None:
    assert ascii_fold(text) == folded


def test_phone_numbers_stay_in_their_fictional_ranges_at_the_edges() -> None:
    for where, pattern in FICTIONAL_PHONES.items():
        for area, digits in ((0, 0), (1, 9_999), (7, 123_456_789)):
            assert re.fullmatch(pattern, phone_number(where, area, digits)), (where, digits)


def test_generated_customers_carry_people_and_ids(small_crm: GeneratedCRM) -> None:
    customers = read_table(small_crm.directory, "customers")
    assert set(DISPLAY_COLUMNS) <= set(customers.columns)
    assert customers["account_id"].str.fullmatch(r"A-\d{7}").all()
    assert customers["name"].notna().all() and customers["email"].is_unique
    german = customers[customers["country"] == "DE"]
    assert german["territory"].isin(["DACH Nord", "DACH Süd"]).all()
    assert german["company"].str.contains(r" (?:GmbH|AG|KG|SE)$").all()
