"""A run's outputs, written as one set.

    write(result, "outputs/长宁.gpkg")      # → 长宁.gpkg, 长宁.qgs, 长宁.xlsx, 长宁_roofs.csv, …

The set is the list :data:`MEMBERS`: the GeoPackage (:mod:`.gpkg`), the QGIS
project beside it (:mod:`.qgis`), the workbook (:mod:`.xlsx`) and CSV twins
of its main tables (UTF-8 with BOM, Chinese headers): every roof
(``<name>_roofs.csv``, which the workbook's bounded 屋顶明细 sheet refers to
when a city has more roofs than :data:`pvsite.outputs.xlsx.MAX_ROOF_ROWS`),
streets, classes, departments, trajectory and the priority list; with the
report on, the chart PNGs, the HTML report and its PDF.  Each member is
announced through the ``progress`` callback as it starts.  The CSV is written for every run,
not only beyond the bound, so a set always has the same files: a smaller run
never leaves a larger run's CSV (of another set id) beside its workbook.
Beyond that bound (or with ``[output] parquet = true``) the roofs also go to a
partitioned GeoParquet folder ``<name>_roofs.parquet/`` (:mod:`.parquet`), a
member that is a directory.  A new output is one more :class:`Member`.  :func:`write_all`

* holds a lock, ``.<name>.lock`` beside the output, for the whole write, so
  two runs aimed at the same ``--out`` never interleave: the second waits (up
  to ``lock_timeout_s``) and then stops with :class:`~pvsite.errors.OutputError`
  naming the other process;
* writes every member to its temporary file (``.<file>.<pid>.tmp<suffix>``,
  :mod:`pvsite.io.atomic`), and only when all are complete renames them into
  place, with SIGINT/SIGTERM deferred during the renames: either the whole new
  set appears or the previous set stays exactly as it was;
* writes a member whose work is another process (the PDF: headless Chromium,
  :attr:`Member.beside`) in a background thread, started as soon as the
  members it reads are complete, while the main thread writes the others (the
  report's members come first, so Chromium prints while the GeoPackage and
  the workbook, the longest members, are written; the main process is idle
  while Chromium prints); it is waited for before the renames.  When anything fails or is
  interrupted, Chromium is killed and its thread joined before the temporary
  files are removed; a failure of the PDF itself is raised from the main
  thread, as the same :class:`~pvsite.errors.OutputError`, before the next
  member starts (or after the last);
* stamps one set identity (``output_set_id``, ``output_set_created_utc``,
  :func:`pvsite.outputs.provenance.output_set_info`) into the GeoPackage's
  ``run_info`` layer and the workbook's 说明 sheet, so a consistent set is
  checkable;
* never replaces an existing file without ``overwrite=True``.

Temporary files a killed run (SIGKILL, power cut) left behind are removed by
the next write to the same output (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pvsite.errors import OutputError
from pvsite.io import atomic
from pvsite.config import ReportConfig
from pvsite.outputs import gpkg, parquet, provenance, qgis, report, xlsx
from pvsite.outputs.console import safe_name

log = logging.getLogger(__name__)

#: How long a run waits for another run writing the same output [s].
LOCK_TIMEOUT_S = 600.0

_FIX_FOLDER = "Choose an --out in a folder you can write to."
_FIX_FOLDER_ZH = "请把 --out 放在有写入权限的文件夹中。"
_FIX_EXISTS = "Pass --overwrite to replace it, or choose another --out."
_FIX_EXISTS_ZH = "加 --overwrite 覆盖，或换一个 --out。"


@dataclass(frozen=True)
class SetContext:
    """What a member writer knows about the set being written.

    Attributes
    ----------
    final : dict of str to Path
        Member key → the path the file will have once the set is in place (every member of the run).
    temp : dict of str to Path
        Member key → the complete temporary file of each member this one reads (:attr:`Member.reads`),
        and of no other: a writer that reads a member it does not declare fails at once.
    info : dict of str to str
        The set identity (:data:`pvsite.outputs.provenance.SET_KEYS`).
    cancel : threading.Event
        Set when the write of the set is abandoned (a failure, Ctrl-C): a :attr:`Member.beside` writer
        stops its process and returns (:func:`pvsite.outputs.report.print_pdf`).
    """

    final: dict[str, Path]
    temp: dict[str, Path]
    info: dict[str, str]
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Member:
    """One file of a run's output set.

    Attributes
    ----------
    key : str
        Short name (``"gpkg"``), the key of :class:`OutputSet`.
    suffix : str
        End of the file name; the member's path is the output path's stem
        followed by it (``.xlsx``, ``_roofs.csv``).
    write : callable
        ``write(result, temp_path, context)`` writes the whole file at
        ``temp_path`` (a new file); may read the temp files of the members in
        ``reads`` through ``context.temp``.
    label : str
        What the progress step says while the member is written (default: the key).
    wanted : callable, optional
        ``wanted(result)``: whether this run writes the member (default: always).
        A member not wanted is not written, and its file of an earlier set is
        removed once the new set is in place (a set never mixes two runs).
    directory : bool
        The member is a folder (``write`` creates it at ``temp_path``), not a file.
    reads : tuple of str
        Keys of the members whose (complete) temp files ``write`` reads; each comes
        earlier in :data:`MEMBERS`, and is written whenever this member is.
    beside : bool
        ``write`` mostly waits for another process (the PDF: Chromium), so it runs in a
        background thread beside the members after it, as soon as those it reads are
        complete; it must stop when ``context.cancel`` is set.  The set waits for it
        before the renames.
    """

    key: str
    suffix: str
    write: Callable[[object, Path, SetContext], None]
    label: str = ""
    wanted: Callable[[object], bool] | None = None
    directory: bool = False
    reads: tuple[str, ...] = ()
    beside: bool = False


def _write_gpkg(result, tmp: Path, ctx: SetContext) -> None:
    gpkg.write_result(tmp, result, run_info={**result.run_info, **ctx.info})


def _write_qgs(result, tmp: Path, ctx: SetContext) -> None:
    text = qgis.project_text(ctx.final["gpkg"], ctx.final["qgs"], source=ctx.temp["gpkg"])
    tmp.write_text(text, encoding="utf-8")


def _write_xlsx(result, tmp: Path, ctx: SetContext) -> None:
    pq = ctx.final.get("roofs_parquet")
    xlsx.write_workbook(tmp, result, set_info=ctx.info, roofs_csv=ctx.final["roofs_csv"].name,
                        roofs_parquet=pq.name if pq is not None else None)


def _write_roofs_csv(result, tmp: Path, ctx: SetContext) -> None:
    xlsx.write_roofs_csv(tmp, result)


def _write_roofs_parquet(result, tmp: Path, ctx: SetContext) -> None:
    parquet.write_roofs(tmp, result)


def _csv_twin(table: xlsx.Table) -> Callable[[object, Path, SetContext], None]:
    """Writer of the CSV twin of one workbook table (UTF-8 with BOM, Chinese headers)."""
    def write(result, tmp: Path, ctx: SetContext) -> None:
        xlsx.write_csv(tmp, xlsx.table_frame(result, table))
    return write


def _write_priority_csv(result, tmp: Path, ctx: SetContext) -> None:
    xlsx.write_csv(tmp, xlsx.priority_frame(result))
def _report_cfg(result):
    cfg = getattr(result, "config", None)
    return getattr(cfg, "report", None) or ReportConfig()


def _report_wanted(result) -> bool:
    return _report_cfg(result).enabled


def _pdf_wanted(result) -> bool:
    cfg = _report_cfg(result)
    return cfg.enabled and cfg.pdf and report.find_chromium() is not None


def _chart_writer(key: str):
    def write_chart(result, tmp: Path, ctx: SetContext) -> None:
        from pvsite.outputs import charts

        tmp.write_bytes(charts.render(result, key))
    return write_chart


def _write_html(result, tmp: Path, ctx: SetContext) -> None:
    pngs = {c.key: ctx.temp[f"chart_{c.key}"].read_bytes() for c in report.charts_mod.CHARTS}
    pdf = _pdf_wanted(result)
    note = "" if pdf else report.NO_PDF_HINT if _report_cfg(result).pdf else ""
    text = report.html_text(result, pngs, set_info=ctx.info, pdf_note=note,
                            pdf_name=ctx.final["pdf"].name if pdf else "")
    tmp.write_text(text, encoding="utf-8")


#: The report's roof GeoJSON element: the interactive map is screen-only (``@media print``), so the PDF
#: is printed from a copy of the HTML without it (Chromium then parses no 4.5 MB of JSON for a Bund run).
_ROOFS_JSON_OPEN = '<script type="application/geo+json" id="pv-roofs">'


def _print_copy(html_path: Path, folder: Path) -> Path | None:
    """A copy of the report in ``folder`` for printing, its roof GeoJSON emptied; None when not applicable.

    Works on the UTF-8 bytes (the markers are ASCII), written in slices: the PDF's thread runs beside the
    GeoPackage writer, and a decoded copy of a Bund report (str, then the concatenated str, then its
    encoding) held ~45 MB more at that moment than the main thread ever gave back.
    """
    data = memoryview(html_path.read_bytes())
    raw = data.obj
    start = raw.find(_ROOFS_JSON_OPEN.encode())
    end = raw.find(b"</script>", start) if start >= 0 else -1
    if start < 0 or end < 0 or b".screen-only{display:none" not in raw:
        return None
    start += len(_ROOFS_JSON_OPEN.encode())
    copy = folder / html_path.name
    with open(copy, "wb") as f:
        f.write(data[:start])
        f.write(b'{"type":"FeatureCollection","features":[]}')
        f.write(data[end:])
    return copy


def _write_pdf(result, tmp: Path, ctx: SetContext) -> None:
    with tempfile.TemporaryDirectory(prefix="pvsite-print-") as folder:
        copy = _print_copy(ctx.temp["html"], Path(folder))
        report.print_pdf(copy or ctx.temp["html"], tmp, cancel=ctx.cancel)


_CHART_KEYS = tuple(f"chart_{c.key}" for c in report.charts_mod.CHARTS)

#: The files of a run's output set, in the order their writing starts (a member reads only ones before it,
#: :attr:`Member.reads`).  The report's members lead: the PDF, printed by Chromium beside the main thread
#: (:attr:`Member.beside`), then overlaps the GeoPackage and the workbook, the longest members.
MEMBERS: tuple[Member, ...] = (
    *(Member(key, c.suffix, _chart_writer(c.key), f"图表 chart {c.key}", wanted=_report_wanted)
      for key, c in zip(_CHART_KEYS, report.charts_mod.CHARTS)),
    Member("html", ".html", _write_html, "报告 HTML report", wanted=_report_wanted, reads=_CHART_KEYS),
    Member("pdf", ".pdf", _write_pdf, "报告 PDF report", wanted=_pdf_wanted, reads=("html",), beside=True),
    Member("gpkg", ".gpkg", _write_gpkg, "GeoPackage"),
    Member("qgs", ".qgs", _write_qgs, "QGIS 工程 project", reads=("gpkg",)),
    Member("xlsx", ".xlsx", _write_xlsx, "工作簿 workbook"),
    Member("roofs_csv", "_roofs.csv", _write_roofs_csv, "屋顶明细 CSV roofs"),
    Member("roofs_parquet", "_roofs.parquet", _write_roofs_parquet, "屋顶 GeoParquet roofs",
           wanted=parquet.wanted, directory=True),
    *(Member(f"{suffix[1:-4]}_csv", suffix, _csv_twin(table), f"{table.sheet} CSV")
      for suffix, table in xlsx.CSV_TWINS.items()),
    Member("priority_csv", "_priority.csv", _write_priority_csv, "优先屋顶清单 CSV priority"),
)


def check_order(members: tuple[Member, ...]) -> None:
    """Raise ValueError unless every member reads only members before it (the writer relies on it)."""
    seen: set[str] = set()
    for m in members:
        later = [k for k in m.reads if k not in seen]
        if later:
            raise ValueError(f"output member {m.key!r} reads {later}, not written before it")
        seen.add(m.key)


check_order(MEMBERS)


@dataclass(frozen=True)
class OutputSet:
    """The files of one written output set.

    Attributes
    ----------
    paths : dict of str to Path
        Member key (``gpkg``, ``qgs``, ``xlsx``, ``roofs_csv``) → file.
    set_id : str
        The identity recorded in every member (``output_set_id``).
    created_utc : str
        When the set was written (``output_set_created_utc``).
    seconds : dict of str to float
        Member key → wall seconds from the start of its writer to its end; a
        :attr:`Member.beside` member's overlap the others' (benchmarks/scale.py).
    """

    paths: dict[str, Path]
    set_id: str
    created_utc: str
    seconds: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def gpkg(self) -> Path:
        return self.paths["gpkg"]

    @property
    def qgs(self) -> Path:
        return self.paths["qgs"]

    @property
    def xlsx(self) -> Path:
        return self.paths["xlsx"]

    @property
    def roofs_csv(self) -> Path:
        return self.paths["roofs_csv"]

    @property
    def roofs_parquet(self) -> Path | None:
        """The roofs' GeoParquet folder (None when not written, ``[output] parquet``)."""
        return self.paths.get("roofs_parquet")

    @property
    def html(self) -> Path | None:
        """The HTML report (None when ``[report] enabled = false``)."""
        return self.paths.get("html")

    @property
    def pdf(self) -> Path | None:
        """The PDF of the report (None without Chromium or with ``--no-pdf``)."""
        return self.paths.get("pdf")

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths.values())

    def __fspath__(self) -> str:
        """The GeoPackage, the set's main file (so a set can be opened like a path)."""
        return os.fspath(self.gpkg)


