"""pvsite as a real package: a built wheel runs from any folder.

The wheel is built from this source tree with the running interpreter's
setuptools (``pip wheel --no-deps --no-build-isolation``: no download), then
installed with ``--no-deps`` into a fresh venv that sees this interpreter's
dependencies through a ``.pth`` file (but never the source tree), and
``pvsite run`` is called in an empty folder.  This is what a planner gets from
``pip install .`` — the embedded defaults must come from the package data
(``pvsite/_defaults/``, see ``setup.py`` and ``pvsite/resources.py``), not
from ``footprints/`` and ``irradiance/`` beside a checkout.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pyogrio
import pytest

from pvsite import resources

REPO = Path(__file__).resolve().parent.parent

# Subpackages the wheel must carry (the stage layout) and data it must carry.
SUBPACKAGES = ("geo", "io", "buildings", "roofs", "solar", "planning", "economics", "outputs", "datagen", "presets")
DATA = (
    "pvsite/_defaults/footprints/sample_district.gpkg",
    "pvsite/_defaults/irradiance/shanghai_default_year.csv",
    "pvsite/presets/fields.toml",
    "pvsite/presets/policy/changning-2023.toml",
    "pvsite/presets/module/generic-550w.toml",
    "pvsite/presets/economics/shanghai-2025.toml",
)


def _can_build_wheels() -> bool:
    """setuptools ≥ 70.1 has bdist_wheel built in; older ones need the ``wheel`` package."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _clean_env(**extra: str) -> dict[str, str]:
    """Environment of the subprocesses: no PYTHONPATH, so the source tree cannot leak in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not _can_build_wheels():
        pytest.skip("no wheel builder in this interpreter (needs setuptools>=70.1 or the `wheel` "
                    "package); `pip install -e .[test]` (make setup) installs it")
    # build from a copy, so that setuptools' build/ and *.egg-info stay out of the checkout (and a stale
    # build/lib left there by someone else cannot leak into the wheel)
    src = tmp_path_factory.mktemp("src") / "pvsite-src"
    top_level_skip = {".git", ".venv", "build", "dist", "outputs", "tests", "benchmarks", ".hypothesis", ".pytest_cache"}

    def skip(folder: str, names: list[str]) -> set[str]:
        at_top = Path(folder) == REPO
        return {n for n in names if n == "__pycache__" or n.endswith(".egg-info") or (at_top and n in top_level_skip)}

    shutil.copytree(REPO, src, ignore=skip)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
        capture_output=True, text=True, env=_clean_env(), cwd=out, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would be ignored" not in proc.stdout + proc.stderr  # setuptools' package-discovery warnings
    wheels = list(out.glob("pvsite-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed and this interpreter's dependencies visible."""
    root = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=300)
    py = root / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True, env=_clean_env()).stdout.strip())
    # dependency folders of the running interpreter, never one that holds a pvsite package (the source tree)
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
            *(p for p in sys.path if Path(p).name in ("site-packages", "dist-packages"))}
    deps = sorted(p for p in here if Path(p).is_dir() and not (Path(p) / "pvsite").exists())
    (purelib / "_pvsite_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--ignore-installed",
         "--no-index", str(wheel)],
        capture_output=True, text=True, env=_clean_env(), timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


@pytest.mark.slow
def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"pvsite"}, top  # no other top-level package
    assert len(top) == 2, top  # and one pvsite-<version>.dist-info
    assert not any(n.startswith(("tests/", "benchmarks/", "scripts/", "footprints/", "irradiance/")) for n in names)
    for sub in SUBPACKAGES:
        assert f"pvsite/{sub}/__init__.py" in names, sub
    for data in DATA:
        assert data in names, data
    # the default inputs travel byte for byte
    with zipfile.ZipFile(wheel) as z:
        assert z.read("pvsite/_defaults/footprints/sample_district.gpkg") == \
            (REPO / "footprints" / "sample_district.gpkg").read_bytes()
        assert z.read("pvsite/_defaults/irradiance/shanghai_default_year.csv") == \
            (REPO / "irradiance" / "shanghai_default_year.csv").read_bytes()
    assert not any("__pycache__" in n for n in names)


@pytest.mark.slow
def test_installed_pvsite_runs_in_an_empty_folder(venv, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    py = venv / "bin" / "python"
    where = subprocess.run(
        [str(py), "-c", "import pvsite, pvsite.resources as r; "
                        "print(pvsite.__file__); print(r.SAMPLE_FOOTPRINTS); print(r.OUTPUTS_DIR); print(r.REPO_ROOT)"],
        capture_output=True, text=True, env=_clean_env(), cwd=work, timeout=120,
    )
    assert where.returncode == 0, where.stderr
    pkg_file, sample, outputs, repo_root = where.stdout.split("\n")[:4]
    # the installed package, not the source tree
    assert Path(pkg_file).resolve().is_relative_to(venv.resolve()), pkg_file
    assert not Path(pkg_file).resolve().is_relative_to(REPO), pkg_file
    assert Path(sample).resolve().is_relative_to(venv.resolve()) and "_defaults" in sample
    assert Path(outputs) == work.resolve() / "outputs" and repo_root == "None"

    proc = subprocess.run([str(venv / "bin" / "pvsite"), "run", "--overwrite", "-q"],
                          capture_output=True, text=True, env=_clean_env(), cwd=work, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = {p.name for p in (work / "outputs").iterdir()}
    assert {"pvsite_全区_plan-2025.gpkg", "pvsite_全区_plan-2025.xlsx"} <= written, written
    gpkg = work / "outputs" / "pvsite_全区_plan-2025.gpkg"
    roofs = pyogrio.read_dataframe(gpkg, layer="roofs", read_geometry=False)
    # every building of the embedded sample ends in `roofs` (3518, footprints/README.md)
    assert len(roofs) == 3518
    info = pyogrio.read_dataframe(gpkg, layer="run_info", read_geometry=False).set_index("key")["value"]
    assert info["synthetic_sample"] == "true"
    assert sorted(p.name for p in work.iterdir()) == ["outputs"]  # nothing else dropped in the folder


def test_source_tree_resources_are_the_repository_files():
    """In the checkout (editable / PYTHONPATH) the defaults are the committed files and runs write to <repo>/outputs."""
    assert resources.REPO_ROOT == REPO == resources.source_root()
    assert resources.SAMPLE_FOOTPRINTS == REPO / "footprints" / "sample_district.gpkg"
    assert resources.DEFAULT_WEATHER == REPO / "irradiance" / "shanghai_default_year.csv"
    assert resources.OUTPUTS_DIR == REPO / "outputs" == resources.outputs_dir()
    assert resources.IRRADIANCE_DIR == REPO / "irradiance"
    assert not (REPO / "pvsite" / "_defaults").exists()  # build products only, never in the tree
