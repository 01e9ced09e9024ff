from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store
from leadscore.workspace.board import BoardKeeper, Filters, LeadBoard

NOW = pd.Timestamp("2026-12-01 12:00", tz="UTC")


def _score(customer: str, days_ago: int, score: int, grade: str) -> LoggedScore:
    return LoggedScore(
        customer_id=customer,
        scored_at=NOW - pd.Timedelta(days=days_ago),
        origin="rescore",
        model_name="leadscore-conversion",
        model_version="1",
        probability=score / 100,
        score=score,
        grade=grade,
        margin=0.0,
        base_value=0.0,
        names=(),
        impact_values=(),
        feature_values=(),
    )


def _store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    customers = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-2", "C-3", "C-4", "C-5"],
            "created_at": pd.to_datetime(["2026-01-01"] * 5, utc=True),
            "country": ["DE", "AT", "DE", None, "DE"],
            "account_id": ["Müller GmbH", "Alpen AG", "Nord KG", "Süd SE", "Ost OHG"],
        }
    )
    store.put_customers(customers, now=NOW)
    events = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-3", "C-3", "C-5"],
            "ts": NOW - pd.to_timedelta([1, 2, 3, 40], unit="D"),
            "event_type": ["trade_fair_visit", "trade_fair_visit", "email_open", "email_open"],
            "campaign": ["it-sa 2026", "it-sa 2026", "EM-1", "EM-1"],
        }
    )
    store.append("events", events, now=NOW)
    write_scores(
        store,
        [
            _score("C-1", 10, 50, "B"),
            _score("C-1", 0, 80, "A"),  # rose by 30 since the week before
            _score("C-2", 0, 90, "A"),  # no score a week old: no delta
            _score("C-3", 9, 70, "A"),
            _score("C-3", 1, 60, "B"),  # fell by 10
            _score("C-5", 0, 20, "D"),
        ],
    )
    return store


def test_leads_are_ranked_by_score_with_their_week_and_activity(tmp_path: Path) -> None:
    board = LeadBoard.read(
        _store(tmp_path), now=NOW, territory_column="country", name_column="account_id"
    )
    leads = board.leads.set_index("customer_id")
    assert list(board.leads["customer_id"]) == ["C-2", "C-1", "C-3", "C-5", "C-4"]  # unscored last
    assert leads.loc["C-1", "delta_week"] == 30 and leads.loc["C-3", "delta_week"] == -10
    assert np.isnan(leads.loc["C-2", "delta_week"]) and pd.isna(leads.loc["C-4", "score"])
    assert leads.loc["C-3", "last_activity"] == NOW - pd.Timedelta(days=2)
    assert pd.isna(leads.loc["C-2", "last_activity"])
    assert leads.loc["C-1", "name"] == "Müller GmbH" and pd.isna(leads.loc["C-4", "territory"])
    assert board.territories == ["AT", "DE"]
    assert board.fairs == {"it-sa 2026": 2}
    assert sorted(board.campaigns) == ["EM-1", "it-sa 2026"]


def test_filters_combine_and_pages_keep_the_rank(tmp_path: Path) -> None:
    board = LeadBoard.read(
        _store(tmp_path), now=NOW, territory_column="country", name_column="account_id"
    )

    def ids(filters: Filters) -> list[str]:
        return board.leads.iloc[board.select(filters)]["customer_id"].tolist()

    assert ids(Filters(grade="A")) == ["C-2", "C-1"]
    assert ids(Filters(territory="DE")) == ["C-1", "C-3", "C-5"]
    assert ids(Filters(territory="DE", grade="B")) == ["C-3"]
    assert ids(Filters(rising=True)) == ["C-1"]
    assert ids(Filters(campaign="it-sa 2026")) == ["C-1", "C-3"]
    assert ids(Filters(campaign="no such campaign")) == []
    assert ids(Filters(search="müller")) == ["C-1"]
    assert ids(Filters(search="c-5")) == ["C-5"]
    page, total = board.page(Filters(), page=2, per_page=2)
    assert total == 5 and page["customer_id"].tolist() == ["C-3", "C-5"]
    page, total = board.page(Filters(), page=9, per_page=2)  # past the last: the last
    assert total == 5 and page["customer_id"].tolist() == ["C-4"]
    page, total = board.page(Filters(grade="Z"), page=3, per_page=2)
    assert total == 0 and page.empty


def test_a_board_without_the_configured_columns_still_lists(tmp_path: Path) -> None:
    board = LeadBoard.read(_store(tmp_path), now=NOW, territory_column=None, name_column="nope")
    assert board.territories == [] and board.leads["name"].isna().all()
    assert board.select(Filters(search="ost")).size == 0


def test_the_keeper_reads_the_board_again_in_the_background(tmp_path: Path) -> None:
    reads: list[pd.Timestamp] = []
    store = _store(tmp_path)

    def read(now: pd.Timestamp) -> LeadBoard:
        reads.append(now)
        return LeadBoard.read(store, now=now, territory_column=None, name_column=None)

    keeper = BoardKeeper(read, every=0.05)
    first = keeper.board()
    assert first is not None and len(first.leads) == 5
    done = threading.Event()
    while len(reads) < 3 and not done.wait(0.02):
        pass
    assert len(reads) >= 3 and reads == sorted(reads)


