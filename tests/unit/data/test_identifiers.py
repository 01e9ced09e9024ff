"""Columns that name or hash a lead are found and kept out of the features."""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pandas as pd

from leadscore.data.identifiers import identifier_columns


def test_hashes_uuids_and_unique_codes_are_identifiers_attributes_are_not() -> None:
    rng = np.random.default_rng(1)
    n = 400
    pages = [hashlib.md5(str(i).encode()).hexdigest() for i in range(30)]  # 30 landing pages
    customers = pd.DataFrame(
        {
            "customer_id": [f"C-{i}" for i in range(n)],
            "landing_page": pd.Categorical(rng.choice(pages, n)),  # few values, all hashes
            "session": [str(uuid.UUID(int=int(i) + 7)) for i in range(n)],
            "email": [f"lead{i}@example.com" for i in range(n)],  # nearly all distinct
            "industry": rng.choice(["software", "retail", "banking"], n),
            "city": rng.choice([f"town {i}" for i in range(120)], n),  # many, not unique
            "revenue": rng.normal(size=n),  # numbers are attributes
            "owner_code": [None] * (n - 20) + [f"x{i}" for i in range(20)],  # too few to say
        }
    )
    found = identifier_columns(customers, skip=["customer_id"])
    assert found == ["landing_page", "session", "email"]