def member_paths(path: str | Path) -> dict[str, Path]:
    """Member key → path of every file of the set whose GeoPackage is ``path``."""
    path = Path(path)
    return {m.key: path.with_name(path.stem + m.suffix) for m in MEMBERS}


def lock_path(path: str | Path) -> Path:
    """The lock file of the output set ``path``: ``.<name>.lock`` beside it."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def default_path(result, outputs_dir: str | Path) -> Path:
    """Default GeoPackage of a run: ``<outputs_dir>/pvsite_<scope>_<scenario>.gpkg``.

    The scope label is made file-name safe (:func:`pvsite.outputs.console.safe_name`).
    """
    return Path(outputs_dir) / f"pvsite_{safe_name(result.scope)}_{result.scenario}.gpkg"


def check_writable(path: str | Path, overwrite: bool) -> Path:
    """Fail early (before any work) when the output set cannot be written.

    Creates the folder when needed and probes it by creating (and removing)
    a file there, so a read-only file system, ``/proc``, a folder without
    permission or a path component that is a file is reported here.

    Returns
    -------
    Path
        ``path`` as a Path.

    Raises
    ------
    OutputError
        ``path`` is not a ``.gpkg``, holds ``;`` or ``!``, is a folder, a
        member of the set exists and ``overwrite`` is false, or the folder
        cannot be created or written to.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise OutputError(f"Output {path} must be a GeoPackage (.gpkg).",
                          fix="Give --out a path ending in .gpkg.",
                          zh=f"输出 {path} 必须是 GeoPackage（.gpkg）。",
                          fix_zh="请给 --out 一个以 .gpkg 结尾的路径。")
    # pyogrio parses every path as a URI: ';' starts URI parameters and '!' separates an
    # archive, so both cut the path short (pyogrio issue #632) and GDAL writes elsewhere.
    bad = sorted({c for c in str(path) if c in ";!"})
    if bad:
        raise OutputError(
            f"Output {path} contains {' and '.join(repr(c) for c in bad)}, which GDAL/pyogrio "
            "cannot write (the path would be cut short there).",
            fix="Choose an --out whose folder and file names have no ';' or '!'.",
            zh=f"输出路径 {path} 含有 {' 和 '.join(repr(c) for c in bad)}，GDAL/pyogrio 无法写入（路径会在该处被截断）。",
            fix_zh="请选择文件夹名和文件名中不含 ';' 或 '!' 的 --out。",
        )
    folders = {m.key for m in MEMBERS if m.directory}
    for key, existing in member_paths(path).items():
        try:
            if existing.is_dir() and key not in folders:
                raise OutputError(f"Output {existing} is a folder.", fix="Choose another --out.",
                                  zh=f"输出 {existing} 是一个文件夹。",
                                  fix_zh="请换一个 --out。")
            atomic.refuse_existing(existing, overwrite, _FIX_EXISTS, _FIX_EXISTS_ZH)
        except OSError as exc:  # e.g. a path component that cannot be searched
            raise OutputError(f"Cannot check output {existing}: {exc.strerror or exc}.",
                              fix=_FIX_FOLDER,
                              zh=f"无法检查输出 {existing}：{exc.strerror or exc}。",
                              fix_zh=_FIX_FOLDER_ZH) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Cannot create output folder {path.parent}: {exc.strerror or exc}.",
                          fix=_FIX_FOLDER,
                          zh=f"无法创建输出文件夹 {path.parent}：{exc.strerror or exc}。",
                          fix_zh=_FIX_FOLDER_ZH) from None
    probe = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"Cannot write in output folder {path.parent}: {exc.strerror or exc}.",
                          fix=_FIX_FOLDER,
                          zh=f"无法在输出文件夹 {path.parent} 中写入：{exc.strerror or exc}。",
                          fix_zh=_FIX_FOLDER_ZH) from None
    return path


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete the temporary files of every member of the set ``path`` that killed runs left.

    A temporary file of a live process (a concurrent writer) is left alone
    (:func:`pvsite.io.atomic.remove_stale_temps`).

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    for member in member_paths(path).values():
        removed += atomic.remove_stale_temps(member)
    return removed


