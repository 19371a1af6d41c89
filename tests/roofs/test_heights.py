"""Tests of pvsite.roofs.heights: roof planes and heights from a height raster.

Synthetic DSMs are written with rasterio in ``tmp_path``: every pixel holds
the analytic roof height at its centre, so a correct sampler and plane fit
recover the generating tilts exactly (tolerances cover pixelisation only).
Expected true azimuths are computed independently of pvsite, with
``pyproj.Geod`` on a step taken in the projected grid.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer
from rasterio.transform import from_origin

from pvsite.roofs import heights
from pvsite.roofs import layout
from pvsite.solar import mounting
from pvsite.roofs import planes as planes_mod
from pvsite.roofs import usable as roofs_mod
from pvsite.config import MountingConfig, RoofConfig
from pvsite.errors import InputError
from pvsite.presets import load_preset

UTM = "EPSG:32651"
LON0, LAT0 = 121.42, 31.21  # Changning
X0, Y0 = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(LON0, LAT0)
NODATA = -9999.0
GABLE_PITCH = 25.0
ROT_PITCH = 20.0
SHED_PITCH = 10.0


def _rect(cx, cy, length, width, angle_deg=0.0):
    """Rectangle centred at (cx, cy), long side rotated angle_deg anticlockwise from grid east."""
    r = shapely.box(-length / 2, -width / 2, length / 2, width / 2)
    r = shapely.affinity.rotate(r, angle_deg, origin=(0, 0))
    return shapely.affinity.translate(r, cx, cy)


# Buildings in UTM metres relative to (X0, Y0): (name, footprint, roof_type, height function of local coords).
C_GABLE = (X0 - 40.0, Y0 + 30.0)
C_FLAT = (X0 + 30.0, Y0 + 30.0)
C_SHED = (X0 - 40.0, Y0 - 30.0)
C_ROT = (X0 + 30.0, Y0 - 30.0)
ROT_ANGLE = 30.0  # long axis 30° anticlockwise from grid east → grid bearing 60°


def _z_gable(x, y):
    return 10.0 + np.tan(np.radians(GABLE_PITCH)) * (6.0 - np.abs(y - C_GABLE[1]))


def _z_flat(x, y):
    return np.full_like(x, 18.0)


def _z_shed(x, y):  # 16 × 10 m, rises to the north: downslope grid south
    return 6.0 + np.tan(np.radians(SHED_PITCH)) * (y - (C_SHED[1] - 5.0))


def _z_rot(x, y):  # 24 × 10 m, ridge along the rotated long axis
    a = np.radians(ROT_ANGLE)
    across = -(x - C_ROT[0]) * np.sin(a) + (y - C_ROT[1]) * np.cos(a)
    return 8.0 + np.tan(np.radians(ROT_PITCH)) * (5.0 - np.abs(across))


BUILDINGS = [
    ("gable", _rect(*C_GABLE, 30.0, 12.0), "pitched", _z_gable),
    ("flat", _rect(*C_FLAT, 20.0, 20.0), "flat", _z_flat),
    ("shed", _rect(*C_SHED, 16.0, 10.0), "metal", _z_shed),
    ("rotated", _rect(*C_ROT, 24.0, 10.0, ROT_ANGLE), "flat", _z_rot),
]


def _dsm_values(xu, yu):
    """Height at UTM points: roof heights inside footprints, 0 m (ground) outside."""
    z = np.zeros_like(xu)
    for _, poly, _, fz in BUILDINGS:
        inside = shapely.contains_xy(poly, xu, yu)
        z[inside] = fz(xu[inside], yu[inside])
    return z


def _write(path, z, transform, crs):
    with rasterio.open(path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=NODATA) as dst:
        dst.write(z.astype("float32"), 1)


def _holes(z, xu, yu):
    """Nodata holes in the gable: a 2 × 2 m block and every 7th pixel."""
    z = z.copy()
    block = (np.abs(xu - (C_GABLE[0] + 8.0)) < 1.0) & (np.abs(yu - (C_GABLE[1] - 3.0)) < 1.0)
    inside = shapely.contains_xy(BUILDINGS[0][1], xu, yu)
    sparse = inside & (np.arange(z.size).reshape(z.shape) % 7 == 0)
    z[block | sparse] = NODATA
    return z


@pytest.fixture(scope="module")
def dsm_utm(tmp_path_factory):
    """0.5 m DSM in UTM 51N covering the four buildings, with nodata holes."""
    res = 0.5
    left, top = X0 - 80.0, Y0 + 60.0
    w, h = 320, 240
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    xu, yu = left + cols * res, top - rows * res
    z = _holes(_dsm_values(xu, yu), xu, yu)
    path = tmp_path_factory.mktemp("dsm") / "dsm_utm.tif"
    _write(path, z, from_origin(left, top, res, res), UTM)
    return path


@pytest.fixture(scope="module")
def dsm_3857(tmp_path_factory):
    """The same roofs sampled on a Web-Mercator grid of ≈ 0.5 ground-metre pixels."""
    to_m = Transformer.from_crs(UTM, "EPSG:3857", always_xy=True)
    to_u = Transformer.from_crs("EPSG:3857", UTM, always_xy=True)
    res = 0.5 / np.cos(np.radians(LAT0))  # 3857 metres per 0.5 ground metre
    left, top = to_m.transform(X0 - 80.0, Y0 + 60.0)
    w, h = int(160 / 0.5 * 1.05), int(120 / 0.5 * 1.05)
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    xu, yu = to_u.transform(left + cols * res, top - rows * res)
    z = _holes(_dsm_values(np.asarray(xu), np.asarray(yu)), np.asarray(xu), np.asarray(yu))
    path = tmp_path_factory.mktemp("dsm") / "dsm_3857.tif"
    _write(path, z, from_origin(left, top, res, res), "EPSG:3857")
    return path


@pytest.fixture(scope="module")
def roofs():
    gdf = gpd.GeoDataFrame(
        {"name": [b[0] for b in BUILDINGS], "roof_type": [b[2] for b in BUILDINGS]},
        geometry=[b[1] for b in BUILDINGS], crs=UTM, index=pd.Index([10, 11, 12, 13], name="fid"),
    )
    return roofs_mod.usable_roofs(gdf, RoofConfig())


def _true_bearing(cx, cy, grid_bearing_deg):
    """True bearing of a step along a grid bearing, via geodesic azimuth (independent of pvsite)."""
    to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    t = np.radians(grid_bearing_deg)
    lon0, lat0 = to_ll.transform(cx, cy)
    lon1, lat1 = to_ll.transform(cx + 10.0 * np.sin(t), cy + 10.0 * np.cos(t))
    az, _, _ = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    return az % 360.0


def _angle_diff(a, b):
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def _expected():
    """Per building: shape, tilts (plane 0, plane 1), true downslope azimuths, median height."""
    rise_g = 6.0 * np.tan(np.radians(GABLE_PITCH))
    rise_r = 5.0 * np.tan(np.radians(ROT_PITCH))
    return {
        # Gable: ridge along grid east; plane 0 (axis + 90° ≈ south) falls to grid south.
        10: ("pitched", (GABLE_PITCH, GABLE_PITCH),
             (_true_bearing(*C_GABLE, 180.0), _true_bearing(*C_GABLE, 0.0)), 10.0 + rise_g / 2),
        11: ("flat", (0.0, 0.0), None, 18.0),
        # Shed: one plane falling to grid south (the whole-roof fit).
        12: ("mono-pitch", (SHED_PITCH, SHED_PITCH),
             (_true_bearing(*C_SHED, 180.0), _true_bearing(*C_SHED, 180.0)),
             6.0 + 5.0 * np.tan(np.radians(SHED_PITCH))),
        # Rotated gable: long axis grid bearing 60°; planes fall to grid 150° and 330°.
        13: ("pitched", (ROT_PITCH, ROT_PITCH),
             (_true_bearing(*C_ROT, 150.0), _true_bearing(*C_ROT, 330.0)), 8.0 + rise_r / 2),
    }


@pytest.mark.parametrize("which", ["utm", "3857"])
def test_synthetic_dsm_recovers_planes(which, dsm_utm, dsm_3857, roofs):
    path = dsm_utm if which == "utm" else dsm_3857
    s = heights.roof_surface_from_raster(roofs, path)
    assert list(s.index) == list(roofs.index)
    for fid, (shape, tilts, azs, height) in _expected().items():
        row = s.loc[fid]
        assert row["raster_roof_shape"] == shape, (fid, row.to_dict())
        # The holes make the gable's pixel heights lopsided: its median may move by one pixel
        # level, 0.25 m across the slope × tan 25° = 0.117 m.
        tol = 0.12 if fid == 10 else 0.05
        assert row["raster_height_m"] == pytest.approx(height, abs=tol), fid
        if shape == "mono-pitch":
            assert row["mono_tilt_deg"] == pytest.approx(tilts[0], abs=1.0)
            assert _angle_diff(row["mono_azimuth_deg"], azs[0]) < 2.0
            continue
        assert row["plane0_tilt_deg"] == pytest.approx(tilts[0], abs=1.0), fid
        assert row["plane1_tilt_deg"] == pytest.approx(tilts[1], abs=1.0), fid
        if azs is not None:
            assert _angle_diff(row["plane0_azimuth_deg"], azs[0]) < 2.0, fid
            assert _angle_diff(row["plane1_azimuth_deg"], azs[1]) < 2.0, fid
        assert row["fit_rmse_m"] < 0.05


def test_pixel_counts_and_nodata(dsm_utm, dsm_3857, roofs):
    """UTM 0.5 m pixels: 30 × 12 m = 1440 pixel centres, minus the nodata holes."""
    s = heights.roof_surface_from_raster(roofs, dsm_utm)
    assert s.loc[11, "raster_pixels"] == 40 * 40  # 20 × 20 m flat roof, no holes
    assert s.loc[11, "raster_coverage"] == pytest.approx(1.0)
    with rasterio.open(dsm_utm) as src:
        z = src.read(1)
        rows, cols = np.nonzero(z != NODATA)
        xs, ys = src.xy(rows, cols)
    inside = shapely.contains_xy(BUILDINGS[0][1], np.asarray(xs), np.asarray(ys))
    assert 1440 * 0.8 < inside.sum() < 1440  # the holes removed some pixels
    assert s.loc[10, "raster_pixels"] == inside.sum()
    # Web Mercator: the pixel area is 0.25 ground m², so coverage ≈ 1 despite 0.58 m nominal pixels.
    s3 = heights.roof_surface_from_raster(roofs, dsm_3857)
    assert s3.loc[11, "raster_coverage"] == pytest.approx(1.0, abs=0.03)
    assert s3.loc[11, "raster_pixels"] == pytest.approx(1600, rel=0.03)


def test_uncovered_small_and_missing_roofs(dsm_utm, roofs):
    far = roofs.iloc[[0]].copy()
    far.index = [99]
    far = far.set_geometry(far.geometry.translate(5000.0, 0.0))
    tiny = roofs.iloc[[1]].copy()
    tiny.index = [98]
    tiny = tiny.set_geometry([_rect(*C_FLAT, 2.0, 2.0)])  # 16 pixels < 20
    none = roofs.iloc[[1]].copy()
    none.index = [97]
    none = none.set_geometry([None])
    frame = pd.concat([roofs, far, tiny, none])
    s = heights.roof_surface_from_raster(frame, dsm_utm)
    assert s.loc[99, "raster_pixels"] == 0 and s.loc[99, "raster_roof_shape"] == "unknown"
    assert np.isnan(s.loc[99, "raster_height_m"])
    assert s.loc[98, "raster_pixels"] == 16 and s.loc[98, "raster_roof_shape"] == "unknown"
    assert s.loc[98, "raster_height_m"] == pytest.approx(18.0)
    assert s.loc[97, "raster_roof_shape"] == "unknown"
    assert s.loc[10, "raster_roof_shape"] == "pitched"  # others unaffected
    assert heights.roof_surface_from_raster(far, dsm_utm)["raster_pixels"].sum() == 0
    assert (heights.roof_surface_from_raster(roofs, None)["raster_roof_shape"] == "unknown").all()


def test_poor_fit_is_unknown(tmp_path, roofs):
    """A flat roof with a 3 m stair housing on a quarter of it fits no plane within 0.5 m."""
    res = 0.5
    left, top = C_FLAT[0] - 15.0, C_FLAT[1] + 15.0
    cols, rows = np.meshgrid(np.arange(60) + 0.5, np.arange(60) + 0.5)
    xu, yu = left + cols * res, top - rows * res
    z = np.where(shapely.contains_xy(BUILDINGS[1][1], xu, yu), 18.0, 0.0)
    z[(xu > C_FLAT[0]) & (xu < C_FLAT[0] + 10) & (yu > C_FLAT[1]) & (yu < C_FLAT[1] + 10)] = 21.0
    path = tmp_path / "housing.tif"
    _write(path, z, from_origin(left, top, res, res), UTM)
    s = heights.roof_surface_from_raster(roofs.loc[[11]], path)
    assert s.loc[11, "raster_roof_shape"] == "unknown"
    assert s.loc[11, "mono_rmse_m"] > 0.5
    assert s.loc[11, "raster_height_m"] == 18.0


def test_bad_raster_inputs(tmp_path, roofs):
    with pytest.raises(InputError, match="Cannot open"):
        heights.roof_surface_from_raster(roofs, tmp_path / "missing.tif")
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", height=4, width=4, count=1, dtype="float32",
                       transform=from_origin(0, 4, 1, 1)) as dst:
        dst.write(np.zeros((4, 4), "float32"), 1)
    with pytest.raises(InputError, match="no CRS"):
        heights.roof_surface_from_raster(roofs, path)
    with pytest.raises(InputError, match="projected CRS"):
        heights.roof_surface_from_raster(roofs.to_crs("EPSG:4326"), path)


def test_apply_raster_planes_and_layout(dsm_utm, roofs):
    module = load_preset("module", "generic-550w")
    mcfg = MountingConfig()
    planes = planes_mod.roof_planes(roofs, RoofConfig(), mcfg, LAT0, module)
    s = heights.roof_surface_from_raster(roofs, dsm_utm)
    out = heights.apply_raster_planes(planes, s, roofs, module, mcfg)
    by = out.set_index(["roof_index", "plane"])
    # Gable (pitched): measured tilts replace the assumed 25° (equal here) and azimuths.
    assert (by.loc[10, "plane_source"] == "raster").all()
    assert by.loc[(10, 0), "azimuth_deg"] == pytest.approx(s.loc[10, "plane0_azimuth_deg"])
    # Flat stays tilted rows, assumed.
    assert by.loc[(11, 0), "mounting"] == "tilted_rows" and by.loc[(11, 0), "plane_source"] == "assumed"
    assert by.loc[(11, 0), "tilt_deg"] == mcfg.flat_tilt_deg
    # Shed (metal, assumed 5°): one flush plane at the measured 10° on the whole roof.
    shed = by.loc[12]
    assert len(shed) == 1 and (shed["mounting"] == "flush").all()
    assert shed["tilt_deg"].to_numpy() == pytest.approx([SHED_PITCH], abs=1.0)
    assert shed["area_share"].sum() == pytest.approx(1.0)
    assert shed["plane_area_m2"].sum() == pytest.approx(roofs.loc[12, "usable_area_m2"])
    # Rotated building classified 'flat' but the raster shows a gable: two flush planes.
    rot = by.loc[13]
    assert len(rot) == 2 and (rot["mounting"] == "flush").all() and (rot["roof_type"] == "flat").all()
    assert rot["tilt_deg"].to_numpy() == pytest.approx([ROT_PITCH] * 2, abs=1.0)
    assert rot["plane_area_m2"].sum() == pytest.approx(roofs.loc[13, "usable_area_m2"])
    # Flush density as in roof_planes: packing / cos(tilt).
    packing = mounting.flush_packing_factor(module, mcfg.module_gap_m)
    flush = out["mounting"] == "flush"
    np.testing.assert_allclose(out.loc[flush, "ground_coverage_ratio"],
                               packing / np.cos(np.radians(out.loc[flush, "tilt_deg"])))
    np.testing.assert_allclose(out["power_density_w_per_m2"],
                               mounting.power_density_w_per_m2(module, out["ground_coverage_ratio"]))
    assert list(out.columns) == list(planes.columns) + ["plane_source"]
    assert list(out["roof_index"]) == [10, 10, 11, 12, 13, 13]
    # Layout still runs on the result; every flush plane holds modules.
    laid, panels = layout.layout_roofs(roofs, out, module, mcfg, LAT0, panels=True)
    assert (laid["modules_fit"] > 0).all()
    # The mono-pitch plane uses the whole roof (not half of it), and no module is drawn twice.
    gable_like = laid[laid.roof_index == 12]["modules_fit"].sum()
    halves = out[out.roof_index == 12].assign(plane=[0]).copy()
    two = pd.concat([halves, halves.assign(plane=1, area_share=0.5)], ignore_index=True)
    two.loc[0, "area_share"] = 0.5
    laid_two, _ = layout.layout_roofs(roofs.loc[[12]], two, module, mcfg, LAT0, panels=True)
    assert gable_like > laid_two["modules_fit"].max() * 1.5  # the whole roof, not one half
    shed_panels = panels[panels.roof_index == 12]
    assert len(shed_panels) == gable_like
    assert shapely.union_all(shed_panels.geometry.to_numpy()).area == pytest.approx(
        shapely.area(shed_panels.geometry.to_numpy()).sum(), rel=1e-6)


def test_real_height_raster_flat_blobs(shared_data):
    """Real 1 m EPSG:3857 building-height raster: polygonised blobs read back exactly."""
    from rasterio.features import shapes

    path = shared_data / "rasters" / "height_0_10.tif"
    with rasterio.open(path) as src:
        a = src.read(1)
        feats = list(shapes(a, mask=a != src.nodata, transform=src.transform))
        crs = src.crs
        px_area = abs(src.transform.a * src.transform.e)
    geoms = [shapely.geometry.shape(g) for g, _ in feats]
    values = np.array([v for _, v in feats])
    gdf = gpd.GeoDataFrame({"value": values}, geometry=geoms, crs=crs)
    n_pixels = np.rint(gdf.area.to_numpy() / px_area).astype(int)
    assert len(gdf) == 114 and n_pixels.sum() == int((a != 65535).sum())
    gdf = gdf.to_crs(UTM)
    s = heights.roof_surface_from_raster(gdf, path)
    assert (s["raster_pixels"].to_numpy() == n_pixels).all()
    np.testing.assert_array_equal(s["raster_height_m"].to_numpy(), values)
    big = n_pixels >= heights.MIN_PIXELS
    shape = s["raster_roof_shape"].to_numpy()
    assert (shape[~big] == "unknown").all()
    # Constant-height blobs: every blob of ≥ 20 pixels reads as flat (112 of the 114).
    assert (shape[big] == "flat").all() and big.sum() == 112
    assert np.nanmax(s.loc[shape == "flat", "mono_tilt_deg"]) < 1e-6
    # Ground pixel area ≈ cos²(31.1°) of the nominal 1 m²: coverage ≈ 1 for every footprint.
    np.testing.assert_allclose(s.loc[big, "raster_coverage"], 1.0, atol=1e-3)


def test_roof_surface_is_pure_on_hand_made_pixels():
    """roof_surface needs no file: a 20 × 10 m roof sloping down to the west at atan(0.1)."""
    from pvsite.io.rasters import FootprintPixels

    x_c, y_c = 500_000.0, 3_450_000.0  # UTM 51N central meridian: grid north = true north
    fp = gpd.GeoDataFrame({"roof_type": ["flat"]}, geometry=[shapely.box(x_c, y_c, x_c + 20, y_c + 10)], crs=UTM)
    xs, ys = np.meshgrid(x_c + np.arange(20) + 0.5, y_c + np.arange(10) + 0.5)
    x, y = xs.ravel(), ys.ravel()
    z = 5.0 + 0.1 * (x - x_c)  # rises to the east
    pixels = FootprintPixels(np.zeros(len(x), dtype=np.int64), x, y, z, 1.0)
    s = heights.roof_surface(fp, pixels).iloc[0]
    assert s.raster_pixels == 200 and s.raster_coverage == pytest.approx(1.0)
    assert s.raster_height_m == pytest.approx(6.0)  # median of 5.05 … 6.95
    assert s.mono_tilt_deg == pytest.approx(math.degrees(math.atan(0.1)), abs=1e-9)  # 5.71°
    # downslope: west (the roof's centre is 10 m east of the central meridian: convergence 5e-5°)
    assert s.mono_azimuth_deg == pytest.approx(270.0, abs=1e-4)
    assert s.mono_rmse_m == pytest.approx(0.0, abs=1e-9)
    assert s.raster_roof_shape == "mono-pitch"
    # No pixels at all (no overlap) is an all-'unknown' table, as from the raster reader.
    assert heights.roof_surface(fp, None).iloc[0].raster_roof_shape == "unknown"
