"""Shading through the whole pipeline: off reproduces main's figures; on, a tower south of a low roof costs it.

The tower cases follow issue 12's check (b) with the geometry the energy engineer measured:
a 130 m × 100 m slab 100 m south of a 10 m roof at 31.2° N.  The pipeline computes the
horizon from the footprints (pvsite.roofs.horizon) and the loss from the weather year
(pvsite.solar.shading); nothing here is mocked.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

import pvsite

#: A point in Changning in UTM zone 51N (EPSG:32651) [m].
X0, Y0 = 347_000.0, 3_455_000.0


def _district(tmp_path, tower_at: str | None):
    """A 40 × 25 m, 10 m-high flat office roof; optionally a 130 m slab 100 m to one side (edge to edge)."""
    roof = shapely.box(X0 - 20, Y0 - 12.5, X0 + 20, Y0 + 12.5)
    rows = [{"编号": "low", "height_m": 10.0, "roof_type": "flat", "use": "办公", "geometry": roof}]
    if tower_at:
        gap, half_w, depth = 100.0, 50.0, 20.0
        shapes = {
            "south": shapely.box(X0 - half_w, Y0 - 12.5 - gap - depth, X0 + half_w, Y0 - 12.5 - gap),
            "north": shapely.box(X0 - half_w, Y0 + 12.5 + gap, X0 + half_w, Y0 + 12.5 + gap + depth),
            "east": shapely.box(X0 + 20 + gap, Y0 - half_w, X0 + 20 + gap + depth, Y0 + half_w),
        }
        rows.append({"编号": "tower", "height_m": 130.0, "roof_type": "flat", "use": "办公",
                     "geometry": shapes[tower_at]})
    path = tmp_path / f"tower_{tower_at}.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:32651").to_file(path, layer="buildings", engine="pyogrio")
    return path


def _low_roof(tmp_path, tower_at, shading=True):
    result = pvsite.run(footprints=_district(tmp_path, tower_at), scenario="technical-max", panels=False,
                        shading=shading)
    return result, result.roofs.set_index("building_id").loc["low"]


@pytest.fixture(scope="module")
def open_sky(tmp_path_factory):
    return _low_roof(tmp_path_factory.mktemp("open"), None)


def test_shading_off_keeps_the_losses_preset(tmp_path):
    result, roof = _low_roof(tmp_path, "south", shading=False)
    assert np.isnan(roof["shading_loss_pct"]) and np.isnan(roof["sky_view_factor"])
    assert result.run_info["shading"].startswith("off")


def test_open_sky_drops_only_the_pvwatts_shading_item(open_sky, tmp_path):
    result, roof = open_sky
    assert roof["shading_loss_pct"] == pytest.approx(0.0, abs=1e-6)
    assert roof["horizon_max_deg"] == pytest.approx(0.0, abs=1e-9)
    info = json.loads(result.run_info["shading"])
    assert info["dropped_loss_items_pct"] == {"shading": 3.0}
    _, unshaded = _low_roof(tmp_path, None, shading=False)
    # the same roof without the 3 % item: PVWatts losses 14.08 % → 11.42 % (multiplicative items)
    ratio = roof["specific_yield_kwh_per_kwp"] / unshaded["specific_yield_kwh_per_kwp"]
    assert ratio == pytest.approx(1 / 0.97, rel=2e-3)
    assert roof["capacity_kw"] == unshaded["capacity_kw"]


def test_tower_south_costs_more_than_ten_percent_north_less_than_three(tmp_path, open_sky):
    _, free = open_sky
    _, south = _low_roof(tmp_path, "south")
    _, north = _low_roof(tmp_path, "north")
    _, east = _low_roof(tmp_path, "east")
    assert south["shading_loss_pct"] > 10.0
    assert north["shading_loss_pct"] < 3.0
    assert north["shading_loss_pct"] < east["shading_loss_pct"] < south["shading_loss_pct"]
    # the horizon the tower makes: atan((130 − 10.5) / distance) at the sample points, 100–125 m away
    assert np.degrees(np.arctan(119.5 / 126)) - 1 < south["horizon_max_deg"] < np.degrees(np.arctan(119.5 / 99)) + 1
    assert south["annual_kwh"] == pytest.approx(free["annual_kwh"] * (1 - south["shading_loss_pct"] / 100), rel=1e-6)
    assert south["sky_view_factor"] < free["sky_view_factor"] == pytest.approx(1.0)


def test_gpkg_horizons_table_reads_back(tmp_path):
    """Shading on: the GeoPackage holds a non-spatial ``horizons`` table, one row per plane, 144 sectors."""
    import pyogrio

    from pvsite.outputs import gpkg as gpkg_mod
    from pvsite.outputs import schema

    result, _ = _low_roof(tmp_path, "south")
    gpkg = gpkg_mod.write_result(tmp_path / "run.gpkg", result)
    table = pyogrio.read_dataframe(gpkg, layer="horizons", read_geometry=False)
    sectors = [c for c in table.columns if c.startswith(schema.HORIZON_SECTOR_PREFIX) and c[1:].isdigit()]
    assert len(sectors) == 144 and sectors[0] == "h000" and sectors[72] == "h180"
    assert [c.name for c in schema.TABLES["horizons"]] == [c for c in table.columns if c not in sectors]
    assert len(table) == len(result.planes)
    low = table[table["building_id"] == "low"].iloc[0]
    # 130 m slab 100 m south of a 10.5 m viewpoint: atan(119.5 / 100) ≈ 50° at worst, from the roof centre
    # ~112 m → ≈ 47°; nothing to the north
    assert 40.0 < low["h180"] < 51.0 and low["h000"] == 0.0
    assert low["horizon_max_deg"] == pytest.approx(low[sectors].max(), abs=1e-3)  # sectors rounded to 1e-3°
    assert low["shading_loss_pct"] > 0


def test_no_horizons_table_without_shading(tmp_path):
    import pyogrio

    from pvsite.outputs import gpkg as gpkg_mod

    result, _ = _low_roof(tmp_path, "south", shading=False)
    gpkg_mod.write_result(tmp_path / "run.gpkg", result)
    assert "horizons" not in {name for name, _ in pyogrio.list_layers(tmp_path / "run.gpkg")}


def test_shading_is_on_by_default_and_no_shading_gives_the_unshaded_figures(tmp_path):
    """Issue 12 item 6: the default run is shaded; ``--no-shading`` reproduces ``[shading] enabled = false``."""
    import pyogrio
    from click.testing import CliRunner

    from pvsite.cli import main
    from pvsite.config import Config

    assert Config().shading.enabled is True
    src = _district(tmp_path, "south")
    figures = ["capacity_kw", "n_modules", "annual_kwh", "specific_yield_kwh_per_kwp"]
    runs = {}
    for name, flag in (("default", []), ("no_shading", ["--no-shading"])):
        out = tmp_path / f"{name}.gpkg"
        result = CliRunner().invoke(main, ["run", "--footprints", str(src), "--scenario", "technical-max",
                                           "--no-panels", "--no-report", "--out", str(out), "-q", *flag])
        assert result.exit_code == 0, result.output
        runs[name] = pyogrio.read_dataframe(out, layer="roofs", read_geometry=False).set_index("building_id")
    _, off = _low_roof(tmp_path, "south", shading=False)
    cli_off = runs["no_shading"].loc["low"]
    for col in figures:
        assert float(cli_off[col]) == pytest.approx(float(off[col]), rel=1e-12, abs=1e-9), col
    assert np.isnan(float(cli_off["shading_loss_pct"]))
    shaded = runs["default"].loc["low"]
    assert float(shaded["shading_loss_pct"]) > 10.0  # the slab 100 m south (check (b))
    assert float(shaded["annual_kwh"]) < float(cli_off["annual_kwh"])
