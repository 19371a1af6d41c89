"""Buildings under construction and slender tower crowns (pvsite.roofs.unsuitable) and their roof notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsite.config import Config, RoofConfig
from pvsite.io.fields import parse_build_status
from pvsite.planning.scenario import STATUSES, no_pv_notes
from pvsite.roofs.unsuitable import unsuitable_reasons


def test_slender_crown_thresholds():
    cfg = RoofConfig()  # 100 m, 300 m², ratio 10
    roofs = pd.DataFrame({
        "area_m2": [250.0, 250.0, 400.0, 900.0, 1000.0, 50.0],
        "height_m": [120.0, 99.0, 210.0, 300.0, 150.0, 30.0],
    })
    # 250 m² at 120 m: small; at 99 m: not super-tall; 400 m² at 210 m: 210/20 = 10.5 ≥ 10;
    # 900 m² at 300 m: 300/30 = 10 ≥ 10; 1000 m² at 150 m: 4.7 and large; 50 m² at 30 m: low.
    got = unsuitable_reasons(roofs, cfg).fillna("").tolist()
    assert got == ["slender_crown", "", "slender_crown", "slender_crown", "", ""]
    off = RoofConfig(slender_min_height_m=float("inf"))
    assert unsuitable_reasons(roofs, off).isna().all()


def test_under_construction_from_osm_and_survey_status():
    roofs = pd.DataFrame({
        "area_m2": [500.0] * 5, "height_m": [20.0, 20.0, 20.0, 150.0, 20.0],
        "osm_building": ["construction", "yes", None, "construction", "school"],
        "build_status": [pd.NA, "under_construction", pd.NA, pd.NA, pd.NA],
    })
    got = unsuitable_reasons(roofs, RoofConfig()).fillna("").tolist()
    assert got == ["under_construction", "under_construction", "", "under_construction", ""]


def test_build_status_words():
    s = pd.Series(["在建", "主体施工中", "拟建", "现状", "已建成", None, "Under construction", "使用中"])
    assert parse_build_status(s).fillna("").tolist() == [
        "under_construction", "under_construction", "under_construction", "", "", "", "under_construction", ""]


def test_finished_or_negated_construction_is_not_under_construction():
    # survey values saying the works are over: the contained word 施工 / "construction" must not win
    done = ["施工完成", "已施工完毕", "竣工", "已竣工验收", "施工结束", "施工已完成", "2019年完工",
            "construction completed", "Construction finished", "non-construction", "not under construction"]
    assert parse_build_status(pd.Series(done)).isna().all()
    # ... while their negations, and stalled works (no finished roof), still are
    still = ["主体未竣工", "未完工", "未建成", "停工", "停止施工", "未施工", "not completed", "unfinished"]
    assert (parse_build_status(pd.Series(still)) == "under_construction").all()


def test_every_no_pv_status_gets_a_bilingual_note():
    roofs = pd.DataFrame({
        "status": ["rejected", "unsuitable", "unsuitable", "excluded", "not required", "low yield", "too small",
                   "sized"],
        "n_modules": [0, 0, 0, 0, 0, 0, 0, 10],
        "unsuitable_reason": [pd.NA, "under_construction", "slender_crown", pd.NA, pd.NA, pd.NA, pd.NA, pd.NA],
        "reject_reason": ["self-intersection", *[pd.NA] * 7],
        "exclusion_reason": [pd.NA, pd.NA, pd.NA, "heritage: 外滩建筑群", *[pd.NA] * 4],
        "building_class": ["other"] * 4 + ["residential"] + ["other"] * 3,
        "class_zh": ["其他"] * 4 + ["住宅"] + ["其他"] * 3,
        "area_m2": [10.0, 500.0, 212.2, 800.0, 600.0, 300.0, 15.0, 900.0],
        "height_m": [3.0, 0.0, 111.0, 12.0, 18.0, 9.0, 3.0, 12.0],
        "roof_note": [None, None, None, None, None, "1/2 个面… / 1 of 2 planes …", "可用面积 … / usable area …",
                      None],
    })
    note = no_pv_notes(roofs)
    assert pd.isna(note.iloc[-1])  # a sized roof keeps its (empty) note
    for n in note.iloc[:-1]:
        assert isinstance(n, str) and " / " in n and any("\u4e00" <= ch <= "\u9fff" for ch in n)
    assert "self-intersection" in note.iloc[0]
    assert note.iloc[1].startswith("在建或拟建")
    assert "212 m²" in note.iloc[2] and "111 m" in note.iloc[2]
    assert note.iloc[3].count("外滩建筑群") == 2
    assert "住宅" in note.iloc[4] and "residential" in note.iloc[4]
    assert note.iloc[5].endswith("1 of 2 planes …") and note.iloc[6].startswith("屋顶过小 / too small: 可用面积")
    assert set(roofs.status) <= set(STATUSES)


def _no_pv_without_note(roofs: pd.DataFrame) -> int:
    no_pv = (roofs["status"].astype(str) != "sized") | (roofs["n_modules"] <= 0)
    note = roofs["roof_note"].astype("string").fillna("").str.strip()
    return int((no_pv & note.eq("")).sum())


@pytest.mark.parametrize("scenario", ["plan-2025", "technical-max"])
def test_sample_district_every_roof_without_pv_says_why(scenario):
    from pvsite import pipeline
    prepared = pipeline.prepare(Config())
    roofs = pipeline.size(prepared, scenario).roofs
    assert _no_pv_without_note(roofs) == 0
    # The sample's four 29–40-storey towers on 209–272 m² are slender crowns.
    crown = roofs[roofs["unsuitable_reason"].eq("slender_crown").fillna(False)]
    assert len(crown) >= 1 and (crown["status"] == "unsuitable").all() and (crown["capacity_kw"] == 0).all()
    assert (crown["height_m"] >= 100).all() and (crown["area_m2"] < 300).all()


@pytest.mark.slow
def test_bund_every_roof_without_pv_says_why(shared_data):
    from pvsite import pipeline
    cfg = Config().with_overrides(
        input={"footprints": str(shared_data / "footprints" / "shanghai_bund_buildings.gpkg")},
        policy={"scenario": "technical-max"}, output={"panels": False}, shading={"enabled": False},
        exclusions={"layers": [{"path": str(shared_data / "constraints" / "shanghai_heritage_osm.gpkg")}]})
    result = pipeline.run(cfg)
    roofs = result.roofs
    assert _no_pv_without_note(roofs) == 0
    # Narrow flat roofs now take single-row racks; slender crowns are not sized.
    assert roofs["layout"].isin(["single_portrait", "single_landscape"]).sum() > 400
    assert (roofs["status"] == "unsuitable").sum() == roofs["unsuitable_reason"].notna().sum() > 0
    assert np.all(roofs.loc[roofs["status"] == "unsuitable", "capacity_kw"] == 0)
