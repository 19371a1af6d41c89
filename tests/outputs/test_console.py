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