def write_all(result, path: str | Path, *, overwrite: bool = False,
              lock_timeout_s: float = LOCK_TIMEOUT_S, progress: Callable[[str], None] | None = None) -> OutputSet:
    """Write the whole output set of ``result`` (see the module docstring).

    Parameters
    ----------
    result : pvsite.pipeline.RunResult
        The run to write.
    path : str or Path
        The GeoPackage; the other members go beside it with their suffixes.
    overwrite : bool
        Replace an existing set.
    lock_timeout_s : float
        Longest wait for another run writing the same output [s].
    progress : callable, optional
        Called with a label (:func:`step_label`) as each member starts being
        written, the stage callback of :func:`pvsite.pipeline.run`.

    Returns
    -------
    OutputSet

    Raises
    ------
    OutputError
        The set cannot be written (:func:`check_writable`, or an OS error
        while writing: the previous set then stays), or another run kept the
        output locked for ``lock_timeout_s``.
    """
    path = check_writable(path, overwrite)
    lock = lock_path(path)

    def waiting(holder: str) -> None:
        log.warning("%s is being written by %s; waiting up to %g s", path, holder, lock_timeout_s)

    try:
        with atomic.exclusive_lock(lock, timeout_s=lock_timeout_s, on_wait=waiting):
            # again: another run may have written the set while this one waited
            check_writable(path, overwrite)
            return _write_locked(result, path, progress)
    except atomic.LockTimeout as exc:
        raise OutputError(
            f"Output {path} is being written by another pvsite run ({exc.holder}); "
            f"waited {lock_timeout_s:g} s for it (lock file {lock}).",
            fix="Wait until that run ends and try again, or choose another --out.",
            zh=f"输出 {path} 正由另一个 pvsite 运行写入（{exc.holder}）；已等待 {lock_timeout_s:g} 秒（锁文件 {lock}）。",
            fix_zh="请等该运行结束后再试，或换一个 --out。",
        ) from None
    except OSError as exc:  # the folder went away, the disk is full, ...
        where = exc.filename if exc.filename is not None else path
        raise OutputError(f"Cannot write the output set {path} ({where}): {exc.strerror or exc}.",
                          fix="Check the free space and permissions of the output folder, "
                              "or choose another --out.",
                          zh=f"无法写入输出 {path}（{where}）：{exc.strerror or exc}。",
                          fix_zh="请检查输出文件夹的剩余空间和权限，或换一个 --out。") from None


