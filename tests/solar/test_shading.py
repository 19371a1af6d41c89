"""Tests of pvsite.solar.shading: horizon → energy loss per plane.

Weather: the embedded default year; site: Changning (31.22 °N); system,
module and losses: the defaults of a run.  The brute-force reference is
:func:`pvsite.solar.shading.exact_hourly_yield` (hour by hour through the
same energy chain).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pvsite.config import SystemConfig
from pvsite.errors import ConfigError, InputError
from pvsite.io.weather import default_weather
from pvsite.presets import load_losses, load_module
from pvsite.solar import energy, shading, yields

SITE = (31.22, 121.42, 5.0)  # Changning [°N, °E, m]


@pytest.fixture(scope="module")
def setup():
    warnings.filterwarnings("ignore", category=FutureWarning)
    weather, meta = default_weather()
    return weather, load_module("generic-550w"), load_losses("pvwatts"), SystemConfig()


def _planes(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["tilt_deg", "azimuth_deg", "mounting"])


def _losses(setup, planes, horizons, point_plane=None, point_weight=None):
    weather, module, losses, system = setup
    horizons = np.asarray(horizons, dtype=float)
    pp = np.arange(len(planes)) if point_plane is None else np.asarray(point_plane)
    pw = np.ones(len(pp)) if point_weight is None else np.asarray(point_weight)
    return shading.shading_losses(planes, horizons, pp, pw, weather, SITE, module, losses, system)


def tower_horizon(n: int, bearing_deg: float, tower_m: float, roof_m: float = 10.0, dist_m: float = 100.0,
                  width_m: float = 100.0) -> np.ndarray:
    """Horizon of one box tower: a facade ``width_m`` long, ``dist_m`` away, square to the bearing.

    Elevation ``atan((H − h) / r)`` with ``r = dist / cos Δφ`` the distance to the
    facade in direction Δφ from the bearing, over the sectors the facade covers.
    """
    az = np.arange(n) * 360.0 / n
    d = np.radians((az - bearing_deg + 180.0) % 360.0 - 180.0)
    inside = (np.abs(d) < np.pi / 2) & (np.abs(np.tan(d)) * dist_m <= width_m / 2)
    r = dist_m / np.cos(np.where(inside, d, 0.0))
    return np.where(inside, np.degrees(np.arctan((tower_m - roof_m) / r)), 0.0)


def test_zero_horizon_is_lossless_and_matches_simulate_without_shading_item(setup):
    weather, module, losses, system = setup
    planes = _planes([(0.0, 180.0, "tilted_rows"), (20.0, 180.0, "tilted_rows"), (25.0, 95.0, "flush"),
                      (35.0, 0.0, "flush")])
    res = _losses(setup, planes, np.zeros((4, 36)))
    np.testing.assert_allclose(res["shading_loss_pct"], 0.0, atol=1e-9)
    np.testing.assert_allclose(res["sky_view_factor"], 1.0, atol=1e-12)
    assert (res["horizon_max_deg"] == 0).all() and res["shading_applied"].all()
    # the unshaded yield is the engine's own with the PVWatts shading item (3 %) dropped
    ref = energy.simulate(weather, *SITE, planes, module, shading.without_shading_item(losses),
                          inverter_efficiency_pct=system.inverter_efficiency_pct,
                          dc_ac_ratio=system.dc_ac_ratio, temperature_model=system.temperature_model)
    np.testing.assert_allclose(res["specific_yield_kwh_per_kwp"], ref["specific_yield_kwh_per_kwp"], rtol=1e-10)
    np.testing.assert_allclose(res[list(energy.MONTH_COLUMNS)], ref[list(energy.MONTH_COLUMNS)], rtol=1e-9)
    assert res.attrs["shading"]["dropped_loss_items_pct"] == {"shading": 3.0}


def test_sky_view_factor_closed_forms():
    n = 36
    h = np.degrees(np.arange(n) / n * 1.2)  # any profile
    # horizontal: (1/n) Σ cos² h_k
    np.testing.assert_allclose(shading.sky_view_factor(h[None], 0.0, 180.0),
                               np.mean(np.cos(np.radians(h)) ** 2), rtol=1e-12)
    # empty horizon, tilted: absolute factor (1 + cos β)/2 (Dozier & Frew; exact in the limit of many sectors)
    tilt = np.array([0.0, 30.0, 60.0, 90.0])
    v = shading.sky_view_factor(np.zeros((4, 720)), tilt, 180.0, relative=False)
    np.testing.assert_allclose(v, (1 + np.cos(np.radians(tilt))) / 2, atol=2e-5)
    # uniform horizon h on a horizontal plane: cos² h
    assert shading.sky_view_factor(np.full((1, n), 30.0), 0.0, 0.0)[0] == pytest.approx(0.75)
    # an obstruction hidden behind a tilted plane costs it nothing; in front of it, it does
    behind = np.where(np.abs((np.arange(n) * 10.0) - 0.0) % 360 < 1, 20.0, 0.0)  # 20° high, due north
    assert shading.sky_view_factor(behind[None], 60.0, 180.0)[0] == pytest.approx(1.0, abs=1e-12)
    front = np.roll(behind, 18)  # due south
    assert shading.sky_view_factor(front[None], 60.0, 180.0)[0] < 0.99


def test_full_horizon_blocks_all_but_ground_reflected(setup):
    weather, module, losses, system = setup
    planes = _planes([(0.0, 180.0, "tilted_rows"), (25.0, 180.0, "flush"), (60.0, 90.0, "flush")])
    res = _losses(setup, planes, np.full((3, 36), 90.0))
    np.testing.assert_allclose(res["sky_view_factor"], 0.0, atol=1e-12)
    assert res["shading_loss_pct"].iloc[0] == pytest.approx(100.0, abs=1e-9)  # horizontal: no ground view
    sky = energy.sky_year(weather, *SITE)
    bins = shading.sun_bins(sky, 36)
    tab = shading.orientation_tables(sky, bins, planes["tilt_deg"], planes["azimuth_deg"],
                                     energy.temperature_parameters("faiman", "flush", module), module,
                                     0.9, 0.96, 1.2)
    ground_share = 100 * tab.ground_kwh_m2 / (tab.beam_kwh_m2.sum(axis=1) + tab.sky_kwh_m2 + tab.ground_kwh_m2)
    loss = res["shading_loss_pct"].to_numpy()
    assert ground_share[2] > 3  # a 60° plane sees real ground light
    assert np.all(loss <= 100.0 + 1e-9) and np.all(loss >= 100.0 - ground_share - 0.5)


@pytest.mark.parametrize("n_sectors", [36, 360])
def test_tower_south_costs_more_than_north(setup, n_sectors):
    """A 130 m (≈ 40-storey) block, 100 m long, 100 m from a 10 m low roof at 31.2 °N (issue 12, check 4b)."""
    planes = _planes([(0.0, 180.0, "tilted_rows"), (20.0, 180.0, "tilted_rows")])
    loss = {b: _losses(setup, planes, np.tile(tower_horizon(n_sectors, b, 130.0), (2, 1)))["shading_loss_pct"]
            for b in (180.0, 90.0, 270.0, 0.0)}
    assert (loss[180.0] > 10).all()
    assert (loss[0.0] < 3).all()
    for side in (90.0, 270.0):
        assert (loss[0.0] < loss[side]).all() and (loss[side] < loss[180.0]).all()


def test_thirty_degree_wall_south_vs_north(setup):
    """A 30° wall over the southern half of the sky vs the same wall over the northern half."""
    az = np.arange(36) * 10.0
    south = np.where((az > 90) & (az < 270), 30.0, 0.0)
    north = np.where((az < 90) | (az > 270), 30.0, 0.0)
    planes = _planes([(0.0, 180.0, "tilted_rows")])
    s, n = (_losses(setup, planes, h[None]).iloc[0] for h in (south, north))
    # same sky view (17 of 36 sectors at 30°: 1 − 17/36 × sin² 30°), so the difference is all beam
    for r in (s, n):
        assert r["sky_view_factor"] == pytest.approx(1 - 17 / 36 * 0.25, rel=1e-12)
    # a half-sky wall costs ~6 % by diffuse alone (Shanghai: ~half the light is diffuse); the
    # southern one also takes the winter beam
    assert s["shading_loss_pct"] > 8 and s["shading_loss_pct"] - n["shading_loss_pct"] > 3


def _smooth_horizon(rng, n):
    az = np.radians(np.arange(n) * 360.0 / n)
    h = rng.uniform(0, 15) + sum(rng.uniform(0, 12) * np.cos(k * az - rng.uniform(0, 2 * np.pi)) for k in (1, 2, 3))
    return np.clip(h, 0.0, 70.0)


def test_binned_method_agrees_with_brute_force_hourly(setup):
    """Check 4a, energy side: the binned loss vs an hourly computation through the same chain, within 1 pp."""
    weather, module, losses, system = setup
    rng = np.random.default_rng(12)
    orients = [(0.0, 180.0, "tilted_rows"), (20.0, 180.0, "tilted_rows"), (25.0, 80.0, "flush"),
               (30.0, 260.0, "flush"), (35.0, 10.0, "flush")]
    horizons = np.array([_smooth_horizon(rng, 36) for _ in orients])
    horizons[0] = tower_horizon(36, 200.0, 120.0, dist_m=60.0)  # one step-shaped tower too
    res = _losses(setup, _planes(orients), horizons)
    for (tilt, azim, mount), hz, fast in zip(orients, horizons, res["shading_loss_pct"]):
        shaded, unshaded = shading.exact_hourly_yield(weather, SITE, tilt, azim, mount, hz, module, losses, system)
        exact = 100 * (1 - shaded / unshaded)
        assert exact > 0.2  # the horizon matters
        assert fast == pytest.approx(exact, abs=1.0)
        assert fast == pytest.approx(exact, abs=0.1)  # in fact much closer (bins of 2°, SVF interpolation)
        # the sun's azimuth interpolated between sector centres instead of the sector value
        shaded_i, _ = shading.exact_hourly_yield(weather, SITE, tilt, azim, mount, hz, module, losses, system,
                                                 interpolate=True)
        assert fast == pytest.approx(100 * (1 - shaded_i / unshaded), abs=1.0)


def test_points_average_by_weight(setup):
    """A plane half in a tower's shadow loses the weighted mean of its points' losses."""
    planes = _planes([(20.0, 180.0, "tilted_rows"), (20.0, 180.0, "tilted_rows")])
    tower = tower_horizon(36, 180.0, 130.0)
    one = _losses(setup, planes.iloc[:1], tower[None])["shading_loss_pct"].iloc[0]
    res = _losses(setup, planes, np.stack([tower, np.zeros(36), tower]), point_plane=[0, 0, 1],
                  point_weight=[0.25, 0.75, 1.0])
    assert res["shading_loss_pct"].iloc[0] == pytest.approx(0.25 * one, rel=1e-9)
    assert res["shading_loss_pct"].iloc[1] == pytest.approx(one, rel=1e-12)
    assert res["horizon_max_deg"].iloc[0] == pytest.approx(tower.max())


def test_planes_without_points_keep_todays_figures(setup):
    weather, module, losses, system = setup
    planes = _planes([(20.0, 180.0, "tilted_rows"), (25.0, 90.0, "flush")])
    res = _losses(setup, planes, np.zeros((1, 36)), point_plane=[0])
    today = yields.plane_yields(planes, weather, {"altitude": SITE[2]}, SITE[0], SITE[1], module, losses, system)
    assert res["shading_applied"].tolist() == [True, False]
    assert res["specific_yield_kwh_per_kwp"].iloc[1] == today["specific_yield_kwh_per_kwp"].iloc[1]
    assert np.isnan(res["shading_loss_pct"].iloc[1])
    # the shaded-by-nothing plane gains the dropped 3 % shading item: 1/0.97 less the other items' interplay
    gain = res["specific_yield_kwh_per_kwp"].iloc[0] / today["specific_yield_kwh_per_kwp"].iloc[0]
    assert 1.02 < gain < 1.035


def test_plane_yields_default_path_unchanged_and_horizon_path(setup):
    weather, module, losses, system = setup
    planes = _planes([(20.0, 180.4, "tilted_rows"), (25.0, 90.0, "flush")])
    planes.index = [7, 3]
    meta = {"altitude": SITE[2]}
    today = yields.plane_yields(planes, weather, meta, SITE[0], SITE[1], module, losses, system)
    ref = energy.simulate(weather, *SITE, _planes([(20.0, 180.0, "tilted_rows"), (25.0, 90.0, "flush")]),
                          module, losses, inverter_efficiency_pct=system.inverter_efficiency_pct,
                          dc_ac_ratio=system.dc_ac_ratio, temperature_model=system.temperature_model)
    assert today["specific_yield_kwh_per_kwp"].tolist() == ref["specific_yield_kwh_per_kwp"].tolist()
    assert not set(shading.SHADING_COLUMNS) & set(today.columns)
    shaded = yields.plane_yields(planes, weather, meta, SITE[0], SITE[1], module, losses, system,
                                 point_horizon_deg=np.tile(tower_horizon(36, 180.0, 130.0), (2, 1)),
                                 point_plane=[0, 1], point_weight=[1.0, 1.0])
    assert list(shaded.index) == [7, 3] and set(shading.SHADING_COLUMNS) <= set(shaded.columns)
    assert (shaded["specific_yield_kwh_per_kwp"] < today["specific_yield_kwh_per_kwp"]).all()
    assert shaded.attrs["shading"]["n_planes_shaded"] == 2
    with pytest.raises(ConfigError, match="together"):
        yields.plane_yields(planes, weather, meta, SITE[0], SITE[1], module, losses, system,
                            point_horizon_deg=np.zeros((2, 36)))


@pytest.mark.parametrize("bad, match", [
    (dict(point_horizon_deg=np.zeros((2, 12))), "at least 36|≥ 36"),
    (dict(point_plane=[0, 5]), "row positions"),
    (dict(point_weight=[0.5, 1.0]), "sum to 1"),
    (dict(point_horizon_deg=np.full((2, 36), np.nan)), "missing or above 90"),
])
def test_bad_horizon_inputs_are_named(setup, bad, match):
    weather, module, losses, system = setup
    planes = _planes([(20.0, 180.0, "tilted_rows"), (25.0, 90.0, "flush")])
    args = dict(point_horizon_deg=np.zeros((2, 36)), point_plane=[0, 1], point_weight=[1.0, 1.0]) | bad
    with pytest.raises(InputError, match=match):
        shading.shading_losses(planes, args["point_horizon_deg"], args["point_plane"], args["point_weight"],
                               weather, SITE, module, losses, system)


def test_table_look_up_equals_the_blocked_share_matrix_product(setup):
    """_point_energy sums the band tables up to the horizon; it must equal blocked_share @ table, bin by bin."""
    weather, module, losses, system = setup
    sky = energy.sky_year(weather, SITE[0], SITE[1], SITE[2])
    bins = shading.sun_bins(sky, 144)
    temp = energy.temperature_parameters(system.temperature_model, "tilted_rows", module)
    tables = shading.orientation_tables(sky, bins, np.array([20.0]), np.array([180.0]), temp, module, 0.86,
                                        system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
    rng = np.random.default_rng(3)
    h = np.clip(rng.uniform(-5, 60, (400, 144)) * (rng.random((400, 144)) < 0.5), 0, 90)
    h[0], h[1] = 0.0, 90.0
    h[2] = np.arange(144) % 46 * 2.0  # exactly on band edges
    svf = rng.uniform(0, 1, 400)
    svf[:3] = [1.0, 0.0, 0.4]
    got = shading._point_energy(tables, 0, h, svf, bins)
    n_s = len(shading.SVF_GRID)
    lost = (shading.blocked_share(h, bins) @ tables.ac_lost_kwh[0].reshape(len(bins.sector), n_s * 12))
    ac = tables.ac_kwh[0][None] - lost.reshape(-1, n_s, 12)
    j = np.clip(np.searchsorted(shading.SVF_GRID, svf, side="right") - 1, 0, n_s - 2)
    t = (svf - shading.SVF_GRID[j]) / (shading.SVF_GRID[j + 1] - shading.SVF_GRID[j])
    rows = np.arange(len(svf))
    want = ac[rows, j] * (1 - t)[:, None] + ac[rows, j + 1] * t[:, None]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert (want.sum(axis=1)[1] < want.sum(axis=1)[0] * 0.7)  # a full horizon loses the beam


def test_sky_view_factor_by_orientation_groups_matches_per_point_formula():
    """Points of several orientations at once give the same factor as each point alone."""
    rng = np.random.default_rng(5)
    h = rng.uniform(0, 50, (30, 72))
    tilt, az = rng.choice([0.0, 20.0, 30.0], 30), rng.choice([90.0, 180.0, 270.0], 30)
    together = shading.sky_view_factor(h, tilt, az)
    alone = [shading.sky_view_factor(h[i], tilt[i], az[i])[0] for i in range(30)]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    flat = shading.sky_view_factor(h, 0.0, 180.0)
    np.testing.assert_allclose(flat, np.mean(np.cos(np.radians(h)) ** 2, axis=1), rtol=1e-12)


def test_points_in_blocks_equal_one_call_bit_for_bit(setup):
    """PlaneShading fed plane groups in any block order (a spatial partition at a time, as the pipeline does)
    gives exactly shading_losses of every point at once; tables are built once per orientation, also when
    the cache holds only one; a plane's points split over two blocks is refused."""
    weather, module, losses, system = setup
    rng = np.random.default_rng(11)
    n_planes = 40
    planes = _planes([(rng.choice([0.0, 10.0, 25.0, 33.0]), rng.choice([90.0, 160.0, 180.0, 200.0, 270.0]),
                       rng.choice(["tilted_rows", "flush"])) for _ in range(n_planes)])
    per_plane = rng.integers(0, 5, n_planes)  # some planes have no points
    plane = np.repeat(np.arange(n_planes), per_plane)
    weight = rng.uniform(0.1, 1.0, len(plane))
    weight /= np.bincount(plane, weights=weight, minlength=n_planes)[plane]
    h = np.clip(rng.uniform(-10, 60, (len(plane), 144)), 0, 90).astype(np.float32)
    whole = shading.shading_losses(planes, h, plane, weight, weather, SITE, module, losses, system)
    assert whole["shading_applied"].sum() == (per_plane > 0).sum() < n_planes
    for cache_bytes in (shading.TABLE_CACHE_BYTES, 1):
        run = shading.PlaneShading(planes, 144, weather, SITE, module, losses, system, cache_bytes=cache_bytes)
        for group in (np.array([3, 17, 2]), np.array([0]), np.arange(20, 40), np.array([1, 4, 5, 6, 7, 8, 9]),
                      np.arange(10, 17), np.array([18, 19])):  # every plane once, groups of 1 to 20
            pts = np.flatnonzero(np.isin(plane, group))
            run.add_points(h[pts], plane[pts], weight[pts])
        pd.testing.assert_frame_equal(run.result(), whole, check_exact=True)
        assert run.result().attrs["shading"] == whole.attrs["shading"]
        if cache_bytes > 1:
            keys = energy.round_orientations(planes, system.orientation_step_deg)
            assert run.n_tables_built == len(keys.iloc[np.unique(plane)].drop_duplicates())
    run = shading.PlaneShading(planes, 144, weather, SITE, module, losses, system)
    first = np.flatnonzero(plane == plane[0])
    run.add_points(h[first[:1]], plane[first[:1]], np.ones(1))
    with pytest.raises(InputError, match="two blocks"):
        run.add_points(h[first[:1]], plane[first[:1]], np.ones(1))
    with pytest.raises(InputError, match="sectors"):
        run.add_points(np.zeros((1, 72)), plane[-1:], np.ones(1))


