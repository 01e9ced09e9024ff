"""Rich renderings of load results for the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from leadscore.common.wording import format_value, share_percent
from leadscore.data.loading import LoadResult
from leadscore.data.problems import group_problems
from leadscore.evaluation.offer_policy import LEARNT, LOGGING, OfferEvaluation
from leadscore.features.training_set import FeatureTable
from leadscore.store.loading import StoreLoad


def print_store_load(loaded: StoreLoad, url: str, console: Console) -> None:
    """What went into the store: new and updated customers, rows added and rows it held."""
    table = Table(title=f"Into the store at {url}", title_justify="left")
    for column in ("table", "added", "held already", "refused"):
        table.add_column(column, justify="left" if column == "table" else "right")
    table.add_row(
        "customers", f"{loaded.customers_added:,}", f"{loaded.customers_updated:,} updated", "0"
    )
    table.add_row("offers", f"{loaded.offers:,} (the catalog)", "-", "0")
    for name, appended in loaded.appended.items():
        refused = len(loaded.unknown_customers.get(name, ()))
        table.add_row(name, f"{appended.added:,}", f"{appended.duplicates:,}", f"{refused:,}")
    console.print(table)
    for name, frame in loaded.unknown_customers.items():
        console.print(
            f"{len(frame):,} {name} refused: their customer is in neither the export nor the "
            "store; add the customers first (their file in the source, or POST /leads)",
            highlight=False,
        )


def print_load_result(result: LoadResult, console: Console) -> None:
    """Counts per table (read = accepted + rejected), then every kind of problem with its fix."""
    counts = Table(title="Rows per table", title_justify="left")
    for column in ("table", "file", "read", "accepted", "rejected"):
        counts.add_column(
            column,
            justify="right" if column in ("read", "accepted", "rejected") else "left",
            overflow="fold",
        )
    for r in result.reports:
        rejected = f"{r.rejected:,}" + (" [red](over limit)[/]" if r.too_many_rejected else "")
        counts.add_row(r.table, r.file, f"{r.read:,}", f"{r.accepted:,}", rejected)
    console.print(counts)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if not result.problems:
        return
    console.print(f"[bold]{len(result.problems):,} problem(s)[/], by file and column:")
    for g in group_problems(result.problems):
        where = f"{g.file}, column {g.column}" if g.column else g.file
        if g.rows:
            more = f" (and {g.count - len(g.rows):,} more)" if g.count > len(g.rows) else ""
            where += f", row {', '.join(map(str, g.rows))}{more}"
        example = f" (e.g. {g.example_value!r})" if g.example_value is not None else ""
        console.print(
            f"- {where}: {g.message}{example}.\n  [dim]fix:[/] {g.fix}",
            highlight=False,
            soft_wrap=True,
        )


def print_feature_table(table: FeatureTable, paths: list[Path], console: Console) -> None:
    """What was built, the label rate, and the leakage audit's findings."""
    frame = table.frame
    dates = frame["as_of"].nunique()
    console.print(
        f"{table.feature_set.id}: {len(frame):,} rows x {len(table.features)} features, "
        f"{dates:,} as-of moment(s), {frame['customer_id'].nunique():,} customers",
        highlight=False,
    )
    for note in table.notes:
        console.print(f"note: {note}")
    if table.has_label:
        horizon = f"within {table.horizon_days} days" if table.horizon_days else "(flag column)"
        console.print(f"label: {frame['label'].mean():.2%} converted {horizon}")
    if table.censored_rows:
        console.print(
            f"left out {table.censored_rows:,} rows whose {table.horizon_days}-day label "
            "window reaches past the end of the data"
        )
    if table.audit is not None:
        _print_audit(table.audit, console)
    console.print("written: " + ", ".join(str(p) for p in paths))


def _print_audit(audit, console: Console) -> None:
    audit_table = Table(title="Leakage audit (strongest single fields)", title_justify="left")
    for column in ("field", "kind", "single AUC", "flag", "action"):
        audit_table.add_column(column, overflow="fold")
    shown = audit[audit["flagged"]].head(10)
    shown = shown if len(shown) else audit.head(0)
    strongest = audit[~audit["flagged"]].head(5)
    for row in [*shown.itertuples(), *strongest.itertuples()]:
        audit_table.add_row(
            row.field,
            row.kind,
            f"{row.single_feature_auc:.3f}",
            "[red]flagged[/]" if row.flagged else "ok",
            row.action,
        )
    console.print(audit_table)