def step_label(member: Member, final: Path) -> str:
    """The progress label of writing one member: ``写出 工作簿 workbook → run.xlsx``.

    A :attr:`Member.beside` member is announced when it starts, and says it goes on beside the next
    steps: ``写出 报告 PDF report writing → run.pdf（并行 beside）``.
    """
    beside = "（并行 beside）" if member.beside else ""
    return f"写出 {member.label or member.key} writing → {final.name}{beside}"


class _Beside:
    """A :attr:`Member.beside` member, written in a (non-daemon) thread while the main thread goes on.

    Non-daemon: should the main thread die before joining it, the interpreter still waits for it at
    exit, and it ends within :data:`pvsite.outputs.report.CANCEL_POLL_S` of ``context.cancel`` (which
    the main thread sets first), its Chromium killed.
    """

    def __init__(self, member: Member, result, tmp: Path, ctx: SetContext):
        self.member, self.error, self.seconds = member, None, None
        self._thread = threading.Thread(target=self._run, args=(result, tmp, ctx), name=f"pvsite-{member.key}")
        self._thread.start()

    def _run(self, result, tmp: Path, ctx: SetContext) -> None:
        t0 = time.perf_counter()
        try:
            self.member.write(result, tmp, ctx)
        except BaseException as exc:  # noqa: BLE001 — handed to the main thread (finish)
            self.error = exc
            return
        self.seconds = time.perf_counter() - t0
        log.info("wrote %s (temporary, beside)", tmp.name)

    @property
    def failed(self) -> bool:
        """The writer has ended with an error (without waiting)."""
        return not self._thread.is_alive() and self.error is not None

    def join(self) -> None:
        self._thread.join()

    def finish(self) -> None:
        """Wait for the writer; raise its error here, in the main thread."""
        self.join()
        if self.error is not None:
            raise self.error


