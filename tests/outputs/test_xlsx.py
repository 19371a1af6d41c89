"""The workbook ready to send: sheets, headline, Chinese labels, formats, charts, CSV twins, progress."""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from pvsite import outputs, pipeline
from pvsite.config import Config
from pvsite.errors import OutputError
from pvsite.outputs import schema, xlsx

LON0, LAT0 = 121.4200, 31.2100


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """Eight factories of growing size (30 m … 44 m square) and two small sheds: sized and too-small roofs."""
    geoms, d = [], 0.0003
    for i in range(8):
        s = d * (1 + 0.07 * i)
        geoms.append(shapely.box(LON0 + i * 0.001, LAT0, LON0 + i * 0.001 + s, LAT0 + s))
    for i in range(2):  # 4 m × 4 m: too small for PV
        geoms.append(shapely.box(LON0 + i * 0.001, LAT0 + 0.002, LON0 + i * 0.001 + 0.00004, LAT0 + 0.00204))
    gdf = gpd.GeoDataFrame({"名称": [f"厂\x02{i}" for i in range(10)], "用途": ["厂房"] * 10, "层数": [1] * 10},
                           geometry=geoms, crs="EPSG:4326")
    path = tmp_path_factory.mktemp("in") / "eight.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="buildings")
    return pipeline.run(Config().with_overrides(input={"footprints": str(path)}, output={"panels": False}))


@pytest.fixture(scope="module")
def delivered(result):
    """``result`` with what the other stages add (contracts.md), as synthetic frames."""
    res = copy.copy(result)
    roofs = result.roofs.copy()
    sized = roofs["capacity_kw"] > 0
    roofs["installed_kw"] = np.where(roofs.index == roofs.index[sized][0], 50.0, 0.0)
    roofs["under_construction_kw"] = 0.0
    roofs["planned_kw"] = 0.0
    roofs["remaining_potential_kw"] = np.maximum(roofs["capacity_kw"] - roofs["installed_kw"], 0)
    roofs["plan_task"] = np.where(sized, "37", "")
    roofs["tce_t"] = roofs["annual_kwh"] * 3e-4
    roofs["self_consumption_share"] = 0.8
    roofs["business_model"] = "emc"
    res.roofs = roofs
    s = result.summary.copy()
    s["installed_kw"] = 50.0
    s["under_construction_kw"] = 20.0
    s["planned_kw"] = 0.0
    s["remaining_kw"] = np.where(s["level"] == "district", 16000.0 - 50.0, np.nan)
    s["achieved_pct"] = np.where(s["level"] == "district", 50.0 / 16000.0 * 100, np.nan)
    s["potential_x_target"] = s["capacity_kw"] / 16000.0
    s["tce_t"] = s["annual_mwh"] * 0.3
    s["renewable_share_pct"] = 12.5
    res.summary = s
    res.trajectory = pd.DataFrame({"year": pd.array(range(2021, 2031), dtype="Int64"),
                                   "added_kw": [0.0] * 3 + [50.0] + [0.0] * 6,
                                   "cumulative_kw": [0.0] * 3 + [50.0] * 7,
                                   "target_kw": [np.nan] * 4 + [16000.0] + [np.nan] * 5})
    r = roofs[sized].sort_values("capacity_kw", ascending=False)
    pr = pd.DataFrame({
        "rank": pd.array(range(1, len(r) + 1), dtype="Int64"), "building_id": r["building_id"].to_numpy(),
        "name": r["name"].to_numpy(), "street": r["street"].to_numpy(),
        "building_class": r["building_class"].to_numpy(), "class_zh": r["class_zh"].to_numpy(),
        "responsible_department": ["区国资委", "区商务委/科委:测试[1]"] * 4,
        "plan_task": "37", "remaining_potential_kw": r["remaining_potential_kw"].to_numpy(),
        "annual_kwh": r["annual_kwh"].to_numpy(),
        "specific_yield_kwh_per_kwp": r["specific_yield_kwh_per_kwp"].to_numpy(),
    })
    pr["cumulative_kw"] = pr["remaining_potential_kw"].cumsum()
    pr["closes_gap"] = True
    pr.attrs.update(rank_by="capacity", gap_kw=15950.0)
    res.priority = pr
    res.department_tasks = {d: g.assign(status="sized").reset_index(drop=True)
                            for d, g in pr.groupby("responsible_department")}
    res.installed_entries = pd.DataFrame({
        "project_name": ["厂一屋顶", "未匹配项目"], "capacity_kw": [50.0, 20.0], "capacity_ac_kw": [45.0, np.nan],
        "status": ["built", "under_construction"], "status_zh": ["已并网", "在建"],
        "commissioned": pd.to_datetime(["2024-06-30", None]), "building_id": [r["building_id"].iloc[0], None],
        "street": ["", ""], "match_method": ["id", "unmatched"], "match_distance_m": [0.0, np.nan],
        "note": ["", "no roof within 50 m"], "source": ["reg.csv:2", "reg.csv:3"]})
    return res


