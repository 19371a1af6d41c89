"""Terminal output: stage progress, the input reports and the closing summary table.

The plain-text reports (field mapping of the footprint file, classification
counts) are laid out by one helper, :func:`text_table`, which measures text
in terminal cells so that Chinese columns line up.
"""

from __future__ import annotations

import contextlib
import time
import unicodedata
from collections.abc import Collection, Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pvsite.errors import InputError
from pvsite.io.footprints import PVSITE_FIELDS

def _console(stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    # Off a terminal (pipes, logs, CI) rich defaults to 80 columns, which wraps the table.
    return Console(stderr=stderr, highlight=False, width=None if probe.is_terminal else 110)


console = _console(stderr=False)
err_console = _console(stderr=True)



@contextlib.contextmanager
def progress(quiet: bool, n_stages: int):
    """Yield a ``stage(label)`` callback that shows which of ``n_stages`` stages runs and how long each took."""
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
        task = bar.add_task("pvsite", total=n_stages)
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
            bar.update(task, completed=n_stages)


# ---------------------------------------------------------------------------
# Plain-text tables
# ---------------------------------------------------------------------------

def display_width(text: object) -> int:
    """Width of ``str(text)`` in terminal cells: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def pad(text: object, width: int, right: bool = False) -> str:
    """``str(text)`` filled with spaces to ``width`` terminal cells (on the left when ``right``)."""
    text = str(text)
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def text_table(rows: Sequence[Sequence[object]], right: Collection[int] = (), indent: str = "  ",
               gap: str = "  ") -> list[str]:
    """Lay out ``rows`` (the first usually the header) as aligned text lines.

    Parameters
    ----------
    rows : sequence of sequences
        Cells; every row has the same number of cells; any value (shown as ``str``).
    right : collection of int
        Indices of the right-aligned (numeric) columns.
    indent : str
        Put before every line.
    gap : str
        Between two columns.

    Returns
    -------
    list of str
        One line per row, without trailing spaces (a left-aligned last column
        is not padded).  Widths are measured with :func:`display_width`.
    """
    if not rows:
        return []
    n = len(rows[0])
    widths = [max(display_width(r[i]) for r in rows) for i in range(n)]
    lines = []
    for r in rows:
        cells = [pad(c, widths[i], i in right) if (i < n - 1 or i in right) else str(c) for i, c in enumerate(r)]
        lines.append(indent + gap.join(cells))
    return lines


#: Chinese labels of the pvsite fields (terminal reports; units in brackets).
FIELD_LABELS_ZH = {
    "building_id": "编号", "name": "名称", "use": "用途", "storeys": "层数", "height_m": "高度 [m]",
    "year_built": "建成年份", "roof_type": "屋顶类型", "street": "街道",
}

#: Shown for a pvsite field that no source column feeds.
NOT_MAPPED = "—"


def format_field_report(meta: dict, compact: bool = False, max_warnings: int = 20) -> str:
    """Printable field-mapping report of a :func:`pvsite.io.footprints.read_footprints` call.

    Parameters
    ----------
    meta : dict
        Second value returned by :func:`~pvsite.io.footprints.read_footprints`.
    compact : bool
        One line (mapping, unmapped columns, warning count) instead of the
        full table.
    max_warnings : int
        Warnings listed in full [-]; the rest are counted.

    Returns
    -------
    str
        Lines with Chinese + English labels (no trailing newline): pvsite
        field → source column (:data:`NOT_MAPPED` when none), the inputs of
        each classification rule family (``meta["rule_inputs"]``: which OSM
        tags, from which column, fed ``[[rules.osm]]``), the source
        columns not used, features read / rejected / repaired, the encoding
        when known, and the warnings.
    """
    mapping = meta.get("field_mapping") or {}
    unmapped = list(meta.get("unmapped_source_columns") or [])
    warns = list(meta.get("warnings") or [])
    fields = [f for f in PVSITE_FIELDS if f in mapping] or list(PVSITE_FIELDS)

    def src(f):
        c = mapping.get(f)
        return NOT_MAPPED if c is None else str(c)

    rule_inputs = meta.get("rule_inputs") or {}

    def fed(fam):
        return "; ".join(rule_inputs.get(fam) or []) or NOT_MAPPED

    if compact:
        parts = ["字段映射 fields: " + ", ".join(f"{f}←{src(f)}" for f in fields)]
        if rule_inputs.get("osm"):
            parts.append("OSM 标签 tags → [[rules.osm]]: " + ", ".join(x.split(" ← ")[0] for x in rule_inputs["osm"]))
        parts.append("未映射 unmapped: " + (", ".join(map(str, unmapped)) if unmapped else NOT_MAPPED))
        if warns:
            parts.append(f"警告 warnings: {len(warns)}")
        return " | ".join(parts)

    where = ", ".join(str(x) for x in (
        f"layer {meta['layer']}" if meta.get("layer") else None, meta.get("format"), meta.get("crs")) if x)
    name = Path(str(meta["path"])).name if meta.get("path") else "?"
    lines = [f"字段映射 Field mapping — {name}" + (f" ({where})" if where else "")]
    rows = [["pvsite 字段 field", "源字段 source column"]]
    rows += [[f"{f} {FIELD_LABELS_ZH.get(f, '')}".strip(), src(f)] for f in fields]
    lines += text_table(rows)
    if rule_inputs:
        lines.append("分类规则输入 Classification rule inputs (tag/field ← source column (non-empty values)):")
        for fam, label in (("use", "use / use_code 用途"), ("osm", "osm OSM 标签 tags"), ("name", "name 名称")):
            lines.append(f"  [[rules.{label.split()[0]}]] {label}: {fed(fam)}")
    lines.append("未映射源字段 Unmapped source columns: " + (", ".join(map(str, unmapped)) if unmapped else NOT_MAPPED))
    if "n_features" in meta:
        counts = (f"要素 Features: {meta.get('n_features', 0)} 读入 read, {meta.get('n_rejected', 0)} 拒绝 rejected, "
                  f"{meta.get('n_repaired', 0)} 修复 repaired")
        if meta.get("n_source_features") and meta["n_source_features"] != meta["n_features"]:
            counts += f" (of {meta['n_source_features']} source features)"
        lines.append(counts)
    if meta.get("encoding"):
        basis = f" ({meta['encoding_basis']})" if meta.get("encoding_basis") else ""
        lines.append(f"编码 Encoding: {meta['encoding']}{basis}")
    lines.append(f"警告 Warnings: {len(warns)}" if warns else f"警告 Warnings: {NOT_MAPPED}")
    for w in warns[:max_warnings]:
        lines.append(f"  - {w}")
    if len(warns) > max_warnings:
        lines.append(f"  … {len(warns) - max_warnings} more")
    return "\n".join(lines)


def format_classification_report(report_df: pd.DataFrame, top: int = 10) -> str:
    """Printable classification report: buildings per class, then the top rules.

    Parameters
    ----------
    report_df : pandas.DataFrame
        Output of :func:`pvsite.buildings.classify.classification_report`
        (default grouping, or any grouping that includes ``building_class``).
    top : int
        Number of rules listed [-]; the rest are summed in one line.
        Registry rules ``'registry:<file>:<row>'`` are counted per file
        (``'registry:<file>:*'``).

    Returns
    -------
    str
        Lines with Chinese + English labels (no trailing newline).
    """
    df = pd.DataFrame(report_df)
    if "building_class" not in df.columns or "n_buildings" not in df.columns:
        raise InputError("The classification report lacks building_class / n_buildings.",
                         fix="Pass the frame returned by classification_report().",
                         zh="分类报告缺少 building_class / n_buildings 字段。",
                         fix_zh="请传入 classification_report() 返回的数据表。")
    usable = "n_usable" in df.columns
    total = int(df["n_buildings"].sum())
    lines = [f"分类 Classification — {total} 建筑 buildings"]
    agg = {"n_buildings": ("n_buildings", "sum")}
    if usable:
        agg["n_usable"] = ("n_usable", "sum")
    per = df.groupby("building_class", sort=False, dropna=False).agg(**agg)
    zh = df.drop_duplicates("building_class").set_index("building_class")["class_zh"] if "class_zh" in df else None
    order = list(per.index)  # classification_report() sorted the classes in the preset's plan order
    rows = [["类别 class", "建筑 buildings"] + (["可用 usable"] if usable else []) + ["占比 share"]]
    for c in order:
        label = f"{zh[c]} {c}" if zh is not None and pd.notna(zh.get(c)) else str(c)
        r = per.loc[c]
        rows.append([label, int(r["n_buildings"])] + ([int(r["n_usable"])] if usable else [])
                    + [f"{100 * r['n_buildings'] / total:.1f} %" if total else "—"])
    rows.append(["合计 total", total] + ([int(per["n_usable"].sum())] if usable else []) + ["100.0 %" if total else "—"])
    lines += text_table(rows, right=set(range(1, len(rows[0]))))
    if "class_rule" in df.columns:
        keys = ["class_rule"] + [c for c in ("building_type", "type_zh") if c in df.columns]
        rules = df.assign(class_rule=df["class_rule"].astype("str").str.replace(
            r"^(registry:.*):\d+$", r"\1:*", regex=True))
        rules = (rules.groupby(keys, sort=False, dropna=False)["n_buildings"].sum().reset_index()
                 .sort_values(["n_buildings", "class_rule"], ascending=[False, True], kind="stable"))
        shown = rules.head(max(int(top), 0))
        lines.append(f"规则 Rules — top {len(shown)} of {len(rules)}")
        head = [["规则 rule"] + (["类型 type"] if "building_type" in keys else []) + ["建筑 buildings"]]
        body = []
        for r in shown.itertuples(index=False):
            d = r._asdict()
            t = []
            if "building_type" in keys:
                t = [f"{d['building_type']} {d['type_zh']}" if "type_zh" in d and pd.notna(d["type_zh"])
                     else str(d["building_type"])]
            body.append([d["class_rule"]] + t + [int(d["n_buildings"])])
        rest = rules.iloc[len(shown):]
        if len(rest):
            body.append([f"… {len(rest)} more rules 其余规则"] + ([""] if "building_type" in keys else [])
                        + [int(rest["n_buildings"].sum())])
        lines += text_table(head + body, right={len(head[0]) - 1})
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Closing summary
# ---------------------------------------------------------------------------

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
    print_findings(getattr(result, "findings", ()))
    if not quiet:
        console.print(format_field_report(result.footprints_meta, compact=not verbose), markup=False)
        console.print(format_classification_report(result.classification_report, top=30 if verbose else 8),
                      markup=False)
    table = Table(title=f"pvsite — {escape(result.scope)} — {escape(result.scenario)} (潜力 potential)",
                  show_lines=False)
    built = _built_known(result)
    for col, justify in [("街道 Street", "left"), ("建筑 Bldgs", "right"), ("安装 Sized", "right"),
                         ("潜力 kW", "right"), ("MWh/yr", "right"), ("tCO2/yr", "right"), ("× 目标 target", "right"),
                         *([("已建 built kW", "right"), ("在建 kW", "right")] if built else [])]:
        table.add_column(col, justify=justify)
    def add(label: str, row, bold: bool = False, style: str = "", **kw) -> None:
        """One table row; names from the input are escaped (a '[' is not rich markup)."""
        cells = [_fmt(row["n_buildings"]), _fmt(row["n_sized"]), _fmt(row["capacity_kw"]),
                 _fmt(row["annual_mwh"]), _fmt(row["co2_t"]), _fmt_x(row.get("potential_x_target"))]
        if built:
            cells += [_fmt(row.get("installed_kw")), _fmt(row.get("under_construction_kw"))]
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
        f"潜力 Potential of scenario {escape(result.scenario)}: [bold]{d['capacity_kw']:,.0f} kW = "
        f"{_fmt_x(d.get('potential_x_target'))} 目标 target[/] ({result.target_kw:,.0f} kW), "
        f"{d['annual_mwh']:,.0f} MWh/yr, {d['co2_t']:,.0f} tCO2/yr"
        + (f"; specific yield {d['specific_yield_kwh_per_kwp']:,.0f} kWh/kWp" if d["capacity_kw"] > 0 else "")
        + " — what the roofs could carry, not what is built."
    )
    console.print(built_line(result))
    line = economics_line(result)
    if line:
        console.print(line)
    print_carbon(result)
    print_priority(result, top=10 if verbose else 5)
    if out is not None:
        console.print(f"输出 Output: {escape(str(out))}")


def economics_line(result) -> str:
    """One line of the district's money: 投资 万元, 首年净收益 万元/yr, 静态回收期 年, business model(s); '' without."""
    d = result.district
    if "capex_yuan" not in d.index or pd.isna(d["capex_yuan"]):
        return ""
    from pvsite.outputs.schema import BUSINESS_MODEL_ZH

    roofs = result.roofs
    used = sorted(set(roofs.loc[roofs["capacity_kw"] > 0, "business_model"].astype(str))) \
        if "business_model" in roofs else []
    models = " + ".join(f"{BUSINESS_MODEL_ZH.get(m, m)} {m}" for m in used) or "—"
    payback = d.get("simple_payback_yr")
    pb = (f"[bold]{float(payback):.1f} 年 yr[/]" if payback is not None and not pd.isna(payback)
          else "不回收 never pays back")
    return (f"经济性 Economics (潜力 potential): 投资 capex [bold]{float(d['capex_yuan']) / 1e4:,.0f} 万元[/], "
            f"首年净收益 first-year net benefit {float(d['first_year_benefit_yuan']) / 1e4:,.0f} 万元/yr, "
            f"静态回收期 simple payback {pb}; 商业模式 {escape(models)}")


def print_carbon(result) -> None:
    """Standard coal saved, and the renewable share (a PV-only proxy) against task 15's goals."""
    d, info = result.district, result.run_info
    if "tce_t" in d.index and pd.notna(d["tce_t"]):
        console.print(f"节约标准煤 Standard coal saved (潜力 potential): {d['tce_t']:,.0f} tce/yr at "
                      f"{escape(info.get('coal_gce_per_kwh', ''))} gce/kWh; CO2 factor "
                      f"{escape(info.get('emission_factor_kg_per_kwh', ''))} kg/kWh "
                      f"({escape(info.get('emission_factor_source', ''))})")
    if "renewable_share_pct" not in d.index:
        return
    goals = info.get("renewable_share_goals_pct", "{}")
    import json

    goal_text = ", ".join(f"{v:g} % ({k})" for k, v in json.loads(goals or "{}").items())
    if pd.isna(d["renewable_share_pct"]):
        console.print("可再生能源替代率 Renewable share: 未提供年用能 --consumption / no consumption given"
                      + (f" (任务15目标 task 15 goals: {goal_text})" if goal_text else ""))
        return
    console.print(
        f"可再生能源替代率(代理) Renewable share (proxy): [bold]{d['renewable_share_pct']:.1f} %[/] = "
        f"{d['share_pv_kwh'] / 1000:,.0f} MWh 光伏潜力 PV potential / {d['consumption_kwh'] / 1000:,.0f} MWh 用能 use"
        + (f"; 任务15目标 task 15 goals {goal_text}" if goal_text else "")
        + "\n  仅计屋顶光伏、以kWh计, 非官方口径 / rooftop PV only, in kWh: a proxy, not the official indicator")


def print_priority(result, top: int = 5) -> None:
    """The first roofs of the priority list and how many close the gap."""
    pr = getattr(result, "priority", None)
    if pr is None:
        return
    a = pr.attrs
    head = (f"优先屋顶 Priority roofs ({escape(a.get('rank_by', ''))}: {escape(a.get('rank_by_zh', ''))}) — "
            f"缺口 gap {a.get('gap_kw', 0):,.0f} kW")
    if a.get("gap_kw", 0) <= 0:
        head += ": 目标已达成 target reached"
    elif a.get("n_closing"):
        head += f": 前 {a['n_closing']:,} 个屋顶可补齐 the first {a['n_closing']:,} roofs close it"
    else:
        head += f": 全部 {len(pr):,} 个屋顶仍差 all {len(pr):,} roofs leave {a.get('shortfall_kw', 0):,.0f} kW"
    console.print(head)
    if str(a.get("gap_basis", "")).startswith("potential only"):
        console.print("  [yellow]未提供已建项目清单 --installed: 缺口按目标全额计 / no installed registry: "
                      "the gap is the whole target (potential only)[/]")
    rows = [(int(r["rank"]), r["building_id"], r["name"] if isinstance(r["name"], str) else "", r["street"],
             r["class_zh"], r["responsible_department"], _fmt(r["remaining_potential_kw"]),
             _fmt(r["annual_kwh"] / 1000), _fmt(r["cumulative_kw"])) for _, r in pr.head(top).iterrows()]
    if rows:
        header = ("#", "建筑 id", "名称 name", "街道", "类别", "责任部门", "潜力 kW", "MWh/yr", "累计 kW")
        console.print("\n".join(text_table([header, *rows], right={0, 6, 7, 8})), markup=False)
def _fmt_x(value) -> str:
    """A multiple of the target: ``4.09 ×``; ``—`` when unknown."""
    return "—" if value is None or pd.isna(value) else f"{float(value):,.2f} ×"


def _built_known(result) -> bool:
    """True when the run had a list of installed systems (``--installed``)."""
    return getattr(result, "installed_entries", None) is not None


def built_line(result) -> str:
    """已建 / 在建 against the target, or the statement that built capacity is unknown."""
    if not _built_known(result):
        return ("[yellow]已建容量未知：未提供已建项目清单 (--installed) / built capacity unknown: no list of installed "
                "systems given (--installed PATH[:datum]); the figures above are potential only.[/]")
    d = result.district
    traj = getattr(result, "trajectory", None)
    years = ""
    if traj is not None and traj["target_kw"].notna().any():
        years = f" ({traj.attrs.get('first_year', '')}–{int(traj.loc[traj['target_kw'].notna(), 'year'].max())})"
    remaining = d.get("remaining_kw")
    gap = ("" if remaining is None or pd.isna(remaining) else
           f"; 尚差 remaining [bold]{float(remaining):,.0f} kW[/]" if remaining >= 0 else
           f"; 超出目标 target exceeded by [bold]{-float(remaining):,.0f} kW[/]")
    pct, inst = d.get("achieved_pct"), float(d["installed_kw"])
    counted = (float(d["target_kw"]) - float(remaining)) if remaining is not None and not pd.isna(remaining) else inst
    part = (f" = [bold]{float(pct):.1f} % of target[/]{years}" if abs(counted - inst) < 1e-6 else
            f", of which {counted:,.0f} kW commissioned{years} count toward the target = [bold]{float(pct):.1f} % "
            f"of target[/]")
    return (f"已建 Built [bold]{inst:,.0f} kW[/]" + ("" if pct is None or pd.isna(pct) else part)
            + f"; 在建 under construction {float(d['under_construction_kw']):,.0f} kW"
            + f"; 已备案 planned {float(d['planned_kw']):,.0f} kW" + gap + ".")


def format_finding(finding) -> str:
    """One sanity-check finding as a line: ``⚠ <English> / <中文>``."""
    return f"⚠ {finding.message_en}\n  {finding.message_zh}"


def print_findings(findings) -> None:
    """Print the sanity checks' findings (:mod:`pvsite.buildings.checks`); shown even with ``-q``."""
    for f in findings:
        console.print(f"[bold yellow]{escape(format_finding(f))}[/]")


def print_scenarios(table, scope: str, target_kw: float, default: str | None = None) -> None:
    """Print the scenario comparison of :func:`pvsite.pipeline.compare_scenarios`."""
    out = Table(title=f"pvsite — {escape(scope)} — 情景对比 scenarios (target {target_kw:,.0f} kW)")
    for col, justify in [("情景 Scenario", "left"), ("说明", "left"), ("安装 Sized", "right"), ("kW", "right"),
                         ("MWh/yr", "right"), ("tCO2/yr", "right"), ("kWh/kWp", "right"), ("× 目标 target", "right")]:
        out.add_column(col, justify=justify)
    for _, row in table.iterrows():
        name = escape(str(row["scenario"])) + (" *" if row["scenario"] == default else "")
        out.add_row(name, escape(str(row["description_zh"])), _fmt(row["n_sized"]), _fmt(row["capacity_kw"]),
                    _fmt(row["annual_mwh"]), _fmt(row["co2_t"]),
                    "—" if row["capacity_kw"] <= 0 else _fmt(row["specific_yield_kwh_per_kwp"]),
                    _fmt_x(row["potential_x_target"]))
    console.print(out)
    if default:
        console.print("* default scenario of the preset; 潜力 capacities are potentials, not what is built.")
