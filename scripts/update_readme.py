"""Regenerate the measured blocks of README.md from real pvsite runs.

The README's figures are never typed by hand: each block between
``<!-- pvsite:begin NAME -->`` and ``<!-- pvsite:end NAME -->`` is produced
here from the embedded sample district, and ``tests/test_readme.py`` fails
when a block is stale.  Run ``.venv/bin/python scripts/update_readme.py``
after changing anything that moves a number.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: Policy presets of the scenario table; every scenario of each comes from one preparation.
POLICIES = ("changning-2023", "nea-2021-county")


@lru_cache(maxsize=None)
def prepared(policy: str = "changning-2023"):
    """One preparation of the sample district per policy preset (pipeline.prepare)."""
    from pvsite.config import Config
    from pvsite.pipeline import prepare

    return prepare(Config().with_overrides(policy={"preset": policy}))


@lru_cache(maxsize=None)
def district_run(policy: str = "changning-2023", scenario: str = "plan-2025"):
    from pvsite.pipeline import size

    return size(prepared(policy), scenario)


def _n(x, digits=0):
    return f"{x:,.{digits}f}"


def block_district() -> str:
    res = district_run()
    s = res.summary
    lines = ["| 街道 street | buildings | sized | PV area m² | 潜力 potential kW | MWh/yr | tCO2/yr | kWh/kWp | × 16,000 kW |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for _, r in s[s.level.isin(["street", "district"])].iterrows():
        key = f"**{r.key}**" if r.level == "district" else r.key
        lines.append(f"| {key} | {_n(r.n_buildings)} | {_n(r.n_sized)} | {_n(r.pv_area_m2)} | {_n(r.capacity_kw)} "
                     f"| {_n(r.annual_mwh)} | {_n(r.co2_t)} | {_n(r.specific_yield_kwh_per_kwp)} "
                     f"| {_n(r.potential_x_target, 2)} |")
    lines += ["", "| 政策类别 class | buildings | sized | 潜力 kW | MWh/yr | × target |", "|---|---:|---:|---:|---:|---:|"]
    for _, r in s[s.level == "class"].iterrows():
        lines.append(f"| {r.key_zh} ({r.key}) | {_n(r.n_buildings)} | {_n(r.n_sized)} | {_n(r.capacity_kw)} "
                     f"| {_n(r.annual_mwh)} | {_n(r.potential_x_target, 2)} |")
    lines += ["", "| 责任部门 department | buildings | sized | 潜力 kW | MWh/yr | × target |", "|---|---:|---:|---:|---:|---:|"]
    for _, r in s[s.level == "department"].iterrows():
        lines.append(f"| {r.key_zh} | {_n(r.n_buildings)} | {_n(r.n_sized)} | {_n(r.capacity_kw)} "
                     f"| {_n(r.annual_mwh)} | {_n(r.potential_x_target, 2)} |")
    return "\n".join(lines)


def block_streets() -> str:
    """Per street: the largest sized roofs, so a planner can check one by hand."""
    res = district_run()
    roofs = res.roofs
    out = []
    for street in [k for k in res.summary.loc[res.summary.level == "street", "key"]]:
        sel = roofs[(roofs.street == street) & (roofs.capacity_kw > 0)]
        tot = res.summary[(res.summary.level == "street") & (res.summary.key == street)].iloc[0]
        out.append(f"**{street}** — `pvsite run --street {street}` → {_n(tot.capacity_kw)} kW, "
                   f"{_n(tot.annual_mwh)} MWh/yr, {_n(tot.co2_t)} tCO2/yr, "
                   f"{_n(tot.potential_x_target, 2)} × the district target (potential, not built); "
                   f"{_n(tot.n_sized)} of {_n(tot.n_buildings)} roofs carry PV. Largest three:\n")
        out.append("| building | class | rule | roof | roof m² | usable m² | ratio | required m² | modules (fit) "
                   "| PV area m² | kW | kWh/yr | kWh/kWp |")
        out.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for _, r in sel.sort_values(["capacity_kw", "building_id"], ascending=[False, True]).head(3).iterrows():
            name = r["name"] if isinstance(r["name"], str) and r["name"] else r.building_id
            out.append(f"| {name} | {r.class_zh} | `{r.class_rule}` | {r.roof_type} | {_n(r.area_m2)} "
                       f"| {_n(r.usable_area_m2)} | {r.policy_ratio:.0%} | {_n(r.required_pv_area_m2)} "
                       f"| {r.n_modules} ({r.modules_fit}) | {_n(r.pv_area_m2)} | {_n(r.capacity_kw, 1)} "
                       f"| {_n(r.annual_kwh)} | {_n(r.specific_yield_kwh_per_kwp)} |")
        out.append("")
    return "\n".join(out).rstrip()


def block_scenarios() -> str:
    lines = ["| policy preset | scenario | sized roofs | 潜力 potential kW | MWh/yr | tCO2/yr | × 16,000 kW |",
             "|---|---|---:|---:|---:|---:|---:|"]
    from pvsite.pipeline import compare_scenarios

    for policy in POLICIES:
        for _, d in compare_scenarios(prepared(policy)).iterrows():
            lines.append(f"| {policy} | `{d.scenario}` | {_n(d.n_sized)} | {_n(d.capacity_kw)} | {_n(d.annual_mwh)} "
                         f"| {_n(d.co2_t)} | {_n(d.potential_x_target, 2)} |")
    return "\n".join(lines)


#: The synthetic project list of the delivery example (footprints/README.md).
INSTALLED = ROOT / "footprints" / "sample_installed.csv"


@lru_cache(maxsize=None)
def delivery_run():
    """The sample district, plan-2025, with the synthetic project list (``--installed``)."""
    from pvsite.config import Config
    from pvsite.pipeline import run

    return run(Config().with_overrides(delivery={"installed": [{"path": str(INSTALLED)}]}))


def block_delivery() -> str:
    res = delivery_run()
    d, pr, e = res.district, res.priority, res.installed_entries
    a = pr.attrs
    by = e.groupby("match_method").size().to_dict()
    lines = [
        f"`pvsite run --installed footprints/sample_installed.csv` (synthetic list: {len(e)} projects; matched by id "
        f"{by.get('id', 0)}, by the roof containing the point {by.get('contains', 0)}, nearest "
        f"{by.get('nearest', 0)}, unmatched {by.get('unmatched', 0)}):",
        "",
        "| 全区 district | kW |", "|---|---:|",
        f"| 已并网 built (all) | {_n(d.installed_kw)} |",
        f"| 已并网 built toward the target (commissioned 2021–2025) | {_n(d.target_kw - d.remaining_kw)} "
        f"= {d.achieved_pct:.1f} % of {_n(d.target_kw)} |",
        f"| 在建 under construction | {_n(d.under_construction_kw)} |",
        f"| 已备案 planned (filed) | {_n(d.planned_kw)} |",
        f"| 尚差 remaining to the target (target − built toward it) | {_n(d.remaining_kw)} |",
        f"| 缺口 gap for new roofs (remaining − in progress − filed) | {_n(a['gap_kw'])} |",
        f"| 剩余潜力 remaining potential of the roofs (plan-2025) | {_n(d.remaining_potential_kw)} |",
        "",
        f"Ranked by `{a['rank_by']}` ({a['rank_by_zh']}), the first **{a['n_closing']} roofs** close the gap:",
        "",
        "| # | building | street | class | department (task) | remaining kW | MWh/yr | cumulative kW |",
        "|---:|---|---|---|---|---:|---:|---:|",
    ]
    for _, r in pr.head(5).iterrows():
        name = r["name"] if isinstance(r["name"], str) and r["name"] else r["building_id"]
        lines.append(f"| {int(r['rank'])} | {name} | {r['street']} | {r['class_zh']} | {r['responsible_department']} "
                     f"({r['plan_task']}) | {_n(r['remaining_potential_kw'])} | {_n(r['annual_kwh'] / 1000)} "
                     f"| {_n(r['cumulative_kw'])} |")
    tasks = sorted(res.department_tasks.items(), key=lambda kv: -float(kv[1]["remaining_potential_kw"].sum()))
    lines += ["", "One task list per responsible department (workbook sheets 任务-‹部门›): " + "; ".join(
        f"{k} {len(v)} roofs / {_n(v['remaining_potential_kw'].sum())} kW" for k, v in tasks) + "."]
    return "\n".join(lines)


def block_economics() -> str:
    import dataclasses

    from pvsite.pipeline import size

    base = prepared()
    lines = ["| business model | sized roofs | capex 万元 | 元/W | first-year net benefit 万元/yr | simple payback yr "
             "| NPV 万元 | IRR % (median) | LCOE 元/kWh (range) | host benefit 万元/yr |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for model in ("self", "full-export", "emc"):
        p = dataclasses.replace(base, config=base.config.with_overrides(economics={"business_model": model}))
        res = size(p)
        d, r = res.district, res.roofs[res.roofs["capacity_kw"] > 0]
        irr = r["investor_irr_pct"] if model == "emc" else r["irr_pct"]
        host = r["host_benefit_yuan_per_yr"].sum() / 1e4 if model == "emc" else float("nan")
        lines.append(
            f"| `{model}` | {_n(len(r))} | {_n(d.capex_yuan / 1e4)} | {d.capex_yuan / (d.capacity_kw * 1000):.2f} "
            f"| {_n(d.first_year_benefit_yuan / 1e4)} | {d.simple_payback_yr:.2f} | {_n(d.npv_yuan / 1e4)} "
            f"| {irr.median():.1f} | {r['lcoe_yuan_per_kwh'].min():.3f}–{r['lcoe_yuan_per_kwh'].max():.3f} "
            f"| {'—' if host != host else _n(host, 1)} |")
    return "\n".join(lines)


def block_columns() -> str:
    from pvsite.outputs import schema

    return (f"#### `roofs` — one row per input building\n\n{schema.markdown('roofs')}\n\n"
            f"#### `streets`, `district` and `summary` — rollups\n\n{schema.markdown('summary')}")


BLOCKS = {
    "district": block_district,
    "streets": block_streets,
    "scenarios": block_scenarios,
    "columns": block_columns,
    "delivery": block_delivery,
    "economics": block_economics,
}


def render(text: str) -> str:
    for name, fn in BLOCKS.items():
        pattern = re.compile(rf"(<!-- pvsite:begin {name} -->\n).*?(<!-- pvsite:end {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README has no block {name}")
        body = fn()
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md updated")
    else:
        print("README.md up to date")
    return 0


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    sys.exit(main())
