"""The streaming workbook: number formats, frozen header, autofilter, bounded roof sheet, roofs CSV."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from pvsite import outputs, pipeline
from pvsite.config import Config
from pvsite.outputs import schema, xlsx

LON0, LAT0 = 121.4200, 31.2100


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """Eight factories of growing size (30 m … 44 m square): eight roofs with distinct capacities."""
    geoms, d = [], 0.0003
    for i in range(8):
        s = d * (1 + 0.07 * i)
        geoms.append(shapely.box(LON0 + i * 0.001, LAT0, LON0 + i * 0.001 + s, LAT0 + s))
    gdf = gpd.GeoDataFrame({"名称": [f"厂\x02{i}" for i in range(8)], "用途": ["厂房"] * 8, "层数": [1] * 8},
                           geometry=geoms, crs="EPSG:4326")
    path = tmp_path_factory.mktemp("in") / "eight.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="buildings")
    return pipeline.run(Config().with_overrides(input={"footprints": str(path)}, output={"panels": False}))


def _col(ws, title: str) -> int:
    return [c.value for c in ws[1]].index(title) + 1


def test_numbers_are_numbers_with_unit_formats(result, tmp_path):
    path = xlsx.write_xlsx(tmp_path / "w.xlsx", result)
    wb = openpyxl.load_workbook(path)
    ws = wb["屋顶明细"]
    kw, kwh = _col(ws, "装机容量(kW)"), _col(ws, "年发电量(kWh)")
    cell_kw, cell_kwh = ws.cell(2, kw), ws.cell(2, kwh)
    assert isinstance(cell_kw.value, float) and cell_kw.number_format == "0.0"
    assert isinstance(cell_kwh.value, float) and cell_kwh.number_format == "#,##0"
    share = wb["全区与街道"].cell(2, _col(wb["全区与街道"], xlsx.header(
        next(c for c in schema.columns("summary") if c.name == "potential_x_target"))))
    assert share.number_format == "0.00" and share.value == pytest.approx(result.district["potential_x_target"])
    # every sheet: frozen header row, autofilter over the data, widths from the header
    for sheet in wb.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert sheet.column_dimensions["A"].width >= 10
    # control characters stripped in the workbook
    names = {ws.cell(r, _col(ws, "名称")).value for r in range(2, ws.max_row + 1)}
    assert "厂0" in names and not any("\x02" in str(n) for n in names)


def test_roof_sheet_bounded_to_the_largest_with_a_note(result, tmp_path, monkeypatch):
    sized = result.roofs[result.roofs["capacity_kw"] > 0]
    assert len(sized) == 8
    monkeypatch.setattr(xlsx, "MAX_ROOF_ROWS", 3)
    written = outputs.write_all(result, tmp_path / "city.gpkg")
    sheet = pd.read_excel(written.xlsx, sheet_name="屋顶明细")
    data = sheet[sheet["建筑编号"].notna() & ~sheet["建筑编号"].astype(str).str.startswith("注")]
    largest = sized.sort_values("capacity_kw", ascending=False).head(3)
    assert list(data["建筑编号"]) == list(largest["building_id"])
    assert list(data["装机容量(kW)"]) == pytest.approx(list(largest["capacity_kw"]))
    note = str(sheet["建筑编号"].iloc[-1])
    assert "city_roofs.csv" in note and "3" in note and "8" in note
    about = pd.read_excel(written.xlsx, sheet_name="说明").set_index("项目 item")["内容 value"]
    assert "city_roofs.csv" in about["屋顶明细 roof detail"]
    # the CSV holds every roof with PV, UTF-8 with BOM, the sheet's Chinese headers
    raw = written.roofs_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(written.roofs_csv, encoding="utf-8-sig")
    assert len(csv) == 8 and list(csv.columns) == list(xlsx.sized_roofs(result).columns)
    assert csv["装机容量(kW)"].sum() == pytest.approx(sized["capacity_kw"].sum())
    assert "厂3" in set(csv["名称"])


def test_roof_sheet_unbounded_below_the_threshold(result, tmp_path):
    written = outputs.write_all(result, tmp_path / "small.gpkg")
    sheet = pd.read_excel(written.xlsx, sheet_name="屋顶明细")
    assert len(sheet) == 8 and sheet["建筑编号"].notna().all()
    about = pd.read_excel(written.xlsx, sheet_name="说明").set_index("项目 item")["内容 value"]
    assert "屋顶明细 roof detail" not in about
    assert written.roofs_csv.is_file()  # written for every set, so a set always has the same files


def test_roof_sheet_order_and_ties():
    sized = pd.DataFrame({"装机容量(kW)": [5.0, 9.0, 5.0, 1.0], "x": list("abcd")})
    rows, cut = xlsx.roof_sheet(sized, 3)
    assert cut and list(rows["x"]) == ["b", "a", "c"]
    rows, cut = xlsx.roof_sheet(sized, 4)
    assert not cut and rows is sized
