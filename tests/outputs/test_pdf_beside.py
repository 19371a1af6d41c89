"""The PDF is printed beside the other members of the output set, and never leaves a half set.

:func:`pvsite.outputs.write_all` starts Chromium in a background thread as soon as the HTML report is
complete and writes the GeoPackage, workbook and CSVs meanwhile.  These tests drive the whole writer on a
small real run with a fake ``chromium`` (a shell script: it prints a stand-in PDF, fails, or hangs with a
child of its own) and once with the real one: the print overlaps the GeoPackage (observed through hooks,
not wall time), a failing or hanging print is the same :class:`~pvsite.errors.OutputError` raised in the
main thread with the previous set intact and no temporary file, and a Ctrl-C during another member kills
Chromium's whole process group.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pvsite import outputs
from pvsite.errors import OutputError
from pvsite.io import atomic
from pvsite.outputs import gpkg, report, xlsx
from report_fixtures import small_result

#: A fake Chromium that prints a stand-in PDF to its --print-to-pdf= argument.
PRINTS = """\
for a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; esac; done
printf '%%PDF-fake' > "$out"
"""
#: Longest any hook of these tests waits for the other thread [s] (a bound on a hang, not a timing).
WAIT_S = 60.0


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return small_result(tmp_path_factory.mktemp("pdf-beside"))


def _chromium(folder: Path, body: str) -> Path:
    fake = folder / "fake-chromium"
    fake.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    fake.chmod(0o755)
    return fake


def _use(monkeypatch, fake: Path) -> None:
    """Make ``fake`` the Chromium pvsite finds (the PDF is then wanted, whatever this machine has)."""
    monkeypatch.setattr(report, "find_chromium", lambda: str(fake))


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in outputs.member_paths(out).values() if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    """Hidden files a write may leave: temporary files, probes, locks."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, which this container's init may not reap, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _gone(pids, within_s: float = 10.0) -> bool:
    """True once none of ``pids`` runs; SIGKILL is asynchronous, so give the kernel a bounded moment."""
    end = time.monotonic() + within_s
    while any(_alive(p) for p in pids):
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def _wait_for(path: Path) -> None:
    end = time.monotonic() + WAIT_S
    while not (path.is_file() and path.read_text().strip()):
        if time.monotonic() > end:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.02)


