"""The HTML report and its place in the output set (the browser tests: test_report_browser.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from pvsite import outputs
from pvsite.geo import datums
from pvsite.outputs import charts, report
from report_fixtures import STREETS, small_result


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return small_result(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(result):
    return report.html_text(result, {"progress": charts.render(result, "progress")})


def _embedded(text: str, ident: str) -> dict:
    m = re.search(rf'<script type="application/[a-z+]*json" id="{ident}">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def test_nothing_is_loaded_from_outside_the_file(page):
    # every src / href / url() is a data: URI or an in-page link; no CDN script, font or tile
    refs = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)', page) + re.findall(r"url\(([^)]*)\)", page)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), refs
    assert "@import" not in page and "<link" not in page
    assert "img-src data:;" in page  # the CSP forbids any fetch of images when no tile URL is given


def test_roofs_are_embedded_in_wgs84_rounded(result, page):
    roofs = _embedded(page, "pv-roofs")["features"]
    assert len(roofs) == len(result.roofs)
    coords = np.array([xy for f in roofs for xy in f["geometry"]["coordinates"][0]])
    assert np.all(np.abs(coords * 1e6 - np.round(coords * 1e6)) < 1e-6)
    # the first roof's corner: the input box starts at 121.42, 31.21
    assert coords[:, 0].min() == pytest.approx(121.42, abs=2e-6)
    assert coords[:, 1].min() == pytest.approx(31.21, abs=2e-6)
    p = roofs[0]["properties"]
    assert p["name"] == "楼0" and p["street"] == STREETS[0] and p["cls"] == "公共机构"
    assert p["kw"] == pytest.approx(float(result.roofs["capacity_kw"].iloc[0]), abs=0.05)
    assert p["status"] == "可装（潜力）"


def test_gcj02_tiles_shift_the_roofs(tmp_path):
    r = small_result(tmp_path, tile_url="https://example.invalid/{z}/{x}/{y}.png", tile_datum="gcj02")
    page = report.html_text(r, {})
    x0 = np.array(_embedded(page, "pv-roofs")["features"][0]["geometry"]["coordinates"][0])
    lon, lat = datums.wgs84_to_gcj02(np.array([121.42]), np.array([31.21]))
    assert x0[:, 0].min() == pytest.approx(lon[0], abs=2e-6) and x0[:, 1].min() == pytest.approx(lat[0], abs=2e-6)
    assert abs(lon[0] - 121.42) > 1e-3  # the GCJ-02 shift is hundreds of metres here
    assert _embedded(page, "pv-conf")["tileUrl"].startswith("https://example.invalid/")


def test_headline_flags_and_assumptions(result, page):
    assert "潜力 potential" in page and "× 目标 target 16,000 kW" in page
    assert "未知 unknown" in page and "未提供 --installed" in page   # no registry: built is not invented
    assert "% of target" not in page.split("Data flags")[0].split("Headline")[1].replace("占目标", "")
    for item, value, source in report.assumptions(result):
        assert item in page
    assert "PVWatts Version 5 Manual" in page          # the losses preset's citation
    assert result.run_info["emission_factor_source"][:20] in page
    # the unclassified finding of this run (商务办公 → other_public … ) or none; every finding is listed
    for f in result.findings:
        assert f.message_zh[:15] in page


def test_tables_have_every_street_class_and_department(result, page):
    s = result.summary
    for lvl in ("street", "class", "department"):
        table = page.split(f'id="table-{lvl}"')[1].split("</table>")[0]
        for name in s.loc[s["level"] == lvl, "key_zh"]:
            assert f"<td>{name}</td>" in table


def test_write_all_adds_report_members_and_removes_them_when_off(result, tmp_path, monkeypatch):
    out = tmp_path / "r.gpkg"
    monkeypatch.setattr(report, "find_chromium", lambda: None)   # no PDF: the report says how to get one
    written = outputs.write_all(result, out)
    keys = set(written.paths)
    assert {"html", *(f"chart_{c.key}" for c in charts.CHARTS)} <= keys and "pdf" not in keys
    text = written.html.read_text(encoding="utf-8")
    assert report.NO_PDF_HINT[:20] in text and written.set_id in text
    assert (tmp_path / "r_chart_map.png").read_bytes()[:4] == b"\x89PNG"
    # a second run with the report off leaves no report of the first set beside it
    r2 = type(result)(**{**result.__dict__, "config": result.config.with_overrides(report={"enabled": False})})
    again = outputs.write_all(r2, out, overwrite=True)
    assert set(again.paths) == {m.key for m in outputs.MEMBERS if m.wanted is None}  # the core set and CSV twins
    assert not list(tmp_path.glob("r*.png")) and not (tmp_path / "r.html").exists()


def test_existing_report_is_refused_without_overwrite(result, tmp_path):
    out = tmp_path / "r.gpkg"
    (tmp_path / "r.html").write_text("old", encoding="utf-8")
    with pytest.raises(outputs.OutputError):
        outputs.write_all(result, out)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == "old"


def test_economics_section_money_table_sensitivity_and_sources(result):
    page = report.html_text(result, {"sensitivity": charts.render(result, "sensitivity")})
    econ = page.split('<section id="economics">')[1].split("</section>")[0]
    d = result.district
    assert f"{d['capex_yuan'] / 1e4:,.1f} 万元" in econ and f"{d['simple_payback_yr']:.1f} 年" in econ
    table = econ.split('id="table-economics"')[1].split("</table>")[0]
    s = result.summary
    for name in s.loc[s["level"].isin(("street", "department")) & (s["capex_yuan"] > 0), "key_zh"]:
        assert f"<td>{name}</td>" in table
    assert "自发自用、余电上网" in table
    assert econ.count("data:image/png;base64,") == 1 and "回收期敏感性" in econ
    sens = econ.split('id="table-sensitivity"')[1].split("</table>")[0]
    assert sens.count("<tr>") == 1 + len(result.sensitivity)  # header + every case
    sources = econ.split('id="table-econ-sources"')[1].split("</table>")[0]
    assert "假设 pvsite assumption" in sources and "沪发改规范〔2022〕14号" in sources
    # the tornado chart is in the economics section, not repeated among the charts
    assert page.count("回收期敏感性 payback sensitivity") == 1


def test_headline_lists_every_scenario_as_x_target(result, page):
    head = page.split("Headline")[1].split("Economics")[0]
    table = head.split('id="table-scenarios"')[1].split("</table>")[0]
    for _, sc in result.scenarios.iterrows():
        assert f"<td>{sc['scenario']}</td>" in table and f"{sc['potential_x_target']:.2f}" in table
    assert "% of target" not in head.replace("占目标", "")
def test_pdf_is_printed_without_the_screen_only_roof_geojson(result, tmp_path):
    """The print copy differs from the report only in the (screen-only) roof GeoJSON, emptied."""
    from pvsite.outputs import _print_copy

    pngs = {c.key: charts.render(result, c.key) for c in charts.CHARTS}
    html_path = tmp_path / "r.html"
    html_path.write_text(report.html_text(result, pngs), encoding="utf-8")
    folder = tmp_path / "print"
    folder.mkdir()
    copy = _print_copy(html_path, folder)
    text, printed = html_path.read_text(encoding="utf-8"), copy.read_text(encoding="utf-8")
    key = 'id="pv-roofs">'
    i = text.index(key) + len(key)
    assert text[i:text.index("</script>", i)].count('"Feature"') > 0
    assert printed == text[:i] + '{"type":"FeatureCollection","features":[]}' + text[text.index("</script>", i):]
    assert ".screen-only{display:none" in text and 'class="screen-only"' in text
    html_path.write_text("<html>no map</html>", encoding="utf-8")
    assert _print_copy(html_path, folder) is None  # nothing to drop: the report itself is printed


def test_print_pdf_failures_are_bilingual_and_say_how_to_skip(tmp_path, monkeypatch):
    from pvsite.errors import OutputError
    html = tmp_path / "r.html"
    html.write_text("<html></html>", encoding="utf-8")
    monkeypatch.setattr(report, "find_chromium", lambda: None)
    with pytest.raises(OutputError) as e:
        report.print_pdf(html, tmp_path / "r.pdf")
    assert "未安装 Chromium" in e.value.zh and "--no-pdf" in e.value.fix_zh and "--no-pdf" in e.value.fix
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'crashed' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(OutputError) as e:
        report.print_pdf(html, tmp_path / "r.pdf", chromium=str(fake))
    assert "退出码 3" in e.value.zh and "crashed" in e.value.zh and "exit 3" in e.value.message


def _per_roof_reference(result, max_roofs: int, datum: str) -> tuple[str, int, int]:
    """The map's GeoJSON as it was written before the column-wise formatting: a dict and json.dumps per roof."""
    import shapely

    roofs = result.roofs[result.roofs.geometry.notna() & ~result.roofs.geometry.is_empty]
    n_total = len(roofs)
    if n_total > max_roofs:
        roofs = roofs[roofs["capacity_kw"] > 0]
        if len(roofs) > max_roofs:
            roofs = roofs.nlargest(max_roofs, "capacity_kw")
    geoms = roofs.to_crs("EPSG:4326").geometry.to_numpy()
    if datum == "gcj02":
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(datums.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, report.COORD_DECIMALS))
    kw = roofs["capacity_kw"].astype(float).fillna(0.0).to_numpy()
    mwh = roofs["annual_kwh"].astype(float).fillna(0.0).to_numpy() / 1000.0
    colour = charts.kw_colours(kw)
    optional = [c for c in ("remaining_potential_kw", "installed_kw", "under_construction_kw", "planned_kw")
                if c in roofs.columns]
    values = {c: roofs[c].astype(float).to_numpy() for c in optional}
    text = {c: [report._text(v) for v in roofs[c].tolist()] if c in roofs.columns else [""] * len(roofs)
            for c in ("building_id", "name", "street", "class_zh", "status", "responsible_department", "plan_task")}
    feats = []
    for i, g in enumerate(shapely.to_geojson(geoms)):
        p = {"id": text["building_id"][i], "name": text["name"][i], "street": text["street"][i],
             "cls": text["class_zh"][i] or "未分类", "kw": round(float(kw[i]), 1), "mwh": round(float(mwh[i]), 1),
             "status": report.STATUS_ZH.get(text["status"][i], text["status"][i]),
             "dept": text["responsible_department"][i], "colour": colour[i]}
        if text["plan_task"][i]:
            p["plan_task"] = text["plan_task"][i]
        for c in optional:
            if np.isfinite(values[c][i]):
                p["remaining_kw" if c == "remaining_potential_kw" else c] = round(float(values[c][i]), 1)
        feats.append(f'{{"type":"Feature","geometry":{g},"properties":{json.dumps(p, ensure_ascii=False)}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}", len(roofs), n_total


@pytest.mark.parametrize("datum", ["wgs84", "gcj02"])
def test_map_roofs_text_equals_the_per_roof_formatting(result, datum):
    """The column-wise GeoJSON is character for character the per-roof dict + json.dumps text,
    also with awkward names (quotes, backslash, %, control characters), missing values and registry columns."""
    import dataclasses

    roofs = result.roofs.copy()
    n = len(roofs)
    roofs.loc[roofs.index[0], "name"] = 'say "hi" \\ 100% \t\n 楼'
    roofs.loc[roofs.index[1], "name"] = None
    roofs.loc[roofs.index[2], "class_zh"] = None
    roofs["plan_task"] = ["2026 批次" if i % 3 == 0 else None for i in range(n)]
    roofs["installed_kw"] = [np.nan if i % 2 else 0.05 + i * 12.25 for i in range(n)]  # 0.05, 24.55: rounding
    roofs["remaining_potential_kw"] = roofs["capacity_kw"] - 0.15
    roofs.loc[roofs.index[3], "capacity_kw"] = 2.675
    r = dataclasses.replace(result, roofs=roofs)
    for cap in (10_000, 3):
        got = report.map_roofs(r, cap, datum)
        assert got == _per_roof_reference(r, cap, datum)
        json.loads(got[0])  # valid JSON
    assert report.map_roofs(r, 3, datum)[1:] == (3, n)


def test_float_formatting_is_json_dumps_of_round():
    values = np.array([0.0, -0.04, 0.05, 0.15, 0.25, 2.675, 12.345, 99.95, 1e14 + 0.05, 3e15, 1e300, 123456.789])
    assert list(report._fmt_floats(values)) == [json.dumps(round(float(v), 1)) for v in values]
