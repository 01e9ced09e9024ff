"""``leadscore fair-import``: a trade fair's badge scans (the scanner app's CSV export) into
the store, as the fair page's upload does: each scan a visit of the lead with its e-mail,
or a new lead; rows read = scans imported + rows rejected, each rejected row named (and
exit code 1: the good rows are in, the file needs fixing, and imported again adds only
the fixed rows). The
store is found as ``leadscore rescore`` finds it; new leads are scored at the next rescore
(or by the service, which scores a lead when it is asked for). Heavy modules are imported
inside the command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadscore.cli.environment import existing_store
from leadscore.cli.failing import exits_on_input_error, fail

MAX_FILE_BYTES = 50 * 1024 * 1024  # ten times the upload's limit: a week of a large fair


@exits_on_input_error
def fair_import(
    file: Annotated[Path, typer.Argument(help="the scanner app's CSV export", exists=True)],
    fair: Annotated[str, typer.Option(help='the fair\'s name, e.g. "Hannover Messe 2026"')],
    mapping: Annotated[
        Path | None,
        typer.Option(help="a scan source YAML naming the app's columns (see docs/workspace.md)"),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="the zone of the export's times without an offset [Europe/Berlin]"),
    ] = None,
) -> None:
    """Import a trade fair's badge scans (CSV) as visits of their leads."""
    import pandas as pd

    from leadscore.cli.terminal import console
    from leadscore.data.scans import ScanMapping, checked_zone, load_scan_mapping, read_scans
    from leadscore.store.store import Store
    from leadscore.workspace.fair_import import checked_fair, import_scans
    from leadscore.workspace.texts import text

    name = checked_fair(fair)
    if name is None:
        fail("--fair is empty or longer than 200 characters; give the fair's name")
    if file.stat().st_size > MAX_FILE_BYTES:
        fail(f"{file}: larger than {MAX_FILE_BYTES // 2**20} MB; split the export")
    if mapping is not None:
        source = load_scan_mapping(mapping, timezone=timezone)
    else:
        source = ScanMapping(timezone=checked_zone(timezone or ScanMapping().timezone))
    scans = read_scans(file.read_bytes(), source)
    store = Store.open(existing_store())
    result = import_scans(store, scans, name, now=pd.Timestamp.now(tz="UTC"))
    for r in result.rejected:
        said = text(r.reason, "en", **r.values)
        console().print(f"{file}: row {r.row}, {r.column}: {said}", highlight=False)
    if result.unmapped:
        console().print(text("unmapped", "en", columns=", ".join(result.unmapped)), highlight=False)
    console().print(
        f"{name}: {result.read} rows read: {result.taken} scans imported "
        f"({result.repeated} of them imported before, {result.new_leads} new leads), "
        f"{len(result.rejected)} rows rejected",
        highlight=False,
    )
    if result.rejected:  # the good rows are in; the file needs fixing (a rerun adds them once)
        raise typer.Exit(code=1)
