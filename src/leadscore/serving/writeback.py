"""Scores into the CRM record: each destination of crm.yaml fed from the score log.

A pass of a destination claims its cursor (``leadscore.store.writeback``), takes the
records left behind that are due again and the next scores after the cursor (each
customer's newest only; up to the vendor's batch size), builds the vendor's request
(``leadscore.decisions.crm_requests``), sends it and files what the CRM said:

- the batch refused whole (no connection, 5xx, 429, a 401 after a fresh token): the
  cursor stays and waits, ``Retry-After`` where the CRM gave one, else a back-off that
  doubles from ``first_retry_seconds`` up to ``max_retry_seconds``;
- a 401: the token is fetched anew, once, and the batch sent again;
- records refused one by one: retried later with the same back-off, or dead when
  refused for good (no such record) or ``max_attempts`` times; the rest go through and
  the cursor moves past the batch.

The trend written is the score's direction against the customer's newest score logged
``trend_after_hours`` before it (as /score's trend says it): improving, steady,
declining, or not_enough_history.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx
import pandas as pd

from leadscore.decisions import crm_requests as vendor
from leadscore.decisions.crm import CrmConfig, Delivery, Dynamics, HubSpot, Salesforce
from leadscore.decisions.crm_requests import CrmRecord, Outcome, Refusal
from leadscore.scoring.trend import NOT_ENOUGH_HISTORY, direction
from leadscore.serving.crm_auth import Credentials, TokenError, credentials_for
from leadscore.store import writeback
from leadscore.store.store import Store

log = logging.getLogger(__name__)
LEASE_MARGIN = pd.Timedelta(seconds=30)
# a missing seq still missing after this long is a transaction rolled back, not one late
GAP_WAIT = pd.Timedelta(seconds=60)
Destination = HubSpot | Salesforce | Dynamics


@dataclass(frozen=True)
class PassReport:
    """What one pass of a destination did."""

    destination: str
    claimed: bool = True  # False: another deliverer holds it, or it waits after a refusal
    sent: int = 0
    retry: int = 0
    dead: int = 0
    refused: str | None = None
    retry_at: pd.Timestamp | None = None
    full: bool = False  # the batch was full: more may wait


def retry_delay(delivery: Delivery, attempts: int) -> pd.Timedelta:
    """The wait after the ``attempts``-th failure in a row."""
    seconds = min(delivery.max_retry_seconds, delivery.first_retry_seconds * 2 ** (attempts - 1))
    return pd.Timedelta(seconds=seconds)


def pass_lease(destination: Destination) -> pd.Timedelta:
    """How long a pass holds its destination: longer than its requests can take (httpx's
    timeout bounds each step of a request; a token fetch may come first, and again)."""
    requests = destination.batch_size if isinstance(destination, Dynamics) else 1
    timeout = pd.Timedelta(seconds=destination.delivery.timeout_seconds)
    return (4 * requests + 8) * timeout + LEASE_MARGIN


class CrmWriter:
    """Writes one destination's scores into its CRM, a batch a pass."""

    def __init__(
        self,
        store: Store,
        destination: Destination,
        *,
        trend_after: pd.Timedelta = pd.Timedelta(hours=24),
        credentials: Credentials | None = None,
        client: httpx.Client | None = None,
        environ: Mapping[str, str] | None = None,
        lease: pd.Timedelta | None = None,
    ) -> None:
        self.store, self.destination = store, destination
        self.trend_after = trend_after
        self.credentials = credentials or credentials_for(destination, environ)
        self.client = client or httpx.Client(timeout=destination.delivery.timeout_seconds)
        self.lease = pass_lease(destination) if lease is None else lease
        self.settled_through = 0  # missing seqs at or below this are skipped
        self._gap: tuple[int, pd.Timestamp] | None = None  # a missing seq, first seen then

    def sync_once(self, now: pd.Timestamp | None = None) -> PassReport:
        """One pass: one batch sent (or none where nothing waits)."""
        now = pd.Timestamp.now(tz="UTC") if now is None else now
        name, delivery = self.destination.name, self.destination.delivery
        held = writeback.claim(self.store, name, now=now, lease=self.lease)
        if held is None:
            return PassReport(name, claimed=False)
        size = self.destination.batch_size
        again = writeback.due_retries(self.store, name, now=now, limit=size)
        window = writeback.window(
            self.store,
            after=held.through_seq,
            limit=size - len(again),
            settled_through=self.settled_through,
        )
        self._note_gap(window.gap, now)
        entries = writeback.logged(self.store, [s for _, s in again] + window.seqs)
        newest: dict[str, writeback.Logged] = {}
        for entry in sorted(entries.values(), key=lambda e: e.seq):
            newest[entry.customer_id] = entry  # a customer's newer score supersedes
        records, outcomes = self._records(list(newest.values()))
        if records:
            answer = self._send(records)
            if isinstance(answer, Refusal):
                wait = answer.retry_after
                delay = (
                    pd.Timedelta(seconds=wait)
                    if wait is not None
                    else retry_delay(delivery, held.failures + 1)
                )
                retry_at = now + delay
                writeback.refused(self.store, held, error=answer.error, retry_at=retry_at)
                log.warning(
                    "CRM %s refused a batch (%s); next try at %s", name, answer.error, retry_at
                )
                return PassReport(name, refused=answer.error, retry_at=retry_at)
            outcomes += answer
        filed = writeback.finish(
            self.store,
            held,
            through_seq=window.through_seq,
            outcomes=[(o.customer_id, o.seq, o.state, o.error) for o in outcomes],
            now=now,
            retry_delay=lambda attempts: retry_delay(delivery, attempts),
            max_attempts=delivery.max_attempts,
        )
        if not filed:
            log.warning("CRM %s: a pass outlived its claim; another deliverer holds it", name)
        states = [o.state for o in outcomes]
        return PassReport(
            name,
            sent=states.count("sent"),
            retry=states.count("retry"),
            dead=states.count("dead"),
            full=len(again) + len(window.seqs) >= size,
        )

    def _note_gap(self, gap: int | None, now: pd.Timestamp) -> None:
        if gap is None:
            return
        if self._gap is None or self._gap[0] != gap:
            self._gap = (gap, now)
        elif now - self._gap[1] >= GAP_WAIT:
            self.settled_through = max(self.settled_through, gap)
            log.warning("CRM %s: score log seq %d never came; skipped", self.destination.name, gap)

    def _records(
        self, entries: Sequence[writeback.Logged]
    ) -> tuple[list[CrmRecord], list[Outcome]]:
        """The CRM records of the entries, and the dead outcome of each that cannot be one."""
        field = self.destination.record_id_field
        ids = (
            {e.customer_id: e.customer_id for e in entries}
            if field is None
            else writeback.profile_values(self.store, [e.customer_id for e in entries], field)
        )
        before = writeback.score_before(self.store, entries, by=self.trend_after)
        records, dead = [], []
        for e in entries:
            if e.customer_id not in ids:
                dead.append(Outcome(e.customer_id, e.seq, "dead", f"no {field} in its profile"))
                continue
            trend = direction(e.score - before[e.seq]) if e.seq in before else NOT_ENOUGH_HISTORY
            record = CrmRecord(
                e.customer_id,
                e.seq,
                ids[e.customer_id],
                int(e.score),
                e.grade,
                float(e.probability),
                trend,
                e.scored_at,
                e.model_version,
            )
            if isinstance(self.destination, Dynamics):
                try:
                    vendor.dynamics_body(self.destination, record)
                except ValueError as exc:
                    dead.append(Outcome(e.customer_id, e.seq, "dead", str(exc)))
                    continue
            records.append(record)
        return records, dead

    def _send(self, records: list[CrmRecord]) -> list[Outcome] | Refusal:
        if isinstance(self.destination, Dynamics):
            return self._send_dynamics(self.destination, records)
        answer = self._request(records)
        if isinstance(answer, Refusal) and answer.expired_token and self.credentials.expire():
            answer = self._request(records)  # once, with a token fetched anew
        return answer

    def _request(self, records: list[CrmRecord]) -> list[Outcome] | Refusal:
        destination = self.destination
        try:
            token, base = self.credentials.bearer(self.client)
            headers = {"Authorization": f"Bearer {token}"}
            if isinstance(destination, HubSpot):
                answer = self.client.post(
                    base + vendor.hubspot_path(destination),
                    json=vendor.hubspot_body(destination, records),
                    headers=headers,
                )
                if answer.status_code in (200, 207):
                    return vendor.hubspot_outcomes(
                        destination, records, answer.status_code, _json(answer)
                    )
            else:
                assert isinstance(destination, Salesforce)
                answer = self.client.patch(
                    base + vendor.salesforce_path(destination),
                    json=vendor.salesforce_body(destination, records),
                    headers=headers,
                )
                if answer.status_code == 200:
                    return vendor.salesforce_outcomes(records, _json(answer))
        except TokenError as exc:
            return Refusal(str(exc))
        except httpx.HTTPError as exc:
            return Refusal(f"{type(exc).__name__}: {exc}"[:500])
        return vendor.refusal(answer.status_code, answer.headers, answer.text)

    def _send_dynamics(
        self, destination: Dynamics, records: list[CrmRecord]
    ) -> list[Outcome] | Refusal:
        """One upsert a record, in order; a refusal after the first record leaves the
        rest to be retried (those written stay written)."""
        out: list[Outcome] = []
        renewed = False
        i = 0
        while i < len(records):
            record = records[i]
            try:
                token, base = self.credentials.bearer(self.client)
                answer = self.client.patch(
                    base + vendor.dynamics_path(destination, record),
                    json=vendor.dynamics_body(destination, record),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "OData-MaxVersion": "4.0",
                        "OData-Version": "4.0",
                        "Accept": "application/json",
                    },
                )
                result = vendor.dynamics_outcome(
                    record, answer.status_code, answer.headers, answer.text
                )
            except TokenError as exc:
                result = Refusal(str(exc))
            except httpx.HTTPError as exc:
                result = Refusal(f"{type(exc).__name__}: {exc}"[:500])
            if isinstance(result, Refusal):
                if result.expired_token and not renewed and self.credentials.expire():
                    renewed = True
                    continue  # the same record, with a token fetched anew
                if not out:
                    return result
                out += [Outcome(r.customer_id, r.seq, "retry", result.error) for r in records[i:]]
                return out
            out.append(result)
            i += 1
        return out

    def run(self, stop: threading.Event, every_seconds: float = 1.0) -> None:
        """Write until ``stop`` is set (a thread of the service)."""
        run_all([self], stop, every_seconds)


def run_all(
    writers: Sequence[CrmWriter], stop: threading.Event, every_seconds: float = 1.0
) -> None:
    """Passes over every destination until ``stop`` is set; a full batch goes on at once."""
    while not stop.is_set():
        busy = False
        for writer in writers:
            try:
                busy |= writer.sync_once().full
            except Exception:  # the database away for a moment: the next pass tries again
                log.exception("CRM write-back pass of %s failed", writer.destination.name)
        if not busy:
            stop.wait(every_seconds)


def writers_for(
    config: CrmConfig, store: Store, environ: Mapping[str, str] | None = None
) -> list[CrmWriter]:
    """A writer per destination of crm.yaml (credentials read from the environment now)."""
    after = pd.Timedelta(hours=config.trend_after_hours)
    return [CrmWriter(store, d, trend_after=after, environ=environ) for d in config.destinations]


def _json(answer: httpx.Response) -> object:
    try:
        return answer.json()
    except ValueError:
        return None