def print_training_result(result, console: Console) -> None:
    """Metrics against baselines (and the oracle), grades, and where the run is."""
    evaluation, run = result.evaluation, result.run
    if result.kind == "conversion":
        _print_conversion(evaluation, console)
    elif isinstance(evaluation, OfferEvaluation):
        _print_offer_policies(evaluation, console)
    else:
        _print_nbo(evaluation, console)
    table = result.table
    if table is not None and table.audit is not None:
        print_audit_flags(table.audit, console)
    champion = " and champion (first model)" if run.became_champion else ""
    console.print(
        f"logged run {run.run_id} in experiment '{run.experiment}'; registered "
        f"{run.model_name} version {run.version} as challenger{champion}",
        highlight=False,
    )
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    console.print(f"[dim]time: {timing}[/]")


def print_audit_flags(audit: pd.DataFrame, console: Console, *, shown: int = 10) -> None:
    """The leakage audit's flags, one line each, where the metrics are read (and not only
    in the run's files): why each field is flagged and what was done with it."""
    flagged = audit[audit["flagged"].astype(bool)]
    if flagged.empty:
        console.print("leakage audit: nothing flagged")
        return
    console.print(
        f"[bold]leakage audit[/]: {len(flagged)} field(s) flagged (leakage_audit.csv in the run)",
        highlight=False,
    )
    for row in flagged.head(shown).itertuples():
        console.print(f"- {row.field}: {row.reason}; {row.action}", highlight=False, soft_wrap=True)
    if len(flagged) > shown:
        console.print(f"  and {len(flagged) - shown} more in leakage_audit.csv", highlight=False)


def _print_conversion(evaluation, console: Console) -> None:
    table = Table(title="Conversion model, test set", title_justify="left")
    names = ("roc_auc", "pr_auc", "log_loss", "brier", "ece", "lift_at_10pct")
    headers = ("AUC", "PR AUC", "log loss", "Brier", "ECE", "lift@10%")
    table.add_column("model", no_wrap=True, min_width=19)
    for header in headers:
        table.add_column(header, justify="right")
    rows = {evaluation.label: evaluation.metrics, **evaluation.baselines}
    for model, values in rows.items():
        table.add_row(model, *(f"{values[n]:.4f}" if n in values else "-" for n in names))
    console.print(table)
    if evaluation.choice:
        console.print(evaluation.choice, highlight=False)
    for line in evaluation.baseline_wins:  # loud: it should not go unnoticed
        console.print(f"[bold red]WARNING: {line}[/] (see the model card)", highlight=False)
    if evaluation.oracle:
        o = evaluation.oracle
        console.print(
            f"oracle (ground truth) AUC {o['oracle_auc']:.4f} on the same {int(o['rows']):,} rows; "
            f"model {o['model_auc_same_rows']:.4f}; gap {o['gap']:.4f}"
        )
    grades = Table(title="Grades (test set)", title_justify="left")
    columns = ("grade", "min score", "share: configured", "validation", "test", "leads")
    for column in (*columns, "conversion rate"):
        grades.add_column(column, justify="right")
    for row in evaluation.per_grade.itertuples():
        grades.add_row(
            row.grade,
            str(row.min_score),
            share_percent(row.configured_share),
            share_percent(row.validation_share),
            share_percent(row.share),
            f"{row.leads:,}",
            share_percent(row.conversion_rate, 2),
        )
    console.print(grades)


def _print_nbo(evaluation, console: Console) -> None:
    table = Table(title="Next-best-offer ranking, test set", title_justify="left")
    names = ("rows", "hit_rate_at_1", "hit_rate_at_3", "map_at_3", "ndcg_at_3")
    table.add_column("ranking", no_wrap=True, min_width=19)
    for header in ("rows", "hit@1", "hit@3", "MAP@3", "NDCG@3"):
        table.add_column(header, justify="right")
    for ranking, values in evaluation.rankings.items():
        table.add_row(
            ranking,
            *(
                f"{values[n]:,.0f}" if n == "rows" else f"{values[n]:.4f}" if n in values else "-"
                for n in names
            ),
        )
    console.print(table)


SHORT_NAMES = {LEARNT: "leadscore", "take-up value": "take-up"}


