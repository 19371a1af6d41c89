"""OSM tags read from any format: plain columns, hstore ``other_tags``, JSON ``tags``, Geofabrik ``fclass``/``type``."""

from __future__ import annotations

import json
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from pvsite.buildings.classify import classify, load_rules
from pvsite.io.footprints import CANONICAL_COLUMNS, OSM_COLUMNS, osm_tags, read_footprints
from pvsite.outputs.console import format_field_report

HELSINKI = "osm/helsinki_centre.osm.pbf"

#: The class each ``building=*`` value states (OSM wiki, Key:building), for the agreement test:
#: residential, commercial and civic values only (``yes``, ``roof``, ``church`` ... are not in it).
EXPECTED_CLASS = {
    # residential (OSM wiki: "Accommodation")
    "apartments": "residential", "residential": "residential", "house": "residential", "detached": "residential",
    "terrace": "residential", "dormitory": "residential",
    # commercial (OSM wiki: "Commercial")
    "commercial": "other_public", "retail": "other_public", "office": "other_public", "kiosk": "other_public",
    "supermarket": "other_public", "hotel": "other_public",
    # civic / amenity (OSM wiki: "Civic/amenity")
    "civic": "public_institution", "public": "public_institution", "government": "public_institution",
    "school": "public_institution", "university": "public_institution", "college": "public_institution",
    "kindergarten": "public_institution", "hospital": "public_institution", "museum": "public_institution",
}