def _col(ws, title: str, row: int = 1) -> int:
    return [c.value for c in ws[row]].index(title) + 1


def _headline(wb) -> dict:
    ws = wb["汇总"]
    return {r[0]: (r[1], r[3]) for r in ws.iter_rows(min_row=4, max_col=4, values_only=True) if r[0]}


TABLE_SHEETS = ("街道", "类别", "责任部门", "屋顶明细", "街道×类别", "分类统计")


def test_sheets_in_order_with_the_headline_first(delivered, tmp_path):
    path = xlsx.write_xlsx(tmp_path / "w.xlsx", delivered)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "街道", "类别", "责任部门", "经济性", "进度", "优先屋顶清单", "任务-区商务委_科委_测试_1_",
                             "任务-区国资委", "屋顶明细", "已建项目清单", "街道×类别", "说明", "分类统计"]
    head = _headline(wb)
    d = delivered.district
    assert head["已建(已并网) built"][0] == 50.0
    assert head["在建 under construction"][0] == 20.0
    assert head["剩余 remaining to target"][0] == pytest.approx(15950.0)
    assert head["完成率 % of target (built)"][0] == pytest.approx(50 / 16000 * 100)
    assert head[f"潜力 potential ({delivered.scenario})"][0] == pytest.approx(d["capacity_kw"])
    assert head["潜力/目标 potential × target"][0] == pytest.approx(d["capacity_kw"] / 16000.0)
    assert head["年节约标煤 standard coal saved (潜力)"][0] == pytest.approx(d["tce_t"])
    assert head["可再生能源替代率 renewable share (潜力)"][0] == 12.5
    # potential is never a % of target
    assert not any("%" in k and "潜力" in k for k in head)
    # trajectory and registry sheets; dates stay dates
    prog = wb["进度"]
    assert [c.value for c in prog[1]] == ["年份", "当年新增已并网(kW)", "累计已并网(kW)", "累计目标(kW)"]
    assert prog.cell(2, 1).value == 2021 and prog.cell(2, 1).number_format == "0"
    reg = wb["已建项目清单"]
    date = reg.cell(2, _col(reg, "并网日期"))
    assert date.value.year == 2024 and date.number_format == "yyyy-mm-dd"
    assert {reg.cell(r, _col(reg, "匹配方式")).value for r in (2, 3)} == {"编号匹配", "未匹配"}
    # a department sheet holds that department's roofs
    dept = wb["任务-区国资委"]
    assert dept.max_row - 1 == 4 and {dept.cell(r, _col(dept, "状态")).value for r in range(2, 6)} == {"已配置光伏"}
    pri = wb["优先屋顶清单"]
    assert [pri.cell(r, 1).value for r in range(2, 10)] == list(range(1, 9))
    assert pri.cell(2, _col(pri, "属于补足缺口的最少屋顶")).value == "是"
    assert pri.cell(2, _col(pri, "剩余潜力(kW)")).number_format == "#,##0.0"


