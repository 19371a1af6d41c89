"""Tests of pvsite.io.rasters: the pixels of a raster inside footprints, counted by hand.

Rasters are written with rasterio in ``tmp_path``: a 1 m grid in UTM 51N
whose pixel (row r, column c) holds ``10·r + c``, so every sampled value
says which pixel it came from.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely import box

from pvsite.errors import InputError
from pvsite.io.rasters import footprint_pixels

UTM = "EPSG:32651"
X0, Y0 = 500_000.0, 3_450_000.0  # raster's top-left corner is (X0, Y0 + 10)
NODATA = -9999.0


def write(path, z, transform, crs=UTM, nodata=NODATA, count=1):
    with rasterio.open(path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=count,
                       dtype="float32", crs=crs, transform=transform, nodata=nodata) as dst:
        for band in range(1, count + 1):
            dst.write(z.astype("float32"), band)


@pytest.fixture()
def grid(tmp_path):
    z = (10.0 * np.arange(10)[:, None] + np.arange(10)[None, :])
    z[4, 4] = NODATA  # one nodata pixel
    z[5, 5] = np.nan  # one NaN pixel
    path = tmp_path / "grid.tif"
    write(path, z, from_origin(X0, Y0 + 10.0, 1.0, 1.0))
    return path


def frame(geoms, crs=UTM):
    return gpd.GeoDataFrame(geometry=geoms, crs=crs)


def test_pixel_centres_inside_footprints_by_hand(grid):
    # Footprint 0: x 2–5, y (from the top) rows 1–3 → 3 × 3 pixels, centres x X0 + 2.5 … 4.5.
    # Footprint 1: None; footprint 2: covers rows 4–5, cols 3–6 but (4, 4) is nodata and (5, 5) NaN → 6.
    # Footprint 3: a 0.4 m square between pixel centres → no pixel.
    fp0 = box(X0 + 2, Y0 + 10 - 4, X0 + 5, Y0 + 10 - 1)
    fp2 = box(X0 + 3, Y0 + 10 - 6, X0 + 7, Y0 + 10 - 4)
    fp3 = box(X0 + 8.05, Y0 + 1.05, X0 + 8.45, Y0 + 1.45)
    px = footprint_pixels(frame([fp0, None, fp2, fp3]), grid, band=1)
    assert px.pixel_area_m2 == pytest.approx(1.0, abs=1e-9)
    assert np.bincount(px.footprint, minlength=4).tolist() == [9, 0, 6, 0]
    z0 = np.sort(px.z[px.footprint == 0])
    np.testing.assert_array_equal(z0, [12, 13, 14, 22, 23, 24, 32, 33, 34])
    z2 = np.sort(px.z[px.footprint == 2])
    np.testing.assert_array_equal(z2, [43, 45, 46, 53, 54, 56])
    # Centres in the footprints' CRS: value 10·r + c sits at (X0 + c + 0.5, Y0 + 10 − r − 0.5).
    r, c = px.z // 10, px.z % 10
    np.testing.assert_allclose(px.x, X0 + c + 0.5)
    np.testing.assert_allclose(px.y, Y0 + 10 - r - 0.5)


def test_tiles_give_the_same_pixels(grid):
    fps = frame([box(X0 + 0.2, Y0 + 0.2, X0 + 3.8, Y0 + 3.8), box(X0 + 6, Y0 + 6, X0 + 9.9, Y0 + 9.9),
                 box(X0 + 1, Y0 + 6, X0 + 4, Y0 + 9)])
    whole = footprint_pixels(fps, grid, band=1)
    tiled = footprint_pixels(fps, grid, band=1, tile_pixels=2)
    key = lambda p: sorted(zip(p.footprint.tolist(), p.z.tolist()))  # noqa: E731
    assert key(whole) == key(tiled)
    assert np.bincount(whole.footprint).tolist() == [16, 16, 9]


def test_no_overlap_gives_none(grid):
    assert footprint_pixels(frame([box(X0 + 50, Y0 + 50, X0 + 60, Y0 + 60), None]), grid, band=1) is None


def test_web_mercator_raster_gives_ground_pixel_area(tmp_path):
    # Web Mercator applies spherical formulas to ellipsoidal latitudes: 1 m of EPSG:3857 is
    # ν·cos φ / a ground metres east–west and ρ·cos φ / a north–south (ν, ρ the WGS84 radii of
    # curvature), so a pixel holds cos² φ · (1 − e²) / (1 − e² sin² φ)² = 0.7294 m² of ground at
    # 31.2° N, times the UTM scale factor² of the footprints' CRS (pyproj: 0.9998 here).
    lon, lat = 121.42, 31.2
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mx, my = to_m.transform(lon, lat)
    path = tmp_path / "merc.tif"
    write(path, np.full((40, 40), 7.0), from_origin(mx - 20, my + 20, 1.0, 1.0), crs="EPSG:3857")
    fp = gpd.GeoSeries([shapely.Point(lon, lat).buffer(5e-5)], crs="EPSG:4326").to_crs(UTM)
    px = footprint_pixels(fp, path, band=1)
    from pyproj import Proj

    e2 = 0.00669437999014  # WGS84 first eccentricity squared
    phi = math.radians(lat)
    ground = math.cos(phi) ** 2 * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 2
    k_utm = Proj(UTM).get_factors(lon, lat).meridional_scale
    assert ground == pytest.approx(0.7294, abs=1e-4)
    assert px.pixel_area_m2 == pytest.approx(ground * k_utm**2, rel=1e-5)
    assert (px.z == 7.0).all()
    # Every centre lies inside the footprint in the footprints' own CRS.
    assert shapely.contains_xy(fp.iloc[0], px.x, px.y).all()


def test_bad_rasters_are_input_errors(tmp_path, grid):
    fps = frame([box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3)])
    with pytest.raises(InputError, match="Cannot open the height raster .*missing.tif"):
        footprint_pixels(fps, tmp_path / "missing.tif", band=1)
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", height=4, width=4, count=1, dtype="float32",
                       transform=from_origin(0, 4, 1, 1)) as dst:
        dst.write(np.zeros((4, 4), "float32"), 1)
    with pytest.raises(InputError, match="nocrs.tif.*no CRS"):
        footprint_pixels(fps, nocrs, band=1)
    with pytest.raises(InputError, match="1 band\\(s\\), not band 2"):
        footprint_pixels(fps, grid, band=2)
