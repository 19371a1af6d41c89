"""The README's measured blocks are regenerated from real runs, never typed: fail when stale."""

import importlib.util
import re
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def updater(repo_root):
    spec = importlib.util.spec_from_file_location("update_readme", repo_root / "scripts" / "update_readme.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_opens_with_the_two_commands(repo_root):
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    assert first_block.splitlines()[0].startswith("make run")
    assert first_block.splitlines()[1].startswith("make test")
    ci = (repo_root / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.parametrize("block", [pytest.param("district", marks=pytest.mark.slow), "streets",
                                   pytest.param("scenarios", marks=pytest.mark.slow), "columns"])
def test_measured_blocks_are_current(updater, repo_root, block):
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- pvsite:begin {block} -->\n(.*?)<!-- pvsite:end {block} -->", text, re.S)
    assert m, f"README lacks the {block} block"
    assert m.group(1) == updater.BLOCKS[block]() + "\n", (
        f"README block '{block}' is stale: run .venv/bin/python scripts/update_readme.py"
    )


def test_street_run_matches_district_row(updater):
    from pvsite.config import Config
    from pvsite.pipeline import Selection, run

    district = updater.district_run()
    street = run(Config(), Selection(street="新华路街道"))
    row = district.summary[(district.summary.level == "street") & (district.summary.key == "新华路街道")].iloc[0]
    assert street.district.capacity_kw == pytest.approx(row.capacity_kw, rel=1e-12)
    assert street.district.annual_mwh == pytest.approx(row.annual_mwh, rel=1e-12)
    assert street.district.n_buildings == row.n_buildings


def test_module_tree_matches_the_package():
    """The README's module tree names every module of pvsite/, each in its subpackage, and no other."""
    import pvsite

    package = Path(pvsite.__file__).resolve().parent
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    m = re.search(r"The directory listing is the pipeline.*?```\n(.*?)```", text, re.S)
    assert m, "README lacks the module tree"
    listed, sub = set(), ""
    for line in m.group(1).splitlines():
        head = re.match(r"^(?:pvsite/|  ([a-z]+)/)", line)
        if head:
            sub = head.group(1) or ""
        for name in re.findall(r"([a-z_]+)\.py\b", line):
            listed.add(f"{sub}/{name}.py" if sub else f"{name}.py")
    actual = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
              if p.name not in ("__main__.py",) and "presets" not in p.parts
              and not (p.name == "__init__.py" and p.parent == package)}
    actual = {a for a in actual if not (a.endswith("/__init__.py") and (package / a).stat().st_size == 0)}
    assert listed - actual == set(), f"README lists modules that do not exist: {sorted(listed - actual)}"
    assert actual - listed == set(), f"modules missing from the README tree: {sorted(actual - listed)}"
