"""End-to-end: the CLI on the embedded sample district and on the real Bund outlines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from pvsite.cli import main

STREET = "新华路街道"


@pytest.fixture(scope="module")
def street_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "xinhua.gpkg"
    result = CliRunner().invoke(main, ["run", "--street", STREET, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out, result.output


def _read(path, layer):
    return pyogrio.read_dataframe(path, layer=layer)


def test_street_run_writes_only_that_street(street_run):
    out, _ = street_run
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"roofs", "streets", "summary", "run_info"} <= layers
    roofs = _read(out, "roofs")
    assert len(roofs) > 50
    assert set(roofs["street"]) == {STREET}
    streets = _read(out, "streets")
    assert streets["key"].tolist() == [STREET]


def test_summary_equals_sum_of_roofs(street_run):
    out, _ = street_run
    roofs = _read(out, "roofs")
    summary = _read(out, "summary")
    d = summary[summary.level == "district"].iloc[0]
    assert d.n_buildings == len(roofs)
    assert d.capacity_kw == pytest.approx(roofs.capacity_kw.sum(), rel=1e-9)
    assert d.annual_mwh == pytest.approx(roofs.annual_kwh.sum() / 1000, rel=1e-9)
    assert d.co2_t == pytest.approx(roofs.co2_t.sum(), rel=1e-9)
    months = roofs[[f"kwh_m{m:02d}" for m in range(1, 13)]].sum(axis=1)
    assert months.to_numpy() == pytest.approx(roofs.annual_kwh.to_numpy(), rel=1e-9, abs=1e-6)
    for level in ("class", "department", "street_class"):
        assert summary[summary.level == level].capacity_kw.sum() == pytest.approx(d.capacity_kw)
    assert d.potential_x_target == pytest.approx(d.capacity_kw / 16000)
    # CO2 with Shanghai's 0.42 kg/kWh
    assert d.co2_t == pytest.approx(d.annual_mwh * 0.42, rel=1e-9)


def test_capacity_follows_policy_and_fit(street_run):
    out, _ = street_run
    roofs = _read(out, "roofs")
    sized = roofs[roofs.capacity_kw > 0]
    assert len(sized) > 0
    # capacity is whole modules; nothing exceeds what physically fits
    assert roofs.capacity_kw.to_numpy() == pytest.approx(roofs.n_modules.to_numpy() * 0.55)
    assert (roofs.n_modules <= roofs.modules_fit).all()
    assert (roofs.pv_area_m2 <= roofs.fit_pv_area_m2 + 1e-6).all()
    # the policy area is met in whole modules (at most one module's field over) unless it does not fit
    required = roofs.policy_ratio * roofs.area_m2
    met = ~roofs.policy_exceeds_fit & (roofs.n_modules > 0)
    cell = roofs.pv_area_m2 / roofs.n_modules.where(roofs.n_modules > 0)
    assert (roofs.pv_area_m2[met] >= required[met] - 1e-6).all()
    assert (roofs.pv_area_m2[met] < required[met] + cell[met] + 1e-6).all()
    short = roofs.policy_exceeds_fit
    assert (roofs.n_modules[short] == roofs.modules_fit[short]).all()
    # only classes the default scenario (plan-2025) names get PV
    assert set(sized.building_class) <= {"public_institution", "factory", "other_public"}
    assert (sized[sized.building_class == "other_public"].is_new).all()
    # specific yields in a plausible band for Shanghai
    assert sized.specific_yield_kwh_per_kwp.between(700, 1400).all()


def test_xlsx_beside_the_geopackage(street_run):
    out, _ = street_run
    xlsx = out.with_suffix(".xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    # one 任务-<部门> sheet per responsible department, between the priority list and the roof list
    tasks = [n for n in sheets if n.startswith("任务-")]
    assert tasks and list(sheets) == ["汇总", "街道", "类别", "责任部门", "经济性", "进度", "优先屋顶清单", *tasks, "屋顶明细",
                                      "街道×类别", "说明", "分类统计"]
    roofs = _read(out, "roofs")
    assert sheets["街道"]["装机容量(kW)"].iloc[0] == pytest.approx(roofs.capacity_kw.sum())
    assert len(sheets["屋顶明细"]) == len(roofs)  # every roof, sized or not
    assert "SYNTHETIC" in sheets["说明"].iloc[0, 1]
    assert out.with_suffix(".qgs").is_file()


def test_run_info_flags_synthetic(street_run):
    out, printed = street_run
    info = _read(out, "run_info").set_index("key")["value"]
    assert info["synthetic_sample"] == "true"
    assert "SYNTHETIC" in info["warning"]
    assert info["scenario"] == "plan-2025"
    assert len(info["footprints_sha256"]) == 64
    assert "[policy]" in info["config_toml"]
    assert "SYNTHETIC" in printed  # the console says so too


def test_unknown_street_lists_valid_names(tmp_path):
    result = CliRunner().invoke(main, ["run", "--street", "新华街道X", "--out", str(tmp_path / "x.gpkg")])
    assert result.exit_code == 5
    assert "新华路街道" in result.output and "虹桥街道" in result.output
    assert "Traceback" not in result.output


def test_refuses_to_overwrite(street_run):
    out, _ = street_run
    result = CliRunner().invoke(main, ["run", "--street", STREET, "--out", str(out)])
    assert result.exit_code == 4
    assert "--overwrite" in result.output


def test_streets_command_lists_ten():
    result = CliRunner().invoke(main, ["streets"])
    assert result.exit_code == 0
    names = result.output.split()
    assert len(names) == 10 and "新泾镇" in names and STREET in names


def test_scenarios_command():
    result = CliRunner().invoke(main, ["scenarios"])
    assert result.exit_code == 0
    for name in ("new-2022", "existing-2025", "plan-2025", "existing-2030", "technical-max"):
        assert name in result.output


@pytest.mark.slow
def test_bund_every_building_out(shared_data, tmp_path):
    src = shared_data / "footprints" / "shanghai_bund_buildings.gpkg"
    out = tmp_path / "bund.gpkg"
    result = CliRunner().invoke(
        main, ["run", "--footprints", str(src), "--scenario", "technical-max", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    roofs = _read(out, "roofs")
    assert len(roofs) == 10_613
    assert roofs.building_id.is_unique
    assert sorted(roofs.source_row) == list(range(10_613))
    assert roofs.storeys.notna().all()  # Floor mapped to storeys
    info = _read(out, "run_info").set_index("key")["value"]
    assert info["synthetic_sample"] == "false" and info["n_input_features"] == "10613"
    # technical-max (应装尽装): ratio 1 everywhere and every module that fits is installed, so a roof is
    # sized exactly when one 550 W module fits, and its capacity is 0.55 kW per module
    # (slender tower crowns are 'unsuitable': modules would fit, none is installed — roofs.unsuitable)
    unsuitable = roofs.status == "unsuitable"
    assert unsuitable.sum() == 22 and (roofs.unsuitable_reason[unsuitable] == "slender_crown").all()
    assert (roofs.n_modules[unsuitable] == 0).all() and (roofs.policy_ratio[unsuitable] == 0).all()
    rest = roofs[~unsuitable]
    assert (rest.policy_ratio == 1.0).all()
    assert (rest.n_modules == rest.modules_fit).all()
    np.testing.assert_allclose(roofs.capacity_kw, 0.550 * roofs.n_modules, rtol=1e-12)
    assert ((rest.status == "sized") == (rest.modules_fit > 0)).all()
    # shading is on by default: the Bund's flat roofs fall below the yield threshold ([roof]
    # min_yield_share_pct) only when neighbours shade them (with --no-shading none is "low yield")
    assert set(roofs.status) == {"sized", "too small", "low yield", "unsuitable"}
    low = roofs[roofs.status == "low yield"]
    assert (low.shading_loss_pct > 0).all() and (low.capacity_kw == 0).all()
    sized = roofs[roofs.capacity_kw > 0]
    assert len(sized) > 5000
    # kW per m² of usable area bounded by the module density (550 W on 2.279 m × 1.134 m)
    assert (sized.capacity_kw * 1000 / sized.usable_area_m2 <= 550 / (2.279 * 1.134) + 1e-6).all()


@pytest.mark.slow
def test_bund_heritage_roofs_carry_no_pv(shared_data, tmp_path):
    src = shared_data / "footprints" / "shanghai_bund_buildings.gpkg"
    heritage = shared_data / "constraints" / "shanghai_heritage_osm.gpkg"
    out = tmp_path / "bund_heritage.gpkg"
    result = CliRunner().invoke(main, ["run", "--footprints", str(src), "--scenario", "technical-max",
                                       "--exclude", str(heritage), "--no-panels", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    roofs = _read(out, "roofs")
    assert len(roofs) == 10_613
    excl = roofs[roofs.excluded]
    # polygons covering ≥ 5 % of a roof (411) ∪ roofs containing a heritage point (43) = 432
    assert len(excl) == 432
    # status order: unsuitable before excluded (one heritage-touched roof is a slender tower crown)
    assert (excl.capacity_kw == 0).all() and excl.status.isin(["excluded", "unsuitable"]).all()
    assert (excl.status == "unsuitable").sum() == 1
    assert excl.exclusion_reason.str.startswith("heritage:").all()
    assert (roofs[~roofs.excluded].capacity_kw > 0).sum() > 5000
    info = _read(out, "run_info").set_index("key")["value"]
    assert info["n_excluded"] == "432"
    # no roof holds more than its layout: kW per m² of footprint bounded by the module's own density
    assert (roofs.capacity_kw * 1000 / roofs.area_m2 <= 550 / (2.279 * 1.134)).all()


@pytest.mark.slow
def test_district_selection_and_registry(shared_data, tmp_path):
    import geopandas as gpd
    import shapely

    out = tmp_path / "cn.gpkg"
    boundaries = shared_data / "boundaries" / "shanghai_districts_gcj02.geojson"
    schools = shared_data / "sites" / "changning_schools_bd09.csv"
    result = CliRunner().invoke(main, [
        "run", "--district", "长宁区", "--district-boundaries", f"{boundaries}:gcj02",
        "--registry", f"{schools}:bd09", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    roofs = pyogrio.read_dataframe(out, layer="roofs")
    outline = gpd.read_file(shared_data / "boundaries" / "changning_boundary_wgs84.geojson").to_crs(roofs.crs)
    inside = shapely.contains(outline.geometry.union_all(), shapely.point_on_surface(roofs.geometry.to_numpy()))
    assert 0 < len(roofs) < 3518 and inside.all()
    entries = _read(out, "registry_entries")
    assert len(entries) == 34  # every registry entry is accounted for, matched or not
    assert entries.status.str.match(r"^(contains|nearest|unmatched)").all()
    tagged = roofs[roofs.class_rule.str.startswith("registry:")]
    assert (tagged.building_type == "school").all()


def test_height_raster_gives_measured_planes(tmp_path):
    """A gable measured on a height raster replaces the assumed flat-roof rows."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    x0, y0 = 350000.0, 3452000.0  # EPSG:32651, Changning
    length, width, pitch, eave = 30.0, 12.0, 25.0, 9.0
    fp = gpd.GeoDataFrame({"编号": ["G1"], "屋顶类型": ["平屋顶"], "用途": ["教育"]},
                          geometry=[shapely.box(x0, y0, x0 + length, y0 + width)], crs=32651)
    src = tmp_path / "gable.gpkg"
    pyogrio.write_dataframe(fp, src, layer="buildings")
    res = 0.5
    xs = np.arange(x0 - 5 + res / 2, x0 + length + 5, res)
    ys = np.arange(y0 + width + 5 - res / 2, y0 - 5, -res)
    X, Y = np.meshgrid(xs, ys)
    inside = (X > x0) & (X < x0 + length) & (Y > y0) & (Y < y0 + width)
    z = eave + (width / 2 - np.abs(Y - (y0 + width / 2))) * np.tan(np.radians(pitch))
    dsm = np.where(inside, z, 0.0).astype("float32")
    tif = tmp_path / "dsm.tif"
    with rasterio.open(tif, "w", driver="GTiff", height=dsm.shape[0], width=dsm.shape[1], count=1,
                       dtype="float32", crs="EPSG:32651", nodata=-9999,
                       transform=from_origin(x0 - 5, y0 + width + 5, res, res)) as dst:
        dst.write(dsm, 1)
    out = tmp_path / "h.gpkg"
    result = CliRunner().invoke(main, ["run", "--footprints", str(src), "--heights", str(tif),
                                       "--scenario", "technical-max", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    roof = _read(out, "roofs").iloc[0]
    assert roof.raster_roof_shape == "pitched"
    assert roof.mounting == "flush" and roof.n_planes == 2
    assert roof.tilt_deg == pytest.approx(pitch, abs=1.0)
    # the planes face across the long (east-west) axis: south and north
    assert min(abs(roof.array_azimuth_deg - 180), abs(roof.array_azimuth_deg - 0),
               abs(roof.array_azimuth_deg - 360)) < 3
    assert roof.height_m == pytest.approx(eave + width / 4 * np.tan(np.radians(pitch)), abs=0.6)


@pytest.mark.slow
def test_bund_every_touched_roof_excluded_with_zero_overlap_share(shared_data, tmp_path):
    """With min_overlap_share = 0 every Bund roof the heritage layer touches carries no PV."""
    src = shared_data / "footprints" / "shanghai_bund_buildings.gpkg"
    heritage = shared_data / "constraints" / "shanghai_heritage_osm.gpkg"
    cfg = tmp_path / "touch.toml"
    cfg.write_text(f'[exclusions]\nmin_overlap_share = 0.0\nlayers = [{{ path = "{heritage}" }}]\n',
                   encoding="utf-8")
    out = tmp_path / "touch.gpkg"
    result = CliRunner().invoke(main, ["run", "--footprints", str(src), "--config", str(cfg),
                                       "--scenario", "technical-max", "--no-panels", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    roofs = _read(out, "roofs")
    # 437 touched by a heritage polygon ∪ 43 containing a heritage point = 458 (the data README's figures)
    assert int(roofs.excluded.sum()) == 458
    assert (roofs[roofs.excluded].capacity_kw == 0).all()


@pytest.mark.slow
def test_cli_weather_columns_and_distant_weather_flag(tmp_path, shared_data):
    """--weather-column maps a CSV's columns; a far station is refused, and runs with --allow-distant-weather."""
    import pvlib
    from click.testing import CliRunner

    from pvsite.cli import main

    raw, _ = pvlib.iotools.read_epw(str(shared_data / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"))
    table = pd.DataFrame({"Year": raw["year"], "Month": raw["month"], "Day": raw["day"], "Hour": raw["hour"],
                          "G": raw["ghi"], "B": raw["dni"], "D": raw["dhi"], "Ta": raw["temp_air"],
                          "Wind Speed": raw["wind_speed"]})
    csv = tmp_path / "far.csv"
    # the same year, labelled as a station 1,200 km north of Shanghai (a planner's wrong file)
    csv.write_text("# latitude: 42.2\n# longitude: 121.45\n" + table.to_csv(index=False), encoding="utf-8")
    args = ["run", "-q", "--weather", str(csv), "--weather-column", "ghi=G", "--weather-column", "dni=B",
            "--weather-column", "dhi=D", "--weather-column", "temp_air=Ta", "--out", str(tmp_path / "o.gpkg")]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "allow-distant-weather" in r.output
    r = CliRunner().invoke(main, args + ["--allow-distant-weather", "--overwrite"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "1,222 km from the buildings" in text  # the warning is printed even with -q
    bad = CliRunner().invoke(main, ["run", "--weather", str(csv), "--weather-column", "ghi"])
    assert bad.exit_code == 2 and "NAME=COLUMN" in bad.output
