"""scripts/apt_install.sh: install missing Debian packages, or skip visibly (exit 2) — never fail the build.

The scripts run against stand-in ``dpkg-query`` / ``apt-get`` on PATH, so no test
touches the real package database or the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "apt_install.sh"
#: what the scripts call besides the stand-ins (linked into a PATH without apt-get)
TOOLS = ("bash", "id", "grep", "date", "mktemp", "tail", "rm", "dirname", "cat")


def _stub(d: Path, name: str, body: str) -> None:
    (d / name).write_text("#!/bin/sh\n" + body + "\n")
    (d / name).chmod(0o755)


def _bin(tmp_path, *, apt: str | None, installed: bool = False) -> dict:
    """Environment whose PATH holds only TOOLS, a dpkg-query stand-in and (when given) an apt-get stand-in."""
    d = tmp_path / "bin"
    d.mkdir()
    for t in TOOLS:
        (d / t).symlink_to(shutil.which(t))
    _stub(d, "dpkg-query", "echo 'install ok installed'" if installed else "exit 1")
    if apt is not None:
        _stub(d, "apt-get", apt)
    return {"PATH": str(d), "HOME": str(tmp_path)}


def _run(env, *args):
    return subprocess.run([shutil.which("bash"), str(SCRIPT), "--tag", "t", "--note", "tests skip", *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_all_installed_does_nothing(tmp_path):
    r = _run(_bin(tmp_path, apt=f"touch {tmp_path}/ran; exit 0", installed=True), "pkg-a", "pkg-b")
    assert r.returncode == 0 and "pkg-a pkg-b already installed" in r.stdout
    assert not (tmp_path / "ran").exists()


def test_dry_run_lists_the_commands_and_runs_no_apt(tmp_path):
    r = _run(_bin(tmp_path, apt=f"touch {tmp_path}/ran; exit 0"), "--dry-run", "pkg-a")
    assert r.returncode == 0, r.stderr
    assert "dry run: missing pkg-a" in r.stdout
    assert "apt-get install -y -qq --no-install-recommends pkg-a" in r.stdout
    assert not (tmp_path / "ran").exists()


def test_installs_the_missing_packages(tmp_path):
    r = _run(_bin(tmp_path, apt=f'echo "$@" >> {tmp_path}/calls'), "pkg-a")
    assert r.returncode == 0 and "installed pkg-a" in r.stdout
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == "update -qq" and calls[1].endswith("--no-install-recommends pkg-a")


@pytest.mark.parametrize("apt, reason", [
    (None, "apt-get not found"),
    ("echo 'E: could not resolve host' >&2; exit 100", "apt-get update failed (no network?)"),
    ('[ "$1" = update ] && exit 0; exit 100', "apt-get install failed"),
])
def test_skips_with_a_visible_reason_and_exit_2(tmp_path, apt, reason):
    r = _run(_bin(tmp_path, apt=apt), "pkg-a")
    assert r.returncode == 2
    assert f"t: SKIPPED — {reason}" in r.stdout and "(tests skip)" in r.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="tests the root path (no sudo needed)")
@pytest.mark.parametrize("script, note", [("install_qgis.sh", "QGIS tests will be skipped"),
                                          ("install_browser.sh", "browser tests will be skipped")])
def test_callers_exit_0_and_say_why_when_apt_fails(tmp_path, script, note):
    env = _bin(tmp_path, apt="echo 'E: could not resolve host' >&2; exit 100")
    # a PATH without fc-list / chromium, and an interpreter that cannot import qgis, so both scripts try apt
    env["PYQGIS_PYTHON"] = str(tmp_path / "nopython")
    r = subprocess.run([shutil.which("bash"), str(REPO / "scripts" / script)], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0
    assert "SKIPPED — apt-get update failed (no network?)" in r.stdout and note in r.stdout


@pytest.mark.parametrize("script", ["apt_install.sh", "install_qgis.sh", "install_browser.sh"])
def test_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(REPO / "scripts" / script)]).returncode == 0
