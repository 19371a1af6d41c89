"""Partitioned runs (pvsite.compute) equal the one-process run, on a real process pool and a real Dask LocalCluster.

No mocks: the ``dask`` runs start a ``distributed.LocalCluster`` of two
one-thread worker processes (what ``--scheduler dask`` starts); the tests
are skipped, saying why, only when that cluster cannot start here.  The
real-Bund tests are ``slow`` (``make test``; about a minute on the loaded
machine); the sample ones run in the fast lane.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite import compute, pipeline
from pvsite.buildings.locate import Selection
from pvsite.config import ComputeConfig, Config
from pvsite.errors import ConfigError
from pvsite.roofs.orientation import grid_north_bearing_deg

#: A 1.1 km × 1.3 km window west of the river: 1,070 real Bund roofs (its neighbours: all 10,613).
BUND_WINDOW = (121.476, 31.228, 121.488, 31.240)
HORIZON_FIELDS = ("horizon_deg", "horizon_max_deg", "radius_m")
#: Not kept by prepare: each partition's points are reduced to per-plane shading and dropped.
POINT_FIELDS = ("point_horizon_deg", "point_plane", "point_weight", "point_xy", "point_height_m")


@pytest.fixture(scope="module")
def dask_cluster():
    """The LocalCluster ``scheduler = "dask"`` starts (2 workers × 1 thread, processes); closed after the module."""
    pytest.importorskip("distributed", reason="distributed is not installed (pip install 'pvsite[dask]')")
    try:
        client = compute.dask_client(ComputeConfig(scheduler="dask", n_workers=2))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"a distributed.LocalCluster cannot start here: {exc!r}")
    yield client
    compute.close()


@pytest.fixture(scope="module")
def sample_serial():
    return pipeline.prepare(Config().with_overrides(shading={"enabled": True}))


def _equal_prepared(a, b) -> None:
    pd.testing.assert_frame_equal(pd.DataFrame(a.roofs), pd.DataFrame(b.roofs))
    pd.testing.assert_frame_equal(a.planes, b.planes)  # modules_fit, yields and shading losses per plane
    if a.horizons is not None:
        for name in HORIZON_FIELDS:
            assert np.array_equal(getattr(a.horizons, name), getattr(b.horizons, name), equal_nan=True), name
        for name in POINT_FIELDS:
            assert getattr(a.horizons, name) is None and getattr(b.horizons, name) is None, name
        assert a.horizons.plane_index.equals(b.horizons.plane_index)


def _equal_sized(a, b) -> None:
    for scenario in ("plan-2025", "technical-max"):
        ra, rb = pipeline.size(a, scenario), pipeline.size(b, scenario)
        pd.testing.assert_frame_equal(pd.DataFrame(ra.roofs), pd.DataFrame(rb.roofs))
        np.testing.assert_allclose(rb.roofs["annual_kwh"], ra.roofs["annual_kwh"], rtol=1e-9, atol=0)
        pd.testing.assert_frame_equal(ra.summary, rb.summary)


def _first_modules(panels, n: int) -> pd.DataFrame:
    rows, got = [], 0
    for batch in panels.batches(20_000):
        rows.append(batch)
        got += len(batch)
        if got >= n:
            break
    return pd.concat(rows, ignore_index=True).iloc[:n]


@pytest.mark.parametrize("scheduler", ["serial", "processes", "dask"])
def test_sample_on_partitions_equals_one_process(sample_serial, scheduler, request):
    """The sample with shading, cut into 6 partitions (700 roofs) — one after the other in this process
    (serial), or on 2 worker processes — equals one call of each stage: every figure the same."""
    if scheduler == "dask":  # two worker processes of one thread each, as --scheduler dask starts
        assert sorted(request.getfixturevalue("dask_cluster").nthreads().values()) == [1, 1]
    cfg = Config().with_overrides(shading={"enabled": True},
                                  compute={"scheduler": scheduler, "n_workers": 2, "partition_roofs": 700})
    parted = pipeline.prepare(cfg)
    assert type(parted.panels).__name__ == "ModulePanelParts" and len(parted.panels.parts) == 6
    _equal_prepared(sample_serial, parted)
    # The shading sums, reduced partition by partition as the workers complete them: bit for bit.
    pd.testing.assert_frame_equal(sample_serial.planes, parted.planes, check_exact=True)
    _equal_sized(sample_serial, parted)
    assert np.array_equal(parted.panels.per_plane(), sample_serial.panels.per_plane())
    assert len(parted.panels) == len(sample_serial.panels) > 500_000
    # The panels layer: same rectangles in the same order, across the first partition border (roof 700).
    n = int(sample_serial.panels.per_plane()[: int(np.searchsorted(sample_serial.planes["roof_index"].to_numpy(),
                                                                  sample_serial.roofs.index[701]))].sum()) + 500
    a, b = _first_modules(sample_serial.panels, n), _first_modules(parted.panels, n)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert shapely.equals_exact(a.geometry.array, b.geometry.array, tolerance=0).all()


@pytest.mark.slow
@pytest.mark.shared_data
def test_bund_on_a_local_cluster_equals_one_process(shared_data, dask_cluster):
    """All 10,613 real Bund outlines (the golden run), 6 partitions on the LocalCluster: the same roofs."""
    cfg = Config().with_overrides(
        input={"footprints": str(shared_data / "footprints" / "shanghai_bund_buildings.gpkg")},
        policy={"scenario": "technical-max"}, output={"panels": False}, shading={"enabled": False},  # as golden
        exclusions={"layers": [{"path": str(shared_data / "constraints" / "shanghai_heritage_osm.gpkg")}]})
    serial = pipeline.run(cfg)
    parted = pipeline.run(cfg.with_overrides(compute={"scheduler": "dask", "partition_roofs": 2000}))
    pd.testing.assert_frame_equal(pd.DataFrame(serial.roofs), pd.DataFrame(parted.roofs))
    pd.testing.assert_frame_equal(serial.summary, parted.summary)
    assert serial.roofs["capacity_kw"].sum() > 300_000


@pytest.mark.slow
@pytest.mark.shared_data
def test_bund_horizons_with_halo_on_a_local_cluster(shared_data, dask_cluster):
    """Shading on a Bund window (1,070 roofs, obstructions from all 10,613): spatial partitions of 200 roofs with a
    1 km halo give the one-process horizons bit for bit, and the same shaded yields."""
    cfg = Config().with_overrides(
        input={"footprints": str(shared_data / "footprints" / "shanghai_bund_buildings.gpkg")},
        shading={"enabled": True}, output={"panels": False})
    window = Selection(bbox=BUND_WINDOW)
    serial = pipeline.prepare(cfg, window)
    parted = pipeline.prepare(cfg.with_overrides(compute={"scheduler": "dask", "partition_roofs": 200}), window)
    assert len(serial.roofs) > 1000 and np.nanmax(serial.horizons.horizon_max_deg) > 30  # real towers around
    _equal_prepared(serial, parted)
    ra, rb = pipeline.size(serial, "technical-max"), pipeline.size(parted, "technical-max")
    pd.testing.assert_frame_equal(pd.DataFrame(ra.roofs), pd.DataFrame(rb.roofs))


def test_halo_is_needed(sample_serial):
    """Without the halo the horizons differ: a partition alone does not see the towers beyond its edge."""
    from pvsite.roofs import horizon

    prepared = sample_serial
    roofs, planes = prepared.usable_roofs(), prepared.planes
    parts = compute.spatial_partitions(roofs[roofs.index.isin(planes["roof_index"])], 700)
    first = roofs[roofs.index.isin(planes["roof_index"])].iloc[parts[0]]
    own = planes[planes["roof_index"].isin(first.index)]
    x0, y0, x1, y1 = roofs.total_bounds
    whole_run = dict(north_deg=grid_north_bearing_deg(roofs), origin_xy=((x0 + x1) / 2, (y0 + y1) / 2),
                     **horizon.profile_settings(prepared.config.shading))
    alone = horizon.horizon_profiles(first, own, neighbours=first, **whole_run).horizon_deg
    full = prepared.horizons.horizon_deg[planes.index.get_indexer(own.index)]
    ok = np.isfinite(full)
    assert np.array_equal(ok, np.isfinite(alone))
    assert (alone[ok] < full[ok] - 1.0).sum() > 100
    assert (alone[ok] <= full[ok]).all()  # fewer obstructions never raise a horizon


def test_whole_run_grid_north_is_needed(sample_serial):
    """A partition's own grid north (0.842° instead of the district's 0.830°) turns the 2.5° sectors by 0.01°: rays
    that graze a tower edge hit or miss it, so a few sectors move by up to ~11°.  Hence one north for the whole run."""
    from pvsite.roofs import horizon

    roofs, planes = sample_serial.usable_roofs(), sample_serial.planes
    with_planes = roofs[roofs.index.isin(planes["roof_index"])]
    first = with_planes.iloc[compute.spatial_partitions(with_planes, 700)[0]]
    own = planes[planes["roof_index"].isin(first.index)]
    neighbours = horizon.horizon_neighbours(sample_serial_survey(sample_serial), sample_serial.located.buildings,
                                            sample_serial.config.heights)
    settings = horizon.profile_settings(sample_serial.config.shading)
    x0, y0, x1, y1 = roofs.total_bounds
    origin = ((x0 + x1) / 2, (y0 + y1) / 2)
    full = sample_serial.horizons.horizon_deg[planes.index.get_indexer(own.index)]
    same = horizon.horizon_profiles(first, own, neighbours=neighbours, origin_xy=origin,
                                    north_deg=grid_north_bearing_deg(roofs), **settings).horizon_deg
    assert np.array_equal(same, full, equal_nan=True)
    assert abs(grid_north_bearing_deg(first) - grid_north_bearing_deg(roofs)) > 0.005
    turned = horizon.horizon_profiles(first, own, neighbours=neighbours, origin_xy=origin, **settings).horizon_deg
    assert np.nanmax(np.abs(turned - full)) > 1.0


def sample_serial_survey(prepared):
    from pvsite.roofs.survey import SurveyedRoofs

    return SurveyedRoofs(prepared.usable_roofs(), prepared.planes, None)


def test_spatial_partitions_cover_every_row_once_and_are_compact(sample_serial):
    gdf = sample_serial.roofs
    parts = compute.spatial_partitions(gdf, 500)
    together = np.sort(np.concatenate(parts))
    assert np.array_equal(together, np.arange(len(gdf)))
    assert all(len(p) == 500 for p in parts[:-1])
    # Hilbert runs are compact: each partition's box is far smaller than the whole district's.
    whole = gdf.total_bounds
    area = (whole[2] - whole[0]) * (whole[3] - whole[1])
    boxes = [gdf.iloc[p].total_bounds for p in parts]
    assert np.median([(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]) < area / 3


def test_horizon_partitions_reduced_in_any_order_equal_one_process(sample_serial, monkeypatch):
    """The partitions' points reduced in the reverse of their task order (a pool may complete them in any
    order), every orientation's table rebuilt for each partition (no table cache, so in other company than
    one call builds it): the one-process planes and shading, bit for bit.  The layout's partitions come
    back reversed too: its roofs, planes and panels are put back in input order all the same."""
    from pvsite.solar import shading as shading_mod

    made = []

    class Uncached(shading_mod.PlaneShading):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "cache_bytes": 0})
            made.append(self)

    real, orders = compute.each_completed, []

    def reversed_completion(fn, tasks, cfg, in_flight=None):
        done = list(real(fn, tasks, cfg, in_flight))
        orders.append((fn.__name__, [k for k, _ in reversed(done)]))
        yield from reversed(done)

    monkeypatch.setattr(shading_mod, "PlaneShading", Uncached)
    monkeypatch.setattr(compute, "each_completed", reversed_completion)
    parted = pipeline.prepare(Config().with_overrides(shading={"enabled": True}, compute={"partition_roofs": 700}))
    assert [name for name, _ in orders] == ["_survey_part", "_horizon_part"]
    assert len(orders[0][1]) > 1 and len(orders[1][1]) == 5  # 3,268 roofs with planes: 5 horizon partitions
    assert all(order == sorted(order, reverse=True) for _, order in orders)
    assert len(made) == 1 and made[0].n_tables_built > len(made[0].orient)  # tables were rebuilt per partition
    pd.testing.assert_frame_equal(sample_serial.planes, parted.planes, check_exact=True)
    _equal_prepared(sample_serial, parted)
    assert np.array_equal(parted.panels.per_plane(), sample_serial.panels.per_plane())


_PULLED: list = []


def _counted(n: int):
    """Tasks ``(k, 1)`` for ``pow``, recording how many were taken."""
    for k in range(n):
        _PULLED.append(k)
        yield k, 1


@pytest.mark.parametrize("scheduler", ["serial", "processes", "dask"])
def test_each_completed_bounds_the_tasks_in_flight(scheduler, request):
    """Every task once with its result, and never more than ``in_flight`` taken and not yet handed back."""
    if scheduler == "dask":
        request.getfixturevalue("dask_cluster")
    cfg = ComputeConfig(scheduler=scheduler, n_workers=2)
    _PULLED.clear()
    got = []
    for k, result in compute.each_completed(pow, _counted(12), cfg, in_flight=3):
        got.append((k, result))
        assert len(_PULLED) - len(got) <= 3  # besides the one handed back, at most 3 taken (the 4th after it came)
    assert sorted(got) == [(k, k) for k in range(12)] and len(_PULLED) == 12


#: The forms every layer accepts → the stored (scheduler, address).
SCHEDULER_FORMS = [
    ({}, ("serial", None)),
    ({"scheduler": "serial"}, ("serial", None)),
    ({"scheduler": "processes"}, ("processes", None)),
    ({"scheduler": "dask"}, ("dask", None)),
    ({"scheduler": "local"}, ("dask", None)),
    ({"scheduler": "LOCAL"}, ("dask", None)),
    ({"scheduler": "Processes"}, ("processes", None)),
    ({"scheduler": "tcp://10.0.0.5:8786"}, ("dask", "tcp://10.0.0.5:8786")),
    ({"scheduler": "tls://sched.example:8786"}, ("dask", "tls://sched.example:8786")),
    ({"address": "tcp://10.0.0.5:8786"}, ("dask", "tcp://10.0.0.5:8786")),
    ({"scheduler": "dask", "address": "tcp://10.0.0.5:8786"}, ("dask", "tcp://10.0.0.5:8786")),
    ({"scheduler": "tcp://10.0.0.5:8786", "address": "tcp://10.0.0.5:8786"}, ("dask", "tcp://10.0.0.5:8786")),
]
#: Mistakes → words of the message (every layer, the same).
SCHEDULER_MISTAKES = [
    ({"scheduler": "spark"}, "'compute.scheduler': is 'spark', not one of serial, processes, dask, local or a Dask "
                             "scheduler address"),
    ({"scheduler": "loacl"}, "did you mean 'local'?"),
    ({"scheduler": "10.0.0.5:8786"}, "not one of serial, processes, dask, local or a Dask scheduler address"),
    ({"scheduler": "tcp://"}, "not one of serial, processes, dask, local or a Dask scheduler address"),
    ({"scheduler": "local", "address": "tcp://10.0.0.5:8786"},
     "'local' starts a LocalCluster on this machine, but 'compute.address' = 'tcp://10.0.0.5:8786' names a running "
     "scheduler"),
    ({"scheduler": "tcp://a:1", "address": "tcp://b:2"},
     "'tcp://a:1' and 'compute.address' = 'tcp://b:2' name two different Dask schedulers"),
    ({"scheduler": "processes", "address": "tcp://b:2"}, "a Dask scheduler address needs scheduler = \"dask\""),
    ({"scheduler": "dask", "address": "127.0.0.1:8786"}, "'127.0.0.1:8786' is not a Dask scheduler address"),
]
#: The Chinese half of the messages above (the English is not the only language of an error).
SCHEDULER_MISTAKES_ZH = ["不是 serial、processes、dask、local 之一，也不是 Dask 调度器地址", "是否想写 'local'？",
                         "不是 serial、processes、dask、local 之一", "不是 serial、processes、dask、local 之一",
                         "指定了一个已在运行的调度器", "是两个不同的 Dask 调度器", "Dask 调度器地址需要",
                         "不是 Dask 调度器地址"]


def _toml_layer(tmp_path, table: dict) -> Config:
    lines = "".join(f'{k} = "{v}"\n' for k, v in table.items())
    path = tmp_path / "compute.toml"
    path.write_text("[compute]\n" + lines, encoding="utf-8")
    from pvsite.config import load_config

    return load_config(path)


def _api_layer(table: dict) -> Config:
    import pvsite

    return pvsite.configure(scheduler=table.get("scheduler"), dask_address=table.get("address"), workers=3)


def _cli_layer(table: dict) -> Config:
    from pvsite import cli

    args = [*(["--scheduler", table["scheduler"]] if "scheduler" in table else []),
            *(["--dask-address", table["address"]] if "address" in table else []), "--workers", "3"]
    params = cli.run.make_context("run", args).params
    return cli._configure(None, scheduler=params["scheduler"], dask_address=params["dask_address"],
                          workers=params["workers"])


@pytest.mark.parametrize("table, expected", SCHEDULER_FORMS)
def test_scheduler_forms_are_the_same_in_toml_api_cli_and_python(tmp_path, table, expected):
    """``[compute] scheduler = "local"`` / an address in a TOML file, ``pvsite.configure(scheduler=…)``,
    ``--scheduler …`` and ``ComputeConfig(…)``: one rewrite (pvsite.config), the same stored scheduler and
    address — what run_info records."""
    for layer in (_toml_layer(tmp_path, table), _api_layer(table), _cli_layer(table)):
        assert (layer.compute.scheduler, layer.compute.address) == expected, table
        recorded = layer.to_dict()["compute"]
        assert (recorded["scheduler"], recorded.get("address")) == expected
    if table.keys() != {"address"}:  # ComputeConfig(address=…) alone: its default scheduler is the given serial
        built = ComputeConfig(**table)
        assert (built.scheduler, built.address) == expected


@pytest.mark.parametrize("table, message", SCHEDULER_MISTAKES)
def test_scheduler_mistakes_are_the_same_clear_error_everywhere(tmp_path, table, message):
    zh = SCHEDULER_MISTAKES_ZH[[t for t, _ in SCHEDULER_MISTAKES].index(table)]
    for build in (lambda: _toml_layer(tmp_path, table), lambda: _api_layer(table), lambda: _cli_layer(table),
                  lambda: ComputeConfig(**table)):
        with pytest.raises(ConfigError) as err:
            build()
        text = str(err.value)
        assert message in text and zh in text, text
        assert "problems in the configuration" not in text  # one problem, not a knock-on second one
    with pytest.raises(ConfigError, match="compute.toml"):  # the file is named
        _toml_layer(tmp_path, table)


def test_a_later_layer_names_where_to_run():
    """Options over a file: ``local`` or ``serial`` over a file's address run there, not at the address;
    plain ``dask`` keeps it; another address replaces it; an address alone means Dask there."""
    import pvsite

    remote = Config().with_overrides(compute={"scheduler": "tcp://10.0.0.5:8786"})
    assert (remote.compute.scheduler, remote.compute.address) == ("dask", "tcp://10.0.0.5:8786")
    for given, expected in [("local", ("dask", None)), ("serial", ("serial", None)),
                            ("processes", ("processes", None)), ("dask", ("dask", "tcp://10.0.0.5:8786")),
                            ("tcp://10.0.0.6:8786", ("dask", "tcp://10.0.0.6:8786"))]:
        cfg = pvsite.configure(remote, scheduler=given)
        assert (cfg.compute.scheduler, cfg.compute.address) == expected, given
    cfg = pvsite.configure(Config().with_overrides(compute={"scheduler": "processes"}), dask_address="tcp://h:1")
    assert (cfg.compute.scheduler, cfg.compute.address) == ("dask", "tcp://h:1")
    assert 'scheduler = "dask"' in pvsite.configure(scheduler="local").to_toml()


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "spark"], "is 'spark', not one of serial, processes, dask, local or a Dask scheduler address"),
    (["--scheduler", "local", "--dask-address", "tcp://10.0.0.5:8786"], "names a running scheduler"),
    (["--scheduler", "tcp://a:1", "--dask-address", "tcp://b:2"], "name two different Dask schedulers"),
    (["--scheduler", "processes", "--dask-address", "tcp://b:2"], "scheduler = \"dask\""),
])
def test_scheduler_option_mistakes_are_clear(args, message):
    """On the command line: the config error (exit 3), in Chinese and English, no traceback."""
    from click.testing import CliRunner

    from pvsite import cli

    out = CliRunner().invoke(cli.main, ["run", *args, "--out", "/nonexistent-dir-pvsite/x.gpkg"])
    assert out.exit_code == 3 and "Traceback" not in out.output
    text = " ".join(out.output.split())
    assert message in text and "compute.scheduler" in text and "调度器" in text, out.output


def test_scheduler_local_runs_on_a_local_cluster(sample_serial, dask_cluster):
    """``--scheduler local`` (as the CLI passes it) runs on the LocalCluster: the same roofs and planes."""
    from pvsite.cli import _configure

    cfg = _configure(None, scheduler="local", workers=2).with_overrides(shading={"enabled": True},
                                                                        compute={"partition_roofs": 1200})
    assert (cfg.compute.scheduler, cfg.compute.address) == ("dask", None)
    assert compute.describe(cfg.compute) == "dask LocalCluster (2 workers)"
    from distributed import get_task_stream

    assert compute.dask_client(cfg.compute) is dask_cluster
    with get_task_stream(client=dask_cluster) as stream:
        parted = pipeline.prepare(cfg)
    assert len(parted.panels.parts) == 3
    assert len(stream.data) >= 3  # the partitions ran as tasks on the cluster's workers
    assert {t["worker"] for t in stream.data} <= set(dask_cluster.nthreads())
    _equal_prepared(sample_serial, parted)


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    pytest.importorskip("distributed")
    cfg = Config().with_overrides(compute={"scheduler": "dask", "address": "tcp://127.0.0.1:9"}).compute
    monkeypatch.setattr(compute, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(ConfigError, match="no Dask scheduler"):
        compute.dask_client(cfg)


def test_serial_run_does_not_import_dask():
    code = ("import sys; from pvsite import pipeline, compute, cli; "
            "print(sorted(m for m in ('dask', 'distributed', 'dask_geopandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