def _write_locked(result, path: Path, progress: Callable[[str], None] | None = None) -> OutputSet:
    remove_stale_temps(path)
    members = [m for m in MEMBERS if m.wanted is None or m.wanted(result)]
    final, others = member_paths(path), member_paths(path)
    final = {m.key: others.pop(m.key) for m in members}
    temp = {k: atomic.temp_path(p) for k, p in final.items()}
    info = provenance.output_set_info()
    cancel = threading.Event()
    beside: dict[str, _Beside] = {}
    seconds: dict[str, float] = {}
    try:
        for member in members:
            for job in beside.values():
                if job.failed:  # the PDF failed: stop now rather than write members that would be discarded
                    job.finish()
            missing = [k for k in member.reads if k not in temp]
            if missing:
                raise ValueError(f"output member {member.key!r} reads {missing}, not written in this run")
            for k in member.reads:
                if k in beside:
                    beside[k].finish()
            ctx = SetContext(final=final, temp={k: temp[k] for k in member.reads}, info=info, cancel=cancel)
            atomic.discard(temp[member.key])
            if progress is not None:
                progress(step_label(member, final[member.key]))
            if member.beside:
                beside[member.key] = _Beside(member, result, temp[member.key], ctx)
                continue
            t0 = time.perf_counter()
            member.write(result, temp[member.key], ctx)
            seconds[member.key] = time.perf_counter() - t0
            log.info("wrote %s (temporary, for %s)", temp[member.key].name, final[member.key].name)
        for key, job in beside.items():
            job.finish()
            seconds[key] = job.seconds
        atomic.replace_all((temp[k], final[k]) for k in final)
        for stale in others.values():  # a member this run does not write: no file of an earlier set stays
            atomic.discard(stale)
    except BaseException:
        cancel.set()
        for job in beside.values():  # Chromium killed, the thread ended: nothing writes a temp file after this
            job.join()
        for tmp in temp.values():
            atomic.discard(tmp)
        raise
    log.info("wrote output set %s: %s", info["output_set_id"], ", ".join(str(p) for p in final.values()))
    return OutputSet(paths=final, set_id=info["output_set_id"], created_utc=info["output_set_created_utc"],
                     seconds={k: seconds[k] for k in final})


def write(result, path: str | Path, overwrite: bool = False, progress=None) -> OutputSet:
    """Write a run's outputs (GeoPackage, QGIS project, workbook, CSVs) as one set; the public writer.

    ``pvsite.write(result, "outputs/x.gpkg")`` — see :func:`write_all`.
    """
    return write_all(result, path, overwrite=overwrite, progress=progress)


__all__ = ["LOCK_TIMEOUT_S", "MEMBERS", "Member", "OutputSet", "SetContext", "check_order", "check_writable",
           "default_path", "lock_path", "member_paths", "remove_stale_temps", "step_label", "write", "write_all"]
