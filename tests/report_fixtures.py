"""A small real run shared by the chart and report tests (twelve buildings of known uses, two streets)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from pvsite import pipeline
from pvsite.config import Config

LON0, LAT0 = 121.4200, 31.2100
USES = ["学校", "医院", "厂房", "住宅", "商务办公", "仓库"]
STREETS = ("甲街道", "乙街道")


def make_inputs(folder: Path) -> tuple[Path, Path]:
    """Twelve 30 m × 33 m buildings in two rows (one street per row) and the two street polygons."""
    d = 0.0003
    geoms = [shapely.box(LON0 + i * 0.0008, LAT0 + j * 0.0008, LON0 + i * 0.0008 + d, LAT0 + j * 0.0008 + d)
             for j in range(2) for i in range(6)]
    gdf = gpd.GeoDataFrame({"名称": [f"楼{i}" for i in range(12)], "用途": USES * 2, "层数": [4] * 12},
                           geometry=geoms, crs="EPSG:4326")
    fp = folder / "twelve.gpkg"
    pyogrio.write_dataframe(gdf, fp, layer="buildings")
    streets = gpd.GeoDataFrame(
        {"name": list(STREETS)},
        geometry=[shapely.box(LON0 - 0.001, LAT0 - 0.0002 + j * 0.0008, LON0 + 0.0055, LAT0 + 0.0006 + j * 0.0008)
                  for j in range(2)], crs="EPSG:4326")
    st = folder / "streets.gpkg"
    pyogrio.write_dataframe(streets, st, layer="streets")
    return fp, st


def small_result(folder: Path, **report):
    fp, st = make_inputs(folder)
    cfg = Config().with_overrides(input={"footprints": str(fp), "streets": str(st)}, report=report or {})
    return pipeline.run(cfg)
