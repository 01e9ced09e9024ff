"""CRM write-back's outbox: a cursor over the score log per destination, and the records
a batch left behind.

The score log is the outbox: each logged score is a change, and ``seq`` orders them. A
destination's cursor says through which ``seq`` it has handled the log. A pass claims the
cursor (compare-and-set on ``claims``, held until ``locked_until``: two deliverers never
send one batch), reads the next scores after it, sends them, and then, in one
transaction that checks the claim is still its own, moves the cursor past them and
files the records the CRM refused one by one (``writeback_retries``: retried later, or
dead once refused for good or too often). A batch refused whole moves nothing: the
cursor waits (``next_attempt_at``) and the same scores go again. So nothing is lost
across an outage, and a batch the CRM took is not sent again (but for a stop between
the CRM's answer and the commit: delivery is at least once, and a write of the same
values twice is harmless to a record).

A score superseded by a later one of its customer is skipped (the record holds one
value: the newest goes). ``seq`` can become visible out of order on PostgreSQL (a
transaction that took a lower one commits later), so a window stops at a missing
``seq`` until the deliverer judges the gap settled (rolled back, never to come).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.database import insert_skipping_held
from leadscore.store.driver import chunks
from leadscore.store.moments import from_micros, micros
from leadscore.store.store import Store
from leadscore.store.values import parsed_json

CURSORS = schema.writeback_cursors
RETRIES = schema.writeback_retries
SCORES = schema.scores


@dataclass(frozen=True)
class Claim:
    """A destination's cursor, claimed; ``token`` is the claim's number."""

    destination: str
    token: int
    through_seq: int
    failures: int  # batches refused whole in a row before this claim


@dataclass(frozen=True)
class Logged:
    seq: int
    customer_id: str
    scored_at: pd.Timestamp
    score: int
    grade: str
    probability: float
    model_version: str


@dataclass(frozen=True)
class Window:
    """The next scores after a cursor: the seqs to send (superseded ones left out), the
    seq the cursor may move to once they are handled, and the first missing seq it
    stopped at (None: none)."""

    seqs: list[int]
    through_seq: int
    gap: int | None


def claim(
    store: Store, destination: str, *, now: pd.Timestamp, lease: pd.Timedelta
) -> Claim | None:
    """The destination's cursor claimed for ``lease``; None while another deliverer holds
    it or its back-off after a refused batch runs."""
    stamp = micros(now)
    with store.engine.begin() as connection:
        connection.execute(
            insert_skipping_held(store.engine, CURSORS, ["destination"]),
            [{"destination": destination}],
        )
        row = connection.execute(
            sa.select(CURSORS).where(CURSORS.c.destination == destination)
        ).one()
        if row.next_attempt_at > stamp or (row.locked_until or 0) > stamp:
            return None
        taken = connection.execute(
            CURSORS.update()
            .where(CURSORS.c.destination == destination, CURSORS.c.claims == row.claims)
            .values(claims=row.claims + 1, locked_until=stamp + int(lease.value // 1000))
        )
    if taken.rowcount != 1:
        return None  # another deliverer claimed it between the read and the update
    return Claim(destination, row.claims + 1, row.through_seq, row.failures)


def window(store: Store, *, after: int, limit: int, settled_through: int = 0) -> Window:
    """Up to ``limit`` scores to send after seq ``after``; a missing seq above
    ``settled_through`` ends the window there."""
    later = SCORES.alias("later")
    superseded = (
        sa.select(later.c.seq)
        .where(later.c.customer_id == SCORES.c.customer_id, later.c.seq > SCORES.c.seq)
        .exists()
    )
    query = (
        sa.select(SCORES.c.seq, superseded)
        .where(SCORES.c.seq > after)
        .order_by(SCORES.c.seq)
        .limit(limit * 5)  # superseded ones are read but not sent
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    seqs: list[int] = []
    through, gap = after, None
    for seq, is_superseded in rows:
        if seq != through + 1 and seq - 1 > settled_through:
            gap = through + 1
            break
        if not is_superseded:
            if len(seqs) == limit:
                break
            seqs.append(seq)
        through = seq
    return Window(seqs, through, gap)


def logged(store: Store, seqs: Iterable[int]) -> dict[int, Logged]:
    """The logged scores ``seqs``, by seq (without their explanations)."""
    columns = [SCORES.c[c] for c in Logged.__dataclass_fields__]
    found: dict[int, Logged] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(sorted(set(seqs))):
            for row in connection.execute(sa.select(*columns).where(SCORES.c.seq.in_(chunk))):
                values = row._asdict()
                values["scored_at"] = from_micros([values["scored_at"]]).iat[0]
                found[row.seq] = Logged(**values)
    return found


def score_before(store: Store, entries: Sequence[Logged], *, by: pd.Timedelta) -> dict[int, int]:
    """Per entry (by seq), its customer's newest score logged at least ``by`` before it,
    where there is one (what its trend compares with)."""
    ids = sorted({e.customer_id for e in entries})
    history: dict[str, list[tuple[int, int, int]]] = {}
    query = sa.select(SCORES.c.customer_id, SCORES.c.seq, SCORES.c.scored_at, SCORES.c.score)
    with store.engine.connect() as connection:
        for chunk in chunks(ids):
            for customer, seq, at, score in connection.execute(
                query.where(SCORES.c.customer_id.in_(chunk))
            ):
                history.setdefault(customer, []).append((seq, at, score))
    found = {}
    for entry in entries:
        cutoff = micros(entry.scored_at - by)
        earlier = [
            (at, seq, score)
            for seq, at, score in history.get(entry.customer_id, [])
            if seq < entry.seq and at <= cutoff
        ]
        if earlier:
            found[entry.seq] = max(earlier)[2]
    return found


def profile_values(store: Store, customer_ids: Iterable[str], field: str) -> dict[str, str]:
    """Each customer's value of a profile field, where it has one (a CRM record's id)."""
    table = schema.customers
    found: dict[str, str] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(sorted(set(customer_ids))):
            query = sa.select(table.c.customer_id, table.c.profile)
            for customer, profile in connection.execute(
                query.where(table.c.customer_id.in_(chunk))
            ):
                value = (parsed_json(profile) or {}).get(field)
                if value not in (None, ""):
                    found[customer] = str(value)
    return found


def due_retries(
    store: Store, destination: str, *, now: pd.Timestamp, limit: int
) -> list[tuple[str, int]]:
    """(customer_id, seq) of the left-behind records due again, longest due first."""
    query = (
        sa.select(RETRIES.c.customer_id, RETRIES.c.seq)
        .where(
            RETRIES.c.destination == destination,
            RETRIES.c.dead_at.is_(None),
            RETRIES.c.next_attempt_at <= micros(now),
        )
        .order_by(RETRIES.c.next_attempt_at, RETRIES.c.seq)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [(c, s) for c, s in connection.execute(query)]


def finish(
    store: Store,
    held: Claim,
    *,
    through_seq: int,
    outcomes: Sequence[tuple[str, int, str, str | None]],
    now: pd.Timestamp,
    retry_delay: Callable[[int], pd.Timedelta],
    max_attempts: int,
) -> bool:
    """Moves the cursor to ``through_seq`` and files the (customer_id, seq, state, error)
    outcomes of the batch sent, in one transaction; False (nothing written) where the
    claim is no longer this deliverer's."""
    stamp = micros(now)
    sent = sum(1 for o in outcomes if o[2] == "sent")
    with store.engine.begin() as connection:
        moved = connection.execute(
            CURSORS.update()
            .where(CURSORS.c.destination == held.destination, CURSORS.c.claims == held.token)
            .values(
                through_seq=max(through_seq, held.through_seq),
                locked_until=None,
                failures=0,
                next_attempt_at=0,
                last_error=None,
                sent=CURSORS.c.sent + sent,
            )
        )
        if moved.rowcount != 1:
            connection.rollback()
            return False
        for customer, seq, state, error in outcomes:
            _file(
                connection,
                held.destination,
                customer,
                seq,
                state,
                error,
                stamp,
                retry_delay,
                max_attempts,
            )
    return True


