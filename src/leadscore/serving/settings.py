"""The service's settings, read once at start-up from the environment.

LEADSCORE_API_KEYS         comma-separated API keys (or LEADSCORE_API_KEYS_FILE)
LEADSCORE_HOST             the address to listen on (default 127.0.0.1: this machine only;
                           0.0.0.0: every interface); an IP address, as BentoML takes it
LEADSCORE_FEATURE_STORE    feature table (Parquet) of known customers, as of now
LEADSCORE_CONVERSION_MODEL registered model name (default leadscore-conversion)
LEADSCORE_NBO_MODEL        registered model name (default leadscore-nbo; '' for none)
LEADSCORE_RELOAD_SECONDS   how often to look for a new champion (default 10; 0: never)
LEADSCORE_MAX_BATCH        most leads in one request (default 1000)
LEADSCORE_MAX_BODY_BYTES   largest request body; larger ones get 413 before they are read
                           (default 4 MiB)
LEADSCORE_INLINE_LEADS     requests with up to this many leads (and 200 events and
                           profile fields among them) are scored on the event loop,
                           larger ones in the bulk process (default 16)
LEADSCORE_BULK_BYTES       bodies larger than this are validated and scored in the bulk
                           process, a separate process at a lower CPU priority, so that
                           they never hold up small requests (default 16 KiB)
LEADSCORE_BULK_PROCESSES   how many bulk processes (default 1; each holds the models)
LEADSCORE_UNKNOWN_EVENT_TYPES
                           refuse (default): a record's event of a type neither
                           canonical nor named by the model's features is a 400;
                           accept: it counts as activity
LEADSCORE_PROFILE_CHECKS   strict (default): a record's profile field the models do not
                           read, a category they do not know or text in a numeric field
                           refuses that lead (an error item in its place), and a lead's
                           posted to POST /leads its batch (422); lenient: the lead is
                           scored (or stored) without it, and its result (or the intake's
                           answer) lists a warning
LEADSCORE_MIN_INFORMATION  a record with fewer profile values and events than this is
                           not scored: its item says "not_enough_data" (default 1); so
                           is a known customer without events and with fewer profile
                           values the models read (nothing logged for it)
LEADSCORE_TIMEZONE         the zone (IANA name, default UTC) a posted time without an
                           offset is read in: /score records, POST /events and POST /leads
                           (a local time a clock change repeats is its earlier instant, one
                           it skips is shifted forward by the change)
LEADSCORE_ACCESS_LOG       1: log a line per request (default 0: a tenth of a one-lead
                           request's time; counts, status codes and latencies are in
                           /metrics, rejected requests and errors are logged anyway)
LEADSCORE_WORKSPACE_USERS  the sales workspace's users and password hashes (default
                           workspace_users.yaml; add one with `leadscore workspace-user`)
LEADSCORE_WORKSPACE_TERRITORY
                           the profile field the lead list filters by as owner or
                           territory (default territory, a display field; '' for none)
LEADSCORE_WORKSPACE_NAME   the profile field shown and searched as a lead's name (default
                           name, a display field; '' for none)
LEADSCORE_WORKSPACE_TIMEZONE
                           the zone (IANA name, default Europe/Berlin) the workspace
                           shows its times in
LEADSCORE_WORKSPACE_OUTCOME_ACTIONS
                           the reps' actions that are an outcome of the lead too, comma-
                           separated (e.g. rep_meeting_booked; default none)
LEADSCORE_SESSION_SECRET   signs the workspace's session cookies (default: made once and
                           kept in .leadscore-session-secret in the working directory)
LEADSCORE_CRM              CRM write-back destinations (YAML, see leadscore.decisions.crm):
                           the logged scores are written into the CRM records (needs the
                           store; `leadscore serve` takes crm.yaml from the working
                           directory where this is unset)
MLFLOW_TRACKING_URI        the registry (default: mlflow.db in the working directory)
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Address
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, IPvAnyAddress, ValidationError, field_validator

from leadscore.common.config import StrictModel
from leadscore.common.errors import InputError
from leadscore.data.tables import REP_ACTIONS
from leadscore.serving.contract import DEFAULT_MAX_BATCH
from leadscore.serving.dispatch import DEFAULT_INLINE_LEADS
from leadscore.serving.keys import api_keys
from leadscore.serving.limits import DEFAULT_BULK_BYTES, DEFAULT_MAX_BODY_BYTES

ENVIRONMENT = {
    "host": "LEADSCORE_HOST",
    "conversion_model": "LEADSCORE_CONVERSION_MODEL",
    "nbo_model": "LEADSCORE_NBO_MODEL",
    "feature_store": "LEADSCORE_FEATURE_STORE",
    "database_url": "LEADSCORE_DATABASE_URL",
    "alerts": "LEADSCORE_ALERTS",
    "crm": "LEADSCORE_CRM",
    "reload_seconds": "LEADSCORE_RELOAD_SECONDS",
    "max_batch": "LEADSCORE_MAX_BATCH",
    "max_body_bytes": "LEADSCORE_MAX_BODY_BYTES",
    "inline_leads": "LEADSCORE_INLINE_LEADS",
    "bulk_bytes": "LEADSCORE_BULK_BYTES",
    "bulk_processes": "LEADSCORE_BULK_PROCESSES",
    "access_log": "LEADSCORE_ACCESS_LOG",
    "unknown_event_types": "LEADSCORE_UNKNOWN_EVENT_TYPES",
    "profile_checks": "LEADSCORE_PROFILE_CHECKS",
    "min_information": "LEADSCORE_MIN_INFORMATION",
    "timezone": "LEADSCORE_TIMEZONE",
    "workspace_users": "LEADSCORE_WORKSPACE_USERS",
    "workspace_territory": "LEADSCORE_WORKSPACE_TERRITORY",
    "workspace_name": "LEADSCORE_WORKSPACE_NAME",
    "workspace_timezone": "LEADSCORE_WORKSPACE_TIMEZONE",
    "workspace_outcome_actions": "LEADSCORE_WORKSPACE_OUTCOME_ACTIONS",
}


class ServiceSettings(StrictModel):
    host: IPvAnyAddress = IPv4Address("127.0.0.1")
    conversion_model: str = "leadscore-conversion"
    nbo_model: str | None = "leadscore-nbo"
    feature_store: Path | None = None
    # the store known customers are scored from, as of each request, and their scores
    # logged to (`leadscore serve` sets it where the store exists)
    database_url: str | None = Field(None, repr=False)
    # alert rules (YAML) whose alerts go to the CRM's webhook (needs the store)
    alerts: Path | None = None
    # where logged scores are written into the CRM records (needs the store)
    crm: Path | None = None
    reload_seconds: float = Field(10.0, ge=0)
    max_batch: int = Field(DEFAULT_MAX_BATCH, ge=1)
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024)
    inline_leads: int = Field(DEFAULT_INLINE_LEADS, ge=0)
    bulk_bytes: int = Field(DEFAULT_BULK_BYTES, ge=0)
    bulk_processes: int = Field(1, ge=1, le=64)
    access_log: bool = False
    unknown_event_types: Literal["refuse", "accept"] = "refuse"
    profile_checks: Literal["strict", "lenient"] = "strict"
    min_information: int = Field(1, ge=0)
    timezone: str = "UTC"
    workspace_users: Path = Path("workspace_users.yaml")
    workspace_territory: str | None = "territory"
    workspace_name: str | None = "name"
    workspace_timezone: str = "Europe/Berlin"
    # the reps' actions that are also an outcome of the lead (e.g. rep_meeting_booked,
    # where a booked meeting is what the model predicts): comma-separated
    workspace_outcome_actions: tuple[str, ...] = ()
    api_keys: frozenset[str] = Field(default_factory=frozenset, repr=False)

    @field_validator("workspace_outcome_actions", mode="before")
    @classmethod
    def _rep_actions(cls, given: object) -> object:
        named = (
            [a.strip() for a in given.split(",") if a.strip()] if isinstance(given, str) else given
        )
        unknown = [a for a in named or () if a not in REP_ACTIONS]
        if unknown:
            raise ValueError(
                f"{', '.join(map(repr, unknown))}: not a rep's action; name some of "
                f"{', '.join(REP_ACTIONS)}, separated by commas"
            )
        return tuple(named or ())

    @field_validator("timezone", "workspace_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{name[:60]!r} is not a time zone; give an IANA name as Europe/Berlin or UTC"
            ) from None
        return name

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ServiceSettings:
        """The settings the environment gives; an InputError names a variable that is off."""
        given: dict[str, object] = {
            name: environ[variable] for name, variable in ENVIRONMENT.items() if variable in environ
        }
        if given.get("nbo_model") == "":
            given["nbo_model"] = None  # '' means: serve no next-best-offer model
        for optional in ("feature_store", "database_url", "alerts", "crm"):
            if given.get(optional) == "":
                given.pop(optional)
        try:
            return cls.model_validate({**given, "api_keys": frozenset(api_keys(environ))})
        except ValidationError as exc:
            lines = [
                f"  - {ENVIRONMENT.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}"
                for e in exc.errors()
            ]
            raise InputError("invalid service settings:\n" + "\n".join(lines)) from None