def test_headline_says_what_is_not_given(result, tmp_path):
    import dataclasses

    # a run as a caller may build it without the later stages: no coal figure, no ranking
    result = dataclasses.replace(result, summary=result.summary.drop(columns=["tce_t"], errors="ignore"),
                                 priority=None, department_tasks=None)
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", result))
    head = _headline(wb)
    for item in ("已建(已并网) built", "在建 under construction", "剩余 remaining to target",
                 "完成率 % of target (built)"):
        assert head[item][0] == xlsx.NOT_GIVEN and "--installed" in head[item][1], item
    assert head["年节约标煤 standard coal saved (潜力)"][0] == xlsx.NOT_GIVEN
    assert "--consumption" in head["可再生能源替代率 renewable share (潜力)"][1]
    assert head["潜力/目标 potential × target"][0] == pytest.approx(result.district["capacity_kw"] / 16000.0)
    assert head["目标 target (已建 built)"][0] == 16000.0
    # without them: no 进度 rows (a note says why), no department sheets, a fallback priority list
    assert "进度" in wb.sheetnames and "--installed" in wb["进度"].cell(2, 1).value
    assert not any(n.startswith("任务-") for n in wb.sheetnames) and "已建项目清单" not in wb.sheetnames
    pri = wb["优先屋顶清单"]
    assert "--rank-by" in pri.cell(1, 1).value and pri.freeze_panes == "A3"
    caps = [pri.cell(r, _col(pri, "装机容量(kW)", 2)).value for r in range(3, pri.max_row + 1)]
    assert len(caps) == 8 and caps == sorted(caps, reverse=True)


def test_number_formats_frozen_headers_filters_widths(delivered, tmp_path):
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", delivered))
    ws = wb["屋顶明细"]
    want = {"装机容量(kW)": "#,##0.0", "年发电量(kWh)": "#,##0", "屋顶面积(㎡)": "#,##0", "倾角(°)": "0.0",
            "系统效率PR": "0.00", "源数据行号": "0", "可装组件数": "#,##0", "年减排CO2(吨)": "#,##0.0",
            "年节约标准煤(吨)": "#,##0.0", "自用比例": "0.0%", "已并网(kW)": "#,##0.0"}
    for title, f in want.items():
        cell = ws.cell(2, _col(ws, title))
        assert isinstance(cell.value, (int, float)) and cell.number_format == f, (title, cell.number_format)
    street = wb["街道"]
    assert street.cell(2, _col(street, "装机容量(kW)")).value == pytest.approx(delivered.district["capacity_kw"])
    assert street.cell(2, _col(street, "潜力为目标的倍数 [×]")).number_format == '0.00"×"'
    for name in TABLE_SHEETS + ("进度", "已建项目清单", "任务-区国资委"):
        sheet = wb[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}" \
                                        f"{max(sheet.max_row, 2)}", name
        assert all(sheet.column_dimensions[openpyxl.utils.get_column_letter(j)].width >= 8
                   for j in range(1, sheet.max_column + 1)), name
    # the district row is emphasised, the street rows are not
    assert street.cell(2, 1).font.b and not street.cell(3, 1).font.b
    assert street.cell(2, _col(street, "名称")).value == "全区"


#: Category columns (headers) that must hold no English code.
CATEGORY_HEADERS = ("状态", "屋顶类型", "安装方式", "分类依据可信度", "高度来源", "栅格屋顶形态", "政策类别(中文)",
                    "建筑类型(中文)", "是否新建", "是否排除", "要求超出可装", "商业模式", "汇总层级",
                    "属于补足缺口的最少屋顶", "匹配方式")