def _record_print(monkeypatch) -> list[BaseException]:
    """Wrap print_pdf to record what it raised (a cancelled print raises PrintCancelled, not the timeout)."""
    raised, real = [], report.print_pdf

    def print_pdf(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except BaseException as exc:
            raised.append(exc)
            raise

    monkeypatch.setattr(report, "print_pdf", print_pdf)
    return raised


def _hangs(folder: Path) -> tuple[Path, Path]:
    """A fake Chromium that starts a child and waits for it (a print that never ends); it records both pids."""
    pids = folder / "chromium.pids"
    return _chromium(folder, f'sleep 600 &\necho $$ $! > "{pids}"\nwait\n'), pids


def _previous_set_then_hanging_chromium(result, out: Path, tmp_path: Path, monkeypatch) -> tuple[dict, Path]:
    """Write a complete set at ``out`` with a Chromium that prints, then put in a Chromium that hangs
    (:func:`_hangs`); returns the previous set's digests and the file the hanging one records its pids in."""
    _use(monkeypatch, _chromium(tmp_path, PRINTS))
    outputs.write_all(result, out)
    before = _digests(out)
    fake, pids = _hangs(tmp_path)
    _use(monkeypatch, fake)
    return before, pids


def test_the_pdf_is_printed_while_the_geopackage_is_written(result, tmp_path, monkeypatch):
    _use(monkeypatch, _chromium(tmp_path, PRINTS))
    gpkg_started, labels = threading.Event(), []
    real_gpkg, real_pdf = gpkg.write_result, report.print_pdf

    def geopackage(*args, **kwargs):
        gpkg_started.set()
        return real_gpkg(*args, **kwargs)

    def pdf(*args, **kwargs):
        # a serial writer would start the GeoPackage only after this returned: the wait would fail
        assert gpkg_started.wait(WAIT_S), "the GeoPackage was not started while the PDF was printed"
        return real_pdf(*args, **kwargs)

    monkeypatch.setattr(gpkg, "write_result", geopackage)
    monkeypatch.setattr(report, "print_pdf", pdf)
    written = outputs.write_all(result, tmp_path / "out" / "r.gpkg", progress=labels.append)
    assert written.pdf.read_bytes() == b"%PDF-fake"
    names = [label.split(" writing")[0] for label in labels]
    assert names.index("写出 报告 PDF report") == names.index("写出 报告 HTML report") + 1
    assert names.index("写出 GeoPackage") == names.index("写出 报告 PDF report") + 1
    assert labels[names.index("写出 报告 PDF report")].endswith("r.pdf（并行 beside）")
    assert len(labels) == len(written.paths)  # every member announced once
    assert set(written.seconds) == set(written.paths) and all(s >= 0 for s in written.seconds.values())
    assert _leftovers(tmp_path / "out") == []


def test_a_failing_pdf_stops_the_set_and_keeps_the_previous_one(result, tmp_path, monkeypatch):
    out = tmp_path / "out" / "r.gpkg"
    _use(monkeypatch, _chromium(tmp_path, PRINTS))
    previous = outputs.write_all(result, out)
    before = _digests(out)
    assert "r.pdf" in before
    _use(monkeypatch, _chromium(tmp_path, "echo 'renderer crashed' >&2\nexit 1\n"))
    real_gpkg, workbooks, where = gpkg.write_result, [], {}

    def geopackage(*args, **kwargs):
        for t in threading.enumerate():  # the print has failed and its thread ended before the GeoPackage
            if t.name == "pvsite-pdf":
                t.join(WAIT_S)
        return real_gpkg(*args, **kwargs)

    monkeypatch.setattr(gpkg, "write_result", geopackage)
    monkeypatch.setattr(xlsx, "write_workbook", lambda *a, **k: workbooks.append(a))
    with pytest.raises(OutputError) as err:
        try:
            outputs.write_all(result, out, overwrite=True)
        except OutputError:
            where["thread"] = threading.current_thread()
            raise
    assert where["thread"] is threading.main_thread()
    assert "exit 1" in err.value.message and "renderer crashed" in err.value.message
    assert "退出码 1" in err.value.zh and "--no-pdf" in err.value.fix and "--no-pdf" in err.value.fix_zh
    assert workbooks == []  # the set stopped at the next member after the failure, not at the end
    assert _digests(out) == before
    assert outputs.member_paths(out)["html"].read_text(encoding="utf-8").count(previous.set_id) >= 1
    assert _leftovers(out.parent) == []


def test_a_hanging_pdf_times_out_kills_chromium_and_keeps_the_previous_set(result, tmp_path, monkeypatch):
    out = tmp_path / "out" / "r.gpkg"
    before, pids = _previous_set_then_hanging_chromium(result, out, tmp_path, monkeypatch)
    monkeypatch.setattr(report, "PDF_TIMEOUT_S", 1.0)
    with pytest.raises(OutputError) as err:
        outputs.write_all(result, out, overwrite=True)
    assert "within 1 s" in err.value.message and "1 秒内" in err.value.zh and "--no-pdf" in err.value.fix
    shell, child = map(int, pids.read_text().split())
    assert _gone([shell, child]), "the fake Chromium or its child outlived the timeout"
    assert _digests(out) == before and _leftovers(out.parent) == []


def test_ctrl_c_during_the_workbook_kills_chromium_and_leaves_no_temp(result, tmp_path, monkeypatch):
    out = tmp_path / "out" / "r.gpkg"
    before, pids = _previous_set_then_hanging_chromium(result, out, tmp_path, monkeypatch)
    raised = _record_print(monkeypatch)

    def interrupted(*args, **kwargs):
        _wait_for(pids)  # Chromium (and its child) run now
        raise KeyboardInterrupt

    monkeypatch.setattr(xlsx, "write_workbook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_all(result, out, overwrite=True)
    shell, child = map(int, pids.read_text().split())
    assert _gone([shell, child]), "Chromium or its child outlived the Ctrl-C"
    assert [type(e) for e in raised] == [report.PrintCancelled]  # killed by the cancel, not by the timeout
    assert not [t for t in threading.enumerate() if t.name.startswith("pvsite-")]  # the print thread joined
    assert _digests(out) == before and _leftovers(out.parent) == []


def test_ctrl_c_while_waiting_for_the_pdf_kills_chromium(result, tmp_path, monkeypatch):
    """A real SIGINT while the main thread, its members written, waits for the print."""
    out = tmp_path / "out" / "r.gpkg"
    before, pids = _previous_set_then_hanging_chromium(result, out, tmp_path, monkeypatch)
    waiting, real_finish, raised = threading.Event(), outputs._Beside.finish, _record_print(monkeypatch)

    def finish(self):
        waiting.set()
        return real_finish(self)

    def interrupt():
        _wait_for(pids)
        waiting.wait(WAIT_S)
        time.sleep(0.2)  # into the join, most likely; before it the interrupt is as fatal
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    monkeypatch.setattr(outputs._Beside, "finish", finish)
    # Python's Ctrl-C handler whatever this process inherited (a background job starts with SIGINT ignored)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Thread(target=interrupt)
    try:
        sender.start()
        with pytest.raises(KeyboardInterrupt):
            outputs.write_all(result, out, overwrite=True)
    finally:
        sender.join()
        signal.signal(signal.SIGINT, inherited)
    assert waiting.is_set()  # every member of the main thread was written
    shell, child = map(int, pids.read_text().split())
    assert _gone([shell, child]), "Chromium or its child outlived the Ctrl-C"
    assert [type(e) for e in raised] == [report.PrintCancelled]
    assert _digests(out) == before and _leftovers(out.parent) == []


def test_members_read_only_members_before_them():
    outputs.check_order(outputs.MEMBERS)
    html = next(m for m in outputs.MEMBERS if m.key == "html")
    pdf = next(m for m in outputs.MEMBERS if m.key == "pdf")
    assert pdf.beside and pdf.reads == ("html",) and not html.beside
    with pytest.raises(ValueError, match="'pdf' reads \\['html'\\], not written before it"):
        outputs.check_order((pdf, html))


def _processes_with(text: str) -> list[int]:
    """Running processes whose command line contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline and _alive(int(entry)):
                found.append(int(entry))
    return found


@pytest.mark.skipif(report.find_chromium() is None, reason="chromium is not installed (scripts/install_browser.sh)")
def test_ctrl_c_kills_every_process_of_a_real_chromium(result, tmp_path, monkeypatch):
    """The real browser forks zygotes, renderers and crash handlers: none outlives the interrupt."""
    out = tmp_path / "out" / "r.gpkg"
    tmp_pdf = atomic.temp_path(outputs.member_paths(out)["pdf"])
    seen = {}

    def interrupted(*args, **kwargs):
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            browser = _processes_with(f"--print-to-pdf={tmp_pdf}")
            if browser:
                cmd = Path(f"/proc/{browser[0]}/cmdline").read_bytes().decode().split("\0")
                profile = next(a.split("=", 1)[1] for a in cmd if a.startswith("--user-data-dir="))
                # every process of this Chromium names its profile (the crash handlers through HOME)
                if any(p not in browser for p in _processes_with(profile)):
                    seen["profile"], seen["pids"] = profile, _processes_with(profile)
                    raise KeyboardInterrupt
            time.sleep(0.02)
        raise AssertionError("Chromium never started its child processes")

    monkeypatch.setattr(xlsx, "write_workbook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_all(result, out)
    assert len(seen["pids"]) >= 2
    assert _gone(seen["pids"]) and _processes_with(seen["profile"]) == [], "a Chromium process outlived Ctrl-C"
    assert not out.parent.exists() or sorted(p.name for p in out.parent.iterdir()) == []
