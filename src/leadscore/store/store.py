"""The store's reads and writes of the canonical tables."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from leadscore.data.tables import column_names, empty_table
from leadscore.store import schema
from leadscore.store.arrow_reads import ARROW_FROM, fetch_arrow
from leadscore.store.database import database_url, engine_for, upgrade
from leadscore.store.driver import chunks, fetched, insert_rows
from leadscore.store.keys import row_keys
from leadscore.store.moments import from_micros, micros, to_micros
from leadscore.store.values import (
    changes,
    grouped_by_customer,
    json_profiles,
    nones,
    parsed_json,
    typed,
)

OFFER_COLUMNS = column_names("offers")
# the columns of the appended tables besides customer_id and ts, in canonical order
APPENDED_COLUMNS = {
    name: [c for c in column_names(name) if c not in ("customer_id", "ts")]
    for name in schema.APPENDED
}


@dataclass(frozen=True)
class Appended:
    """What one append did: rows new to the store, and rows it held already."""

    table: str
    added: int
    duplicates: int

    @property
    def received(self) -> int:
        return self.added + self.duplicates


@dataclass(frozen=True)
class Store:
    """The canonical tables in a database (``Store.open``)."""

    engine: sa.Engine

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """The store at ``url`` (default: ``database_url()``) at the newest migration."""
        engine = engine_for(url or database_url())
        upgrade(engine)
        return cls(engine)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def __reduce__(self) -> tuple:
        # a store goes to another process as its address: its engine's pool and open
        # connections stay in this one (the schema is up to date: it was opened here)
        return (_reopened, (self.engine.url.render_as_string(hide_password=False),))

    # --- writes -------------------------------------------------------------------------

    def put_customers(self, frame: pd.DataFrame, *, now: pd.Timestamp) -> tuple[int, int]:
        """Insert or update customers (profile: the columns besides customer_id, created_at,
        converted); the numbers new and updated (one loaded again as it is is neither: its
        features stay valid). An update sets what it has and keeps the rest and created_at."""
        if frame.empty:
            return 0, 0
        profile_columns = [
            c for c in frame.columns if c not in ("customer_id", "created_at", "converted")
        ]
        ids = frame["customer_id"].astype(str).to_numpy()
        created = to_micros(frame["created_at"])
        given = frame["converted"] if "converted" in frame else pd.Series([None] * len(frame))
        converted = given.astype("object").where(given.notna(), None).tolist()
        profiles = json_profiles(frame[profile_columns])
        stamp = micros(now)
        rows = [
            {
                "customer_id": ids[i],
                "created_at": int(created[i]),
                "converted": None if converted[i] is None else bool(converted[i]),
                "profile": profiles[i],
                "updated_at": stamp,
            }
            for i in range(len(frame))
        ]
        table = schema.customers
        added = updated = 0
        with self.engine.begin() as connection:
            for chunk in chunks(rows):
                columns = (table.c.customer_id, table.c.profile, table.c.converted)
                keys = table.c.customer_id.in_([r["customer_id"] for r in chunk])
                found = connection.execute(sa.select(*columns).where(keys))
                held = {key: (profile, was) for key, profile, was in found}
                new = [r for r in chunk if r["customer_id"] not in held]
                old = [r for r in chunk if r["customer_id"] in held]
                old = [r for r in old if changes(r, *held[r["customer_id"]])]
                if new:
                    connection.execute(table.insert(), new)
                if old:
                    # an update names what changed: other attributes stay, and a customer
                    # keeps the moment it came in
                    connection.execute(
                        table.update()
                        .where(table.c.customer_id == sa.bindparam("key"))
                        .values(
                            converted=sa.func.coalesce(
                                sa.bindparam("converted", type_=sa.Boolean()), table.c.converted
                            ),
                            profile=sa.bindparam("profile", type_=sa.JSON()),
                            # moves on every update, even at one moment: what kept
                            # features are checked against
                            updated_at=sa.case(
                                (
                                    sa.bindparam("updated_at") > table.c.updated_at,
                                    sa.bindparam("updated_at"),
                                ),
                                else_=table.c.updated_at + 1,
                            ),
                        ),
                        [
                            {
                                "key": r["customer_id"],
                                "converted": r["converted"],
                                "profile": {**held[r["customer_id"]][0], **r["profile"]},
                                "updated_at": r["updated_at"],
                            }
                            for r in old
                        ],
                    )
                added, updated = added + len(new), updated + len(old)
        return added, updated

    def put_offers(self, frame: pd.DataFrame) -> None:
        """Replace the catalog by ``frame`` (offers are few and change as a whole)."""
        columns = [c for c in OFFER_COLUMNS if c in frame]
        rows = frame[columns].astype("object").where(frame[columns].notna(), None)
        with self.engine.begin() as connection:
            connection.execute(schema.offers.delete())
            if len(rows):
                connection.execute(schema.offers.insert(), rows.to_dict("records"))

    def append(self, table: str, frame: pd.DataFrame, *, now: pd.Timestamp) -> Appended:
        """Append canonical rows of ``table`` (events, outcomes or exposures); a row the
        store holds already (same event_id, else same content) is counted, not added."""
        target = schema.APPENDED[table]
        columns = APPENDED_COLUMNS[table]
        if frame.empty:
            return Appended(table, 0, 0)
        moments = to_micros(frame["ts"])
        keyed = self._keyed(table, frame, moments)
        keys = row_keys(table, keyed, ["customer_id", "ts", *columns])
        values = {c: nones(keyed[c]) for c in columns}
        customer_ids = keyed["customer_id"].astype(str).tolist()
        stamp = micros(now)
        seen: set[str] = set()
        rows = []
        for i, key in enumerate(keys):
            if key in seen:
                continue
            seen.add(key)
            row = {"row_key": key, "customer_id": customer_ids[i], "ts": int(moments[i])}
            row.update({c: values[c][i] for c in columns})
            row["received_at"] = stamp
            rows.append(row)
        added = 0
        with self.engine.begin() as connection:
            for chunk in chunks(rows):
                added += insert_rows(connection, target, chunk)
        return Appended(table, added, len(frame) - added)

    def clear(self) -> None:
        """Delete every row of every table (the schema stays): for a demo's fresh start.
        The score log's layouts stay: a layout is a model's feature names under a key
        made of them, which writers may hold on to."""
        with self.engine.begin() as connection:
            for table in reversed(schema.metadata.sorted_tables):
                if table is not schema.score_layouts:
                    connection.execute(table.delete())

    @staticmethod
    def _keyed(table: str, frame: pd.DataFrame, moments: np.ndarray) -> pd.DataFrame:
        # an optional column a batch leaves out is empty in every row of it
        columns = APPENDED_COLUMNS[table]
        return frame.assign(ts=moments, **{c: None for c in columns if c not in frame})

    def keys_of(self, table: str, frame: pd.DataFrame) -> np.ndarray:
        """The keys ``append`` stores the rows of ``frame`` under."""
        keyed = self._keyed(table, frame, to_micros(frame["ts"]))
        return row_keys(table, keyed, ["customer_id", "ts", *APPENDED_COLUMNS[table]])

    # --- reads --------------------------------------------------------------------------

    def known(self, customer_ids: Sequence[str]) -> set[str]:
        table = schema.customers
        found: set[str] = set()
        with self.engine.connect() as connection:
            for chunk in chunks(list(dict.fromkeys(customer_ids))):
                found.update(
                    connection.scalars(
                        sa.select(table.c.customer_id).where(table.c.customer_id.in_(chunk))
                    )
                )
        return found

    def freshness(
        self, customer_ids: Sequence[str]
    ) -> dict[str, tuple[int, int | None, int | None]]:
        """Per customer the store holds: when its profile last changed, the number of its
        newest event to arrive and the moment of its latest event (None without events).
        The first two move when something new of the customer comes in."""
        found = {}
        with self.engine.connect() as connection:
            for chunk in chunks(list(dict.fromkeys(customer_ids))):
                for c, updated, seq, ts in connection.execute(_FRESHNESS, {"ids": chunk}):
                    found[c] = (
                        int(updated),
                        None if seq is None else int(seq),
                        None if ts is None else int(ts),
                    )
        return found

    def customer_ids(self) -> list[str]:
        """Every customer's id, in id order."""
        table = schema.customers
        with self.engine.connect() as connection:
            return list(
                connection.scalars(sa.select(table.c.customer_id).order_by(table.c.customer_id))
            )

    def most_active(self, limit: int) -> list[str]:
        """At most ``limit`` customers' ids, those with the latest events first (then those
        without events): the leads most likely to be asked for next."""
        # two plain reads, joined here: one query with the join and the order let the
        # database pick a plan that walked the events once per customer
        ids = self.customer_ids()
        frame = pd.DataFrame({"id": ids, "latest": self.latest_activity().reindex(ids).array})
        frame = frame.sort_values(["latest", "id"], ascending=[False, True], na_position="last")
        return frame["id"].head(limit).tolist()

    def latest_activity(self) -> pd.Series:
        """Each customer's latest event's moment, by customer id (those with events)."""
        events = schema.events
        query = sa.select(events.c.customer_id, sa.func.max(events.c.ts)).group_by(
            events.c.customer_id
        )
        rows = self._rows(query, events.c.customer_id, None, raw=True)
        index = pd.Index([r[0] for r in rows], dtype="object")
        moments = from_micros(np.array([r[1] for r in rows], dtype=np.int64))
        return pd.Series(moments.array, index=index, dtype="datetime64[us, UTC]")

    def campaign_members(self, marked_type: str, skipped: Sequence[str] = ()) -> pd.DataFrame:
        """Which customers each campaign reached: customer_id, campaign, and ``marked``,
        whether an event of ``marked_type`` was among their events of it (the store
        knows no event type of its own: the caller names it, and ``skipped``'s)."""
        events = schema.events
        marked = events.c.event_type == marked_type
        any_marked = sa.func.max(sa.case((marked, 1), else_=0))
        query = (
            sa.select(events.c.customer_id, events.c.campaign, any_marked)
            .where(events.c.campaign.is_not(None), events.c.event_type.not_in(skipped))
            .group_by(events.c.customer_id, events.c.campaign)
        )
        rows = self._rows(query, events.c.customer_id, None, raw=True)
        frame = pd.DataFrame(rows, columns=["customer_id", "campaign", "marked"])
        return frame.astype({"customer_id": "object", "campaign": "object", "marked": "bool"})

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    sa.select(sa.func.count()).select_from(schema.metadata.tables[table])
                )
            )

    def created_at(self, customer_ids: Sequence[str]) -> pd.Series:
        """When each of these customers the store holds came in, by customer id."""
        table = schema.customers
        query = sa.select(table.c.customer_id, table.c.created_at)
        rows = self._rows(query, table.c.customer_id, customer_ids, raw=True)
        ids = [r[0] for r in rows]
        moments = from_micros(np.array([r[1] for r in rows], dtype=np.int64))
        index = pd.Index(ids, dtype="object")
        return pd.Series(moments.array, index=index, dtype="datetime64[us, UTC]")

    def customers(
        self, customer_ids: Sequence[str] | None = None, *, fields: Collection[str] | None = None
    ) -> pd.DataFrame:
        """Customers (all, or those of ``customer_ids`` the store holds) in canonical
        columns, their profile attributes as columns: all, or those of ``fields`` (one
        lead's keys would otherwise add a column to every customer's row)."""
        table = schema.customers
        query = sa.select(
            table.c.customer_id, table.c.created_at, table.c.converted, table.c.profile
        )
        # as the driver gives them, the profiles parsed here: SQLAlchemy's JSON type took
        # longer than the rest of a rescore batch's customers
        rows = self._rows(query, table.c.customer_id, customer_ids, raw=True)
        if not rows:
            return empty_table("customers")
        ids, created, converted, profiles = zip(*rows, strict=True)
        frame = pd.DataFrame({"customer_id": list(ids), "created_at": from_micros(list(created))})
        if any(c is not None for c in converted):
            frame["converted"] = pd.array(list(converted), dtype="boolean")
        parsed = map(parsed_json, profiles)
        if fields is not None:
            wanted = frozenset(fields)
            parsed = ({k: v for k, v in p.items() if k in wanted} for p in parsed)
        attributes = pd.DataFrame(list(parsed), index=frame.index)
        return pd.concat([frame, attributes], axis=1)

    def rows(
        self,
        table: str,
        customer_ids: Sequence[str] | None = None,
        *,
        by_customer: bool = False,
    ) -> pd.DataFrame:
        """The appended rows of ``table`` (of ``customer_ids`` where given) in canonical
        columns, oldest first (by moment, then arrival); ``by_customer``: each customer's
        rows together, customers in id order (the order the store's index keeps and the
        feature builder reads, so neither sorts), the customer column a categorical."""
        target = schema.APPENDED[table]
        columns = APPENDED_COLUMNS[table]
        order = (target.c.customer_id,) if by_customer else ()
        selected = [target.c.customer_id, target.c.ts, *(target.c[c] for c in columns)]
        query = sa.select(*selected).order_by(*order, target.c.ts, target.c.seq)
        frame = None
        if by_customer and customer_ids is not None:
            wanted = sorted(dict.fromkeys(customer_ids))
            if self.engine.dialect.name == "sqlite":
                frame = self._counted_rows(target, selected, wanted)
            elif len(wanted) >= ARROW_FROM:
                statements = [query.where(target.c.customer_id.in_(c)) for c in chunks(wanted)]
                arrow = fetch_arrow(self.engine, statements, selected)
                frame = None if arrow is None else arrow.to_pandas()
        if frame is None:
            rows = self._rows(query, target.c.customer_id, customer_ids, raw=True)
            frame = typed(pd.DataFrame(rows, columns=["customer_id", "ts", *columns]), selected)
        if frame.empty:
            return empty_table(table)
        frame["ts"] = from_micros(frame["ts"].to_numpy())
        if by_customer:
            return grouped_by_customer(frame)
        return frame.sort_values(["ts"], kind="stable").reset_index(drop=True)

    def _counted_rows(
        self, target: sa.Table, selected: list[sa.Column], wanted: list[str]
    ) -> pd.DataFrame:
        """The rows of the customers ``wanted`` (in id order) each customer's together,
        the customer column a categorical: SQLite counts each customer's rows, and the
        rows come without the id (the driver made a string of it for every row, and
        pandas turned each into text again, a fifth of a rescore's reading)."""
        key = target.c.customer_id
        counted = sa.select(key, sa.func.count()).group_by(key).order_by(key)
        rows_of = sa.select(*selected[1:]).order_by(key, target.c.ts, target.c.seq)
        ids: list[str] = []
        counts: list[int] = []
        rows: list[tuple] = []
        with self.engine.connect() as connection:
            connection.exec_driver_sql("BEGIN")  # one snapshot for the counts and the rows
            for chunk in chunks(wanted):
                for customer_id, count in fetched(connection, counted.where(key.in_(chunk))):
                    ids.append(customer_id)
                    counts.append(count)
                rows.extend(fetched(connection, rows_of.where(key.in_(chunk))))
        if sum(counts) != len(rows):  # pragma: no cover - one snapshot cannot differ
            raise RuntimeError("the store's rows changed while they were read; read again")
        frame = typed(pd.DataFrame(rows, columns=[c.name for c in selected[1:]]), selected[1:])
        codes = np.repeat(np.arange(len(ids)), counts)
        customers = pd.Categorical.from_codes(codes, categories=pd.Index(ids, dtype="str"))
        frame.insert(0, "customer_id", customers)
        return frame

    def offer_ids(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.scalars(sa.select(schema.offers.c.offer_id)))

    def offers(self) -> pd.DataFrame:
        with self.engine.connect() as connection:
            frame = pd.read_sql(sa.select(schema.offers), connection)
        return frame if len(frame) else empty_table("offers")

    def last_event_seq(self, customer_ids: Sequence[str]) -> dict[str, int]:
        """Each customer's newest event's number (the arrival order), where it has one."""
        table = schema.events
        query = sa.select(table.c.customer_id, sa.func.max(table.c.seq)).group_by(
            table.c.customer_id
        )
        return dict(self._rows(query, table.c.customer_id, customer_ids))

    def _rows(
        self,
        query: sa.Select,
        key: sa.Column,
        customer_ids: Sequence[str] | None,
        *,
        raw: bool = False,
    ) -> list[tuple]:
        """The rows of ``query`` (of ``customer_ids`` where given). ``raw``: fetched as
        the driver gives them, for columns of plain types (a million events' rows came
        five times faster than through SQLAlchemy's rows)."""

        def read(statement: sa.Select) -> list[tuple]:
            if raw:
                return fetched(connection, statement)
            return [tuple(r) for r in connection.execute(statement)]

        with self.engine.connect() as connection:
            if customer_ids is None:
                return read(query)
            out: list[tuple] = []
            for chunk in chunks(list(dict.fromkeys(customer_ids))):
                out.extend(read(query.where(key.in_(chunk))))
            return out


def _freshness_statement() -> sa.Select:
    customers, events = schema.customers, schema.events

    def newest(column: sa.Column) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.max(column))
            .where(events.c.customer_id == customers.c.customer_id)
            .scalar_subquery()
        )

    return sa.select(
        customers.c.customer_id, customers.c.updated_at, newest(events.c.seq), newest(events.c.ts)
    ).where(customers.c.customer_id.in_(sa.bindparam("ids", expanding=True)))


# built once: a request asks it for one lead, and building the statement cost more than
# the database took to answer it
_FRESHNESS = _freshness_statement()


def _reopened(url: str) -> Store:
    return Store(engine_for(url))