def test_no_english_codes_in_category_columns(delivered, tmp_path):
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", delivered))
    seen = set()
    for ws in wb.worksheets[1:]:
        heads = [c.value for c in ws[1]]
        # the code columns beside their Chinese names are not shown
        assert "政策类别" not in heads and "建筑类型" not in heads and "汇总对象" not in heads, ws.title
        for j, h in enumerate(heads, start=1):
            if h in CATEGORY_HEADERS:
                vals = {ws.cell(r, j).value for r in range(2, ws.max_row + 1)} - {None}
                assert not any(re.search(r"[A-Za-z]", v.replace("EMC", "")) for v in vals), (ws.title, h, vals)
                seen.add(h)
    assert {"状态", "屋顶类型", "安装方式", "是否新建", "商业模式", "属于补足缺口的最少屋顶"} <= seen
    # every code of the roofs' category columns has a label
    for name in schema.CATEGORY_LABELS:
        if name in delivered.roofs:
            assert not schema.unlabelled(name, delivered.roofs[name]), name


def test_roof_detail_lists_every_roof_by_street_then_capacity(result, tmp_path):
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", result))
    ws = wb["屋顶明细"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    heads = [c.value for c in ws[1]]
    assert len(rows) == len(result.roofs) == 10
    status = [r[heads.index("状态")] for r in rows]
    assert status.count("已配置光伏") == 8 and status.count("面积过小") == 2
    caps = [r[heads.index("装机容量(kW)")] for r in rows]
    assert caps[:8] == sorted(caps[:8], reverse=True) and caps[8:] == [0.0, 0.0]
    assert all(r[heads.index("屋顶说明")] for r in rows[8:])  # not-sized roofs carry their reason
    names = {r[heads.index("名称")] for r in rows}
    assert "厂0" in names and not any("\x02" in str(n) for n in names)  # control characters stripped


def test_native_charts_on_the_headline_sheet(delivered, result, tmp_path):
    for res, kind in ((delivered, "barChart"), (result, "barChart")):
        path = xlsx.write_xlsx(tmp_path / f"{id(res)}.xlsx", res)
        with zipfile.ZipFile(path) as z:
            charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
            assert charts == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
            assert all(kind in z.read(c).decode() for c in charts)
            assert "汇总" in z.read(charts[1]).decode()  # kW by street from the 汇总 sheet's table
        assert len(openpyxl.load_workbook(path)["汇总"]._charts) == 2


def test_department_sheet_names_are_valid_and_unique():
    names = xlsx.department_sheet_names(["区机管局", "a/b:c*d?e[f]g\\h", "x" * 40, "x" * 41, "", "汇总"],
                                        taken=("任务-汇总",))
    vals = list(names.values())
    assert len(set(v.lower() for v in vals)) == len(vals) and "任务-汇总" not in vals
    assert all(len(v) <= 31 and not re.search(r"[\[\]:*?/\\]", v) for v in vals)
    assert names["区机管局"] == "任务-区机管局" and names[""] == "任务-(未指定)"


def test_roof_sheet_bounded_to_the_largest_with_a_note(result, tmp_path, monkeypatch):
    sized = result.roofs[result.roofs["capacity_kw"] > 0]
    monkeypatch.setattr(xlsx, "MAX_ROOF_ROWS", 3)
    written = outputs.write_all(result, tmp_path / "city.gpkg")
    sheet = pd.read_excel(written.xlsx, sheet_name="屋顶明细")
    data = sheet[sheet["建筑编号"].notna() & ~sheet["建筑编号"].astype(str).str.startswith("注")]
    largest = sized.sort_values("capacity_kw", ascending=False).head(3)
    assert list(data["建筑编号"]) == list(largest["building_id"])
    assert list(data["装机容量(kW)"]) == pytest.approx(list(largest["capacity_kw"]))
    note = str(sheet["建筑编号"].iloc[-1])
    assert "city_roofs.csv" in note and "3" in note and "10" in note
    about = pd.read_excel(written.xlsx, sheet_name="说明").set_index("项目 item")["内容 value"]
    assert "city_roofs.csv" in about["屋顶明细 roof detail"]
    # the CSV holds every roof, UTF-8 with BOM, the sheet's Chinese headers and labels
    raw = written.roofs_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(written.roofs_csv, encoding="utf-8-sig")
    assert len(csv) == 10 and list(csv.columns) == list(xlsx.sized_roofs(result).columns)
    assert csv["装机容量(kW)"].sum() == pytest.approx(sized["capacity_kw"].sum())
    assert "厂3" in set(csv["名称"]) and set(csv["状态"]) == {"已配置光伏", "面积过小"}


def test_roof_sheet_order_and_ties():
    sized = pd.DataFrame({"装机容量(kW)": [5.0, 9.0, 5.0, 1.0], "x": list("abcd")})
    rows, cut = xlsx.roof_sheet(sized, 3)
    assert cut and list(rows["x"]) == ["b", "a", "c"]
    rows, cut = xlsx.roof_sheet(sized, 4)
    assert not cut and rows is sized


def test_csv_twins_are_members_with_bom_and_chinese(delivered, tmp_path):
    written = outputs.write_all(delivered, tmp_path / "run.gpkg")
    twins = {k: p for k, p in written.paths.items() if k.endswith("_csv")}
    assert set(twins) == {"roofs_csv", "streets_csv", "classes_csv", "departments_csv", "trajectory_csv",
                          "economics_csv", "priority_csv"}
    for key, p in twins.items():
        raw = p.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), key
        raw.decode("utf-8")  # valid UTF-8 after the BOM
        df = pd.read_csv(p, encoding="utf-8-sig")
        assert not df.columns[0].startswith("\ufeff"), key
        assert all(re.search(r"[\u4e00-\u9fff]", c) or c in delivered.roofs or c in delivered.summary
                   for c in df.columns), key
    streets = pd.read_csv(twins["streets_csv"], encoding="utf-8-sig")
    assert streets["名称"].iloc[0] == "全区" and streets["装机容量(kW)"].iloc[0] == pytest.approx(
        delivered.district["capacity_kw"])
    prio = pd.read_csv(twins["priority_csv"], encoding="utf-8-sig")
    assert list(prio["建筑编号"]) == list(delivered.priority["building_id"])
    assert set(prio["属于补足缺口的最少屋顶"]) == {"是"}
    traj = pd.read_csv(twins["trajectory_csv"], encoding="utf-8-sig")
    assert list(traj["年份"]) == list(range(2021, 2031))
    # a GBK reader (Excel without the BOM's hint) would not get the text: the BOM is what keeps it intact
    with pytest.raises(UnicodeDecodeError):
        twins["streets_csv"].read_bytes().decode("ascii")
    # the locked set refuses to replace a twin without overwrite
    with pytest.raises(OutputError, match="already exists"):
        outputs.write_all(delivered, tmp_path / "run.gpkg")
    for key, p in written.paths.items():
        if key != "streets_csv":
            p.unlink()
    with pytest.raises(OutputError, match="run_streets.csv"):
        outputs.write_all(delivered, tmp_path / "run.gpkg")