def test_a_store_without_any_score_yet_still_gives_a_board(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    store.put_customers(pd.DataFrame({"customer_id": ["C-1"], "created_at": [NOW]}), now=NOW)
    board = LeadBoard.read(store, now=NOW, territory_column="country", name_column=None)
    rows, total = board.page(Filters(), page=1, per_page=10)
    assert total == 1 and rows["customer_id"].tolist() == ["C-1"]
    assert rows["score"].isna().all() and str(rows["scored_at"].dtype) == "datetime64[us, UTC]"


def test_a_reps_territories_bound_every_view_and_snoozed_leads_wait(tmp_path: Path) -> None:
    from leadscore.workspace.actions import action_row
    from leadscore.workspace.users import User

    store = _store(tmp_path)
    store.put_customers(
        pd.DataFrame(
            {
                "customer_id": ["C-1", "C-2", "C-3", "C-4", "C-5"],
                "created_at": pd.to_datetime(["2026-01-01"] * 5, utc=True),
                "country": ["DE", "AT", "DE", None, "DE"],
                "owner": ["Anna Schmidt", "Anna Schmidt", None, None, "Ben Roth"],
            }
        ),
        now=NOW,
    )
    claims = pd.concat(
        [
            action_row("C-5", "rep_took_lead", "anna", "", "t" * 22, NOW),
            action_row("C-1", "rep_took_lead", "ben", "", "u" * 22, NOW),
            action_row("C-3", "rep_snoozed", "anna", "", "s" * 22, NOW, 3.0),
        ]
    )
    store.append("events", claims, now=NOW)
    board = LeadBoard.read(store, now=NOW, territory_column="country", name_column=None)
    anna = User("anna", "-", "Anna Schmidt", territories=("DE",))
    manager = User("maria", "-", "Maria", territories=("DE",), manager=True)

    def ids(filters: Filters) -> list[str]:
        return board.leads.iloc[board.select(filters)]["customer_id"].tolist()

    assert ids(Filters(viewer=anna)) == ["C-1", "C-5"]  # AT and no territory: not hers
    assert ids(Filters(viewer=anna, territory="AT")) == []  # a filter cannot widen it
    assert ids(Filters(viewer=anna, with_snoozed=True)) == ["C-1", "C-3", "C-5"]
    assert ids(Filters(viewer=manager)) == ["C-2", "C-1", "C-5", "C-4"]
    # hers: C-5 she took; C-2 her account in the CRM (out of her territory); C-1 Ben took
    assert ids(Filters(viewer=anna, view="mine")) == ["C-5"]
    assert ids(Filters(viewer=manager, view="territory")) == ["C-1", "C-5"]
    back = NOW + pd.Timedelta(days=4)  # the snooze is over: the lead is back
    assert ids(Filters(viewer=anna, now=back)) == ["C-1", "C-3", "C-5"]
    # the reps' actions are no campaign of the lead list
    assert "anna" not in board.campaigns and "ben" not in board.campaigns


def _people_store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'people.db'}")
    customers = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-2", "C-3"],
            "created_at": pd.to_datetime(["2026-01-01"] * 3, utc=True),
            "name": ["Jürgen Weiß", "Emma Clarke", None],
            "company": ["Weiß Maschinenbau GmbH", "Harper & Cole Ltd", "Van Dijk Logistiek B.V."],
            "job_title": ["Einkaufsleiter", "CFO", None],
            "email": ["juergen.weiss@weiss.example", "emma.clarke@harper-cole.example", None],
            "phone": ["+49 30 5550123", None, "+31 20 5550999"],
            "owner": ["Katrin Vogel", "Emma Clarke", "Sanne de Vries"],
            "territory": ["DACH Nord", "UK & Irland", "Benelux"],
            "industry": ["manufacturing", "finance", "logistics"],
        }
    )
    store.put_customers(customers, now=NOW)
    write_scores(store, [_score("C-1", 0, 80, "A"), _score("C-2", 0, 60, "B")])
    return store


def test_the_board_holds_every_display_field_and_searches_company_and_email(
    tmp_path: Path,
) -> None:
    board = LeadBoard.read(
        _people_store(tmp_path), now=NOW, territory_column="territory", name_column="name"
    )
    leads = board.leads.set_index("customer_id")
    assert (
        leads.loc["C-1", "name"] == "Jürgen Weiß" and leads.loc["C-1", "phone"] == "+49 30 5550123"
    )
    assert leads.loc["C-2", "company"] == "Harper & Cole Ltd" and pd.isna(leads.loc["C-2", "phone"])
    assert pd.isna(leads.loc["C-3", "name"]) and leads.loc["C-3", "owner"] == "Sanne de Vries"
    assert "industry" not in board.leads.columns  # a profile attribute, not a display field
    assert board.territories == ["Benelux", "DACH Nord", "UK & Irland"]

    def ids(filters: Filters) -> list[str]:
        return board.leads.iloc[board.select(filters)]["customer_id"].tolist()

    assert ids(Filters(search="maschinenbau")) == ["C-1"]  # the company
    assert ids(Filters(search="harper-cole.example")) == ["C-2"]  # the e-mail
    assert ids(Filters(search="weiß")) == ["C-1"]  # the name
    assert ids(Filters(search="einkaufsleiter")) == []  # the job title is not searched
    assert ids(Filters(territory="Benelux")) == ["C-3"]