def test_compact_band_table_holds_the_dense_cumulative_sums_bit_for_bit(setup):
    """The kept table has a row per occupied band (and a zero row) per sector; every (sector, band) look-up
    must read exactly the number of the dense cumulative sum over all 46 bands it replaces."""
    weather, module, losses, system = setup
    sky = energy.sky_year(weather, *SITE)
    temp = energy.temperature_parameters(system.temperature_model, "flush", module)
    n_s, n_elev = len(shading.SVF_GRID), int(round(90.0 / shading.ELEVATION_BIN_DEG))
    for n_sectors in (36, 144):
        bins = shading.sun_bins(sky, n_sectors)
        tables = shading.orientation_tables(sky, bins, [25.0, 25.0], [95.0, 250.0], temp, module, 0.86,
                                            system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
        layout = shading._BandLayout.of(bins)
        band = np.rint(bins.elev_low_deg / shading.ELEVATION_BIN_DEG).astype(np.intp)
        occupied = np.unique(bins.sector)
        assert layout.n_rows == len(bins.sector) + len(occupied) < n_sectors * (n_elev + 1) / 3
        np.testing.assert_array_equal(layout.lowest[occupied], [bins.elev_low_deg[bins.sector == k].min()
                                                                 for k in occupied])
        assert np.isinf(np.delete(layout.lowest, occupied)).all()
        for i in range(2):
            dense = np.zeros((n_sectors, n_elev + 1, n_s, 12))
            dense[bins.sector, band + 1] = tables.ac_lost_kwh[i]
            dense = np.cumsum(dense, axis=1)[occupied]                      # (occupied, bands + 1, S, 12)
            cum = shading._CumTable.of(tables, i, layout).cum.reshape(layout.n_rows, n_s, 12)
            read = cum[layout.row_of[occupied]]                              # the row each look-up reads
            assert read.shape == dense.shape and dense[:, -1].sum() > 0
            np.testing.assert_array_equal(read.view(np.int64), dense.view(np.int64))


def test_many_orientations_in_blocks_build_each_table_once(setup):
    """Every block (spatial partition) needs all 48 orientations: with the default bound each table is
    built once; with a bound of 30 tables a later block builds only its 18 not kept; with a bound of 1
    byte (one table kept) 47.  The result equals one shading_losses call exactly whatever the bound."""
    weather, module, losses, system = setup
    rng = np.random.default_rng(21)
    n_orient, n_blocks = 48, 4
    az = np.arange(n_orient) * 7.0
    rows = np.where(np.arange(n_orient) % 4 == 0, "tilted_rows", "flush")
    planes = _planes([(20.0 if m == "tilted_rows" else 25.0, a, m) for a, m in zip(az, rows)
                      for _ in range(n_blocks)])          # planes 4o … 4o + 3 share orientation o
    n_planes = len(planes)
    per_plane = rng.integers(1, 4, n_planes)
    plane = np.repeat(np.arange(n_planes), per_plane)
    weight = rng.uniform(0.1, 1.0, len(plane))
    weight /= np.bincount(plane, weights=weight, minlength=n_planes)[plane]
    h = np.clip(rng.uniform(-10, 60, (len(plane), 144)), 0, 90).astype(np.float32)
    whole = shading.shading_losses(planes, h, plane, weight, weather, SITE, module, losses, system)

    def blocks(cache_bytes):
        run = shading.PlaneShading(planes, 144, weather, SITE, module, losses, system, cache_bytes=cache_bytes)
        for b in range(n_blocks):  # block b: plane 4o + b of every orientation o
            pts = np.flatnonzero(plane % n_blocks == b)
            run.add_points(h[pts], plane[pts], weight[pts])
        pd.testing.assert_frame_equal(run.result(), whole, check_exact=True)
        return run

    run = blocks(shading.TABLE_CACHE_BYTES)
    assert run.n_tables_built == n_orient
    per_table = run.table_bytes_peak // n_orient
    assert run.table_bytes_peak == n_orient * per_table < 0.5 * 2**20 * n_orient
    for kept, cache_bytes in ((30, 30 * per_table), (1, 1)):  # the last table built is always kept
        assert blocks(cache_bytes).n_tables_built == n_orient + (n_blocks - 1) * (n_orient - kept)


def test_a_lone_orientation_has_the_table_it_has_among_others(setup):
    """An orientation's tables do not depend on which orientations share the call (one, two or many)."""
    weather, module, losses, system = setup
    sky = energy.sky_year(weather, *SITE)
    bins = shading.sun_bins(sky, 144)
    temp = energy.temperature_parameters(system.temperature_model, "tilted_rows", module)
    tilt, az = np.array([20.0, 5.0, 33.0, 0.0]), np.array([180.0, 95.0, 250.0, 180.0])
    args = (temp, module, 0.86, system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
    many = shading.orientation_tables(sky, bins, tilt, az, *args)
    for k in range(len(tilt)):
        for lo, hi in ((k, k + 1), (max(k - 1, 0), k + 1)):
            part = shading.orientation_tables(sky, bins, tilt[lo:hi], az[lo:hi], *args)
            for f in ("ac_kwh", "ac_lost_kwh", "beam_kwh_m2", "sky_kwh_m2", "ground_kwh_m2", "poa_kwh_m2"):
                assert np.array_equal(getattr(part, f)[k - lo], getattr(many, f)[k]), (f, k, lo)


def test_sky_view_factor_does_not_depend_on_the_rows_beside_it():
    """A point's factor is the same computed alone, in a block of 2–70 or among 3,000 (no BLAS row rounding)."""
    rng = np.random.default_rng(1)
    h = rng.uniform(0, 30, (3000, 144)).astype(np.float32)
    tilt, az = np.full(3000, 20.0), np.full(3000, 170.0)
    full = shading.sky_view_factor(h, tilt, az)
    for p in (1, 2, 3, 10, 22, 38, 67):
        for lo in (0, 1, 13, 500):
            assert np.array_equal(shading.sky_view_factor(h[lo:lo + p], tilt[lo:lo + p], az[lo:lo + p]),
                                  full[lo:lo + p]), (p, lo)
