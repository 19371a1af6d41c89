"""``--out-crs``: the GeoPackage layers in CGCS2000 Gauss-Kruger (or any CRS), the result in memory unchanged."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from pvsite import api, outputs, pipeline
from pvsite.cli import main
from pvsite.config import Config
from pvsite.errors import ConfigError

LON0, LAT0 = 121.4200, 31.2100  # Changning


@pytest.fixture(scope="module")
def footprints(tmp_path_factory) -> Path:
    d = 0.0003
    geoms = [shapely.box(LON0 + i * 0.0008, LAT0, LON0 + i * 0.0008 + d, LAT0 + d) for i in range(4)]
    gdf = gpd.GeoDataFrame({"名称": [f"楼{i}" for i in range(4)], "用途": ["学校", "厂房", "住宅", "商务办公"],
                            "层数": [4] * 4}, geometry=geoms, crs="EPSG:4326")
    path = tmp_path_factory.mktemp("in") / "four.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="buildings")
    return path


@pytest.fixture(scope="module")
def result(footprints):
    return pipeline.run(Config().with_overrides(input={"footprints": str(footprints)},
                                                output={"crs": "EPSG:4549"}))


def _max_offset_m(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance [m] between corresponding lon/lat vertices of two geometry arrays (WGS 84)."""
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    assert ca.shape == cb.shape
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1])
    return float(np.max(np.abs(dist)))


def test_layers_are_written_in_the_output_crs_and_round_trip(result, tmp_path):
    assert result.roofs.crs.to_epsg() == 32651  # the result in memory keeps the run's CRS (UTM 51N)
    out = outputs.write_all(result, tmp_path / "run.gpkg")
    for layer in ("roofs", "streets", "district", "panels"):
        info = pyogrio.read_info(out.gpkg, layer=layer)
        assert pyproj.CRS.from_user_input(info["crs"]).to_epsg() == 4549, layer
    written = pyogrio.read_dataframe(out.gpkg, layer="roofs")
    x = shapely.get_coordinates(written.geometry.to_numpy())[:, 0]
    # 500 km false easting + (121.42° − 120°) × 111.32 km × cos 31.21° ≈ 635 km; no zone prefix in EPSG:4549
    assert (x > 6.3e5).all() and (x < 6.4e5).all()
    back = written.to_crs(4326).geometry.to_numpy()
    assert _max_offset_m(back, result.roofs.to_crs(4326).geometry.to_numpy()) < 0.01
    # the QGIS project takes the GeoPackage's CRS
    assert "EPSG:4549" in out.qgs.read_text(encoding="utf-8")


def test_default_stays_the_run_crs(footprints, tmp_path):
    res = pipeline.run(Config().with_overrides(input={"footprints": str(footprints)}, output={"panels": False}))
    out = outputs.write_all(res, tmp_path / "run.gpkg")
    assert pyproj.CRS.from_user_input(pyogrio.read_info(out.gpkg, layer="roofs")["crs"]).to_epsg() == 32651


def test_geographic_cgcs2000_output(footprints, tmp_path):
    res = pipeline.run(api.configure(footprints=str(footprints), out_crs="EPSG:4490", panels=False))
    out = outputs.write_all(res, tmp_path / "run.gpkg")
    written = pyogrio.read_dataframe(out.gpkg, layer="roofs")
    assert written.crs.to_epsg() == 4490
    assert _max_offset_m(written.set_crs(4326, allow_override=True).geometry.to_numpy(),
                         res.roofs.to_crs(4326).geometry.to_numpy()) < 0.01  # CGCS2000 = WGS 84 within cm (no datum shift)


def test_bad_out_crs_is_a_config_error(footprints):
    with pytest.raises(ConfigError, match="EPSG:4549"):
        api.configure(footprints=str(footprints), out_crs="EPSG:999999")


def test_cli_out_crs(footprints, tmp_path):
    out = tmp_path / "cli.gpkg"
    r = CliRunner().invoke(main, ["run", "--footprints", str(footprints), "--out", str(out), "--out-crs",
                                  "EPSG:4549", "-q"])
    assert r.exit_code == 0, r.output
    assert pyogrio.read_dataframe(out, layer="roofs").crs.to_epsg() == 4549
