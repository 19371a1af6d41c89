"""Terminal summary: names from the input are shown as written, never read as rich markup."""

import io
from types import SimpleNamespace

import pandas as pd
from rich.console import Console

from pvsite.outputs import console as report


def test_markup_like_names_are_printed_literally(monkeypatch):
    row = dict(level="street", key="[bold]X街道", key_zh="[bold]X街道", n_buildings=1, n_sized=1,
               capacity_kw=10.0, annual_mwh=1.0, co2_t=0.4, potential_x_target=0.001,
               specific_yield_kwh_per_kwp=1000.0)
    summary = pd.DataFrame([dict(row, level="district"), row, dict(row, level="class", key="other", key_zh="其他")])
    result = SimpleNamespace(
        is_synthetic=False, run_info={}, weather_meta={"description": "[red]weather"}, scenario="s",
        scenario_description="[i]d", counts=dict(input=1, selected=1, rejected=0), scope="[bold]X街道",
        summary=summary, district=summary.iloc[0], target_kw=16000.0, classification_report=None,
        footprints_meta={},
    )
    buf = io.StringIO()
    monkeypatch.setattr(report, "console", Console(file=buf, width=120))
    report.print_summary(result, None, quiet=True)
    out = buf.getvalue()
    assert "[bold]X街道" in out and "[red]weather" in out and "[i]d" in out


def test_economics_line_in_wan_yuan_with_the_business_model():
    summary = pd.DataFrame([dict(level="district", capex_yuan=2.0e8, first_year_benefit_yuan=4.0e7,
                                 simple_payback_yr=5.0)])
    roofs = pd.DataFrame({"capacity_kw": [10.0, 0.0], "business_model": ["emc", "self"]})
    result = SimpleNamespace(district=summary.iloc[0], roofs=roofs)
    line = report.economics_line(result)
    assert "20,000 万元" in line and "4,000 万元/yr" in line and "5.0 年" in line
    assert "合同能源管理" in line and "自发自用" not in line   # only the models of sized roofs
    none = SimpleNamespace(district=pd.Series({"capacity_kw": 1.0}), roofs=roofs)
    assert report.economics_line(none) == ""
