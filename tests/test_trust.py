"""Trust: nothing lost, atomic output, deterministic results, fuzzed text.

* Nothing lost — every input row ends in ``roofs``; rejected rows also in
  ``rejected`` with a reason; the counts are in ``run_info``.
* Atomic output — a run SIGKILLed while writing leaves the previous output
  set (.gpkg, .qgs, .xlsx) intact and readable; its temporary file stays (a
  killed process cannot clean up) and the next run to that output removes it.
* Deterministic — two runs give identical tables (apart from
  ``created_utc``); shuffling the input rows changes nothing.
* Fuzzing — names, uses and street names with XML/HTML specials, emoji,
  control characters, very long and GBK-only text never crash a run, round
  trip into the GeoPackage, and every stored QML style and the ``.qgs``
  project stay well-formed XML.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pvsite import pipeline
from pvsite import outputs
from pvsite.cli import main
from pvsite.config import Config
from pvsite.resources import SAMPLE_FOOTPRINTS

REPO = Path(__file__).resolve().parent.parent

#: South-west corner of the generated blocks (inside Changning) [°]; one block = 0.001° ≈ 95–110 m.
LON0, LAT0 = 121.4200, 31.2100
#: Side of a generated building [°] (≈ 28.5 m × 33.3 m).
D = 0.0003

FUZZ_SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _config(path: Path, layer: str | None = None) -> Config:
    inp = {"footprints": str(path)}
    if layer:
        inp["layer"] = layer
    return Config().with_overrides(input=inp)


def _streets() -> gpd.GeoDataFrame:
    """Two street polygons splitting the generated blocks at x = 5 blocks."""
    a = shapely.box(LON0 - 0.0005, LAT0 - 0.0005, LON0 + 0.0045, LAT0 + 0.0035)
    b = shapely.box(LON0 + 0.0045, LAT0 - 0.0005, LON0 + 0.0105, LAT0 + 0.0035)
    return gpd.GeoDataFrame({"name": ["甲街道", "乙街道"]}, geometry=[a, b], crs="EPSG:4326")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# 1. Nothing lost
# ---------------------------------------------------------------------------

#: Geometry kinds: whether pvsite must reject the row.
KINDS = {
    "valid": False, "invalid": False, "multi": False, "collection": False, "tiny": False,
    "duplicate": False, "empty": True, "none": True, "point": True, "line": True, "zero_area": True,
}


def _geometry(kind: str, i: int):
    x, y = LON0 + (i % 10) * 0.001, LAT0 + (i // 10) * 0.001
    if kind in ("valid", "duplicate"):  # a duplicate repeats block 0 exactly
        x, y = (LON0, LAT0) if kind == "duplicate" else (x, y)
        return shapely.box(x, y, x + D, y + D)
    if kind == "invalid":  # bow-tie: repairable
        return shapely.Polygon([(x, y), (x + D, y + D), (x + D, y), (x, y + D), (x, y)])
    if kind == "multi":
        return shapely.MultiPolygon([shapely.box(x, y, x + D, y + D),
                                     shapely.box(x + 2 * D, y, x + 2.5 * D, y + D / 2)])
    if kind == "collection":
        return shapely.GeometryCollection([shapely.Point(x, y), shapely.box(x, y, x + D, y + D)])
    if kind == "tiny":  # ≈ 0.1 m × 0.1 m: a valid polygon with no usable roof
        return shapely.box(x, y, x + 1e-6, y + 1e-6)
    if kind == "empty":
        return shapely.Polygon()
    if kind == "none":
        return None
    if kind == "point":
        return shapely.Point(x, y)
    if kind == "line":
        return shapely.LineString([(x, y), (x + D, y + D)])
    if kind == "zero_area":
        return shapely.Polygon([(x, y), (x + D, y), (x + 2 * D, y), (x, y)])
    raise AssertionError(kind)


@st.composite
def footprint_sets(draw):
    kinds = ["valid"] + draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=0, max_size=29))
    order = draw(st.permutations(range(len(kinds))))
    kinds = [kinds[j] for j in order]  # the guaranteed valid building can be anywhere
    ids = draw(st.sampled_from(["unique", "repeated", "some-missing"]))
    with_streets = draw(st.booleans())
    return kinds, ids, with_streets


def _write_footprints(path: Path, kinds: list[str], ids: str, with_streets: bool) -> None:
    n = len(kinds)
    if ids == "unique":
        id_values = [f"B{i}" for i in range(n)]
    elif ids == "repeated":
        id_values = [f"B{i % 3}" for i in range(n)]
    else:
        id_values = [None if i % 4 == 1 else f"B{i}" for i in range(n)]
    uses = ["学校", "工厂", "办公", "住宅"]
    gdf = gpd.GeoDataFrame(
        {"编号": id_values, "用途": [uses[i % 4] for i in range(n)]},
        geometry=gpd.GeoSeries([_geometry(k, i) for i, k in enumerate(kinds)]), crs="EPSG:4326",
    )
    pyogrio.write_dataframe(gdf, path, layer="buildings", geometry_type="Unknown")
    if with_streets:
        pyogrio.write_dataframe(_streets(), path, layer="streets")


def _covered_duplicates(kinds: list[str]) -> np.ndarray:
    """Rows that repeat block 0 under a footprint that ranks before them (pvsite.buildings.overlaps).

    A ``duplicate`` row is block 0's box; it is a duplicate (no PV, status rejected) when another
    footprint covers it and ranks first: larger (the ``multi`` shape of row 0), or as large
    and earlier (block 0's ``valid`` or ``collection`` box, or an earlier ``duplicate``).
    """
    first = kinds[0] if kinds else None
    out = np.zeros(len(kinds), dtype=bool)
    for r, kind in enumerate(kinds):
        if kind != "duplicate":
            continue
        covered_by_larger = first == "multi" and r != 0
        covered_by_earlier = any(kinds[q] == "duplicate" for q in range(r)) or (
            r != 0 and first in ("valid", "collection"))
        out[r] = covered_by_larger or covered_by_earlier
    return out


@pytest.mark.slow
@FUZZ_SETTINGS
@given(footprint_sets())
def test_every_input_row_is_accounted_for(case):
    kinds, ids, with_streets = case
    n = len(kinds)
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "fp.gpkg"
        _write_footprints(src, kinds, ids, with_streets)
        # layer given: with mixed geometry types the layer is 'Unknown'-typed and the automatic
        # choice takes the only POLYGON layer, `streets` (catalogue case generic-geometry-layer)
        result = pipeline.run(_config(src, layer="buildings"))
        roofs = result.roofs
        # every row, once
        assert len(roofs) == n
        assert sorted(roofs["source_row"]) == list(range(n))
        assert roofs["building_id"].is_unique
        # rejected exactly where the geometry cannot be used, each with a reason
        by_row = roofs.set_index("source_row")
        must_reject = np.array([KINDS[k] for k in kinds]) | _covered_duplicates(kinds)
        rejected = (by_row.sort_index()["status"] == "rejected").to_numpy()
        assert (rejected == must_reject).all(), list(zip(kinds, by_row.sort_index()["status"]))
        assert by_row.loc[rejected, "reject_reason"].notna().all()
        assert sorted(result.rejected["source_row"]) == list(np.flatnonzero(must_reject))
        assert result.rejected["reject_reason"].notna().all()
        assert result.run_info["n_input_features"] == str(n)
        assert result.run_info["n_rejected"] == str(int(must_reject.sum()))
        # ... and the same in the written file
        out = Path(d) / "out.gpkg"
        outputs.write(result, out)
        assert len(pyogrio.read_dataframe(out, layer="roofs", read_geometry=False)) == n
        if must_reject.any():
            assert len(pyogrio.read_dataframe(out, layer="rejected", read_geometry=False)) == must_reject.sum()


# ---------------------------------------------------------------------------
# 2. Atomic output
# ---------------------------------------------------------------------------


def _default_sigint() -> None:
    # the run as from a terminal: a shell starts a background job (`make test &`) with SIGINT ignored, and
    # the children would inherit that (POSIX keeps an ignored signal ignored across exec)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run_subprocess(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pvsite", "run", "--out", str(out), "-q", *extra]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)


def _interrupt_while_writing(out: Path, sig: int) -> tuple[subprocess.Popen, Path | None]:
    """Start an --overwrite run and send ``sig`` once its temp file holds data."""
    pattern = f".{out.name}.*.tmp.gpkg"
    before = set(out.parent.glob(pattern))
    proc = _run_subprocess(out, "--overwrite")
    seen = None
    while proc.poll() is None:
        new = [p for p in out.parent.glob(pattern) if p not in before]
        if new and new[0].stat().st_size > 0:
            seen = new[0]
            os.kill(proc.pid, sig)
            break
        time.sleep(0.002)
    proc.wait(timeout=120)
    return proc, seen


def _roofs_table(path: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer="roofs").sort_values("building_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory):
    """A complete earlier run of the whole sample district."""
    out = tmp_path_factory.mktemp("atomic") / "district.gpkg"
    proc = _run_subprocess(out)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    return out


@pytest.mark.slow
def test_sigkill_while_writing_keeps_previous_output(previous_output):
    out = previous_output
    digest, roofs = _sha256(out), _roofs_table(out)
    qgs_digest, xlsx_digest = _sha256(out.with_suffix(".qgs")), _sha256(out.with_suffix(".xlsx"))
    for _ in range(3):  # the write window is ≈ 0.1 s of a ≈ 2.5 s run; 2 ms polling catches it
        proc, tmp = _interrupt_while_writing(out, signal.SIGKILL)
        if tmp is not None:
            break
    assert tmp is not None, "never saw the temporary output file"
    assert proc.returncode == -signal.SIGKILL
    # the previous output is untouched and readable
    assert _sha256(out) == digest and _sha256(out.with_suffix(".qgs")) == qgs_digest
    assert _sha256(out.with_suffix(".xlsx")) == xlsx_digest
    pd.testing.assert_frame_equal(_roofs_table(out), roofs)
    # a SIGKILLed process cannot clean up: its temp file stays ...
    assert tmp.exists()
    # ... until the next run to the same output removes it
    result = CliRunner().invoke(main, ["run", "--out", str(out), "--overwrite", "-q"])
    assert result.exit_code == 0, result.output
    assert not tmp.exists()
    assert not list(out.parent.glob(f".{out.name}.*.tmp*"))
    assert not list(out.parent.glob(".*.tmp*")) and not list(out.parent.glob(".*.lock"))
    pd.testing.assert_frame_equal(_roofs_table(out), roofs)


@pytest.mark.slow
def test_sigint_while_writing_cleans_up(previous_output):
    out = previous_output
    digests = [_sha256(out.with_suffix(s)) for s in (".gpkg", ".qgs", ".xlsx")]
    for _ in range(3):
        proc, tmp = _interrupt_while_writing(out, signal.SIGINT)
        if tmp is not None:
            break
    assert tmp is not None, "never saw the temporary output file"
    err = proc.stderr.read().decode()
    why = f"exit {proc.returncode}, stderr: {err[-2000:]}"  # named in a failure
    assert proc.returncode != 0, why
    assert "Traceback" not in err, why
    assert not tmp.exists(), why  # KeyboardInterrupt: write_all removed its temp files
    assert not list(out.parent.glob(".*.tmp*")), why
    assert [_sha256(out.with_suffix(s)) for s in (".gpkg", ".qgs", ".xlsx")] == digests, why


def test_stale_temp_of_a_live_process_is_left_alone(tmp_path):
    out = tmp_path / "x.gpkg"
    live = tmp_path / f".x.gpkg.{os.getppid()}.tmp.gpkg"  # the parent process runs
    dead_pid = 2**22 + 12345  # above Linux's default pid_max (4194304): never a running process
    dead = tmp_path / f".x.gpkg.{dead_pid}.tmp.gpkg"
    dead_qgs = tmp_path / f".x.qgs.{dead_pid}.tmp.qgs"
    dead_journal = tmp_path / f".x.gpkg.{dead_pid}.tmp.gpkg-journal"  # SQLite's rollback journal
    other = tmp_path / f".xy.gpkg.{dead_pid}.tmp.gpkg"  # another output's temp file
    mine = tmp_path / f".x.gpkg.{os.getpid()}.tmp.gpkg"  # this process's own (write_all handles it)
    for p in (live, dead, dead_qgs, dead_journal, other, mine):
        p.write_bytes(b"partial")
    assert sorted(outputs.remove_stale_temps(out)) == sorted([dead, dead_qgs, dead_journal])
    assert live.exists() and other.exists() and mine.exists()
    assert not dead.exists() and not dead_qgs.exists() and not dead_journal.exists()


# ---------------------------------------------------------------------------
# 3. Deterministic
# ---------------------------------------------------------------------------

LAYERS = ("roofs", "streets", "summary", "rejected", "district", "classification")


def _layers(path: Path) -> dict[str, pd.DataFrame]:
    names = {str(n) for n, _ in pyogrio.list_layers(path)}
    return {name: pyogrio.read_dataframe(path, layer=name) for name in LAYERS if name in names}


def _styles(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute(
            "SELECT f_table_name, styleName, styleQML FROM layer_styles ORDER BY f_table_name, styleName"
        ).fetchall()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("determinism")
    outs = []
    for k in range(2):
        result = pipeline.run(Config())
        outs.append(outputs.write(result, d / f"run{k}.gpkg").gpkg)
    return outs


@pytest.mark.slow
def test_two_runs_write_identical_tables(two_runs):
    a, b = two_runs
    la, lb = _layers(a), _layers(b)
    assert la.keys() == lb.keys() and {"roofs", "summary"} <= la.keys()
    for name in la:
        pd.testing.assert_frame_equal(la[name], lb[name], check_exact=True, obj=name)
    ia = pyogrio.read_dataframe(a, layer="run_info").set_index("key")["value"]
    ib = pyogrio.read_dataframe(b, layer="run_info").set_index("key")["value"]
    assert set(ia.index) == set(ib.index)
    differ = sorted(k for k in ia.index if ia[k] != ib[k])
    # each write is its own output set (a fresh id); the time may tick between the runs
    assert set(differ) - {"created_utc", "output_set_created_utc"} == {"output_set_id"}
    assert _styles(a) == _styles(b)


@pytest.mark.slow
def test_results_do_not_depend_on_feature_order(two_runs, tmp_path):
    shuffled = tmp_path / "shuffled.gpkg"
    bld = pyogrio.read_dataframe(SAMPLE_FOOTPRINTS, layer="buildings")
    perm = np.random.default_rng(20240601).permutation(len(bld))
    assert (perm != np.arange(len(bld))).mean() > 0.99
    pyogrio.write_dataframe(bld.iloc[perm].reset_index(drop=True), shuffled, layer="buildings")
    for name, _ in pyogrio.list_layers(SAMPLE_FOOTPRINTS):
        if name != "buildings":
            pyogrio.write_dataframe(pyogrio.read_dataframe(SAMPLE_FOOTPRINTS, layer=name), shuffled, layer=name)
    result = pipeline.run(_config(shuffled))
    out = outputs.write(result, tmp_path / "shuffled_out.gpkg").gpkg
    base, other = _layers(two_runs[0]), _layers(out)

    def by_id(df):
        return df.drop(columns=["source_row"]).sort_values("building_id").reset_index(drop=True)

    ra, rb = by_id(base["roofs"]), by_id(other["roofs"])
    assert len(ra) == len(bld)
    # the rows moved: source_row follows the permutation
    moved = other["roofs"].set_index("building_id")["source_row"]
    orig = base["roofs"].set_index("building_id")["source_row"]
    assert (np.argsort(perm)[orig.to_numpy()] == moved.reindex(orig.index).to_numpy()).all()
    pd.testing.assert_frame_equal(ra, rb, check_exact=False, rtol=1e-9, atol=1e-9)

    def keyed(df):
        return df.sort_values(["level", "key"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(keyed(base["summary"]), keyed(other["summary"]),
                                  check_exact=False, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------
# 4. Fuzzing text
# ---------------------------------------------------------------------------

SPECIALS = [
    "<", ">", "&", '"', "'", "&amp;", "<b>楼</b>", "]]>", "<!--", "' OR 1=1 --", "%s%n", "{0}",
    "🌞光伏🏭", "\u200b", "\u202e反向", "a\tb", "line1\nline2", "\r", "\x01\x02\x1f", "\x7f",
    "GBK专有：堃喆镕昇犇淼〇", "€", "ｆｕｌｌｗｉｄｔｈ", " ", "", "x" * 3000, "长宁" * 700,
]
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
FUZZ_TEXT = st.one_of(st.sampled_from(SPECIALS), st.text(_chars, max_size=40),
                      st.text(_chars, min_size=500, max_size=2000))


@st.composite
def fuzz_district(draw):
    n = draw(st.integers(1, 6))
    names = draw(st.lists(FUZZ_TEXT, min_size=n, max_size=n))
    uses = draw(st.lists(st.one_of(FUZZ_TEXT, st.sampled_from(["学校", "工厂", "政府"])), min_size=n, max_size=n))
    streets = draw(st.lists(FUZZ_TEXT.filter(lambda s: s.strip() != ""), min_size=2, max_size=2, unique=True))
    stem = draw(st.text(st.sampled_from(list("ab<>&\"' 长宁🌞#%[]{}$")), min_size=1, max_size=12))
    return names, uses, streets, stem


def _parse_all_xml(out: Path) -> int:
    """Parse every stored QML style and the .qgs project; return the number of documents."""
    n = 0
    with sqlite3.connect(out) as con:
        for table, name, qml in con.execute("SELECT f_table_name, styleName, styleQML FROM layer_styles"):
            ET.fromstring(qml)  # raises ParseError when not well-formed
            n += 1
    ET.parse(out.with_suffix(".qgs"))
    return n + 1


def _special_examples(f):
    """Every special string at least once, as names, uses and street names."""
    for k in range(0, len(SPECIALS), 6):
        chunk = SPECIALS[k:k + 6]
        streets = [s for s in chunk if s.strip()][:2]
        if len(streets) < 2:
            streets = ["<&>", "🌞\u202e"]
        f = example((chunk, list(reversed(chunk)), streets, "<&\"'>"))(f)
    return f


@pytest.mark.slow
@FUZZ_SETTINGS
@_special_examples
@given(fuzz_district())
def test_fuzzed_text_never_breaks_a_run(district):
    names, uses, streets, stem = district
    n = len(names)
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "fuzz.gpkg"
        gdf = gpd.GeoDataFrame({"名称": names, "用途": uses},
                               geometry=[shapely.box(LON0 + i * 0.001, LAT0, LON0 + i * 0.001 + D, LAT0 + D)
                                         for i in range(n)], crs="EPSG:4326")
        pyogrio.write_dataframe(gdf, src, layer="buildings")
        st_gdf = _streets()
        st_gdf["name"] = streets
        pyogrio.write_dataframe(st_gdf, src, layer="streets")
        out = Path(d) / f"{stem}.gpkg"
        result = CliRunner().invoke(main, ["run", "--footprints", str(src), "--out", str(out), "-q"])
        assert result.exit_code == 0, result.output
        roofs = pyogrio.read_dataframe(out, layer="roofs").sort_values("source_row")
        assert len(roofs) == n
        # text round-trips (blank text is read as missing, surrounding spaces are stripped)
        expected = [s.strip() or None for s in names]
        got = [None if pd.isna(v) else v for v in roofs["name"]]
        assert got == expected
        # the street names reach the rollup unchanged
        keys = set(pyogrio.read_dataframe(out, layer="summary", read_geometry=False)["key"])
        assert str(roofs["street"].iloc[0]) in set(streets) and roofs["street"].iloc[0] in keys
        assert _parse_all_xml(out) >= 5


@pytest.mark.slow
@FUZZ_SETTINGS
@given(st.lists(st.text(st.characters(codec="gbk", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
                .map(lambda s: s + "堃"), min_size=1, max_size=4))
def test_gbk_shapefile_text_round_trips(names):
    """GBK text in a Shapefile (.cpg GBK), including characters outside GB2312 such as 堃."""
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "gbk.shp"
        gdf = gpd.GeoDataFrame({"NAME": names},
                               geometry=[shapely.box(LON0 + i * 0.001, LAT0, LON0 + i * 0.001 + D, LAT0 + D)
                                         for i in range(len(names))], crs="EPSG:4326")
        pyogrio.write_dataframe(gdf, src, encoding="GBK")
        assert src.with_suffix(".cpg").read_text().strip().upper() in ("GBK", "CP936", "936")
        result = pipeline.run(_config(src))
        got = result.roofs.sort_values("source_row")["name"].tolist()
        assert got == [s.strip() or None for s in names]


def test_stale_xlsx_temp_of_a_dead_process_is_removed(tmp_path):
    dead_pid = 2**22 + 54321  # above Linux's default pid_max: never a running process
    stale = tmp_path / f".x.xlsx.{dead_pid}.tmp.xlsx"
    stale.write_bytes(b"partial")
    removed = outputs.remove_stale_temps(tmp_path / "x.gpkg")
    assert stale in removed and not stale.exists()
