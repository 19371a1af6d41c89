"""Tests for pvsite.buildings.classify.match_context (site context: parcels and OSM areas typing the footprints inside)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from pvsite import api
from pvsite.buildings import classify as classify_mod
from pvsite.buildings.classify import match_context
from pvsite.config import ClassifyConfig, ContextConfig
from pvsite.errors import ConfigError, InputError
from pvsite.io.layers import read_context
from pvsite.presets import load_classify

PRESET = load_classify(ClassifyConfig().preset)
YEAR = ClassifyConfig().new_building_year
CRS = "EPSG:32651"  # UTM 51N: metres, as buildings.locate gives them


def box(x0, y0, x1, y1):
    return shapely.box(x0, y0, x1, y1)


@pytest.fixture
def parcels(tmp_path):
    """A 控规-style parcel layer in lon/lat: A33 school, M1 factory, R2 housing (with a kindergarten parcel inside)."""
    frame = gpd.GeoDataFrame(
        {"地块编号": ["CN-01", "CN-02", "CN-03", "CN-04", "CN-05"],
         "用地代码": ["A33", "M1", "R2", "R22", None],
         "用地名称": ["中小学用地", "一类工业用地", "二类住宅用地", "幼托用地", "绿地"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 200, 300), box(20, 120, 60, 160),
                  box(200, 0, 300, 100)], crs=CRS).to_crs(4326)
    path = tmp_path / "kg.gpkg"
    frame.to_file(path, layer="parcels")
    return path


def footprints():
    # 0 inside A33; 1 straddles A33/M1 with 60 % on M1; 2 40 % on M1 only, rest on the green parcel;
    # 3 in A33 with a housing name; 4 in M1 tagged building=apartments; 5 in the 幼托 parcel inside R2;
    # 6 in R2; 7 outside every parcel
    return gpd.GeoDataFrame(
        {"building_id": [f"b{i}" for i in range(8)],
         "name": [None, None, None, "教工住宅", None, None, None, None],
         "use": [None] * 8,
         "osm_building": [None, None, None, None, "apartments", None, None, None]},
        geometry=[box(10, 10, 30, 30), box(90, 10, 115, 30), box(190, 50, 215, 70), box(50, 50, 70, 70),
                  box(150, 50, 170, 70), box(30, 130, 50, 150), box(100, 200, 130, 230), box(400, 400, 420, 420)],
        crs=CRS)


def test_read_context_joins_code_and_name_columns(parcels):
    ctx = read_context(parcels)
    assert list(ctx.columns[:3]) == ["context_id", "context_name", "use"]
    assert ctx["use"].tolist()[:2] == ["A33 中小学用地", "M1 一类工业用地"]
    assert ctx["use"].iloc[4] == "绿地"  # the code column is empty there: the name alone
    assert ctx["context_name"].tolist()[0] == "CN-01" and ctx["context_id"].tolist()[0] == "kg.gpkg#1"


def test_footprints_take_the_type_of_the_parcel_holding_most_of_them(parcels):
    spec = ContextConfig(path=str(parcels))
    m = match_context(footprints(), [(spec, read_context(parcels))], PRESET)
    assert m["context_type"].tolist()[:2] == ["school", "factory"]
    assert m["context_rule"].tolist()[:2] == ["context:A3", "context:M"]
    assert m["context_share"].iloc[1] == pytest.approx(15 / 25)  # 15 of its 25 m width lies on M1
    assert pd.isna(m["context_type"].iloc[2])                      # 40 % on M1 < min_share 0.5; 绿地 is untyped
    assert m["context_type"].iloc[5] == "school"                    # the 幼托 parcel, not the R2 around it
    assert m["context_rule"].iloc[5] == "context:幼托"  # R22 is 服务设施用地, not housing: the name decides
    assert m["context_type"].iloc[6] == "residential" and pd.isna(m["context_type"].iloc[7])
    assert m["context_note"].iloc[0] == "地块 context: kg.gpkg#1 CN-01 (A33 中小学用地), 100 % of footprint"
    # min_share is a setting: at 0.3 the building 40 % on M1 becomes a factory
    m3 = match_context(footprints(), [(ContextConfig(path=str(parcels), min_share=0.3), read_context(parcels))],
                       PRESET)
    assert m3["context_type"].iloc[2] == "factory"


def test_context_ranks_below_own_tags_and_above_names(parcels):
    gdf = footprints()
    m = match_context(gdf, [(ContextConfig(path=str(parcels)), read_context(parcels))], PRESET)
    out = classify_mod.classify(gdf, PRESET, YEAR, context=m)
    assert out["building_class"].tolist() == ["public_institution", "factory", "other", "public_institution",
                                              "residential", "public_institution", "residential", "other"]
    assert out["class_rule"].iloc[3] == "context:A3"                # the parcel beats the name keyword ...
    assert out["class_overruled"].iloc[3] == "name:住宅 → residential"  # ... and the disagreement shows
    assert out["class_rule"].iloc[4] == "osm:building=apartments"   # the building's own tag beats the parcel
    assert out["class_overruled"].iloc[4] == "context:M → factory"
    assert out["class_confidence"].tolist()[:2] == ["medium", "medium"]
    assert out["class_note"].iloc[0].startswith("地块 context: kg.gpkg#1")
    # without context nothing changes: the same frame classifies as before
    plain = classify_mod.classify(gdf, PRESET, YEAR)
    assert plain["class_rule"].tolist()[0] == classify_mod.DEFAULT_RULE


def test_context_preset_entries_are_checked(tmp_path):
    text = PRESET.path.read_text(encoding="utf-8")
    bad = text.replace('[[rules.context]]\ntag = "landuse"\ntype = "factory"\nvalues = ["industrial"]',
                       '[[rules.context]]\ntag = "landuse"\ntype = "factory"\ncodes = ["M"]', 1)
    bad = bad.replace('context = "medium"\n', "")
    assert bad != text
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_classify(str(tmp_path / "bad.toml"))
    msg = str(err.value)
    assert "confidence.context: missing" in msg
    assert "tag and values go together" in msg and "not both" in msg


def test_context_file_without_polygons_is_refused(tmp_path):
    pts = gpd.GeoDataFrame({"用地代码": ["A33"]}, geometry=[shapely.Point(121.4, 31.2)], crs=4326)
    pts.to_file(tmp_path / "pts.geojson")
    with pytest.raises(InputError, match="no area polygons"):
        read_context(tmp_path / "pts.geojson")


def test_context_option_reaches_the_config(parcels):
    cfg = api.configure(contexts=[f"{parcels}:gcj02", {"path": str(parcels), "min_share": 0.8}])
    assert [c.datum for c in cfg.input.context] == ["gcj02", None]
    assert cfg.input.context[1].min_share == 0.8
    with pytest.raises(ConfigError, match="min_share"):
        api.configure(contexts=[{"path": str(parcels), "min_share": 0}])


def test_helsinki_osm_areas_type_untagged_buildings(shared_data):
    """Real OSM: landuse / amenity areas of the Helsinki extract type its building=yes footprints."""
    pbf = shared_data / "osm" / "helsinki_centre.osm.pbf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = read_context(pbf)
        assert "osm_building" not in ctx.columns or ctx["osm_building"].isna().all()  # buildings are not context
        assert (ctx["osm_landuse"] == "commercial").sum() == 50
        plain = api.prepare(footprints=str(pbf), allow_distant_weather=True,
                            input={"osm_areas_as_context": False}).roofs
        roofs = api.prepare(footprints=str(pbf), allow_distant_weather=True, contexts=[str(pbf)]).roofs
        auto = api.prepare(footprints=str(pbf), allow_distant_weather=True).roofs
    # an .osm.pbf's own areas are context without asking (issue #11 item 2)
    assert (auto["class_rule"].to_numpy() == roofs["class_rule"].to_numpy()).all()
    before = (plain["class_rule"] == classify_mod.DEFAULT_RULE).sum()
    after = (roofs["class_rule"] == classify_mod.DEFAULT_RULE).sum()
    by_context = roofs["class_rule"].str.startswith("context:")
    assert before - after >= 250 and by_context.sum() >= before - after
    assert (roofs.loc[by_context, "class_confidence"] == "medium").all()
    # the university's main library (Kaisa-talo, building=yes) lies on the university's campus area
    kaisa = roofs[roofs["name"] == "Kaisa-talo"].iloc[0]
    assert kaisa["class_rule"] == "context:amenity=university" and kaisa["building_class"] == "public_institution"
    # own tags still decide the tagged buildings: nothing the tags classified changes class
    tagged = plain["class_rule"].str.startswith("osm:").to_numpy()
    assert (roofs["building_class"].to_numpy()[tagged] == plain["building_class"].to_numpy()[tagged]).all()