def test_trajectory_twin_is_a_header_without_a_registry(result, tmp_path):
    written = outputs.write_all(result, tmp_path / "plain.gpkg")
    traj = pd.read_csv(written.paths["trajectory_csv"], encoding="utf-8-sig")
    assert list(traj.columns) == [xlsx.header(c) for c in schema.columns("trajectory")] and traj.empty


def test_write_all_announces_every_member(result, tmp_path):
    steps: list[str] = []
    written = outputs.write_all(result, tmp_path / "p.gpkg", progress=steps.append)
    members = [m for m in outputs.MEMBERS if m.wanted is None or m.wanted(result)]
    assert len(steps) == len(members) >= len(outputs.MEMBERS) - 1  # the GeoParquet folder: 10 roofs, "auto" = no
    for step, member in zip(steps, members):
        assert step == outputs.step_label(member, written.paths[member.key])
        assert step.startswith("写出 ") and written.paths[member.key].name in step
    assert any("工作簿 workbook" in s for s in steps)


def test_cli_progress_counts_the_output_members():
    from pvsite import cli

    text = Path(cli.__file__).read_text(encoding="utf-8")
    assert "len(pipeline.STAGES) + len(outputs.MEMBERS)" in text and "progress=stage" in text


@pytest.mark.slow
def test_sample_district_workbook(tmp_path):
    """The embedded sample district end to end: every sheet, every category column labelled."""
    res = pipeline.run(Config().with_overrides(output={"panels": False}))
    written = outputs.write_all(res, tmp_path / "sample.gpkg")
    wb = openpyxl.load_workbook(written.xlsx, read_only=True)
    assert wb.sheetnames[:7] == ["汇总", "街道", "类别", "责任部门", "经济性", "进度", "优先屋顶清单"]
    roofs = pd.read_excel(written.xlsx, sheet_name="屋顶明细")
    assert len(roofs) == len(res.roofs)
    assert set(roofs["状态"]) <= set(schema.STATUS_ZH.values())
    assert set(roofs["屋顶类型"]) <= set(schema.ROOF_TYPE_ZH.values())
    assert set(roofs["安装方式"].dropna()) <= set(schema.MOUNTING_ZH.values())
    assert set(roofs["是否新建"]) == {"是", "否"}
    classes = pd.read_excel(written.xlsx, sheet_name="类别")
    assert classes["名称"].iloc[0] == "全区" and {"公共机构", "工业厂房"} <= set(classes["名称"])
    csv = pd.read_csv(written.roofs_csv, encoding="utf-8-sig")
    assert len(csv) == len(res.roofs) and csv["装机容量(kW)"].sum() == pytest.approx(res.roofs["capacity_kw"].sum())