def _hstore(text) -> dict:
    """Parse GDAL's hstore text (test-side parser, independent of pvsite's)."""
    if not isinstance(text, str):
        return {}
    return {k: v.replace('\\"', '"') for k, v in re.findall(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"', text)}


@pytest.fixture(scope="module")
def helsinki(shared_data):
    """Building multipolygons of the Helsinki extract with every tag as a plain column (a QuickOSM-style export)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # ways whose nodes are missing from the extract have no readable geometry: kept as None
        mp = pyogrio.read_dataframe(shared_data / HELSINKI, layer="multipolygons", on_invalid="ignore")
    mp = mp[mp["building"].notna() & (mp["building"] != "no")].reset_index(drop=True)
    extra = pd.DataFrame([_hstore(t) for t in mp["other_tags"]], index=mp.index)
    extra = extra[[c for c in extra.columns if c not in mp.columns]]
    plain = pd.concat([mp.drop(columns=["other_tags"]), extra], axis=1)
    plain = gpd.GeoDataFrame(plain, geometry="geometry", crs=mp.crs)
    return mp, plain


def _classes(gdf):
    out = classify(gdf, "cn-default", 2022)
    return out


def _write(gdf, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(gdf, path, **kw)
    return path


@pytest.mark.slow
def test_osm_schema_geopackage_and_geojson_classify_like_the_pbf(shared_data, helsinki, tmp_path):
    _, plain = helsinki
    pbf, _ = read_footprints(shared_data / HELSINKI)
    gpkg, gmeta = read_footprints(_write(plain, tmp_path / "helsinki_osm.gpkg", layer="buildings"))
    geojson, jmeta = read_footprints(_write(plain, tmp_path / "helsinki_osm.geojson"))
    assert len(pbf) == len(gpkg) == len(geojson) == len(plain)
    assert list(gpkg.columns) == [*CANONICAL_COLUMNS, *OSM_COLUMNS, "geometry"]
    want = _classes(pbf)
    for got, meta in ((_classes(gpkg), gmeta), (_classes(geojson), jmeta)):
        np.testing.assert_array_equal(got["building_type"].to_numpy(), want["building_type"].to_numpy())
        np.testing.assert_array_equal(got["class_rule"].to_numpy(), want["class_rule"].to_numpy())
        pd.testing.assert_series_equal(got["storeys"], pbf["storeys"])
        pd.testing.assert_series_equal(got["year_built"], pbf["year_built"])
        # the tags are used, so they are not listed as unmapped
        assert not {"building", "amenity", "shop", "office", "building:levels"} & set(meta["unmapped_source_columns"])
        assert meta["field_mapping"]["osm_building"] == "building"
        assert meta["field_mapping"]["storeys"] == "building:levels"
    # the same classes in plain numbers: nothing fell to 'other' because of the format
    n_other = int((want["building_class"] == "other").sum())
    assert n_other == int((_classes(gpkg)["building_class"] == "other").sum())


@pytest.mark.slow
def test_building_values_agree_with_their_class(shared_data, helsinki, tmp_path):
    _, plain = helsinki
    gpkg, _ = read_footprints(_write(plain, tmp_path / "helsinki_osm.gpkg", layer="buildings"))
    out = _classes(gpkg)
    expected = out["osm_building"].map(EXPECTED_CLASS)
    judged = expected.notna()
    agree = (out.loc[judged, "building_class"] == expected[judged]).mean()
    print(f"building=* agreement on {int(judged.sum())} residential/commercial/civic buildings: {agree:.1%}")
    assert judged.sum() >= 60  # measured on this extract: apartments 30, public 14, office 9, retail 7, ...
    assert agree >= 0.9
    for value in ("apartments", "public", "office", "retail", "university", "school"):
        rows = out[out["osm_building"] == value]
        assert len(rows), value
        assert (rows["building_class"] == EXPECTED_CLASS[value]).mean() >= 0.75, value


def test_every_common_building_value_is_recognised():
    values = ["school", "house", "apartments", "residential", "detached", "commercial", "retail", "office",
              "industrial", "warehouse", "hospital", "university", "kindergarten", "civic", "government",
              "public", "church", "cathedral", "hotel", "supermarket", "dormitory", "terrace"]
    out = classify(pd.DataFrame({"osm_building": values}), "cn-default", 2022)
    assert (out["class_rule"] == [f"osm:building={v}" for v in values]).all()
    classes = dict(zip(values, out["building_class"]))
    assert classes["school"] == classes["hospital"] == classes["civic"] == "public_institution"
    assert classes["house"] == classes["apartments"] == "residential"
    assert classes["industrial"] == classes["warehouse"] == "factory"
    assert classes["office"] == classes["retail"] == classes["church"] == "other_public"
    # building=yes alone says nothing; building:use then decides
    yes = classify(pd.DataFrame({"osm_building": ["yes", "yes"], "osm_building_use": ["residential", None]}),
                   "cn-default", 2022)
    assert yes["class_rule"].tolist() == ["osm:building:use=residential", "default:no-rule-matched"]


def test_hstore_other_tags_in_a_geopackage(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"osm_way_id": ["1", "2", "3"], "name": ["A", "B", None], "building": ["yes", "yes", "house"],
         "other_tags": ['"building:levels"=>"5","amenity"=>"school"', '"healthcare"=>"hospital","name:zh"=>"医院"',
                        '"name:zh"=>"某某大廈","roof:shape"=>"gabled","start_date"=>"1990"']},
        geometry=[shapely.box(540_000 + x, 3_455_000, 540_010 + x, 3_455_010) for x in (0, 20, 40)],
        crs="EPSG:4549")
    path = _write(gdf, tmp_path / "ogr2ogr.gpkg")
    fp, meta = read_footprints(path)
    assert fp["osm_amenity"].tolist()[:1] == ["school"] and fp["osm_healthcare"].iloc[1] == "hospital"
    assert fp["storeys"].iloc[0] == 5 and fp["year_built"].iloc[2] == 1990 and fp["roof_type"].iloc[2] == "pitched"
    assert fp["name"].tolist() == ["A", "B", "某某大廈"]  # name, else name:zh
    assert meta["field_mapping"]["osm_amenity"] == "other_tags (hstore)"
    assert meta["field_mapping"]["storeys"] == "building:levels from other_tags (hstore)"
    assert "other_tags" not in meta["unmapped_source_columns"]
    out = classify(fp, "cn-default", 2022)
    assert out["class_rule"].tolist() == ["osm:amenity=school", "osm:healthcare=hospital", "osm:building=house"]
    report = format_field_report(meta)
    assert "[[rules.osm]] osm OSM 标签 tags: building ← building (3); amenity ← other_tags (hstore) (1); " \
           "healthcare ← other_tags (hstore) (1)" in report
    assert "[[rules.name]] name 名称: name ← name (3)" in report


def test_json_tags_column_of_an_overpass_geojson(tmp_path):
    feats = []
    tags = [{"building": "school", "name": "Kallion lukio"}, {"building": "yes", "shop": "supermarket"},
            {"building": "yes", "building:levels": "4", "office": "government"}, {"highway": "service"}]
    for i, t in enumerate(tags):
        feats.append({"type": "Feature", "properties": {"id": f"way/{i + 1}", "tags": t},
                      "geometry": shapely.geometry.mapping(shapely.box(24.94 + 0.001 * i, 60.17, 24.9405 + 0.001 * i, 60.1703))})
    path = tmp_path / "overpass.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    fp, meta = read_footprints(path)
    assert fp["osm_building"].tolist()[:3] == ["school", "yes", "yes"] and pd.isna(fp["osm_building"].iloc[3])
    assert fp["name"].iloc[0] == "Kallion lukio" and fp["storeys"].iloc[2] == 4
    assert meta["field_mapping"]["osm_shop"] == "tags (JSON)"
    out = classify(fp, "cn-default", 2022)
    assert out["building_class"].tolist() == ["public_institution", "other_public", "public_institution", "other"]


def test_geofabrik_buildings_shapefile(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"osm_id": ["11", "12", "13"], "code": [1500, 1500, 1500], "fclass": ["building"] * 3,
         "name": ["", "Kallion kirjasto", ""], "type": ["apartments", "", "industrial"]},
        geometry=[shapely.box(24.94 + 0.001 * i, 60.17, 24.9405 + 0.001 * i, 60.1703) for i in range(3)],
        crs="EPSG:4326")
    fp, meta = read_footprints(_write(gdf, tmp_path / "gis_osm_buildings_a_free_1.shp"))
    assert fp["osm_building"].tolist() == ["apartments", "yes", "industrial"]
    assert meta["field_mapping"]["osm_building"] == "type (Geofabrik, fclass=building)"
    out = classify(fp, "cn-default", 2022)
    assert out["building_class"].tolist() == ["residential", "other", "factory"]


def test_underscore_keys_and_survey_files_without_tags(tmp_path):
    frame = pd.DataFrame({"building": ["yes", None], "building_levels": ["7", "2"], "AMENITY": ["Hospital", None]})
    tags, sources = osm_tags(frame)
    assert tags["building:levels"].tolist() == ["7", "2"] and tags["amenity"].tolist()[0] == "Hospital"
    assert sources["amenity"] == ["AMENITY"]
    tags, sources = osm_tags(pd.DataFrame({"名称": ["长宁区人民政府"], "type": ["1"]}))
    assert tags.shape[1] == 0 and sources == {}  # a survey's 'type' column is not Geofabrik's


def test_heritage_layer_name_zh_and_building_levels(shared_data):
    fp, meta = read_footprints(shared_data / "constraints" / "shanghai_heritage_osm.gpkg")
    assert meta["field_mapping"]["storeys"] == "building_levels"
    assert meta["field_mapping"]["osm_building"] == "building"
    assert int(fp["osm_building"].notna().sum()) == 481  # the other 193 features are not buildings
    out = classify(fp, "cn-default", 2022)
    assert out.loc[out["name"] == "上海海关", "building_class"].tolist() == ["public_institution"]
    assert set(load_rules("cn-default")["types"]) >= set(out["building_type"])
