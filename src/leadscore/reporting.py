"""Rich renderings of load results for the command line."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from leadscore.loading import LoadResult
from leadscore.problems import group_problems


def print_load_result(result: LoadResult, console: Console) -> None:
    """Counts per table (read = accepted + rejected), then every kind of problem with its fix."""
    counts = Table(title="Rows per table", title_justify="left")
    for column in ("table", "file", "read", "accepted", "rejected"):
        counts.add_column(
            column, justify="right" if column in ("read", "accepted", "rejected") else "left"
        )
    for r in result.reports:
        counts.add_row(r.table, r.file, f"{r.read:,}", f"{r.accepted:,}", f"{r.rejected:,}")
    console.print(counts)
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