MONEY_HEADERS = ("投资(万元)", "首年收益(万元)", "静态回收期(年)", "内部收益率IRR(%)", "度电成本LCOE(元/kWh)")


def test_priority_and_department_sheets_show_money_in_wan_yuan(result, tmp_path):
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", result))
    roofs = result.roofs.set_index("building_id")
    sheets = ["优先屋顶清单"] + [n for n in wb.sheetnames if n.startswith("任务-")]
    assert len(sheets) > 1
    for name in sheets:
        ws = wb[name]
        heads = [c.value for c in ws[1]]
        assert all(h in heads for h in MONEY_HEADERS), (name, heads)
        assert "投资(元)" not in heads and "净现值(元)" not in heads  # 元 columns replaced, not doubled
        for r in range(2, ws.max_row + 1):
            rid = ws.cell(r, _col(ws, "建筑编号")).value
            cell = ws.cell(r, _col(ws, "投资(万元)"))
            assert cell.value == pytest.approx(roofs.loc[rid, "capex_yuan"] / 1e4, rel=1e-12)
            assert cell.number_format == "#,##0.0"
            assert ws.cell(r, _col(ws, "首年收益(万元)")).value == pytest.approx(
                roofs.loc[rid, "first_year_benefit_yuan"] / 1e4, rel=1e-12)
            assert ws.cell(r, _col(ws, "度电成本LCOE(元/kWh)")).number_format == "0.000"
    # the roof detail keeps 元 (the GeoPackage's unit)
    assert "投资(元)" in [c.value for c in wb["屋顶明细"][1]]


