"""The source config and training config ``leadscore init`` writes from its guesses.

YAML written as text, not dumped, so that each guess carries a comment saying what was
seen and where to change it. Strings are written as JSON strings, which YAML reads as
they are (umlauts, spaces, colons and all).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from leadscore.data.export_guess import ExportGuess, TableGuess
from leadscore.data.tables import EVENT_TYPES


def q(text: str) -> str:
    """``text`` as a YAML scalar that reads back as itself."""
    return json.dumps(text, ensure_ascii=False)


def source_yaml(guess: ExportGuess, out: Path) -> str:
    """The source config of ``guess``, to be written into the folder ``out``."""
    lines = [
        f"# Written by `leadscore init` from {guess.folder}. Every setting is a guess; the",
        "# comment beside it says what it rests on. Check them, then run",
        f"#   leadscore validate {out / 'source.yaml'}",
        "# Every key is explained in docs/reference.md (source config).",
        f"name: {q(guess.folder.resolve().name)}",
        f"timezone: {q(guess.timezone.value or 'UTC')}   # {guess.timezone.seen}",
        "tables:",
    ]
    for role in ("customers", "events"):
        table = guess.table(role)
        if table is not None:
            lines += [f"  {role}:", *_table_lines(table, out)]
            if role == "customers" and guess.flag_label is None and guess.label is not None:
                # the yes/no outcome column beside dated purchases: it would leak as a feature
                lines.append(
                    f"    drop: [{q(guess.label.column)}]   # the outcome itself (its "
                    "dates are the purchases): never a feature"
                )
    unused = [t for t in guess.tables if t.role is None]
    for table in unused:
        lines.append(f"  # {table.path.name}: neither customers nor events (no id column")
        lines.append("  #   shared with the customers table); map it by hand if it matters")
    lines += [f"# {line}" for line in guess.skipped]
    lines += _label_lines(guess)
    return "\n".join(lines) + "\n"


def _table_lines(table: TableGuess, out: Path) -> list[str]:
    ind = "    "
    lines = [
        f"{ind}# {table.path.name}: {table.role_seen}",
        f"{ind}path: {q(os.path.relpath(table.path, out))}",
        f"{ind}format: {table.format.value}   # {table.format.seen}",
    ]
    if table.encoding is not None and table.encoding.value != "utf-8":
        lines.append(f"{ind}encoding: {table.encoding.value}   # {table.encoding.seen}")
    elif table.encoding is not None:
        lines.append(f"{ind}# encoding: UTF-8 ({table.encoding.seen}); set encoding: if not")
    if table.separator is not None:
        lines.append(f"{ind}read: {{sep: {q(table.separator.value)}}}   # {table.separator.seen}")
    if table.numbers is not None:
        decimal, thousands = table.numbers.value[0], table.numbers.value[1:]
        spelt = f"decimal: {q(decimal)}" + (f", thousands: {q(thousands)}" if thousands else "")
        lines.append(f"{ind}numbers: {{{spelt}}}   # {table.numbers.seen}")
        lines.append(f"{ind}# (numbers so written: {', '.join(table.number_columns)})")
    time_name = "created_at" if table.role == "customers" else "ts"
    renames = {table.id_column: ("customer_id", "the id column")}
    if table.time_column is not None:
        renames[table.time_column] = (time_name, "the date column (change if another is)")
    if table.event_column is not None:
        renames[table.event_column] = ("event_type", "the event names (see event_types)")
    for column, field in table.display.items():
        renames[column] = (field, "shown to reps, never a feature")
    lines.append(f"{ind}rename:")
    lines += [f"{ind}  {q(k)}: {v}   # {why}" for k, (v, why) in renames.items() if k]
    if table.time_column is None:
        lines.append(
            f"{ind}# no date column found: rename yours to {time_name}, or (customers only) "
            "spread rows in file order with created_at: {sequence: {start: ..., end: ...}}"
        )
    stamps = {(renames[c][0] if c in renames else c): d for c, d in table.dates.items() if d.value}
    if stamps:
        lines.append(f"{ind}timestamps:")
        lines += [
            f"{ind}  {q(c)}: {{format: {q(d.value)}}}   # {d.seen}" for c, d in stamps.items()
        ]
    if table.event_types:
        lines += _event_type_lines(table, ind)
    return lines


def _event_type_lines(table: TableGuess, ind: str) -> list[str]:
    lines = [f"{ind}# your event names -> canonical event types, guessed from their words"]
    lines.append(f"{ind}event_types:")
    unknown = []
    for name, event_type in table.event_types.items():
        if event_type is None:
            unknown.append(name)
        elif name != event_type:
            lines.append(f"{ind}  {q(name)}: {event_type}")
    for name in unknown:
        lines.append(f"{ind}  # {q(name)}: ...   # unknown: map it, or it loads as it is")
    if unknown:
        lines.append(f"{ind}  # canonical types: {', '.join(EVENT_TYPES)}")
    return lines


def _label_lines(guess: ExportGuess) -> list[str]:
    label = guess.flag_label
    customers = guess.table("customers")
    others = [c for c in (customers.labels if customers else []) if c is not label]
    lines: list[str] = []
    if guess.purchase_names:
        names = ", ".join(repr(n) for n in guess.purchase_names)
        lines += [
            f"# label: the activities {names} (purchase) date each conversion: a lead's "
            "behaviour before it is what predicts it",
            "label: {kind: event, event_type: purchase}",
        ]
    elif label is not None:
        lines += [
            f"# label: column {label.column} holds {label.positive!r} in {label.positives:,} "
            f"of {label.rows:,} rows read, else {label.negative!r}",
            f"label: {{kind: flag, column: {q(label.column)}, positive: [{q(label.positive)}], "
            f"negative: [{q(label.negative)}]}}",
        ]
    elif guess.table("events") is not None:
        lines += [
            "# label: no yes/no column and no purchase among the event names found; map the "
            "name of your orders to purchase under event_types",
            "label: {kind: event, event_type: purchase}",
        ]
    else:
        lines.append("# label: none found; write label: {kind: flag, column: ..., positive: [...]}")
    lines += [
        f"# other yes/no columns that could be the label: {c.column} "
        f"({c.positive!r}/{c.negative!r}, {c.share:.0%} {c.positive!r})"
        for c in others
    ]
    return lines


def training_yaml(guess: ExportGuess) -> str:
    """A conversion training config of the source config written beside it."""
    flag = guess.flag_label is not None
    feature_set = "profile_v1" if flag else "conversion_v1"
    why = (
        "a yes/no label gives one row per lead at its creation: the profile's columns "
        "are its features"
        if flag
        else "dated outcomes: behaviour before each snapshot counts"
    )
    name = guess.folder.resolve().name
    return TRAINING_TEMPLATE.format(
        feature_set=feature_set,
        why=why,
        model=q(_slug(f"leadscore-{name}-conversion")),
        experiment=q(_slug(f"leadscore-{name}")),
    )


TRAINING_TEMPLATE = """\
# Written by `leadscore init`: a conversion model of the source beside it. Run
#   leadscore train conversion --config <this file>
# Every key is explained in docs/reference.md (training config).
model: conversion
source: source.yaml
feature_set: {feature_set}   # {why}
# features_dir (default ../../features, relative to this file): the shipped feature
# sets where that folder does not exist
horizon_days: 30
seed: 42
split: {{kind: time, validation: 0.2, test: 0.2}}   # the newest 20 % of leads are the test
# small trees for a small export; raise min_data_in_leaf for 50,000 rows and more
lightgbm: {{min_data_in_leaf: 20, num_boost_round: 1000, early_stopping_rounds: 50}}
min_positives: 40
min_negatives: 40
registered_model: {model}
experiment: {experiment}
"""


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower())