def _print_offer_policies(evaluation: OfferEvaluation, console: Console) -> None:
    """Each policy's estimated value per offer made on the test offers made (DR with its
    95 % interval), and its true value where the data is synthetic."""
    comparison = evaluation.comparison
    table = Table(
        title=f"Offer policies: value per offer made, {len(evaluation.test):,} test offers made",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("policy", no_wrap=True)
    for header in ("replay", "IPS", "SNIPS", "DR", "DR 95 %"):
        table.add_column(header, justify="right", no_wrap=True)
    if comparison.truth is not None:
        table.add_column("true", justify="right", no_wrap=True)
        table.add_column("added", justify="right", no_wrap=True)

    def amount(value: float) -> str:
        return "-" if pd.isna(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"

    for policy, estimates in comparison.estimates.items():
        dr = estimates["dr"]
        row = [amount(estimates[name].value) for name in ("replay", "ips", "snips", "dr")]
        row.append(f"{amount(dr.low)}-{amount(dr.high)}")
        if comparison.truth is not None:
            truth = comparison.truth[policy]
            row += [amount(truth["take_up_value"]), amount(truth["incremental_value"])]
        table.add_row(SHORT_NAMES.get(policy, policy), *row)
    logged = comparison.logged_value
    row = ["", "", "", amount(logged.value), f"{amount(logged.low)}-{amount(logged.high)}"]
    if comparison.truth is not None:
        truth = comparison.truth[LOGGING]
        row += [amount(truth["take_up_value"]), amount(truth["incremental_value"])]
    table.add_row("logging policy", *row)
    console.print(table)
    console.print(
        "leadscore: the offer of highest expected incremental value, or none; logging "
        "policy: as it chose (the mean of its own rewards)"
        + (
            "; true: the ground truth's value of the take-ups (what the estimates "
            "estimate); added: what the offers added over making none"
            if comparison.truth is not None
            else ""
        ),
        highlight=False,
    )
    console.print(f"learner: {evaluation.chosen.why}", highlight=False)
    if evaluation.still_open:
        console.print(
            f"left out {evaluation.still_open:,} offers made whose window is still open "
            "when the data ends"
        )


def print_demo_summary(
    summary, console: Console, *, seconds: float, tracking_uri: str, curl: str | None
) -> None:
    """The demo's closing table: data, quality against baselines and the oracle, the
    champions, where the runs are, and an explained score."""
    table = Table(
        title=f"leadscore demo, done in {seconds / 60:.1f} min",
        title_justify="left",
        show_header=False,
    )
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("")
    for name, value in summary.rows.items():
        table.add_row(name, value)
    conversion = dict(summary.conversion)
    if conversion:
        aucs = [
            f"{name} {conversion[name]:.3f}"
            for name in ("leadscore", "logistic_regression", "rules_points")
            if name in conversion
        ]
        table.add_row("conversion, test AUC", ", ".join(aucs))
        for warning in summary.warnings:
            table.add_row("[bold red]WARNING[/]", f"[red]{warning}[/]")
        if "oracle (ground truth)" in conversion:
            table.add_row(
                "vs the ground truth",
                f"oracle {conversion['oracle (ground truth)']:.3f}, model "
                f"{conversion['model, oracle rows']:.3f} on the same rows",
            )
        table.add_row("calibration error", f"{conversion['ece']:.4f}")
    for ranking in ("products", "nurture"):
        hits = [
            f"{name} {summary.nbo[f'{ranking}/{name}']['hit_rate_at_1']:.3f}"
            for name in ("model", "popularity", "random", "oracle")
            if f"{ranking}/{name}" in summary.nbo
        ]
        if hits:
            table.add_row(f"next best {ranking}, hit@1", ", ".join(hits))
    table.add_row("champions", ", ".join(summary.champions.values()))
    for message in summary.promotions:
        table.add_row("gate", message)
    table.add_row("MLflow store", tracking_uri)
    mlflow = Path(sys.executable).parent / "mlflow"
    table.add_row("see the runs", f"{mlflow} ui --backend-store-uri {tracking_uri}")
    console.print(table)
    if summary.example:
        _print_example(summary.example, console)
    if summary.risen:
        _print_risen(summary.risen, console)
    if curl is not None:  # only while the service runs
        console.print("\n[bold]Call it yourself:[/]")
        console.print(curl, highlight=False, soft_wrap=True)


OFFER_KINDS_DE = {"product": "Produkt", "nurture": "Inhalt"}


def _print_risen(result: dict, console: Console) -> None:
    trend = result["trend"]
    console.print(
        f"\n[bold]Lead {result['customer_id']}[/]: Score von {trend['previous_score']} "
        f"(vor {trend['days_ago']} Tagen) auf {result['score']} gestiegen, jetzt Klasse "
        f"{result['grade']}. Warum:"
    )
    for change in trend["changes"]:
        arrow = "[green]+[/]" if change["direction"] == "up" else "[red]-[/]"
        console.print(f"  {arrow} {change['text']}", highlight=False)


def _print_example(result: dict, console: Console) -> None:
    def percent(value: float) -> str:
        return format_value(value, "de", "percent")

    console.print(
        f"\n[bold]Lead {result['customer_id']}[/]: score {result['score']} "
        f"(Klasse {result['grade']}, Abschlusswahrscheinlichkeit {percent(result['probability'])})"
    )
    for reason in result["reasons"]:
        arrow = "[green]+[/]" if reason["direction"] == "up" else "[red]-[/]"
        console.print(f"  {arrow} {reason['text']}", highlight=False)
    if not result["next_best_offers"]:
        console.print("  Angebote: keine (Produkte schon gekauft oder durch Regeln ausgeschlossen)")
    for offer in result["next_best_offers"]:
        kind = OFFER_KINDS_DE.get(offer["kind"], offer["kind"])
        console.print(
            f"  Angebot: [bold]{offer['name']}[/] ({kind}), Wahrscheinlichkeit "
            f"{percent(offer['propensity'])}, Erwartungswert "
            + format_value(offer["expected_value"], "de", "money", currency=offer.get("currency")),
            highlight=False,
        )
        for reason in offer["reasons"][:1]:  # what speaks for this offer above the others
            console.print(f"    weil: {reason['text']}", highlight=False)


def print_monitor_report(report, console: Console, *, logged_run: str | None) -> None:
    """What ``leadscore monitor`` found, in a terminal: drift, performance, fairness, and
    whether to retrain."""
    console.print(
        f"[bold]{report.model} v{report.version}[/]: {report.scores:,} scores logged from "
        f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
    drift = Table(
        title=f"drift: {len(report.drifted)} of {len(report.drift)} features, carrying "
        f"{report.drifted_importance:.0%} of the model's importance"
    )
    for column in ("feature", "PSI", "p-value", "drifted", "importance", "new categories"):
        drift.add_column(column)
    # the drifted features (or the five nearest to it), then any other with a new category
    first = report.drifted or report.drift[:5]
    shown = first + [d for d in report.drift if d.new_categories and d not in first]
    for d in shown[:15]:
        drift.add_row(
            d.feature,
            f"{d.psi:.3f}",
            f"{d.p_value:.2g}",
            "[red]yes[/]" if d.drifted else "no",
            f"{report.importance.get(d.feature, 0.0):.1%}",
            ", ".join(d.new_categories),
        )
    console.print(drift)
    promised = "none" if report.promised_auc is None else f"{report.promised_auc:.3f}"
    realised = report.realised.metrics.get("roc_auc")
    estimated = (
        f"{report.estimated_auc:.3f} (from the calibrated probabilities; "
        f"{report.reference_estimated_auc:.3f} the same way on the test rows)"
        if report.estimated_auc == report.estimated_auc  # nan: nothing to estimate from
        else f"none ({report.scores:,} scores in the period: too few to estimate from; "
        "rescore the store, or monitor more --days)"
    )
    console.print(
        f"AUC: promised {promised}, estimated {estimated}, realised "
        + (
            f"{realised:.3f} on {report.realised.labelled:,} labelled scores"
            if realised is not None
            else f"not yet ({report.realised.labelled:,} labelled, "
            f"{report.realised.waiting:,} waiting for their horizon)"
        ),
        highlight=False,
    )
    if report.gaps.empty:  # an empty table would say nothing of why
        console.print(
            "fairness: nothing compared: "
            + (
                "no lead of the period has a value in a segment field (by default country, "
                "industry, company_size, lead_source; name your fields with segments: in "
                "monitoring.yaml)"
                if report.segments.empty
                else "no segment field has two segments of at least min_segment scores "
                "(monitoring.yaml), or more --days"
            ),
            highlight=False,
        )
    else:
        gaps = Table(title="fairness: the largest gap per field and measure")
        for column in ("field", "measure", "highest", "lowest", "gap", "flagged"):
            gaps.add_column(column)
        for row in report.gaps.itertuples():
            gaps.add_row(
                row.field,
                row.measure,
                row.high,
                row.low,
                f"{row.gap:.3f}",
                "[red]yes[/]" if row.flagged else "no",
            )
        console.print(gaps)
    if report.protected_present:
        console.print(
            f"[red]fields that must not be features are: {', '.join(report.protected_present)}[/]"
        )
    for name, table in report.proxies.items():
        found = table[table["proxy"]]["feature"].tolist()
        console.print(f"proxies of {name}: {', '.join(found) or 'none'}", highlight=False)
    colour = "red" if report.retrain else "green"
    console.print(f"[bold {colour}]{report.recommendation}[/]", highlight=False)
    if logged_run is not None:
        console.print(
            f"report in MLflow: run {logged_run}, monitoring/report.html", highlight=False
        )
