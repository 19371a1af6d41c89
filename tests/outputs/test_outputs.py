"""The output layer: GeoPackage, workbook, QGIS project, written as one locked set.

A small real result (twelve buildings of known uses in Changning, run through
:func:`pvsite.pipeline.run` once per module) is written in every way the
output layer allows: the whole set, one file alone, a set whose workbook
writer fails, a set interrupted by Ctrl-C, two processes racing for one
``--out``, unwritable folders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from pvsite import outputs, pipeline
from pvsite.cli import main
from pvsite.config import Config
from pvsite.errors import OutputError
from pvsite.io import atomic
from pvsite.outputs import console, gpkg, provenance, qgis, schema, xlsx
from pvsite.presets import load_preset

REPO = Path(__file__).resolve().parents[2]
LON0, LAT0 = 121.4200, 31.2100
USES = ["学校", "医院", "厂房", "住宅", "商务办公", "仓库"]


@pytest.fixture(scope="module")
def footprints(tmp_path_factory) -> Path:
    """Twelve 30 m × 33 m buildings in two rows, two of each use."""
    d = 0.0003
    geoms = [shapely.box(LON0 + i * 0.0008, LAT0 + j * 0.0008, LON0 + i * 0.0008 + d, LAT0 + j * 0.0008 + d)
             for j in range(2) for i in range(6)]
    gdf = gpd.GeoDataFrame({"名称": [f"楼{i}" for i in range(12)], "用途": USES * 2, "层数": [4] * 12},
                           geometry=geoms, crs="EPSG:4326")
    path = tmp_path_factory.mktemp("in") / "twelve.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="buildings")
    return path


@pytest.fixture(scope="module")
def config(footprints) -> Config:
    # the report's members (charts, HTML, PDF) are tested in test_report.py; here the core four
    return Config().with_overrides(input={"footprints": str(footprints)}, report={"enabled": False})


@pytest.fixture(scope="module")
def result(config):
    return pipeline.run(config)


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _digests(out: Path) -> list[tuple[str, str]]:
    """(file, sha256) of every member present (the report's members are off in this module)."""
    return [(p.name, _sha(p)) for p in outputs.member_paths(out).values() if p.exists()]


def _leftovers(folder: Path) -> list[str]:
    """Hidden files an output write may leave: temporary files, probes, locks."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _set_id_gpkg(path: Path) -> str:
    info = pyogrio.read_dataframe(path, layer="run_info").set_index("key")["value"]
    return info["output_set_id"]


def _set_id_xlsx(path: Path) -> str:
    about = pd.read_excel(path, sheet_name="说明").set_index("项目 item")["内容 value"]
    return about["输出集 output set id"]


# ---------------------------------------------------------------------------
# The whole set
# ---------------------------------------------------------------------------


def test_write_all_writes_one_consistent_set(result, tmp_path):
    out = tmp_path / "run.gpkg"
    written = outputs.write_all(result, out)
    names = ["run.gpkg", "run.qgs", "run.xlsx", "run_roofs.csv", "run_streets.csv", "run_classes.csv",
             "run_departments.csv", "run_trajectory.csv", "run_economics.csv", "run_priority.csv"]
    assert written.paths == dict(zip(["gpkg", "qgs", "xlsx", "roofs_csv", "streets_csv", "classes_csv",
                                      "departments_csv", "trajectory_csv", "economics_csv", "priority_csv"],
                                     [tmp_path / n for n in names]))
    assert list(written) == [tmp_path / n for n in names]
    assert os.fspath(written) == str(out)
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    # one identity in every member
    assert len(written.set_id) == 32 and int(written.set_id, 16) >= 0
    assert _set_id_gpkg(out) == _set_id_xlsx(written.xlsx) == written.set_id
    dt.datetime.strptime(written.created_utc, "%Y-%m-%dT%H:%M:%SZ")
    # the run's own provenance is kept beside it, unchanged
    info = pyogrio.read_dataframe(out, layer="run_info").set_index("key")["value"]
    for key, value in result.run_info.items():
        assert info[key] == value, key
    assert set(info.index) - set(result.run_info) == set(provenance.SET_KEYS)
    # the project was made from the temporary GeoPackage but points at the final one
    text = written.qgs.read_text(encoding="utf-8")
    assert "./run.gpkg|layername=roofs" in text and ".tmp" not in text
    assert _leftovers(tmp_path) == []


def test_every_write_is_a_new_set(result, tmp_path):
    out = tmp_path / "run.gpkg"
    first = outputs.write_all(result, out)
    second = outputs.write(result, out, overwrite=True)
    assert first.set_id != second.set_id
    assert _set_id_gpkg(out) == _set_id_xlsx(second.xlsx) == second.set_id


@pytest.mark.parametrize("existing", [".gpkg", ".qgs", ".xlsx"])
def test_existing_member_is_refused_without_overwrite(result, tmp_path, existing):
    out = tmp_path / "run.gpkg"
    other = out.with_suffix(existing)
    other.write_bytes(b"the user's file")
    with pytest.raises(OutputError, match="already exists") as err:
        outputs.write_all(result, out)
    assert str(other) in str(err.value) and "--overwrite" in str(err.value)
    assert err.value.exit_code == 4
    assert other.read_bytes() == b"the user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name]
    written = outputs.write_all(result, out, overwrite=True)
    # member_paths lists every possible member; this run writes the core set and the CSV twins (report off)
    assert set(written.paths) == {m.key for m in outputs.MEMBERS if m.wanted is None}
    assert {"gpkg", "qgs", "xlsx", "roofs_csv", "streets_csv"} <= set(written.paths)
    assert all(p.is_file() for p in written)
    assert other.read_bytes() != b"the user's file"


def test_failing_workbook_leaves_the_previous_set_untouched(result, tmp_path, monkeypatch):
    out = tmp_path / "run.gpkg"
    previous = outputs.write_all(result, out)
    before = _digests(out)

    def broken(path, *args, **kwargs):
        Path(path).write_bytes(b"half a workbook")
        raise RuntimeError("disk full while writing the workbook")

    monkeypatch.setattr(xlsx, "write_workbook", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        outputs.write_all(result, out, overwrite=True)
    assert _digests(out) == before
    assert _set_id_gpkg(out) == _set_id_xlsx(out.with_suffix(".xlsx")) == previous.set_id
    assert _leftovers(tmp_path) == []


def test_os_error_while_writing_is_an_output_error(result, tmp_path, monkeypatch):
    out = tmp_path / "run.gpkg"
    outputs.write_all(result, out)
    before = _digests(out)

    def full(path, *args, **kwargs):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(xlsx, "write_workbook", full)
    with pytest.raises(OutputError, match="No space left on device") as err:
        outputs.write_all(result, out, overwrite=True)
    assert err.value.exit_code == 4 and ".run.xlsx." in str(err.value)
    assert _digests(out) == before and _leftovers(tmp_path) == []


def test_ctrl_c_during_the_write_leaves_the_previous_set(result, tmp_path, monkeypatch):
    out = tmp_path / "run.gpkg"
    outputs.write_all(result, out)
    before = _digests(out)
    seen = {}

    def interrupted(*args, source=None, **kwargs):
        seen["gpkg_temp_complete"] = Path(source).stat().st_size > 0
        raise KeyboardInterrupt

    monkeypatch.setattr(qgis, "project_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_all(result, out, overwrite=True)
    assert seen == {"gpkg_temp_complete": True}  # interrupted after the GeoPackage was written
    assert _digests(out) == before
    assert _leftovers(tmp_path) == []


def test_ctrl_c_during_the_renames_is_delivered_after_them(tmp_path):
    pairs = []
    for name in ("a.gpkg", "a.qgs", "a.xlsx"):
        (tmp_path / name).write_text("old")
        tmp = atomic.temp_path(tmp_path / name)
        tmp.write_text("new")
        pairs.append((tmp, tmp_path / name))
    real_replace = os.replace
    # Python's Ctrl-C handler, whatever this process inherited: a shell starts a background job (`make test &`)
    # with SIGINT ignored, and Python then keeps it ignored (see the test below)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    handler = signal.getsignal(signal.SIGINT)
    calls = []

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        calls.append(Path(dst).name)
        if len(calls) == 1:
            # Ctrl-C after the first rename, aimed at the main thread: a process-directed kill may be taken by
            # another thread (pyarrow/GDAL pools left by earlier tests) and only run its handler later
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    os.replace = replace_then_signal
    # what an earlier test in the same process may have changed, named in a failure
    state = (f"threads {[t.name for t in threading.enumerate()]}, current {threading.current_thread()!r}, main "
             f"{threading.main_thread()!r}, SIGINT mask {signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])}"
             f", handler {handler!r}")
    try:
        with pytest.raises(KeyboardInterrupt):
            atomic.replace_all(pairs)
    finally:
        os.replace = real_replace
        restored = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, inherited)
    assert calls == ["a.gpkg", "a.qgs", "a.xlsx"], state
    assert [(tmp_path / n).read_text() for n in calls] == ["new", "new", "new"]
    assert restored is handler  # restored


def test_an_ignored_ctrl_c_stays_ignored_and_the_renames_finish(tmp_path):
    """SIGINT ignored (a background job of a shell): the renames complete and nothing is raised afterwards."""
    pairs = []
    for name in ("c.gpkg", "c.qgs"):
        (tmp_path / name).write_text("old")
        tmp = atomic.temp_path(tmp_path / name)
        tmp.write_text("new")
        pairs.append((tmp, tmp_path / name))
    real_replace, inherited = os.replace, signal.signal(signal.SIGINT, signal.SIG_IGN)

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    os.replace = replace_then_signal
    try:
        atomic.replace_all(pairs)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        os.replace = real_replace
        signal.signal(signal.SIGINT, inherited)
    assert [(tmp_path / n).read_text() for n in ("c.gpkg", "c.qgs")] == ["new", "new"]


def test_renames_outside_the_main_thread_run_unprotected(tmp_path):
    """Python installs signal handlers only in the main thread: elsewhere the renames still happen, undeferred."""
    tmp = atomic.temp_path(tmp_path / "b.gpkg")
    tmp.write_text("new")
    handler, errors = signal.getsignal(signal.SIGINT), []

    def rename():
        try:
            atomic.replace_all([(tmp, tmp_path / "b.gpkg")])
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    worker = threading.Thread(target=rename)
    worker.start()
    worker.join()
    assert errors == [] and (tmp_path / "b.gpkg").read_text() == "new" and not tmp.exists()
    assert signal.getsignal(signal.SIGINT) is handler


def test_stale_temps_of_every_member_are_swept(result, tmp_path):
    out = tmp_path / "run.gpkg"
    dead = 2**22 + 777  # above Linux's default pid_max: never a running process
    stale = [tmp_path / f".run.gpkg.{dead}.tmp.gpkg", tmp_path / f".run.gpkg.{dead}.tmp.gpkg-wal",
             tmp_path / f".run.qgs.{dead}.tmp.qgs", tmp_path / f".run.xlsx.{dead}.tmp.xlsx"]
    for p in stale:
        p.write_bytes(b"partial")
    outputs.write_all(result, out)
    assert not any(p.exists() for p in stale)
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# Where a set cannot go
# ---------------------------------------------------------------------------


def _unwritable(tmp_path: Path) -> dict[str, Path]:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    (tmp_path / "folder.gpkg").mkdir()
    return {
        "proc": Path("/proc/x.gpkg"),  # /proc exists but takes no new files, even as root
        "proc-subfolder": Path("/proc/pvsite_no_such_dir/x.gpkg"),
        "under-a-file": blocker / "x.gpkg",
        "is-a-folder": tmp_path / "folder.gpkg",
        "suffix": tmp_path / "x.shp",
        "semicolon": tmp_path / "a;b.gpkg",
    }


@pytest.mark.parametrize("case", ["proc", "proc-subfolder", "under-a-file", "is-a-folder", "suffix", "semicolon"])
def test_unwritable_output_is_an_output_error(tmp_path, case):
    path = _unwritable(tmp_path)[case]
    with pytest.raises(OutputError) as err:
        outputs.check_writable(path, overwrite=True)
    assert err.value.exit_code == 4
    assert "--out" in str(err.value)


def test_cli_out_in_proc_exits_4_before_the_work(footprints):
    r = CliRunner().invoke(main, ["run", "--footprints", str(footprints), "--out", "/proc/x.gpkg", "-q"])
    assert r.exit_code == 4, r.output
    assert "Cannot write in output folder /proc" in r.output
    assert "Internal error" not in r.output and "Traceback" not in r.output


def test_default_path():
    res = type("R", (), {"scope": "新华路街道 ∩ bbox 121.4,31.2", "scenario": "plan-2025"})()
    assert outputs.default_path(res, "/x/outputs") == Path("/x/outputs/pvsite_新华路街道_bbox_121.4,31.2_plan-2025.gpkg")


# ---------------------------------------------------------------------------
# The lock
# ---------------------------------------------------------------------------


def test_busy_lock_stops_with_an_output_error_naming_the_holder(result, tmp_path):
    out = tmp_path / "run.gpkg"
    with atomic.exclusive_lock(outputs.lock_path(out)):
        t0 = time.monotonic()
        with pytest.raises(OutputError) as err:
            outputs.write_all(result, out, lock_timeout_s=0.4)
        waited = time.monotonic() - t0
    msg = str(err.value)
    assert err.value.exit_code == 4
    assert f"process {os.getpid()}" in msg and "another pvsite run" in msg and "0.4 s" in msg
    assert waited >= 0.4
    assert not out.exists() and _leftovers(tmp_path) == []  # the holder removed its lock file


_RACER = textwrap.dedent("""
    import json, pickle, sys, time
    from pathlib import Path
    from pvsite import outputs
    from pvsite.outputs import xlsx

    result = pickle.loads(Path(sys.argv[1]).read_bytes())
    out, go, me = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    real = outputs._write_locked
    spans = {}

    def slow_locked(result, path, *args, **kwargs):
        spans["start"] = time.time()
        time.sleep(1.0)  # hold the lock long enough for the other run to collide
        written = real(result, path, *args, **kwargs)
        spans["end"] = time.time()
        return written

    outputs._write_locked = slow_locked
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    written = outputs.write_all(result, out, overwrite=True)
    print(json.dumps({"me": me, "set_id": written.set_id, **spans}), flush=True)
""")


@pytest.mark.slow
def test_two_processes_on_one_out_leave_one_whole_set(result, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "race.gpkg"
    pickled = tmp_path / "result.pkl"
    pickled.write_bytes(pickle.dumps(result))
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(pickled), str(out), str(go), name],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for name in ("a", "b")]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    go.touch()
    reports = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    first, last = sorted(reports, key=lambda r: r["start"])
    assert first["end"] <= last["start"], "the two writes overlapped"
    assert first["set_id"] != last["set_id"]
    # one whole set: every member from the run that wrote last
    assert _set_id_gpkg(out) == _set_id_xlsx(out.with_suffix(".xlsx")) == last["set_id"]
    assert "./race.gpkg|layername=roofs" in out.with_suffix(".qgs").read_text(encoding="utf-8")
    # the core members and the CSV twins (the report is off in this module), nothing else
    want = {outputs.member_paths(out)[m.key].name for m in outputs.MEMBERS if m.wanted is None}
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(want)
    assert {"race.gpkg", "race.qgs", "race.xlsx", "race_roofs.csv", "race_economics.csv"} <= want


def test_lock_file_of_a_killed_holder_does_not_block(tmp_path):
    lock = tmp_path / ".x.gpkg.lock"
    lock.write_text(json.dumps({"pid": 2**22 + 5, "host": "h", "since": "2020-01-01T00:00:00Z"}))
    with atomic.exclusive_lock(lock, timeout_s=0):  # a file alone is no lock: the OS released it
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


# ---------------------------------------------------------------------------
# GeoPackage
# ---------------------------------------------------------------------------


def test_gpkg_layers_fields_aliases_and_version(result, tmp_path):
    out = outputs.write_all(result, tmp_path / "run.gpkg").gpkg
    layers = {str(n) for n, _ in pyogrio.list_layers(out)}
    assert {"roofs", "streets", "district", "summary", "classification", "panels", "run_info"} <= layers
    for layer in ("roofs", "streets", "district", "summary", "classification", "panels"):
        info = pyogrio.read_info(out, layer=layer)
        assert list(info["fields"]) == schema.column_names(layer), layer
    roofs = pyogrio.read_dataframe(out, layer="roofs")
    assert len(roofs) == 12 and sorted(roofs["name"]) == sorted(f"楼{i}" for i in range(12))
    assert roofs["capacity_kw"].sum() == pytest.approx(result.roofs["capacity_kw"].sum())
    with sqlite3.connect(out) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
        titles = dict(((t, c), title) for t, c, title in con.execute(
            "SELECT table_name, column_name, title FROM gpkg_data_columns"))
    for layer in schema.LAYERS:
        for c in schema.columns(layer):
            assert titles[(layer, c.name)] == c.alias_zh


def test_write_gpkg_alone_is_atomic_and_refuses_to_clobber(result, tmp_path, monkeypatch):
    out = tmp_path / "alone.gpkg"
    args = (result.roofs, result.streets, result.summary, {"k": "v"})
    gpkg.write_gpkg(out, *args)
    assert {str(n) for n, _ in pyogrio.list_layers(out)} == {"roofs", "streets", "summary", "run_info", "layer_styles"}
    with pytest.raises(OutputError, match="already exists"):
        gpkg.write_gpkg(out, *args)
    before = _sha(out)
    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(qgis, "add_styles", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gpkg.write_gpkg(out, *args, overwrite=True)
    assert _sha(out) == before and _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# Workbook
# ---------------------------------------------------------------------------


def test_workbook_sheets_and_headers_with_units(result, tmp_path):
    path = xlsx.write_xlsx(tmp_path / "w.xlsx", result)
    sheets = pd.read_excel(path, sheet_name=None)
    # one 任务-<部门> sheet per responsible department, between the priority list and the roof list
    tasks = [n for n in sheets if n.startswith("任务-")]
    assert tasks and list(sheets) == ["汇总", "街道", "类别", "责任部门", "经济性", "进度", "优先屋顶清单", *tasks, "屋顶明细",
                                      "街道×类别", "说明", "分类统计"]
    street = sheets["街道"]
    shown = [xlsx.header(c) for c in schema.columns("summary") if c.name not in ("key",)]
    assert list(street.columns) == shown  # the code column `key` is shown by its Chinese name only
    assert "装机容量(kW)" in street.columns and "等效利用小时 [kWh/kWp]" in street.columns
    s = result.summary
    assert len(street) == int(s["level"].isin(["district", "street"]).sum())
    assert street["装机容量(kW)"].iloc[0] == pytest.approx(result.district["capacity_kw"])
    roofs = sheets["屋顶明细"]
    assert len(roofs) == len(result.roofs) > 0  # every roof, sized or not
    assert "geometry" not in roofs.columns and "usable_geometry" not in roofs.columns
    about = sheets["说明"].set_index("项目 item")["内容 value"]
    assert "输出集 output set id" not in about  # a workbook alone is no set
    assert about["范围 scope"] == result.scope
    with pytest.raises(OutputError, match="already exists"):
        xlsx.write_xlsx(path, result)


def test_workbook_strips_control_characters_the_gpkg_keeps(result, tmp_path):
    import copy

    res = copy.copy(result)
    res.roofs = result.roofs.copy()
    sized = res.roofs.index[res.roofs["capacity_kw"] > 0][0]
    res.roofs.loc[sized, "name"] = "甲\x01楼\x1f"
    written = outputs.write_all(res, tmp_path / "ctrl.gpkg")
    sheet = pd.read_excel(written.xlsx, sheet_name="屋顶明细")
    assert "甲楼" in set(sheet["名称"])
    stored = pyogrio.read_dataframe(written.gpkg, layer="roofs", read_geometry=False)
    assert "甲\x01楼\x1f" in set(stored["name"])


# ---------------------------------------------------------------------------
# Provenance and console
# ---------------------------------------------------------------------------


def test_provenance_run_info_gives_the_runs_table(result, config, footprints):
    info = result.run_info
    policy = load_preset("policy", config.policy.preset)
    table = provenance.run_info(
        config=config, footprints_path=footprints, footprints_meta=result.footprints_meta,
        synthetic=result.is_synthetic, scenario=result.scenario,
        scenario_description=result.scenario_description, policy=policy, weather_meta=result.weather_meta,
        streets_source=info["streets_source"],
        started=dt.datetime.strptime(info["created_utc"], "%Y-%m-%dT%H:%M:%SZ"),
        n_input=result.counts["input"], n_selected=result.counts["selected"],
        n_rejected=result.counts["rejected"], scope=result.scope,
        classification_report=result.classification_report, roofs=result.roofs,
        site_lat_deg=float(info["site_latitude_deg"]), site_lon_deg=float(info["site_longitude_deg"]),
    )
    assert table == {k: info[k] for k in table}
    assert {"config_toml", "footprints_sha256", "version_pvsite", "version_pvlib", "target_kw"} <= set(table)
    assert "warning" not in table and table["synthetic_sample"] == "false"
    assert provenance.versions()["pvsite"] == table["version_pvsite"]


def test_text_table_aligns_chinese_by_terminal_cells():
    rows = [["类别 class", "建筑 n"], ["公共机构 public", 219], ["x", 7]]
    lines = console.text_table(rows, right={1})
    assert lines == ["  类别 class       建筑 n",
                     "  公共机构 public     219",
                     "  x                     7"]
    assert len({console.display_width(line) for line in lines}) == 1
    assert console.display_width("公共机构") == 8 and console.display_width("ａ") == 2
    # a left-aligned last column is not padded, no line ends in a space
    left = console.text_table([["字段", "源"], ["building_id 编号", "编号"]])
    assert left == ["  字段              源", "  building_id 编号  编号"]
    assert console.text_table([]) == []