def _file(
    connection: sa.Connection,
    destination: str,
    customer: str,
    seq: int,
    state: str,
    error: str | None,
    stamp: int,
    retry_delay: Callable[[int], pd.Timedelta],
    max_attempts: int,
) -> None:
    mine = (RETRIES.c.destination == destination) & (RETRIES.c.customer_id == customer)
    if state == "sent":  # a score written supersedes whatever of its customer waited
        connection.execute(RETRIES.delete().where(mine, RETRIES.c.seq <= seq))
        return
    row = connection.execute(sa.select(RETRIES.c.seq, RETRIES.c.attempts).where(mine)).first()
    if row is not None and row.seq > seq:
        return  # a newer score of the customer waits already
    attempts = (row.attempts if row is not None and row.seq == seq else 0) + 1
    dead = state == "dead" or attempts >= max_attempts
    values = {
        "seq": seq,
        "attempts": attempts,
        "next_attempt_at": stamp + int(retry_delay(attempts).value // 1000),
        "last_error": (error or "")[:1000],
        "dead_at": stamp if dead else None,
    }
    if row is None:
        connection.execute(
            RETRIES.insert().values(destination=destination, customer_id=customer, **values)
        )
    else:
        connection.execute(RETRIES.update().where(mine).values(**values))


def refused(store: Store, held: Claim, *, error: str, retry_at: pd.Timestamp) -> bool:
    """A batch refused whole: the cursor stays, and waits until ``retry_at``."""
    with store.engine.begin() as connection:
        done = connection.execute(
            CURSORS.update()
            .where(CURSORS.c.destination == held.destination, CURSORS.c.claims == held.token)
            .values(
                locked_until=None,
                failures=CURSORS.c.failures + 1,
                next_attempt_at=micros(retry_at),
                last_error=error[:1000],
            )
        )
    return done.rowcount == 1


@dataclass(frozen=True)
class DestinationState:
    destination: str
    through_seq: int
    backlog: int  # scores logged after the cursor (superseded ones included)
    sent: int
    waiting: int  # records left behind, to retry
    dead: int
    failures: int
    next_attempt_at: pd.Timestamp | None
    last_error: str | None


def states(store: Store, destinations: Sequence[str]) -> list[DestinationState]:
    """Where each destination stands (one not yet started: at the log's beginning)."""
    out = []
    with store.engine.connect() as connection:
        for name in destinations:
            row = connection.execute(
                sa.select(CURSORS).where(CURSORS.c.destination == name)
            ).first()
            through = 0 if row is None else row.through_seq
            backlog = connection.scalar(
                sa.select(sa.func.count()).select_from(SCORES).where(SCORES.c.seq > through)
            )
            counts = dict(
                connection.execute(
                    sa.select(RETRIES.c.dead_at.is_(None), sa.func.count())
                    .where(RETRIES.c.destination == name)
                    .group_by(RETRIES.c.dead_at.is_(None))
                ).all()
            )
            wait = None if row is None or not row.next_attempt_at else row.next_attempt_at
            out.append(
                DestinationState(
                    name,
                    through,
                    int(backlog or 0),
                    0 if row is None else row.sent,
                    int(counts.get(True, 0)),
                    int(counts.get(False, 0)),
                    0 if row is None else row.failures,
                    None if wait is None else from_micros([wait]).iat[0],
                    None if row is None else row.last_error,
                )
            )
    return out
