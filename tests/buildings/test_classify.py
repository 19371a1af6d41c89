"""Tests for pvsite.buildings.classify."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite.buildings import classify as classify_mod
from pvsite.buildings.classify import CLASS_COLUMNS, DEFAULT_RULE, UNKNOWN_YEAR
from pvsite.config import ClassifyConfig
from pvsite.errors import ConfigError, InputError
from pvsite.presets import load_classify

PRESET = load_classify(ClassifyConfig().preset)
YEAR = ClassifyConfig().new_building_year


def classify(gdf, preset=PRESET, new_building_year=YEAR, **kw):
    """classify() with the run's default settings, passed explicitly as a run passes them."""
    return classify_mod.classify(gdf, preset, new_building_year, **kw)


def classification_report(gdf, **kw):
    return classify_mod.classification_report(gdf, PRESET.class_order, **kw)
from pvsite.io.footprints import read_footprints

# Expected type → (class, department), transcribed from the task brief (长府〔2023〕1号 table as in the
# project issue), independently of the preset file.
EXPECTED_TYPES = {
    "government": ("public_institution", "公共机构", "区机管局"),
    "school": ("public_institution", "公共机构", "区教育局"),
    "hospital": ("public_institution", "公共机构", "区卫健委"),
    "public_service": ("public_institution", "公共机构", "区机管局"),
    # 区商务委 is not a 责任单位 of tasks 34–38 of the plan (shared/docs): factories have no type department;
    # the plan's tasks give them to their street or to 区国资委 (pvsite.planning.tasks).
    "factory": ("factory", "工业厂房", ""),
    "warehouse": ("factory", "工业厂房", ""),
    "office": ("other_public", "其他公共建筑", "区发改委（统筹）"),
    "commercial": ("other_public", "其他公共建筑", "区发改委（统筹）"),
    "hotel": ("other_public", "其他公共建筑", "区发改委（统筹）"),
    "transport": ("other_public", "其他公共建筑", "区发改委（统筹）"),
    "residential": ("residential", "居住", ""),
    "other": ("other", "其他", ""),
}


