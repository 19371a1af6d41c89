"""Tests of pvsite.geo.crs: metric projection, lon/lat plausibility, GCJ-02 / BD-09."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from pvsite.geo import crs as C
from pvsite.geo import datums as D
from pvsite.errors import ConfigError, InputError

GEOD = pyproj.Geod(ellps="WGS84")


def _dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance between point arrays [m]."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.fixture(scope="module")
def shanghai_grid():
    """121 × 121 lon/lat grid over the whole of Shanghai [°]."""
    lon, lat = np.meshgrid(np.linspace(120.85, 122.2, 121), np.linspace(30.67, 31.88, 121))
    return lon.ravel(), lat.ravel()


@pytest.fixture(scope="module")
def changning(shared_data):
    b = shared_data / "boundaries"
    return (
        gpd.read_file(b / "changning_boundary_gcj02.geojson"),
        gpd.read_file(b / "changning_boundary_wgs84.geojson"),
    )


# ---------------------------------------------------------------------------
# Datum formulas
# ---------------------------------------------------------------------------


# Published test vectors of eviltransform (github.com/googollee/eviltransform,
# go/transform_test.go and the ports' tests): (wgs lat, wgs lon, gcj lat, gcj lon).
EVIL_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize("wlat, wlon, glat, glon", EVIL_WGS_GCJ)
def test_gcj02_published_vectors(wlat, wlon, glat, glon):
    lon, lat = D.wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)
    back_lon, back_lat = D.gcj02_to_wgs84(glon, glat)
    assert _dist_m(back_lon, back_lat, wlon, wlat) < 0.01


# No BD-09 vector is taken from eviltransform's ports: some (e.g. the Ruby gem) use
# π instead of x_pi = π·3000/180 and so disagree by metres with Baidu; the real
# Changning school list (test_changning_schools_bd09_land_inside) is the reference.


def test_gcj02_matches_changning_reference_pairs(shared_data):
    # The canteen list carries both GCJ-02 originals and converted WGS 84 (6 decimals).
    e = pd.read_csv(shared_data / "sites" / "changning_elderly_canteens.csv")
    lon, lat = D.wgs84_to_gcj02(e.lon_wgs84.to_numpy(), e.lat_wgs84.to_numpy())
    assert _dist_m(lon, lat, e.lon_gcj02.to_numpy(), e.lat_gcj02.to_numpy()).max() < 0.3


@pytest.mark.parametrize(
    "forward, inverse",
    [
        (D.wgs84_to_gcj02, D.gcj02_to_wgs84),
        (D.wgs84_to_bd09, D.bd09_to_wgs84),
        (D.gcj02_to_bd09, D.bd09_to_gcj02),
    ],
)
def test_round_trip_over_shanghai(shanghai_grid, forward, inverse):
    lon, lat = shanghai_grid
    lon2, lat2 = forward(lon, lat)
    shift = _dist_m(lon, lat, lon2, lat2)
    assert shift.min() > 400  # the datums really are offset (~0.5–1.2 km)
    back = inverse(lon2, lat2)
    err = _dist_m(lon, lat, *back)
    assert err.max() < 0.5
    assert err.max() < 0.01  # iterative inverse: sub-centimetre


def test_iterative_inverse_beats_one_step(shanghai_grid):
    lon, lat = shanghai_grid
    glon, glat = D.wgs84_to_gcj02(lon, lat)
    # crude inverse: subtract the offset evaluated at the GCJ-02 point
    clon, clat = D.wgs84_to_gcj02(glon, glat)
    crude = _dist_m(lon, lat, 2 * glon - clon, 2 * glat - clat)
    exact = _dist_m(lon, lat, *D.gcj02_to_wgs84(glon, glat))
    assert crude.max() > 0.5  # the one-step subtraction is metres off somewhere
    assert exact.max() < 0.01


def test_outside_china_is_identity_and_nan_propagates():
    lon = np.array([2.35, -74.0, 121.4, np.nan])
    lat = np.array([48.85, 40.7, 31.2, 31.2])
    glon, glat = D.wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(glon[:2], lon[:2])
    np.testing.assert_array_equal(glat[:2], lat[:2])
    assert glon[2] != lon[2]
    assert np.isnan(glon[3])
    wlon, _ = D.gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(wlon[:2], lon[:2])
    assert np.isnan(wlon[3])


def test_bd09_forward_matches_formula():
    # z = sqrt(x²+y²) + 2e-5 sin(y x_pi); θ = atan2(y,x) + 3e-6 cos(x x_pi)
    x, y = 121.43, 31.21
    xp = np.pi * 3000 / 180
    z = np.hypot(x, y) + 2e-5 * np.sin(y * xp)
    t = np.arctan2(y, x) + 3e-6 * np.cos(x * xp)
    lon, lat = D.gcj02_to_bd09(x, y)
    assert lon == pytest.approx(z * np.cos(t) + 0.0065, abs=1e-12)
    assert lat == pytest.approx(z * np.sin(t) + 0.006, abs=1e-12)


# ---------------------------------------------------------------------------
# Real GCJ-02 / BD-09 data
# ---------------------------------------------------------------------------


def _vertex_distances_m(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> np.ndarray:
    pa = shapely.get_coordinates(a.geometry.values)
    pb = shapely.get_coordinates(b.geometry.values)
    assert pa.shape == pb.shape
    return _dist_m(pa[:, 0], pa[:, 1], pb[:, 0], pb[:, 1])


def test_changning_outline_gcj02_converted_matches_wgs84(changning):
    gcj, wgs = changning
    raw = _vertex_distances_m(gcj, wgs)
    assert 450 < raw.min() and raw.max() < 550  # unconverted: ~500 m off

    conv = D.convert_datum(gcj, "gcj02")
    assert conv.crs.to_epsg() == 4326
    assert len(conv) == 1 and conv["adcode"].iloc[0] == 310105
    assert _vertex_distances_m(conv, wgs).max() < 1.0

    wgs_m = C.to_metric(wgs)
    hd_conv = shapely.hausdorff_distance(conv.to_crs(wgs_m.crs).geometry.values[0], wgs_m.geometry.values[0])
    hd_raw = shapely.hausdorff_distance(gcj.to_crs(wgs_m.crs).geometry.values[0], wgs_m.geometry.values[0])
    assert hd_conv < 1.0
    assert hd_raw > 400


def test_convert_datum_names_and_errors(changning):
    gcj, _ = changning
    a = D.convert_datum(gcj, "GCJ-02")
    b = D.convert_datum(gcj, "gcj02")
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()
    same = D.convert_datum(gcj, "wgs84")
    assert shapely.equals_exact(same.geometry.values, gcj.geometry.values, tolerance=0).all()
    with pytest.raises(ConfigError) as exc:
        D.convert_datum(gcj, "mars")
    assert "wgs84" in str(exc.value) and "gcj02" in str(exc.value) and "bd09" in str(exc.value)


def test_convert_datum_reprojects_and_keeps_null_and_z():
    pts = gpd.GeoDataFrame(
        {"k": [1, 2, 3, 4]},
        geometry=[shapely.Point(121.43, 31.21), None, shapely.Polygon(), shapely.Point(121.43, 31.21, 7.0)],
        crs="EPSG:4326",
    )
    out = D.convert_datum(pts.to_crs(3857), "gcj02")
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[1] is None
    assert out.geometry.iloc[2].is_empty
    assert out.geometry.iloc[3].has_z and out.geometry.iloc[3].z == 7.0
    wlon, wlat = D.gcj02_to_wgs84(121.43, 31.21)
    assert _dist_m(out.geometry.iloc[0].x, out.geometry.iloc[0].y, wlon, wlat) < 0.01


def test_changning_schools_bd09_land_inside(shared_data, changning):
    _, wgs = changning
    s = pd.read_csv(shared_data / "sites" / "changning_schools_bd09.csv")
    assert len(s) == 34 and int(s.coord_low_precision.sum()) == 11
    pts = gpd.GeoDataFrame(s, geometry=gpd.points_from_xy(s.lon_bd09, s.lat_bd09), crs="EPSG:4326")
    conv = D.convert_datum(pts, "bd09")
    outline = wgs.geometry.values[0]
    inside = shapely.contains(outline, conv.geometry.values)
    assert inside.all(), s.name[~inside].tolist()
    assert inside[s.coord_low_precision.to_numpy()].sum() == 11
    # Unconverted BD-09 (~1.1 km off) puts 10 schools outside: the check can fail.
    assert shapely.contains(outline, pts.geometry.values).sum() < 34
    d = _dist_m(conv.geometry.x, conv.geometry.y, s.lon_wgs84, s.lat_wgs84)
    assert d.max() < 1.0


def test_changning_canteens_gcj02_land_inside(shared_data, changning):
    _, wgs = changning
    e = pd.read_csv(shared_data / "sites" / "changning_elderly_canteens.csv")
    assert len(e) == 19
    pts = gpd.GeoDataFrame(e, geometry=gpd.points_from_xy(e.lon_gcj02, e.lat_gcj02), crs="EPSG:4326")
    conv = D.convert_datum(pts, "gcj02")
    outline = wgs.geometry.values[0]
    assert shapely.contains(outline, conv.geometry.values).all()
    assert shapely.contains(outline, pts.geometry.values).sum() < 19
    d = _dist_m(conv.geometry.x, conv.geometry.y, e.lon_wgs84, e.lat_wgs84)
    assert d.max() < 1.0


# ---------------------------------------------------------------------------
# Metric projection
# ---------------------------------------------------------------------------


def test_bund_to_metric_utm51n_area(shared_data):
    bund = gpd.read_file(shared_data / "footprints" / "shanghai_bund_buildings.gpkg", layer="buildings")
    m = C.to_metric(bund)
    assert m.crs.to_epsg() == 32651
    assert C.metric_crs_for(bund).to_epsg() == 32651
    area = m.area
    assert area.sum() == pytest.approx(5.65e6, rel=1e-3)  # README: 5.65 km² of roof
    assert area.sum() == pytest.approx(bund["area_m2"].sum(), rel=1e-3)
    assert len(m) == 10613


def _square(x0, y0, side):
    return shapely.box(x0, y0, x0 + side, y0 + side)


def test_to_metric_cgcs2000_and_kept_projection():
    g = gpd.GeoDataFrame(geometry=[_square(121.40, 31.20, 0.001), None, shapely.Polygon()], crs="EPSG:4490")
    m = C.to_metric(g)
    assert m.crs.to_epsg() == 32651
    assert m.geometry.iloc[1] is None and m.geometry.iloc[2].is_empty
    # a 0.001° square at 31.2° N: ~95.2 m × ~110.9 m
    assert m.area.iloc[0] == pytest.approx(0.001 * 0.001 * 111_320 * np.cos(np.radians(31.2)) * 110_900, rel=0.01)
    # already metric with scale ~1: kept as is (same object)
    utm = m
    assert C.to_metric(utm) is utm
    gk = g.to_crs(4549)  # CGCS2000 3-degree GK CM 120E
    assert C.to_metric(gk) is gk


def test_to_metric_reprojects_web_mercator_and_feet():
    g = gpd.GeoDataFrame(geometry=[_square(121.40, 31.20, 0.001)], crs="EPSG:4326")
    true_area = C.to_metric(g).area.iloc[0]
    merc = g.to_crs(3857)
    assert merc.area.iloc[0] / true_area > 1.3  # Web-Mercator "m²" inflated by 1/cos²φ
    mm = C.to_metric(merc)
    assert mm.crs.to_epsg() == 32651
    assert mm.area.iloc[0] == pytest.approx(true_area, rel=1e-6)
    feet = gpd.GeoDataFrame(geometry=[_square(-74.0, 40.7, 0.001)], crs="EPSG:4326").to_crs(2263)
    mf = C.to_metric(feet)
    assert mf.crs.to_epsg() == 32618


def test_to_metric_without_crs_is_input_error():
    g = gpd.GeoDataFrame(geometry=[_square(0, 0, 1)])
    with pytest.raises(InputError, match="roofs.shp"):
        C.to_metric(g, path="roofs.shp")


# ---------------------------------------------------------------------------
# Plausibility
# ---------------------------------------------------------------------------


def test_projected_coordinates_declared_lonlat_raise():
    g = gpd.GeoDataFrame(geometry=[_square(121.40, 31.20, 0.001)], crs="EPSG:4326")
    fake = g.to_crs(4549).set_crs(4326, allow_override=True)
    with pytest.raises(InputError) as exc:
        C.check_lonlat_plausible(fake, "survey/changning.shp")
    msg = str(exc.value)
    assert "survey/changning.shp" in msg and "projected" in msg and "--crs" in msg
    assert "EPSG:4549" in msg
    # with the 3-degree zone prefix in the eastings: zone 40 → EPSG:4528
    prefixed = g.to_crs(4528).set_crs(4490, allow_override=True)
    with pytest.raises(InputError, match="EPSG:4528"):
        C.check_lonlat_plausible(prefixed, "x.gpkg")


def test_plausible_lonlat_passes(changning):
    _, wgs = changning
    # the real outline lies where Changning is (about 121.33–121.43 °E, 31.18–31.25 °N) ...
    np.testing.assert_allclose(wgs.total_bounds, [121.327, 31.180, 121.435, 31.246], atol=0.005)
    before = wgs.geometry.copy()
    assert C.check_lonlat_plausible(wgs, "changning.geojson") is None  # ... so it passes, unchanged
    assert wgs.geometry.geom_equals_exact(before, tolerance=0).all()
    C.check_lonlat_plausible(wgs.to_crs(32651), "projected is not checked")
    # the same outline with its axes swapped (lat, lon) is refused: the check looks at the coordinates
    swapped = wgs.set_geometry(shapely.transform(wgs.geometry.values, lambda xy: xy[:, ::-1]))
    with pytest.raises(InputError, match="axes look swapped"):
        C.check_lonlat_plausible(swapped, "changning.geojson")


@pytest.mark.parametrize(
    ("bounds", "swapped"),
    [
        ((31.2, 121.4, 31.3, 121.5), True),  # Changning with lat as x
        ((121.4, 31.2, 121.5, 31.3), False),  # the right order
        ((50.0, 10.0, 51.0, 11.0), False),  # |lon| ≤ 90°: cannot be told apart
        ((31.2, 121.4, 31.3, 181.0), False),  # y beyond 180°: not a longitude either
        ((95.0, 121.4, 96.0, 121.5), False),  # x beyond 90°: not a latitude
    ],
)
def test_lonlat_swapped(bounds, swapped):
    assert C.lonlat_swapped(bounds) is swapped


def test_swapped_axes_message():
    g = gpd.GeoDataFrame(geometry=[_square(31.20, 121.40, 0.001)], crs="EPSG:4490")
    with pytest.raises(InputError) as exc:
        C.check_lonlat_plausible(g, "latlon.gpkg")
    msg = str(exc.value)
    assert "latlon.gpkg" in msg and "not lon/lat" in msg and "axes look swapped" in msg
    assert "longitude first" in msg and "EPSG:45" not in msg


def test_degrees_under_projected_crs_raise():
    deg = gpd.GeoDataFrame(geometry=[_square(121.40, 31.20, 0.0003)], crs="EPSG:4326")
    # EPSG:4549 puts (121.4 m, 31.2 m) ≈ 500 km west of 120°E at the equator: 24° south of its area of use
    with pytest.raises(InputError) as exc:
        C.check_projected_plausible(deg.set_crs(4549, allow_override=True), "deg.gpkg")
    msg = str(exc.value)
    assert "deg.gpkg" in msg and "EPSG:4549" in msg and "look like lon/lat" in msg
    assert "--crs EPSG:4490" in msg and "24° outside" in msg
    # EPSG:3857's area is the world and UTM 51N's reaches the equator (the point lies 1.5° west of
    # 120°E, within the margin): the sub-metre extent gives them away
    for epsg in (3857, 32651):
        with pytest.raises(InputError, match="smaller than any building"):
            C.check_projected_plausible(deg.set_crs(epsg, allow_override=True), "deg.gpkg")


def test_projected_crs_of_the_wrong_zone_raise():
    g = gpd.GeoDataFrame(geometry=[_square(121.40, 31.20, 0.001)], crs="EPSG:4326")
    # eastings with the zone prefix 40 (x ≈ 40.5e6 m) labelled as the prefix-less EPSG:4549
    wrong = g.to_crs(4528).set_crs(4549, allow_override=True)
    with pytest.raises(InputError) as exc:
        C.check_projected_plausible(wrong, "zone.gpkg")
    msg = str(exc.value)
    assert "do not fit the declared CRS EPSG:4549" in msg and "EPSG:4528" in msg


def test_plausible_projected_passes(changning):
    _, wgs = changning
    # Centre of Changning ≈ (121.38 °E, 31.21 °N); 1° of longitude there ≈ 111.32 km × cos 31.21° = 95.2 km.
    # Hand-computed eastings of that centre: CGCS2000 3° zones 40 (CM 120°E) and 41 (CM 123°E) have a
    # 500 km false easting, so 500 + 1.38 × 95.2 ≈ 631 km and 500 − 1.62 × 95.2 ≈ 346 km; UTM 51N (CM 123°E,
    # k 0.9996) ≈ 346 km; Web Mercator x = 121.38 × 111.319 km ≈ 13 512 km.
    expected_easting_km = {4549: 631.4, 4550: 345.8, 32651: 345.8, 3857: 13_512.0}
    for epsg, easting_km in expected_easting_km.items():  # Changning lies in or within 2° of each area
        projected = wgs.to_crs(epsg)
        assert projected.union_all().centroid.x / 1000 == pytest.approx(easting_km, abs=3.0), epsg
        assert C.check_projected_plausible(projected, "changning.gpkg") is None
        # the same outline left in degrees but declared in this CRS is refused: the check reads them
        with pytest.raises(InputError, match="changning.gpkg"):
            C.check_projected_plausible(wgs.set_crs(epsg, allow_override=True), "changning.gpkg")
    C.check_projected_plausible(wgs, "geographic is not checked")
    # a 0.5 m × 0.5 m feature far from lon/lat-sized coordinates is not taken for degrees
    C.check_projected_plausible(gpd.GeoDataFrame(geometry=[_square(540_000, 3_455_000, 0.5)], crs=4549))
