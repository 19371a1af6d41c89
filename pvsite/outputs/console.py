"""Terminal output: stage progress and the closing summary table."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

def _console(stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    # Off a terminal (pipes, logs, CI) rich defaults to 80 columns, which wraps the table.
    return Console(stderr=stderr, highlight=False, width=None if probe.is_terminal else 110)


console = _console(stderr=False)
err_console = _console(stderr=True)

N_STAGES = 8


@contextlib.contextmanager
def progress(quiet: bool = False):
    """Yield a ``stage(label)`` callback that shows which stage runs and how long each took."""
    if quiet:
        yield lambda label: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("pvsite", total=N_STAGES)
        state = {"n": 0, "t": time.perf_counter(), "label": None}

        def stage(label: str) -> None:
            if state["label"] is not None:
                err_console.log(f"{state['label']}  ({time.perf_counter() - state['t']:.1f} s)")
                bar.advance(task)
            state.update(label=label, t=time.perf_counter())
            bar.update(task, description=label)

        yield stage
        if state["label"] is not None:
            err_console.log(f"{state['label']}  ({time.perf_counter() - state['t']:.1f} s)")
            bar.update(task, completed=N_STAGES)


def safe_name(text: str) -> str:
    """A file-name-safe version of a scope label (keeps Chinese characters)."""
    import re

    return re.sub(r'[\\/:*?"<>|;!\s∩]+', "_", str(text)).strip("_")[:80] or "run"


def _fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def print_summary(result, out: Path | None = None, verbose: int = 0, quiet: bool = False) -> None:
    """Print the assumption, the per-street table and the total toward the target."""
    if result.is_synthetic:
        console.print(f"[bold red]⚠ {result.run_info.get('warning', 'synthetic sample data')}[/]")
    w = result.weather_meta
    console.print(
        f"[bold]情景 Scenario[/] {escape(result.scenario)}: {escape(result.scenario_description)}\n"
        f"[bold]气象 Weather[/] {escape(str(w.get('description', w.get('source', ''))))}"
        + (" [yellow](synthetic)[/]" if w.get("is_synthetic") else "")
    )
    c = result.counts
    console.print(
        f"[bold]建筑 Buildings[/] {c['input']:,} read, {c['selected']:,} in {escape(result.scope)}, "
        f"{c['rejected']:,} with unusable geometry (kept, status=rejected)"
        + (f", {c['excluded']:,} excluded (protected / no-go)" if c.get("excluded") else "")
        + (f", {c['outside_streets']:,} outside every street polygon" if c.get("outside_streets") else "")
    )
    if not quiet:
        from pvsite.buildings.classify import format_classification_report
        from pvsite.io.footprints import format_field_report

        console.print(format_field_report(result.footprints_meta, compact=not verbose), markup=False)
        console.print(format_classification_report(result.classification_report, top=30 if verbose else 8),
                      markup=False)
    table = Table(title=f"pvsite — {escape(result.scope)} — {escape(result.scenario)}", show_lines=False)
    for col, justify in [("街道 Street", "left"), ("建筑 Bldgs", "right"), ("安装 Sized", "right"),
                         ("kW", "right"), ("MWh/yr", "right"), ("tCO2/yr", "right"), ("% target", "right")]:
        table.add_column(col, justify=justify)
    def add(label: str, row, bold: bool = False, style: str = "", **kw) -> None:
        """One table row; names from the input are escaped (a '[' is not rich markup)."""
        cells = [_fmt(row["n_buildings"]), _fmt(row["n_sized"]), _fmt(row["capacity_kw"]),
                 _fmt(row["annual_mwh"]), _fmt(row["co2_t"]), _fmt(row["share_of_target_pct"], 1)]
        if bold:
            cells[2], cells[5] = f"[bold]{cells[2]}[/]", f"[bold]{cells[5]}[/]"
        text = escape(label)
        table.add_row(f"[{style}]{text}[/]" if style else text, *cells, **kw)

    s = result.summary
    street_rows = s[s["level"] == "street"]
    if len(street_rows) > 1 or street_rows["key"].iloc[0] != result.scope:
        for _, row in street_rows.iterrows():
            add(str(row["key"]), row)
    d = result.district
    add(str(d["key"]), d, bold=True, style="bold", end_section=True)
    classes = s[s["level"] == "class"]
    for i, (_, row) in enumerate(classes.iterrows()):
        add(f"  {row['key_zh']}", row, end_section=i == len(classes) - 1)
    for _, row in s[(s["level"] == "department") & (s["capacity_kw"] > 0)].iterrows():
        add(f"  {row['key_zh']}", row, style="dim")
    console.print(table)
    console.print(
        f"目标 Target {result.target_kw:,.0f} kW: this scenario reaches "
        f"[bold]{d['capacity_kw']:,.0f} kW ({d['share_of_target_pct']:.1f} %)[/], "
        f"{d['annual_mwh']:,.0f} MWh/yr, {d['co2_t']:,.0f} tCO2/yr"
        + (f"; specific yield {d['specific_yield_kwh_per_kwp']:,.0f} kWh/kWp" if d["capacity_kw"] > 0 else "")
    )
    if out is not None:
        console.print(f"输出 Output: {escape(str(out))}")


def print_scenarios(table, scope: str, target_kw: float, default: str | None = None) -> None:
    """Print the scenario comparison of :func:`pvsite.pipeline.compare_scenarios`."""
    out = Table(title=f"pvsite — {escape(scope)} — 情景对比 scenarios (target {target_kw:,.0f} kW)")
    for col, justify in [("情景 Scenario", "left"), ("说明", "left"), ("安装 Sized", "right"), ("kW", "right"),
                         ("MWh/yr", "right"), ("tCO2/yr", "right"), ("kWh/kWp", "right"), ("% target", "right")]:
        out.add_column(col, justify=justify)
    for _, row in table.iterrows():
        name = escape(str(row["scenario"])) + (" *" if row["scenario"] == default else "")
        out.add_row(name, escape(str(row["description_zh"])), _fmt(row["n_sized"]), _fmt(row["capacity_kw"]),
                    _fmt(row["annual_mwh"]), _fmt(row["co2_t"]),
                    "—" if row["capacity_kw"] <= 0 else _fmt(row["specific_yield_kwh_per_kwp"]),
                    _fmt(row["share_of_target_pct"], 1))
    console.print(out)
    if default:
        console.print("* default scenario of the preset; capacities are potentials, not what is built.")