def frame(**cols) -> gpd.GeoDataFrame:
    """Hand-made footprint rows: unit squares, one per value."""
    n = len(next(iter(cols.values())))
    data = {"building_id": [f"b{i}" for i in range(n)]}
    for c in ("name", "use"):
        data[c] = pd.Series(cols.pop(c, [None] * n), dtype="str")
    data["year_built"] = pd.Series(cols.pop("year_built", [pd.NA] * n), dtype="Int64")
    for c, v in cols.items():
        data[c] = pd.Series(v, dtype="str")
    geoms = [shapely.box(i * 10, 0, i * 10 + 1, 1) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4549")


def result(gdf, **kw):
    out = classify(gdf, **kw)
    return list(zip(out["building_type"], out["class_rule"]))


def test_use_keywords_in_order():
    gdf = frame(use=["行政办公", "商务办公", "办公", "机关办公", "教育用地", "医疗卫生", "社区服务中心", "工业厂房",
                     "物流仓储", "商业", "宾馆", "交通场站", "住宅", "非居住", "Residential", "R&D office"])
    assert result(gdf) == [
        ("government", "use:行政办公"),
        ("office", "use:商务办公"),
        ("office", "use:办公"),
        ("government", "use:机关"),
        ("school", "use:教育"),
        ("hospital", "use:医疗"),
        ("public_service", "use:社区服务"),
        ("factory", "use:工业"),
        ("warehouse", "use:仓储"),
        ("commercial", "use:商业"),
        ("hotel", "use:宾馆"),
        ("transport", "use:交通"),
        ("residential", "use:住宅"),
        ("other", DEFAULT_RULE),  # 非居住 = non-residential: excluded
        ("residential", "use:residential"),
        ("office", "use:office"),
    ]


def test_land_use_codes_match_whole_codes():
    gdf = frame(use=["A1", "A33", "A22", "B14", "B11", "B2", "M1", "W2", "S4", "R2", "R", "R&D", "Rr2", "MA1", "A7"])
    assert result(gdf) == [
        ("government", "use_code:A1"),
        ("school", "use_code:A3"),
        ("public_service", "use_code:A2"),
        ("hotel", "use_code:B14"),
        ("commercial", "use_code:B1"),
        ("office", "use_code:B2"),
        ("factory", "use_code:M"),
        ("warehouse", "use_code:W"),
        ("transport", "use_code:S"),
        ("residential", "use_code:R"),
        ("residential", "use_code:R"),  # bare letter as the whole value
        ("other", DEFAULT_RULE),  # R&D is not a code
        ("other", DEFAULT_RULE),  # Shanghai 控规 code, not covered
        ("other", DEFAULT_RULE),  # no code embedded in a word
        ("other", DEFAULT_RULE),  # A7 文物古迹 not mapped
    ]


def test_service_land_of_residential_areas_is_not_housing():
    """R12/R22/R32 服务设施用地 (GB 50137-2011 表3.3.2: 幼托, 卫生服务, 养老 … of a residential area) is not
    housing, in the use_code family as in the context family: it falls through to the building's other rules."""
    gdf = frame(use=["R22", "R12 服务设施用地", "R32 居住区服务设施用地", "R22 幼儿园", "R21", "R2 二类居住用地"],
                name=["", "", "", "", "", ""])
    assert result(gdf) == [
        ("other", DEFAULT_RULE),
        ("other", DEFAULT_RULE),
        ("other", DEFAULT_RULE),  # '居住' inside the R32 name does not make it housing either
        ("school", "use:幼儿园"),
        ("residential", "use_code:R"),
        ("residential", "use:居住"),
    ]


def test_osm_tags():
    n = 8
    gdf = frame(
        name=[None] * n,
        osm_amenity=["school", "hospital", None, None, None, "townhall", None, "fire_station"],
        osm_building=["yes", "apartments", "industrial", "yes", "yes", "public", "Apartments", "yes"],
        osm_office=[None, None, None, "government", "company", None, None, None],
        osm_shop=[None] * n,
        osm_landuse=[None, None, None, None, None, None, None, None],
    )
    assert result(gdf) == [
        ("school", "osm:amenity=school"),
        ("hospital", "osm:amenity=hospital"),  # amenity beats building=apartments
        ("factory", "osm:building=industrial"),
        ("government", "osm:office=government"),
        ("office", "osm:office=*"),
        ("government", "osm:amenity=townhall"),
        ("residential", "osm:building=apartments"),  # tag values compared in lower case
        ("public_service", "osm:amenity=fire_station"),
    ]


def test_osm_landuse_is_last_resort():
    gdf = frame(osm_building=["yes", "yes"], osm_landuse=["residential", "industrial"], osm_shop=["bakery", None])
    assert result(gdf) == [("commercial", "osm:shop=*"), ("factory", "osm:landuse=industrial")]


def test_building_number_alone_is_not_housing():
    """"N号楼" numbers a building; it says housing only after an estate's name (office parks are N号楼 too)."""
    gdf = frame(name=["虹古创意园1号楼", "益民科技园4号楼", "天山家园3号楼", "古北华庭二期5号楼", "仙霞小区12号楼"])
    assert [c for c, _ in result(gdf)] == ["other", "other", "residential", "residential", "residential"]


def test_name_keywords():
    gdf = frame(name=["长宁区实验小学", "复旦大学附属华山医院", "长宁区人民政府", "华人大厦", "长宁区人大常委会",
                      "上海机械厂", "来福士广场", "上海图书馆", "虹桥火车站", "锦江饭店", "天山五村", "天山二村12号楼",
                      "Central Library", "Food Court", "Hotel Lilla Robert", "Schoolhouse Lane", "无名建筑",
                      "长宁区生态环境局", "长宁邮政局", "华山路变电站", "新泾长者照护之家", "君悦商厦"])
    assert result(gdf) == [
        ("school", "name:小学"),
        ("hospital", "name:医院"),  # hospital before 大学
        ("government", "name:政府"),
        ("office", "name:大厦"),  # 人大 only as 人大常委/人大机关/人民代表大会
        ("government", "name:人大"),
        ("factory", "name:厂"),
        ("commercial", "name:广场"),
        ("public_service", "name:图书馆"),
        ("transport", "name:火车站"),
        ("hotel", "name:饭店"),
        ("residential", "name:里弄"),  # 天山五村: a Shanghai housing estate, a name ending in 村
        ("residential", "name:小区号楼"),  # N号楼 after an estate's name
        ("public_service", "name:library"),
        ("other", DEFAULT_RULE),  # 'court' alone is not a courthouse
        ("hotel", "name:hotel"),
        ("other", DEFAULT_RULE),  # whole words only
        ("other", DEFAULT_RULE),
        ("government", "name:…局"),
        ("other", DEFAULT_RULE),  # post office is not a bureau
        ("other", DEFAULT_RULE),  # substation: utility, no category
        ("public_service", "name:长者照护之家"),
        ("commercial", "name:商厦"),
    ]


def test_precedence_override_use_code_osm_name(tmp_path):
    csv = tmp_path / "fixes.csv"
    csv.write_text("building_id,building_type,reason\nb0,hotel,街道核实 2024\n", encoding="utf-8")
    gdf = frame(
        name=["长宁区实验小学"] * 5,
        use=["住宅", "住宅", "M1", None, None],
        osm_amenity=["hospital", "hospital", "hospital", "hospital", None],
    )
    out = classify(gdf, overrides=csv)
    assert list(zip(out["building_type"], out["class_rule"])) == [
        ("hotel", "override:fixes.csv"),
        ("residential", "use:住宅"),
        ("factory", "use_code:M"),
        ("hospital", "osm:amenity=hospital"),
        ("school", "name:小学"),
    ]
    assert out["class_note"].iloc[0] == "街道核实 2024" and out["class_note"].iloc[1:].isna().all()
    # use keywords beat codes within the same value
    assert result(frame(use=["A33 住宅"])) == [("residential", "use:住宅")]


def test_unknown_building_is_other_with_reason():
    out = classify(frame(name=[None, "某某"], use=[None, "其他"]))
    assert out["building_type"].tolist() == ["other", "other"]
    assert out["building_class"].tolist() == ["other", "other"]
    assert out["class_rule"].tolist() == [DEFAULT_RULE, DEFAULT_RULE]
    assert out["responsible_department"].tolist() == ["", ""]
    assert out["class_zh"].tolist() == ["其他", "其他"]


@pytest.mark.parametrize("btype", sorted(EXPECTED_TYPES))
def test_type_class_department_table(tmp_path, btype):
    csv = tmp_path / "o.csv"
    csv.write_text(f"building_id,building_type,reason\nb0,{btype},x\n", encoding="utf-8")
    out = classify(frame(name=[None]), overrides=csv)
    cls, cls_zh, dept = EXPECTED_TYPES[btype]
    assert out["building_class"].iloc[0] == cls
    assert out["class_zh"].iloc[0] == cls_zh
    assert out["responsible_department"].iloc[0] == dept


def test_is_new_boundary():
    gdf = frame(name=[None] * 4, year_built=[2021, 2022, 2023, pd.NA])
    out = classify(gdf)
    assert out["is_new"].tolist() == [False, True, True, False]
    assert out["is_new_basis"].tolist() == ["year_built", "year_built", "year_built", UNKNOWN_YEAR]
    assert out["is_new"].dtype == bool
    out = classify(gdf, new_building_year=2021)
    assert out["is_new"].tolist() == [True, True, True, False]


def test_output_columns_and_input_untouched():
    gdf = frame(name=["医院", None, "小学"])
    before = gdf.copy()
    out = classify(gdf)
    assert list(out.columns) == [*gdf.columns.drop("geometry"), *CLASS_COLUMNS, "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before))
    assert out["building_id"].tolist() == gdf["building_id"].tolist()
    # re-classifying replaces the columns instead of duplicating them
    again = classify(out)
    assert list(again.columns) == list(out.columns)


def test_overrides_errors_and_gbk(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("building_id,building_type,reason\nb0,palace,x\nb1,school,y\nb1,hotel,z\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        classify(frame(name=[None, None]), overrides=bad)
    assert "palace" in str(err.value) and "duplicated building_id: b1" in str(err.value)
    with pytest.raises(InputError, match="building_type"):
        classify(frame(name=[None]), overrides=pd.DataFrame({"building_id": ["b0"], "type": ["school"]}))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("building_id,building_type,reason\nb0,school,区教育局核实\n".encode("gbk"))
    out = classify(frame(name=[None]), overrides=gbk)
    assert out["class_note"].iloc[0] == "区教育局核实" and out["class_rule"].iloc[0] == "override:gbk.csv"


def test_bad_preset_reports_all_problems(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(
        '[classes.other]\nname_zh = "其他"\ncolour = "#999999"\n'
        '[types.other]\nclass = "other"\nname_zh = "其他"\nresponsible_department = ""\n'
        '[types.school]\nclass = "public"\nname_zh = "教育"\nresponsible_department = "区教育局"\n'
        '[[rules.name]]\ntype = "castle"\nkeywords = ["堡"]\n'
        '[[rules.use]]\ntype = "other"\npatterns = [{ id = "x", regex = "(" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        classify(frame(name=[None]), preset=str(p))
    msg = str(err.value)
    assert "'public'" in msg and "'castle'" in msg and "rules.use[1].patterns[1].regex" in msg and "bad.toml" in msg


def test_classification_report_counts():
    out = classify(frame(name=["小学", "中学", "医院", "仓库", None], use=[None, None, None, None, None]))
    out["reject_reason"] = pd.Series([None, "no geometry", None, None, None], dtype="str")
    rep = classification_report(out)
    got = {(r.building_class, r.class_rule): (r.n_buildings, r.n_usable) for r in rep.itertuples()}
    assert got == {
        ("public_institution", "name:小学"): (1, 1),
        ("public_institution", "name:中学"): (1, 0),
        ("public_institution", "name:医院"): (1, 1),
        ("factory", "name:仓库"): (1, 1),
        ("other", DEFAULT_RULE): (1, 1),
    }
    per_class = classification_report(out, by=("building_class",))
    assert per_class["building_class"].tolist() == ["public_institution", "factory", "other"]
    assert per_class["n_buildings"].tolist() == [3, 1, 1]
    assert per_class["class_zh"].tolist() == ["公共机构", "工业厂房", "其他"]


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------


def test_osm_public_institutions(shared_data):
    gdf, _ = read_footprints(shared_data / "osm/helsinki_centre.osm.pbf")
    out = classify(gdf)
    # Every building polygon carrying one of these amenity tags is a public institution, decided by that tag.
    for amenity in ("university", "townhall", "courthouse", "library", "fire_station"):
        rows = out[out["osm_amenity"] == amenity]
        assert len(rows) >= 1, amenity
        assert (rows["building_class"] == "public_institution").all(), amenity
        assert (rows["class_rule"] == f"osm:amenity={amenity}").all(), amenity
    # amenity=school sits on the school grounds, not on building polygons, in this extract:
    # the school buildings are found through building=school instead.
    assert (out["osm_amenity"] == "school").sum() == 0
    schools = out[out["osm_building"] == "school"]
    assert len(schools) >= 1
    assert (schools["class_rule"] == "osm:building=school").all()
    assert (schools["building_class"] == "public_institution").all()
    # every building is classified, none dropped; unmatched ones say so
    assert len(out) == len(gdf) and out["building_type"].notna().all()
    plain = out["osm_building"].eq("yes") & out[["osm_amenity", "osm_office", "osm_shop", "osm_landuse"]].isna().all(axis=1)
    assert (out.loc[plain, "building_class"] != "public_institution").all()


def test_bund_all_unmatched(shared_data):
    gdf, _ = read_footprints(shared_data / "footprints/shanghai_bund_buildings.gpkg")
    out = classify(gdf)
    rep = classification_report(out)
    # the Bund outlines carry no use, name or tags: all 10,613 fall to the default rule, none dropped
    assert rep[["building_class", "class_rule", "n_buildings"]].values.tolist() == [["other", DEFAULT_RULE, 10_613]]
    assert not out["is_new"].any() and (out["is_new_basis"] == UNKNOWN_YEAR).all()
    assert np.array_equal(out["building_id"].to_numpy(), gdf["building_id"].to_numpy())


def test_overrides_utf8_bom_and_gbk_give_the_same_result(tmp_path):
    text = "building_id,building_type,reason\nb1,hospital,区卫健委 2024 核实\nb0,factory,厂房改建\n"
    gdf = frame(name=["长宁区实验小学", None])
    results = []
    for enc in ("utf-8-sig", "gbk", "utf-8"):
        path = tmp_path / f"o_{enc}.csv"
        path.write_bytes(text.encode(enc))
        if enc == "utf-8-sig":
            assert path.read_bytes()[:3] == b"\xef\xbb\xbf"  # the BOM is really there
        out = classify(gdf, overrides=path)
        assert out["building_type"].tolist() == ["factory", "hospital"], enc
        assert out["class_rule"].tolist() == [f"override:{path.name}"] * 2
        results.append(out["class_note"].tolist())
    assert results[0] == results[1] == results[2] == ["厂房改建", "区卫健委 2024 核实"]


def test_format_classification_report():
    from pvsite.outputs.console import format_classification_report

    names = ["小学"] * 3 + ["中学"] * 2 + ["医院", "仓库", "商场", None, None]
    out = classify(frame(name=names))
    out["reject_reason"] = pd.Series([None] * 9 + ["no geometry"], dtype="str")
    reg = pd.DataFrame({"registry_type": pd.Series([pd.NA] * 8 + ["school", "school"], dtype="str"),
                        "registry_rule": pd.Series([pd.NA] * 8 + ["registry:s.csv:4", "registry:s.csv:9"],
                                                   dtype="str")}, index=out.index)
    out = classify(out, registry=reg)
    # b0–b2 小学, b3–b4 中学, b5 医院, b6 仓库, b7 商场, b8–b9 school by the registry (b9 has no geometry)
    text = format_classification_report(classification_report(out), top=3)
    lines = text.splitlines()
    assert lines[0] == "分类 Classification — 10 建筑 buildings"
    body = {ln.split()[1]: ln.split()[2:] for ln in lines[2:6]}
    assert body == {
        "public_institution": ["8", "7", "80.0", "%"],
        "factory": ["1", "1", "10.0", "%"],
        "other_public": ["1", "1", "10.0", "%"],
        "total": ["10", "9", "100.0", "%"],
    }
    assert lines[6] == "规则 Rules — top 3 of 6"
    # registry rows are counted per file (registry:s.csv:*); ties sorted by rule id
    top = [(ln.split()[0], ln.split()[-1]) for ln in lines[8:11]]
    assert top == [("name:小学", "3"), ("name:中学", "2"), ("registry:s.csv:*", "2")]
    assert lines[11].split()[:2] == ["…", "3"] and lines[11].split()[-1] == "3"
    per_class = format_classification_report(classification_report(out, by=("building_class",)))
    assert "规则" not in per_class and per_class.splitlines()[2].split()[1] == "public_institution"


def test_overruled_rule_is_the_highest_lower_family_with_another_class(tmp_path):
    gdf = frame(
        #     use wins over a conflicting name | agreement | osm and name both disagree | name only | nothing
        name=["第一人民医院", "长宁区实验小学", "某某医院", "长宁区实验小学", None],
        use=["住宅", "教育", "住宅", None, None],
        osm_amenity=[None, "school", "hospital", None, None],
    )
    out = classify(gdf)
    assert out["class_rule"].tolist() == ["use:住宅", "use:教育", "use:住宅", "name:小学", DEFAULT_RULE]
    over = out["class_overruled"]
    # the disagreeing name rule is kept; the osm tag outranks the name rule on row 2
    assert over.iloc[0] == "name:医院 → public_institution"
    assert over.iloc[2] == "osm:amenity=hospital → public_institution"
    # same class (school by use, by tag and by name) records nothing; nor does a lone rule or none
    assert over.iloc[[1, 3, 4]].isna().all()
    # a different type of the same class is agreement, not a conflict: 医院 (hospital) under 教育 (school)
    assert pd.isna(classify(frame(name=["附属医院"], use=["教育"]))["class_overruled"].iloc[0])


def test_override_and_registry_record_what_they_overrule(tmp_path):
    csv = tmp_path / "fixes.csv"
    csv.write_text("building_id,building_type,reason\nb0,residential,核实\n", encoding="utf-8")
    gdf = frame(name=["实验小学", "实验小学", "仓库"], use=[None, "工业", None])
    reg = pd.DataFrame({"registry_type": pd.Series(["school", "school", "school"], dtype="str"),
                        "registry_rule": pd.Series(["registry:s.csv:1", "registry:s.csv:2", "registry:s.csv:3"],
                                                   dtype="str")}, index=gdf.index)
    out = classify(gdf, overrides=csv, registry=reg)
    assert out["class_rule"].tolist() == ["override:fixes.csv", "registry:s.csv:2", "registry:s.csv:3"]
    assert out["class_overruled"].tolist() == ["registry:s.csv:1 → public_institution",
                                               "use:工业 → factory", "name:仓库 → factory"]
    assert out["class_confidence"].tolist() == ["high", "high", "high"]


def test_confidence_per_family(tmp_path):
    csv = tmp_path / "fixes.csv"
    csv.write_text("building_id,building_type\nb0,hotel\n", encoding="utf-8")
    gdf = frame(name=[None, None, None, None, "实验小学", None],
                use=[None, "住宅", "A33", None, None, None],
                osm_amenity=[None, None, None, "school", None, None])
    out = classify(gdf, overrides=csv)
    assert [r.split(":")[0] for r in out["class_rule"]] == ["override", "use", "use_code", "osm", "name", "default"]
    assert out["class_confidence"].tolist() == ["high", "high", "high", "medium", "low", "none"]
    # the levels are the preset's data, not code: a preset that trusts names more says so
    text = PRESET.path.read_text(encoding="utf-8").replace('name = "low"', 'name = "medium"')
    (tmp_path / "trusting.toml").write_text(text, encoding="utf-8")
    out2 = classify(gdf, preset=str(tmp_path / "trusting.toml"), overrides=csv)
    assert out2["class_confidence"].tolist() == ["high", "high", "high", "medium", "medium", "none"]


def test_confidence_table_is_checked(tmp_path):
    text = PRESET.path.read_text(encoding="utf-8")
    bad = text.replace('osm = "medium"\n', "").replace('name = "low"', 'name = "guess"')
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_classify(str(tmp_path / "bad.toml"))
    msg = str(err.value)
    assert "confidence.osm: missing" in msg and "confidence.name: 'guess'" in msg


def test_family_matches_equal_a_row_by_row_first_match_over_columns_and_repeats():
    """Each family decided per distinct combination of its columns gives, on every row, the first rule
    (in priority order) whose column value matches — evaluated here row by row, one value at a time."""
    rng = np.random.default_rng(7)
    n = 200
    pick = lambda vals: [vals[i] for i in rng.integers(0, len(vals), n)]  # noqa: E731
    cols = {
        "name": pick(["区第一中学", "中山医院", "某某大廈", "长宁区人民政府", "仓库", None, "  ", "华东公寓"]),
        "use": pick(["教育", "工业", "商业", "住宅", None, "办公", "xyz"]),
        "osm_building": pick(["school", "yes", "industrial", None, "apartments", "hospital"]),
        "osm_amenity": pick(["school", None, "hospital", "townhall", "cafe"]),
        "osm_shop": pick([None, "supermarket", None]),
    }
    gdf = frame(**cols)
    rules = classify_mod.load_rules(PRESET)["rules"]
    got = classify_mod._family_matches(gdf, rules)
    memo: dict = {}

    def matches(r, value) -> bool:  # one value alone, as a one-row column
        if (r.id, value) not in memo:
            raw = pd.Series([value], dtype="str")
            text = (classify_mod._text(raw, lower=True) if r.column.startswith("osm_")
                    else classify_mod.simplified(classify_mod._text(raw)))
            memo[r.id, value] = bool(text.notna().iloc[0] and r.match(text)[0])
        return memo[r.id, value]

    for fam, (btype, rule_id) in got.items():
        frules = [r for r in rules if r.family == fam and r.column in gdf.columns]
        for i in range(n):
            hit = next((r for r in frules if matches(r, gdf[r.column].iloc[i])), None)
            want = (None, None) if hit is None else (hit.type, hit.id)
            assert (btype[i], rule_id[i]) == want, (fam, i, gdf.iloc[i].to_dict())
    assert any(v is not None for v in got["osm"][0]) and any(v is not None for v in got["name"][0])
