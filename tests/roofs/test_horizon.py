"""Horizon profiles from neighbouring footprints (pvsite.roofs.horizon): hand-computed towers, a brute-force check."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from pvsite.errors import InputError
from pvsite.roofs.horizon import horizon_profiles, plane_sample_points, search_radius_m, sector_azimuths_deg

# On the central meridian of UTM 51N (123° E) grid north is true north, so bearings are exact by hand.
X0, Y0 = 500000.0, 3452000.0
H_ROOF, OFFSET = 10.0, 0.5
H_POINT = H_ROOF + OFFSET


def _frame(geoms, heights, index=None):
    roofs = gpd.GeoDataFrame({"height_m": heights}, geometry=list(geoms), crs=32651,
                             index=index if index is not None else range(len(heights)))
    roofs["usable_geometry"] = roofs.geometry
    return roofs


def _plane(roof_index=0, azimuth=180.0, mounting="tilted_rows"):
    return pd.DataFrame({"roof_index": [roof_index], "plane": [0], "mounting": [mounting], "azimuth_deg": [azimuth]})


def _box(cx, cy, half_x, half_y):
    return shapely.box(X0 + cx - half_x, Y0 + cy - half_y, X0 + cx + half_x, Y0 + cy + half_y)


LOW = _box(0, 0, 5, 5)  # the roof: 10 m × 10 m, its one sample point at the centre


def test_tower_due_south_hand_computed():
    H, d = 100.0, 60.0  # tower 30 m wide (x ∈ ±15), north face 60 m south of the point
    roofs = _frame([LOW, _box(0, -d - 10, 15, 10)], [H_ROOF, H])
    hp = horizon_profiles(roofs, _plane(), points_per_plane=1, rays_per_sector=1)
    np.testing.assert_allclose(hp.point_xy, [[X0, Y0]], atol=1e-6)
    want = np.zeros(36)
    want[18] = np.degrees(np.arctan((H - H_POINT) / d))                     # the ray due south: 56.16°
    want[[17, 19]] = np.degrees(np.arctan((H - H_POINT) / (d / np.cos(np.radians(10)))))  # 60 tan 10° = 10.6 m < 15
    # the rays at 160° and 200° pass 21.8 m (front) / 29.1 m (back) off the axis: they miss the 15 m half-width
    np.testing.assert_allclose(hp.horizon_deg[0], want, atol=1e-4)
    assert hp.horizon_max_deg[0] == pytest.approx(56.1624, abs=1e-3)
    assert hp.point_weight.tolist() == [1.0] and hp.point_plane.tolist() == [0]


def test_sector_value_is_the_mean_of_its_rays():
    H, d = 60.0, 40.0
    roofs = _frame([LOW, _box(0, -d - 50, 200, 50)], [H_ROOF, H])  # a wide slab: every south ray hits its face
    hp = horizon_profiles(roofs, _plane(), points_per_plane=1, rays_per_sector=4)
    offsets = np.radians([-3.75, -1.25, 1.25, 3.75])
    want = np.degrees(np.arctan((H - H_POINT) * np.cos(offsets) / d)).mean()
    assert hp.horizon_deg[0, 18] == pytest.approx(want, abs=1e-4)
    assert hp.horizon_deg[0, 0] == 0.0 and hp.horizon_deg[0, 9] == 0.0 and hp.horizon_deg[0, 27] == 0.0


def test_tower_straddling_north_wraps_the_sectors():
    H, d = 80.0, 50.0
    roofs = _frame([LOW, _box(0, d + 10, 15, 10)], [H_ROOF, H])
    hp = horizon_profiles(roofs, _plane(), points_per_plane=1, rays_per_sector=1)
    h = hp.horizon_deg[0]
    assert h[0] == pytest.approx(np.degrees(np.arctan((H - H_POINT) / d)), abs=1e-4)
    assert h[35] == pytest.approx(h[1], abs=1e-9) and h[1] > 0
    assert np.all(h[2:35] == 0)


def test_own_building_never_shades_itself_and_lower_neighbours_give_zero():
    tall_own = _frame([LOW], [120.0])
    hp = horizon_profiles(tall_own, _plane(), points_per_plane=4)
    assert np.all(hp.point_horizon_deg == 0)
    # the own building in a separate neighbours frame (same label) is still recognised
    hp = horizon_profiles(tall_own, _plane(), neighbours=_frame([_box(0, 0, 30, 30)], [150.0]))
    assert np.all(hp.point_horizon_deg == 0)
    lower = _frame([LOW, _box(0, -20, 10, 5)], [H_ROOF, H_ROOF + OFFSET])  # a neighbour as high as the point
    assert np.all(horizon_profiles(lower, _plane()).point_horizon_deg == 0)


def test_radius_follows_the_tallest_building_and_the_least_sun_elevation():
    t5 = np.tan(np.radians(5.0))
    np.testing.assert_allclose(search_radius_m([10.5, 60.0, 200.0], 100.0, 5.0, 1000.0),
                               [min(1000.0, 89.5 / t5), 40.0 / t5, 0.0])
    assert search_radius_m(10.5, 100.0, 5.0, 1000.0) == 1000.0  # 1023 m capped
    # a 20 m block reaches (20 − 10.5) / tan 5° = 108.6 m: seen at 100 m, not at 120 m
    near = horizon_profiles(_frame([LOW, _box(0, -105, 20, 5)], [H_ROOF, 20.0]), _plane(), points_per_plane=1,
                            rays_per_sector=1)
    far = horizon_profiles(_frame([LOW, _box(0, -125, 20, 5)], [H_ROOF, 20.0]), _plane(), points_per_plane=1,
                           rays_per_sector=1)
    assert near.horizon_deg[0, 18] == pytest.approx(np.degrees(np.arctan(9.5 / 100.0)), abs=1e-4)
    assert np.all(far.horizon_deg == 0)
    assert near.radius_m[0] == pytest.approx(9.5 / t5)


def test_half_of_a_roof_in_a_towers_shadow():
    roof = _box(0, 0, 30, 6)  # 60 m east-west, 12 m deep
    tower = _box(-20, -30, 10, 10)  # 20 m wide, south of the west half
    hp = horizon_profiles(_frame([roof, tower], [H_ROOF, 90.0]), _plane(), points_per_plane=6)
    assert len(hp.point_plane) == 6
    assert hp.point_weight.sum() == pytest.approx(1.0)
    west = hp.point_xy[:, 0] < X0 - 10
    east = hp.point_xy[:, 0] > X0 + 10
    south = hp.point_horizon_deg[:, 17:20].mean(axis=1)
    assert south[west].min() > 45 and south[east].max() < 5
    # the plane profile is the area-weighted mean of its points
    np.testing.assert_allclose(hp.horizon_deg[0], hp.point_weight @ hp.point_horizon_deg)


def test_sample_points_lie_on_their_plane_half_and_weights_sum_to_one():
    roof = _box(0, 0, 20, 8)  # long axis east-west: the gable's planes face south and north
    roofs = _frame([roof], [H_ROOF])
    planes = pd.DataFrame({"roof_index": [0, 0], "plane": [0, 1], "mounting": ["flush", "flush"],
                           "azimuth_deg": [180.0, 0.0]})
    xy, plane, w = plane_sample_points(roofs, planes, 6)
    assert np.bincount(plane).tolist() == [6, 6]
    np.testing.assert_allclose(np.bincount(plane, w), [1.0, 1.0])
    assert np.all(xy[plane == 0, 1] < Y0) and np.all(xy[plane == 1, 1] > Y0)
    assert shapely.contains(roof, shapely.points(xy)).all()
    # an L-shaped roof: every point inside, weights are area shares
    ell = shapely.union(_box(0, 0, 20, 5), _box(-15, 10, 5, 10))
    xy, plane, w = plane_sample_points(_frame([ell], [H_ROOF]), _plane(), 6)
    assert shapely.intersects(ell, shapely.points(xy)).all() and w.sum() == pytest.approx(1.0)


def _brute_force(point, h_point, polys, heights, bearings_deg, max_t=2000.0):
    """Highest atan(dh / t) over the polygons each ray enters (shapely, one ray at a time)."""
    out = np.zeros(len(bearings_deg))
    for k, bearing in enumerate(np.radians(bearings_deg)):
        ray = shapely.LineString([point, (point[0] + max_t * np.sin(bearing), point[1] + max_t * np.cos(bearing))])
        for poly, h in zip(polys, heights):
            if h <= h_point:
                continue
            hit = shapely.intersection(ray, poly)
            if hit.is_empty:
                continue
            if poly.distance(shapely.Point(point)) > (h - h_point) / np.tan(np.radians(5.0)):
                continue  # out of reach (pvsite.roofs.horizon: a neighbour counts within its own radius)
            t = min(np.hypot(x - point[0], y - point[1]) for x, y in shapely.get_coordinates(hit))
            out[k] = max(out[k], np.degrees(np.arctan2(h - h_point, t)))
    return out


def test_agrees_with_a_brute_force_ray_march_on_random_blocks():
    rng = np.random.default_rng(12)
    n = 40
    centres = rng.uniform(-150, 150, size=(n, 2))
    polys = [shapely.affinity.rotate(_box(cx, cy, *rng.uniform(4, 25, 2)), rng.uniform(0, 90)) for cx, cy in centres]
    polys.append(shapely.Polygon(_box(0, 220, 40, 40).exterior, [_box(0, 220, 15, 15).exterior.coords]))  # courtyard
    polys = list(shapely.make_valid(np.asarray(polys, dtype=object)))
    polys = [p if p.geom_type in ("Polygon", "MultiPolygon") else p.buffer(0) for p in polys]
    heights = np.r_[rng.uniform(3, 120, n), 40.0]
    roofs = _frame(polys, heights)
    planes = pd.DataFrame({"roof_index": range(len(polys)), "plane": 0, "mounting": "tilted_rows",
                           "azimuth_deg": 180.0})
    hp = horizon_profiles(roofs, planes, points_per_plane=2, rays_per_sector=2, radius_m=5000.0)
    bearings = sector_azimuths_deg(36)[:, None] + np.array([-2.5, 2.5])[None, :]
    checked = 0
    for i in range(0, len(hp.point_plane), 3):
        own = hp.point_plane[i]
        others = [j for j in range(len(polys)) if j != own]
        if any(polys[j].contains(shapely.Point(hp.point_xy[i])) for j in others):
            continue  # overlapping outline: 90° by convention
        want = _brute_force(hp.point_xy[i], hp.point_height_m[i], [polys[j] for j in others], heights[others],
                            bearings.ravel()).reshape(36, 2).mean(axis=1)
        np.testing.assert_allclose(hp.point_horizon_deg[i], want, atol=1e-3, err_msg=f"point {i}")
        checked += 1
    assert checked >= 20


def test_skipping_pairs_that_cannot_raise_the_horizon_changes_nothing(monkeypatch):
    """The nearest-first sweep skips pairs by an upper bound only: the profiles equal those of casting every pair."""
    from pvsite.roofs import horizon as hz

    rng = np.random.default_rng(7)
    n = 300  # a dense block field: towers behind low blocks, so many far pairs are hidden
    centres = rng.uniform(-400, 400, size=(n, 2))
    polys = [shapely.affinity.rotate(_box(cx, cy, *rng.uniform(4, 20, 2)), rng.uniform(0, 90)) for cx, cy in centres]
    heights = np.where(rng.random(n) < 0.15, rng.uniform(60, 150, n), rng.uniform(6, 30, n))
    roofs = _frame(polys, heights)
    planes = pd.DataFrame({"roof_index": range(n), "plane": 0, "mounting": "tilted_rows", "azimuth_deg": 180.0})
    swept = horizon_profiles(roofs, planes, n_sectors=144, rays_per_sector=1, points_per_plane=4)
    monkeypatch.setattr(hz, "_cast_pairs", _previous_cast_pairs)  # the previous ray cast: the same floats
    np.testing.assert_array_equal(horizon_profiles(roofs, planes, n_sectors=144, rays_per_sector=1,
                                                   points_per_plane=4).point_horizon_deg, swept.point_horizon_deg)
    monkeypatch.undo()
    monkeypatch.setattr(hz, "SWEEP_BANDS", np.zeros(0))       # one band: every pair cast, nothing skipped
    every = horizon_profiles(roofs, planes, n_sectors=144, rays_per_sector=1, points_per_plane=4)
    assert (every.point_horizon_deg > 0).mean() > 0.2
    np.testing.assert_array_equal(swept.point_horizon_deg, every.point_horizon_deg)
    monkeypatch.setattr(hz, "SWEEP_BANDS", np.array([5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0]))
    finer = horizon_profiles(roofs, planes, n_sectors=144, rays_per_sector=1, points_per_plane=4)
    np.testing.assert_array_equal(finer.point_horizon_deg, every.point_horizon_deg)


def test_rejected_rows_and_bad_parameters():
    roofs = _frame([LOW, None, _box(0, -40, 10, 5)], [H_ROOF, np.nan, 50.0])
    hp = horizon_profiles(roofs, _plane())
    assert hp.horizon_deg.shape == (1, 36) and hp.horizon_deg[0, 18] > 0
    with pytest.raises(InputError, match="n_sectors"):
        horizon_profiles(roofs, _plane(), n_sectors=12)
    with pytest.raises(InputError, match="min_sun_elevation_deg"):
        horizon_profiles(roofs, _plane(), min_sun_elevation_deg=0)
    with pytest.raises(InputError, match="projected CRS"):
        horizon_profiles(roofs.to_crs(4326), _plane())
    with pytest.raises(InputError, match="no height_m"):
        horizon_profiles(_frame([LOW], [np.nan]), _plane())
    # more sectors: same geometry, finer profile
    fine = horizon_profiles(roofs, _plane(), n_sectors=72)
    assert fine.horizon_deg.shape == (1, 72) and fine.sector_azimuth_deg[36] == 180.0


@pytest.mark.slow
def test_horizons_of_the_whole_sample_district():
    from pvsite import pipeline
    from pvsite.config import Config

    p = pipeline.prepare(Config())
    t = time.perf_counter()
    hp = horizon_profiles(p.usable_roofs(), p.planes)
    dt = time.perf_counter() - t
    print(f"\nsample district: {len(p.roofs)} roofs, {len(p.planes)} planes, {len(hp.point_plane)} points: "
          f"{dt:.1f} s ({dt / len(p.roofs) * 1e4:.1f} s per 10k roofs); horizon_max_deg percentiles "
          f"10/50/90: {np.nanpercentile(hp.horizon_max_deg, [10, 50, 90]).round(1).tolist()}")
    assert hp.horizon_deg.shape == (len(p.planes), 36)
    assert np.all(np.isfinite(hp.horizon_deg)) and np.all(hp.horizon_deg >= 0) and np.all(hp.horizon_deg <= 90)
    np.testing.assert_allclose(np.bincount(hp.point_plane, hp.point_weight), 1.0)


# The ray cast of the previous implementation (before the repeat-built rows, the modulo-free wrap and the
# cache-sized chunks), kept as the reference the current one must equal bit for bit.
def _previous_cast_pairs(flat, px, py, pt, nb, dh, edges, north, w, step, J):
    """The ray cast of the previous implementation (an index gather per row, float modulo), verbatim."""
    from pvsite.roofs import horizon as hz

    ax, ay, ex, ey, estart, ecount, lever = edges
    cnt = ecount[nb]
    src, rank = hz._expand(cnt)
    edge = estart[nb][src] + rank
    # Facing test first, from the edge constants alone (cross = e × (p − a) = e × p − e × a): only the
    # facing rows (about half) gather the point − edge-start vectors.
    pp = pt[src]
    cross = ex[edge] * py[pp] - ey[edge] * px[pp] - lever[edge]
    f = np.flatnonzero(cross < 0)  # point on the right of the edge: outside the material, facing it
    src, edge, cross = src[f], edge[f], cross[f]
    qx = px[pp[f]] - ax[edge]  # point − edge start
    qy = py[pp[f]] - ay[edge]
    exx, eyy = ex[edge], ey[edge]
    # True bearings of the edge ends from the point; the edge spans the short arc between them.
    ba = np.degrees(np.arctan2(-qx, -qy)) - north
    bb = np.degrees(np.arctan2(exx - qx, eyy - qy)) - north
    delta = (bb - ba + 180.0) % 360.0 - 180.0
    lo = ba + np.minimum(delta, 0.0)
    hi = ba + np.maximum(delta, 0.0)
    j_lo = np.ceil((lo + w / 2.0) / step - 0.5).astype(np.int64)
    n_rays = np.maximum(0, np.floor((hi + w / 2.0) / step - 0.5).astype(np.int64) - j_lo + 1)
    ray_ux, ray_uy = hz._ray_directions(J, north, w, step)
    for sl in hz._chunks(n_rays, hz.CHUNK_ROWS):
        r_src, r_rank = hz._expand(n_rays[sl])
        j = (j_lo[sl][r_src] + r_rank) % J
        rows = r_src + sl.start
        denom = ray_ux[j] * eyy[rows] - ray_uy[j] * exx[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = cross[rows] / denom  # distance along the ray to the edge
        good = np.flatnonzero(np.isfinite(t) & (t > 0))
        pair = src[rows[good]]
        elev = np.degrees(np.arctan2(dh[pair], np.maximum(t[good], 1e-3))).astype(np.float32)
        np.maximum.at(flat, pt[pair] * J + j[good], elev)


# The group minima of the previous implementation (every group padded to the largest group's point count),
# kept here as the reference the current one (padded by size class) must equal bit for bit.
def _old_group_lowest(ray, gr):
    k = int(gr.count.max())
    slot = np.minimum(np.arange(k), gr.count[:, None] - 1)
    return ray[gr.members[gr.start[:, None] + slot]].min(axis=1)


@pytest.mark.slow
def test_real_bund_window_equals_the_previous_skipping_and_casting_every_pair(shared_data, monkeypatch):
    """1,070 real Bund roofs (their own obstructions), 144 sectors: every point and sector of the profiles is
    bit for bit that of the previous group minima, of the previous ray cast and of casting every pair (no
    skipping)."""
    from pvsite import pipeline
    from pvsite.buildings.locate import Selection
    from pvsite.config import Config
    from pvsite.roofs import horizon as hz

    cfg = Config().with_overrides(input={"footprints": str(shared_data / "footprints" / "shanghai_bund_buildings.gpkg")},
                                  output={"panels": False})
    p = pipeline.prepare(cfg, Selection(bbox=(121.476, 31.228, 121.488, 31.240)))
    assert len(p.roofs) > 1000
    roofs = p.usable_roofs()

    def run():
        return horizon_profiles(roofs, p.planes, n_sectors=144, rays_per_sector=1)

    now = run()
    monkeypatch.setattr(hz, "_cast_pairs", _previous_cast_pairs)
    previous_cast = run()
    monkeypatch.undo()
    monkeypatch.setattr(hz, "_group_lowest", _old_group_lowest)
    before = run()
    monkeypatch.setattr(hz, "SWEEP_BANDS", np.zeros(0))  # one band: every pair cast
    every = run()
    assert len(now.point_plane) > 5000 and np.nanmax(now.horizon_max_deg) > 30  # real towers around
    assert (now.point_horizon_deg > 0).mean() > 0.2
    for name in ("point_horizon_deg", "horizon_deg", "point_xy", "point_weight", "point_plane", "horizon_max_deg"):
        assert np.array_equal(getattr(now, name), getattr(before, name), equal_nan=True), name
        assert np.array_equal(getattr(now, name), getattr(every, name), equal_nan=True), name
        assert np.array_equal(getattr(now, name), getattr(previous_cast, name), equal_nan=True), name