def test_economics_sheet_by_street_and_department_with_the_preset_note(result, tmp_path):
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", result))
    ws = wb["经济性"]
    note = ws.cell(1, 1).value
    assert "shanghai-2025" in note and "pvsite 假设" in note and "投资单价" in note and ws.freeze_panes == "A3"
    heads = [c.value for c in ws[2]]
    rows = [dict(zip(heads, r)) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert {r["汇总层级"] for r in rows} == {"全区", "街道(镇)", "责任部门"}
    d, sized = result.district, result.roofs[result.roofs["capacity_kw"] > 0]
    top = rows[0]
    assert top["名称"] == "全区" and ws.cell(3, 1).font.b
    assert top["投资(万元)"] == pytest.approx(d["capex_yuan"] / 1e4)
    assert top["首年收益(万元)"] == pytest.approx(d["first_year_benefit_yuan"] / 1e4)
    assert top["净现值(万元)"] == pytest.approx(d["npv_yuan"] / 1e4)
    assert top["静态回收期(年)"] == pytest.approx(d["capex_yuan"] / d["first_year_benefit_yuan"])
    assert top["加权度电成本LCOE(元/kWh)"] == pytest.approx(
        np.average(sized["lcoe_yuan_per_kwh"], weights=sized["capacity_kw"]))
    assert top["商业模式"] == "自发自用、余电上网"
    assert ws.cell(3, _col(ws, "投资(万元)", 2)).number_format == "#,##0.0"
    depts = [r for r in rows if r["汇总层级"] == "责任部门"]
    assert sum(r["投资(万元)"] for r in depts) == pytest.approx(d["capex_yuan"] / 1e4)


def test_headline_has_every_scenario_as_kw_and_x_target_and_the_money(result, tmp_path):
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", result))
    head = _headline(wb)
    for _, sc in result.scenarios.iterrows():
        assert head[f"情景潜力 potential · {sc['scenario']}"][0] == pytest.approx(sc["capacity_kw"])
        assert head[f"情景潜力/目标 potential × target · {sc['scenario']}"][0] == pytest.approx(
            sc["potential_x_target"])
    assert not any("%" in k and "潜力" in k for k in head)
    d = result.district
    assert head["投资 capex (潜力)"][0] == pytest.approx(d["capex_yuan"] / 1e4)
    assert head["年收益 first-year net benefit (潜力)"][0] == pytest.approx(d["first_year_benefit_yuan"] / 1e4)
    assert head["静态回收期 simple payback"][0] == pytest.approx(d["simple_payback_yr"])
    assert "自发自用、余电上网" in head["投资 capex (潜力)"][1]
    ws = wb["汇总"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "投资 capex (潜力)")
    assert ws.cell(row, 2).number_format == "#,##0.0" and ws.cell(row, 3).value == "万元"


def test_display_units_replace_the_yuan_columns_in_place():
    df = pd.DataFrame({"a": [1], "capex_yuan": [123_456.0], "npv_yuan": [np.nan], "z": [0]})
    out = schema.with_display_units(df)
    assert list(out.columns) == ["a", "capex_wan_yuan", "npv_wan_yuan", "z"]
    assert out["capex_wan_yuan"].iloc[0] == pytest.approx(12.3456) and pd.isna(out["npv_wan_yuan"].iloc[0])
    assert xlsx.header(xlsx.schema_column("capex_wan_yuan", xlsx.PRIORITY_TABLES)) == "投资(万元)"


def test_block_sizes_do_not_change_the_roofs_csv_or_the_workbook(result, tmp_path, monkeypatch):
    """The roofs CSV and the spliced sheets are written in row blocks: a tiny block gives the same bytes of
    CSV and the same sheet XML as one block holding every row."""
    small, whole = tmp_path / "small.csv", tmp_path / "whole.csv"
    xlsx.write_roofs_csv(small, result, block=7)
    xlsx.write_roofs_csv(whole, result, block=10 ** 9)
    assert small.read_bytes() == whole.read_bytes()
    assert small.read_bytes() == xlsx.write_csv(tmp_path / "frame.csv", xlsx.sized_roofs(result)).read_bytes()

    def sheets(block):
        monkeypatch.setattr(xlsx, "ROW_BLOCK", block)
        path = xlsx.write_workbook(tmp_path / f"b{block}.xlsx", result, set_info={"output_set_id": "x"})
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}

    tiny, one = sheets(5), sheets(10 ** 9)
    assert tiny.keys() == one.keys() and len(tiny) > 5
    for name in one:
        assert tiny[name] == one[name], name


