"""Tests of pvsite.pipeline and the Python API: prepare once, size per scenario; the house rules.

The house rules of the architecture are checked on the source itself:
``pipeline`` functions stay a short list of stage calls, and no module outside
``io/``, ``outputs/``, ``datagen/``, the CLI and the resource locator opens a file.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pvsite
from pvsite import pipeline
from pvsite.config import Config

PACKAGE = Path(pvsite.__file__).resolve().parent
STREET = "新华路街道"


@pytest.fixture(scope="module")
def prepared():
    return pipeline.prepare(Config())


def _frame_digest(df: pd.DataFrame) -> pd.Series:
    plain = pd.DataFrame(df.drop(columns=[c for c in ("geometry", "usable_geometry") if c in df.columns]))
    return pd.util.hash_pandas_object(plain.astype(str), index=True)


def test_one_preparation_serves_every_scenario(prepared):
    """size(prepare(cfg), s) gives exactly run(cfg with scenario s), roof by roof."""
    before_roofs, before_planes = _frame_digest(prepared.roofs), _frame_digest(prepared.planes)
    for scenario in ("new-2022", "plan-2030"):
        from_prepared = pipeline.size(prepared, scenario)
        direct = pipeline.run(Config().with_overrides(policy={"scenario": scenario}))
        assert from_prepared.scenario == direct.scenario == scenario
        for col in ("capacity_kw", "annual_kwh", "n_modules", "co2_t"):
            np.testing.assert_array_equal(from_prepared.roofs[col].to_numpy(), direct.roofs[col].to_numpy())
        assert (from_prepared.roofs["status"] == direct.roofs["status"]).all()
        pd.testing.assert_frame_equal(from_prepared.summary, direct.summary)
    # sizing never writes into the preparation
    pd.testing.assert_series_equal(_frame_digest(prepared.roofs), before_roofs)
    pd.testing.assert_series_equal(_frame_digest(prepared.planes), before_planes)


def test_scenarios_differ_as_their_rules_say(prepared):
    """plan-2025 = new-2022 ∪ existing-2025 roof by roof; technical-max sizes every roof that fits."""
    new = pipeline.size(prepared, "new-2022").roofs
    existing = pipeline.size(prepared, "existing-2025").roofs
    plan = pipeline.size(prepared, "plan-2025").roofs
    np.testing.assert_allclose(plan["capacity_kw"], new["capacity_kw"] + existing["capacity_kw"])
    assert not ((new["capacity_kw"] > 0) & (existing["capacity_kw"] > 0)).any()  # is_new splits them
    tmax = pipeline.size(prepared, "technical-max").roofs
    fits = tmax["status"] != "unsuitable"  # under construction / slender crowns: modules fit, none installed
    assert (tmax.loc[fits, "n_modules"] == tmax.loc[fits, "modules_fit"]).all()
    assert (tmax.loc[~fits, "n_modules"] == 0).all() and (~fits).sum() == 4
    assert (tmax["capacity_kw"] >= plan["capacity_kw"] - 1e-9).all()


def test_compare_scenarios_is_size_per_scenario(prepared):
    table = pipeline.compare_scenarios(prepared)
    assert list(table["scenario"]) == list(prepared.policy["scenarios"])
    for _, row in table.iterrows():
        d = pipeline.size(prepared, row["scenario"]).district
        assert row["capacity_kw"] == pytest.approx(d["capacity_kw"], rel=1e-12)
        assert row["potential_x_target"] == pytest.approx(d["capacity_kw"] / 16000)


def test_street_run_equals_district_roofs(prepared):
    """A street run gives the district run's figures for that street's roofs (site, registries: whole input)."""
    street = pvsite.run(street=STREET)
    district = pipeline.size(prepared).roofs.set_index("building_id")
    mine = street.roofs.set_index("building_id")
    assert set(mine["street"]) == {STREET}
    assert len(mine) == int((district["street"] == STREET).sum())
    np.testing.assert_array_equal(mine["capacity_kw"].to_numpy(), district.loc[mine.index, "capacity_kw"].to_numpy())
    # Shading is on by default: the neighbours outside the street are classified too (pipeline._obstructions),
    # so they stand as high as in the district run and every roof keeps the district figure.
    np.testing.assert_allclose(mine["annual_kwh"].to_numpy(), district.loc[mine.index, "annual_kwh"].to_numpy(),
                               rtol=1e-12)
    assert street.scope == STREET and street.district["key"] == STREET


def test_api_shortcuts_reach_the_config(tmp_path):
    cfg = pvsite.configure(scenario="technical-max", footprints=Path("x.gpkg"), panels=False,
                           mounting={"flat_tilt_deg": 15.0}, datum=None)
    assert cfg.policy.scenario == "technical-max"
    assert cfg.input.footprints == "x.gpkg"
    assert cfg.output.panels is False
    assert cfg.mounting.flat_tilt_deg == 15.0
    assert cfg.input.datum == "wgs84"  # None is "not given"
    toml = tmp_path / "c.toml"
    toml.write_text('[mounting]\nflat_tilt_deg = 12\n', encoding="utf-8")
    cfg = pvsite.configure(toml, scenario="plan-2030")
    assert (cfg.mounting.flat_tilt_deg, cfg.policy.scenario) == (12.0, "plan-2030")


def test_api_write_writes_the_set(tmp_path):
    result = pvsite.run(street="华阳路街道", panels=False)
    written = pvsite.write(result, tmp_path / "hy.gpkg")
    assert written.gpkg == tmp_path / "hy.gpkg"
    for path in (written.gpkg, written.qgs, written.xlsx):
        assert path.is_file(), path
    assert len(written.set_id) >= 32
    from pvsite.errors import OutputError

    with pytest.raises(OutputError, match="--overwrite"):
        pvsite.write(result, tmp_path / "hy.gpkg")


def test_prepared_roofs_let_go_of_the_usable_polygons(monkeypatch, tmp_path):
    """prepare drops the intermediate usable polygons (issue #15: ≈ 60 MB of 100,000 roofs' 0.4 GB); keeping them
    changes no output (every GeoPackage layer, the roofs CSV), and Prepared.usable_roofs rebuilds them exactly."""
    import pyogrio
    import shapely

    selection, cfg = pipeline.Selection(street="华阳路街道"), pvsite.configure(report=False)
    slim = pipeline.prepare(cfg, selection)
    assert pipeline.INTERMEDIATE_COLUMNS == ("usable_geometry",)
    assert not set(pipeline.INTERMEDIATE_COLUMNS) & set(slim.roofs.columns)
    monkeypatch.setattr(pipeline, "_without_intermediates", lambda surveyed: surveyed)
    kept = pipeline.prepare(cfg, selection)
    assert "usable_geometry" in kept.roofs.columns and kept.roofs["usable_geometry"].notna().sum() > 100
    pd.testing.assert_frame_equal(pd.DataFrame(kept.roofs.drop(columns="usable_geometry")), pd.DataFrame(slim.roofs))
    pd.testing.assert_frame_equal(kept.planes, slim.planes)
    a, b = np.asarray(kept.roofs["usable_geometry"].array), np.asarray(slim.usable_roofs()["usable_geometry"].array)
    assert np.array_equal(shapely.is_missing(a), shapely.is_missing(b))
    assert shapely.equals_exact(a[~shapely.is_missing(a)], b[~shapely.is_missing(b)], 0.0).all()
    paths = []
    for prepared, name in ((kept, "kept"), (slim, "slim")):
        result = pipeline.size(prepared)
        paths.append(pvsite.write(result, tmp_path / name / "hy.gpkg").gpkg)
    layers = [str(layer) for layer, _ in pyogrio.list_layers(paths[0])]
    assert "roofs" in layers and "horizons" in layers
    for layer in set(layers) - {"run_info", "layer_styles"}:  # run_info: the set's id and time
        pd.testing.assert_frame_equal(pyogrio.read_dataframe(paths[0], layer=layer),
                                      pyogrio.read_dataframe(paths[1], layer=layer))
    assert (paths[0].parent / "hy_roofs.csv").read_bytes() == (paths[1].parent / "hy_roofs.csv").read_bytes()


# --- house rules --------------------------------------------------------------------------

def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _body_lines(fn: ast.FunctionDef) -> int:
    """Lines of a function body, without its docstring."""
    body = fn.body[1:] if (fn.body and isinstance(fn.body[0], ast.Expr)
                           and isinstance(getattr(fn.body[0], "value", None), ast.Constant)) else fn.body
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_pipeline_reads_like_the_diagram():
    fns = _functions(PACKAGE / "pipeline.py")
    for name in ("prepare", "size", "run"):
        assert _body_lines(fns[name]) <= 30, f"pipeline.{name} has {_body_lines(fns[name])} lines of body"
    # no physics and no file access in the pipeline: it imports stages, not numerical or IO libraries
    tree = ast.parse((PACKAGE / "pipeline.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"numpy", "shapely", "pvlib", "pyogrio", "fiona", "rasterio", "os", "json"}, imported
    assert not _file_calls(PACKAGE / "pipeline.py")


#: Calls that open a file (reading or writing).
_FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "read_file", "to_file",
               "read_dataframe", "write_dataframe", "read_arrow", "open_arrow", "read_csv", "to_csv", "read_excel",
               "to_excel", "read_parquet", "to_parquet", "list_layers", "read_info", "mkstemp", "ExcelWriter",
               "read_epw", "iterdir", "unlink", "mkdir",
               # names that are file calls only on a module such as os, json, sqlite3 (not DataFrame.rename)
               "replace", "rename", "load", "dump", "connect", "glob"}
_MODULE_ONLY = {"replace", "rename", "load", "dump", "connect", "glob"}
#: Where files may be opened: the IO and output layers, the data generators, the CLI, the resource locator.
_ALLOWED = ("io/", "outputs/", "datagen/", "cli.py", "resources.py", "__main__.py")


def _file_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in _FILE_CALLS:
                # str.replace / dict.update-like false positives: only calls that look like file use
                if name in _MODULE_ONLY and not _looks_like_io(f):
                    continue
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}()")
    return found


def _looks_like_io(func) -> bool:
    """``os.replace``, ``tomllib.load``, ``json.dump``, ``sqlite3.connect``, ``Path.glob`` ..."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id in ("os", "tomllib", "json", "sqlite3", "pickle", "shutil", "glob")
    return False


def test_only_io_outputs_and_datagen_open_files():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(_ALLOWED) or rel in _ALLOWED:
            continue
        offenders += _file_calls(path)
    assert not offenders, "files opened outside io/, outputs/, datagen/, the CLI:\n" + "\n".join(offenders)


def test_a_run_never_imports_datagen():
    import subprocess
    import sys

    code = ("import sys, pvsite; r = pvsite.run(street='华阳路街道', panels=False); "
            "print(sorted(m for m in sys.modules if m.startswith('pvsite.datagen')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_cli_output_into_a_closed_pipe_is_not_an_error():
    """`pvsite streets | head -1` ends quietly with exit 0, not an internal error."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "pvsite", "streets"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert first.decode().strip().endswith(("街道", "镇"))
    assert "Internal error" not in err and "Traceback" not in err


def test_grid_north_is_computed_once_per_run(monkeypatch):
    """The run's one frame: Located.north_deg serves the planes, the roof surface and the horizons."""
    from pvsite.roofs import orientation

    real, calls = orientation.grid_north_bearing_deg, []

    def counted(gdf):
        calls.append(len(gdf))
        return real(gdf)

    for mod in [m for name, m in sys.modules.items() if name.startswith("pvsite")]:
        if getattr(mod, "grid_north_bearing_deg", None) is real:
            monkeypatch.setattr(mod, "grid_north_bearing_deg", counted)
    p = pipeline.prepare(Config())
    assert p.config.shading.enabled and p.horizons is not None  # the horizons stage ran
    assert len(calls) == 1, calls
