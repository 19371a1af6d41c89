"""Sanity checks (pvsite.buildings.checks) on real data: distant weather, the policy district, datums,
unclassified buildings, high latitudes."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite import presets
from pvsite.buildings import checks
from pvsite.config import Config, MountingConfig
from pvsite.errors import InputError
from pvsite.geo import datums
from pvsite.resources import SAMPLE_FOOTPRINTS

SHANGHAI_STATION = {"latitude": 31.40, "longitude": 121.45, "source": "58362.epw", "description": "CSWD"}
CHANGNING = (121.42, 31.22)
HELSINKI = (24.94, 60.17)


def test_haversine_one_degree_of_latitude():
    # 1° of a great circle on the IUGG mean sphere: 2π·6371.0088/360 km
    assert checks.haversine_km(0, 10, 0, 11) == pytest.approx(111.195, abs=1e-3)


def test_near_station_passes_distant_warns_far_is_refused():
    assert checks.weather_distance(SHANGHAI_STATION, *CHANGNING) == []  # ~20 km
    hangzhou = {"latitude": 30.23, "longitude": 120.17, "source": "58457.epw"}
    (f,) = checks.weather_distance(hangzhou, *CHANGNING)
    assert f.code == "weather_distance" and 150 < f.figures["distance_km"] < 170
    with pytest.raises(InputError, match="allow-distant-weather") as exc:
        checks.weather_distance(SHANGHAI_STATION, *HELSINKI)
    assert "7,3" in str(exc.value) and "km" in str(exc.value)
    (f,) = checks.weather_distance(SHANGHAI_STATION, *HELSINKI, allow_distant=True)
    assert f.figures["latitude_difference_deg"] == pytest.approx(28.77, abs=0.01)
    # 5° of latitude is refused even within 1,000 km (≈ 600 km due north)
    with pytest.raises(InputError):
        checks.weather_distance(SHANGHAI_STATION, 121.45, 36.9)


def test_weather_without_location_is_reported():
    (f,) = checks.weather_distance({"latitude": None, "longitude": None, "source": "x.csv"}, *CHANGNING)
    assert f.code == "weather_location_unknown"


def _sample():
    return gpd.read_file(SAMPLE_FOOTPRINTS, layer="buildings")


def test_policy_district_declared_only_by_district_presets():
    ch = presets.load_policy("changning-2023")
    assert ch.district_adcode == "310105" and ch.district_bbox == pytest.approx((121.3272, 31.1797, 121.4349, 31.2459))
    assert presets.load_policy("nea-2021-county").district_bbox is None


def test_synthetic_sample_lies_in_changning(tmp_path):
    sample = _sample()
    c = shapely.centroid(sample.to_crs(4326).geometry.values)
    x, y = shapely.get_x(c), shapely.get_y(c)
    bbox = presets.load_policy("changning-2023").district_bbox
    inside = ((x >= bbox[0]) & (x <= bbox[2]) & (y >= bbox[1]) & (y <= bbox[3])).mean()
    assert inside > 0.5  # measured 0.93: its eastern edge (to 121.446° E) overhangs the box
    assert checks.outside_policy_district(sample, presets.load_policy("changning-2023"), True) == []


def test_bund_is_not_changning(shared_data):
    bund = gpd.read_file(shared_data / "footprints" / "shanghai_bund_buildings.gpkg")
    (f,) = checks.outside_policy_district(bund, presets.load_policy("changning-2023"))
    assert f.figures["n_outside"] == len(bund) == 10613
    assert "310105" in f.message_en and "16,000 kW" in f.message_en
    assert checks.outside_policy_district(bund, presets.load_policy("nea-2021-county")) == []


def test_gcj02_data_without_datum_gets_a_hint():
    sample = _sample()
    streets = gpd.read_file(SAMPLE_FOOTPRINTS, layer="streets")
    assert checks.datum_hint(sample, [streets], "wgs84") == []
    wgs = sample.to_crs(4326)
    as_gcj = wgs.copy()
    as_gcj["geometry"] = shapely.transform(wgs.geometry.values, datums.wgs84_to_gcj02, interleaved=False)
    (f,) = checks.datum_hint(as_gcj, [streets], "wgs84")
    assert f.code == "datum_hint" and "--datum gcj02" in f.message_en
    assert f.figures["share_inside_as_wgs84"] == pytest.approx(0.902, abs=0.01)  # the ~500 m shift
    assert f.figures["share_inside_as_gcj02"] == pytest.approx(1.0)
    assert checks.datum_hint(as_gcj, [streets], "gcj02") == []  # stated: nothing to hint


def test_high_latitude_window_is_narrowed_and_said():
    assert checks.high_latitude(31.2, MountingConfig()) == []
    (f,) = checks.high_latitude(60.17, MountingConfig())
    assert f.figures["kept_start_hour"] == pytest.approx(10.767, abs=0.02)
    assert "10:46–13:14" in f.message_en


def test_unclassified_share_and_kw():
    roofs = pd.DataFrame({"class_rule": ["default:no-rule-matched"] * 3 + ["use:教育"],
                          "capacity_kw": [0.0, 0.0, 0.0, 50.0], "status": ["not required"] * 3 + ["sized"]})
    planes = pd.DataFrame({"roof_index": [0, 1, 2, 3], "modules_fit": [10, 20, 0, 100]})
    (f,) = checks.unclassified(roofs, planes, 550.0, "plan-2025")
    assert f.message_en.startswith("3 of 4 buildings unclassified → 0 kW in scenario plan-2025")
    assert f.figures["fit_kw"] == pytest.approx(30 * 0.55)
    assert checks.unclassified(roofs.iloc[3:], planes, 550.0, "x") == []


def test_unclassified_fit_leaves_out_roofs_no_class_could_size():
    # modules_fit is a technical fit: an unsuitable or (not flag-only) excluded roof has one, but no class sizes it
    roofs = pd.DataFrame({"class_rule": ["default:no-rule-matched"] * 4,
                          "capacity_kw": [0.0] * 4, "status": ["not required", "unsuitable", "not required", "rejected"],
                          "excluded": [False, False, True, False]})
    planes = pd.DataFrame({"roof_index": [0, 1, 2, 3], "modules_fit": [10, 20, 40, 80]})
    (f,) = checks.unclassified(roofs, planes, 1000.0, "plan-2025")
    assert f.figures["n_unclassified"] == 3 and f.figures["fit_kw"] == pytest.approx(10.0)
    (f,) = checks.unclassified(roofs, planes, 1000.0, "plan-2025", flag_only_exclusions=True)
    assert f.figures["fit_kw"] == pytest.approx(50.0)


def test_low_yield_kw_is_counted_on_the_roofs_the_scenario_asks_pv_of():
    roofs = pd.DataFrame({"status": ["sized", "low yield", "not required", "unsuitable", "sized"],
                          "low_yield_kw": [1.0, 2.0, 40.0, 80.0, 0.0]})
    planes = pd.DataFrame({"roof_index": [0, 1, 2, 3, 4], "modules_low_yield": [1, 2, 40, 80, 0]})
    planes.attrs["suitability"] = {"min_yield_share_pct": 80.0, "n_planes_low_yield": 4,
                                   "optimum": {"flush": {"specific_yield_kwh_per_kwp": 1000.0, "tilt_deg": 27.0}}}
    (f,) = checks.low_yield_planes(roofs, planes)
    assert (f.figures["n_planes"], f.figures["n_roofs"], f.figures["n_roofs_without_pv"]) == (2, 2, 1)
    assert f.figures["low_yield_kw"] == pytest.approx(3.0) and f.figures["low_yield_kw_not_asked"] == pytest.approx(120.0)
    assert "up to 3 kW not counted" in f.message_en and "further 120 kW" in f.message_en
    # nothing left out where the scenario asks PV: the threshold changes nothing in it, no warning
    assert checks.low_yield_planes(roofs.iloc[2:], planes) == []


@pytest.mark.slow
def test_bund_run_says_every_building_is_unclassified(shared_data):
    from pvsite import pipeline

    cfg = Config().with_overrides(input={"footprints": str(shared_data / "footprints" / "shanghai_bund_buildings.gpkg")},
                                  output={"panels": False})
    result = pipeline.run(cfg)
    f = next(f for f in result.findings if f.code == "unclassified")
    assert f.message_en.startswith("10,613 of 10,613 buildings unclassified → 0 kW")
    assert "--context, --registry or --overrides" in f.message_en and "--context" in f.message_zh
    from pvsite import cli  # every option the hint names exists

    names = {o for p in cli.run.params for o in getattr(p, "opts", [])}
    assert {"--context", "--registry", "--overrides"} <= names
    stored = json.loads(result.run_info["warnings"])
    assert {"unclassified", "outside_policy_district", "overlapping_footprints"} <= {w["code"] for w in stored}


@pytest.mark.slow
def test_helsinki_with_shanghai_weather_is_refused_and_runs_with_the_flag(shared_data):
    from pvsite import pipeline

    pbf = str(shared_data / "osm" / "helsinki_centre.osm.pbf")
    with pytest.raises(InputError, match="allow-distant-weather"):
        pipeline.prepare(Config().with_overrides(input={"footprints": pbf}))
    cfg = Config().with_overrides(input={"footprints": pbf}, weather={"allow_distant": True},
                                  policy={"scenario": "technical-max"}, output={"panels": False})
    result = pipeline.run(cfg)
    codes = {f.code for f in result.findings}
    assert {"weather_distance", "no_shade_window_narrowed", "outside_policy_district"} <= codes
    assert result.district["capacity_kw"] > 0
    assert float(result.run_info["site_latitude_deg"]) == pytest.approx(60.17, abs=0.05)