def _rows_xml_per_cell(p, lo=0, hi=None):
    """The earlier renderer (one f-string per cell from Python values): the reference of :func:`xlsx._rows_xml`."""
    n_all = len(p.cols[0].values)
    hi = n_all if hi is None else min(hi, n_all)
    rn = [str(i) for i in range(p.first_row + 1 + lo, p.first_row + 1 + hi)]
    emph = p.emphasise[lo:hi].tolist()
    columns = []
    for j, c in enumerate(p.cols):
        a = xlsx._col_letter(j)
        styles = [(p.bold[j].xf_index or 0) if e else (p.plain[j].xf_index or 0) for e in emph]
        values = [None if v is None or (isinstance(v, float) and not np.isfinite(v)) else v
                  for v in c.values[lo:hi].tolist()]
        if c.kind == "text":
            esc = [None if v is None else v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for v in values]
            cells = ["" if v is None else
                     f'<c r="{a}{r}" s="{s}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
                     for v, r, s in zip(esc, rn, styles)]
        else:
            cells = ["" if v is None else f'<c r="{a}{r}" s="{s}"><v>{v!r}</v></c>' for v, r, s in zip(values, rn, styles)]
        columns.append(cells)
    return "".join([f'<row r="{r}">{"".join(cells)}</row>' for r, cells in zip(rn, zip(*columns))])


def test_vectorised_rows_equal_the_per_cell_renderer(delivered, tmp_path, monkeypatch):
    """The column-wise renderer (values rendered once per distinct value, pieces joined once a block) writes
    the same sheet XML as one f-string per cell: the sample district, and a run with emphasised rows, dates,
    department sheets, -0.0, infinities, XML specials and control characters."""
    sample = pipeline.run(Config().with_overrides(output={"panels": False}))
    odd = copy.copy(delivered)
    roofs = delivered.roofs.copy()
    roofs["name"] = ["A&B <c>", "x>y", "", None, "厂\x02", "&amp;", "a&b", "平屋顶", "<", "x"]
    roofs["tilt_deg"] = [-0.0, 0.0, np.inf, -np.inf, np.nan, 1e-7, 1e17, 0.1 + 0.2, -3.5, 2.0]
    odd.roofs = roofs

    def sheets(res, name, block):
        monkeypatch.setattr(xlsx, "ROW_BLOCK", block)
        path = xlsx.write_workbook(tmp_path / name, res, set_info={"output_set_id": "x"})
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist() if n.startswith("xl/")}

    for res in (sample, odd):
        new = sheets(res, "new.xlsx", 3)
        with monkeypatch.context() as m:
            m.setattr(xlsx, "_rows_xml", lambda p, lo=0, hi=None: _rows_xml_per_cell(p, lo, hi))
            old = sheets(res, "old.xlsx", 3)
        assert new.keys() == old.keys() and len(new) > 10
        for name in new:
            assert new[name] == old[name], name
    body = new["xl/worksheets/sheet" + str(openpyxl.load_workbook(tmp_path / "new.xlsx").sheetnames.index("屋顶明细") + 1)
               + ".xml"]
    assert b"A&amp;B &lt;c&gt;" in body and b"<v>-0.0</v>" in body and b"<v>1e+17</v>" in body and b"\x02" not in body


def test_text_values_are_the_per_value_cleaning():
    """Text cells, cleaned once per distinct value, are those of cleaning each value: str, None for missing or
    empty, control characters removed; numbers in an object column shown as str (1 and 1.0 stay apart)."""
    s = pd.Series(["a", "", None, np.nan, "b\x01", "\x02", 1, 1.0, True, "a", pd.NA], dtype=object)
    want = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == "" else
            v if isinstance(v, str) else str(v) for v in s.tolist()]
    want = [None if v is None else xlsx.ILLEGAL_CHARACTERS_RE.sub("", v) or None for v in want]
    assert xlsx._text_values(s).tolist() == want == ["a", None, None, None, "b", None, "1", "1.0", "True", "a", None]
    clean = pd.Series(["x", None, "y", "x"], dtype="str")
    assert xlsx._text_values(clean).tolist() == ["x", None, "y", "x"]
