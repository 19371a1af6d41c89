"""The one-file HTML report of a run, and its PDF.

    html = report.html_text(result, charts={"progress": png_bytes, ...})
    report.print_pdf("x.html", "x.pdf")          # headless Chromium, when present

The report (``<stem>.html`` of the output set) is **one self-contained file**:
it opens offline by double-click and loads nothing from the internet — the
charts are embedded as base64 PNG, the roofs and street outlines as GeoJSON
(WGS84, coordinates rounded to 1e-6° ≈ 0.1 m; GCJ-02 when ``[report]
tile_datum = "gcj02"`` so they sit on 高德 / 腾讯 tiles), the interactive map is
vanilla JavaScript on a canvas (pan by dragging, zoom by the wheel or the
buttons, click a roof for its figures, filter by street and class).  A tile
basemap is drawn only when ``[report] tile_url`` (``--tile-url``) is given.

Chinese first, English second: the headline figures (潜力 potential as
"× target", and every scenario's potential from ``RunResult.scenarios``; 已建 / 在建 only where a
registry of installed systems was given), the 经济性 section (investment, first-year benefit, payback,
NPV, LCOE; the street / department economics table; the payback tornado chart of
``RunResult.sensitivity``; every table of the economics preset with its source, assumptions marked),
the street / class / department tables, the priority list and the department
task lists (when the run has them), the charts, every assumption with its
source and every data flag (synthetic sample, synthetic weather, the sanity
checks' findings …).

The PDF (``<stem>.pdf``, for 上报) is printed by headless Chromium
(``--print-to-pdf``) from the same HTML, whose print style sheet puts the
static map PNG in place of the interactive map.  Chromium rather than
WeasyPrint: the tests already drive Debian's ``chromium``, it renders exactly
what the browser shows (WeasyPrint is a second layout engine, not installed,
and runs no JavaScript).  Without Chromium no PDF is written and the report
says how to get one.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pvsite.errors import OutputError
from pvsite.outputs import charts as charts_mod
from pvsite.outputs import schema

log = logging.getLogger(__name__)

#: Chromium executables looked for, in order (Debian's package installs /usr/bin/chromium).
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
#: Flags of every headless Chromium pvsite starts (no network beyond file://, no first-run work).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio")
#: Longest a PDF print may take [s].
PDF_TIMEOUT_S = 120.0
#: Decimal places of the embedded coordinates [°] (1e-6° ≈ 0.11 m of latitude).
COORD_DECIMALS = 6
#: Rows of the priority list and of each department task list shown in the report (the workbook has all).
MAX_LIST_ROWS = 200

#: Chinese names of the sizing statuses (pvsite.planning.scenario.STATUSES): potential, not built.
STATUS_ZH = {"sized": "可装（潜力）", "not required": "政策不要求", "too small": "屋顶过小",
             "low yield": "发电量低（朝北或遮挡）",
             "excluded": "排除（保护/禁装）", "unsuitable": "不宜安装（在建/超高层塔顶）", "rejected": "几何无效"}

NO_PDF_HINT = ("未生成 PDF：本机没有 Chromium。可在浏览器中打开本文件并“打印 → 另存为 PDF”，或安装 chromium "
               "（bash scripts/install_browser.sh）后重新运行。 / No PDF written: Chromium is not installed. "
               "Open this file in a browser and print to PDF, or install chromium "
               "(bash scripts/install_browser.sh) and run again.")


# --- Chromium ------------------------------------------------------------------------------------

def find_chromium() -> str | None:
    """Path of a Chromium executable (:data:`CHROMIUM_CANDIDATES`), else ``None``."""
    for cand in CHROMIUM_CANDIDATES:
        path = cand if os.path.isabs(cand) else shutil.which(cand)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


class PrintCancelled(Exception):
    """:func:`print_pdf` stopped because its ``cancel`` event was set (the write of the set was abandoned)."""


#: How often a print checks its ``cancel`` event while Chromium runs [s].
CANCEL_POLL_S = 0.05


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL Chromium's process group (the browser, its zygotes and renderers) and reap the browser.

    Chromium forks a dozen processes (zygotes, renderers, utilities); killing only the browser would leave
    them to notice on their own.  The group is Chromium's own (``process_group=0``), so nothing else is hit.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (AttributeError, ProcessLookupError, PermissionError):  # AttributeError: no process groups (Windows)
        proc.kill()
    proc.wait()


def print_pdf(html_path: str | Path, pdf_path: str | Path, chromium: str | None = None,
              timeout_s: float | None = None, cancel: threading.Event | None = None) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (A4, the report's print style sheet).

    Chromium runs in a process group of its own, so a Ctrl-C at the terminal reaches pvsite only: when the
    output set is abandoned (``cancel`` set, checked every :data:`CANCEL_POLL_S`) or the print takes longer
    than ``timeout_s`` (default :data:`PDF_TIMEOUT_S`), its whole process group is killed before this returns,
    so no Chromium outlives the print and none writes ``pdf_path`` afterwards.

    Raises
    ------
    OutputError
        No Chromium, or it failed or timed out (the message says how to skip the PDF: ``--no-pdf``).
    PrintCancelled
        ``cancel`` was set; Chromium is killed.
    """
    chromium = chromium or find_chromium()
    timeout_s = PDF_TIMEOUT_S if timeout_s is None else timeout_s
    fix = "Run with --no-pdf ([report] pdf = false), or install chromium (bash scripts/install_browser.sh)."
    fix_zh = "请加 --no-pdf（[report] pdf = false）重新运行，或安装 Chromium（bash scripts/install_browser.sh）。"
    if chromium is None:
        raise OutputError("Cannot print the report to PDF: Chromium is not installed.", fix=fix,
                          zh="无法将报告打印为 PDF：未安装 Chromium。", fix_zh=fix_zh)
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    if cancel is not None and cancel.is_set():
        raise PrintCancelled(str(pdf_path))
    with tempfile.TemporaryDirectory(prefix="pvsite-chromium-") as profile, tempfile.TemporaryFile() as err:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=3000",
               f"--print-to-pdf={pdf_path}", html_path.as_uri()]
        # stderr to a file, not a pipe: nobody reads a pipe while this waits, and Chromium must never block on it
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env={**os.environ, "HOME": profile}, process_group=0)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                try:
                    proc.wait(timeout=max(min(CANCEL_POLL_S, deadline - time.monotonic()), 0.0))
                    break
                except subprocess.TimeoutExpired:
                    pass
                if cancel is not None and cancel.is_set():
                    _kill_group(proc)
                    raise PrintCancelled(str(pdf_path))
                if time.monotonic() >= deadline:
                    _kill_group(proc)
                    raise OutputError(f"Chromium did not print {html_path.name} to PDF within {timeout_s:g} s.",
                                      fix=fix, zh=f"Chromium 未能在 {timeout_s:g} 秒内将 {html_path.name} 打印为 PDF。",
                                      fix_zh=fix_zh)
        except BaseException:
            if proc.returncode is None:  # a KeyboardInterrupt in this very thread
                _kill_group(proc)
            raise
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        tail = stderr.strip().splitlines()[-3:]
        raise OutputError(f"Chromium could not print {html_path.name} to PDF (exit {proc.returncode}: "
                          f"{' | '.join(tail)}).", fix=fix,
                          zh=f"Chromium 无法将 {html_path.name} 打印为 PDF（退出码 {proc.returncode}：{' | '.join(tail)}）。",
                          fix_zh=fix_zh)
    return pdf_path


# --- map data ------------------------------------------------------------------------------------

def _text(v) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _round_coords(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))


def _to_lonlat(gdf, datum: str):
    """``gdf``'s geometries in WGS84 lon/lat, shifted to GCJ-02 when ``datum == 'gcj02'``
    (:mod:`pvsite.geo.datums`), rounded to :data:`COORD_DECIMALS`; only the geometry column is
    reprojected (not a copy of the whole frame), shift and rounding in one coordinate pass."""
    out = gdf.geometry.to_crs("EPSG:4326") if gdf.crs is not None else gdf.geometry
    geoms = out.to_numpy()
    if datum == "gcj02":
        from pvsite.geo import datums

        def shift(xy):
            lon, lat = datums.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([lon, lat]), COORD_DECIMALS)

        return shapely.transform(geoms, shift)
    return _round_coords(geoms)


def _feature_collection(geoms: np.ndarray, props: list[dict]) -> str:
    texts = shapely.to_geojson(geoms)
    feats = [f'{{"type":"Feature","geometry":{g},"properties":{json.dumps(p, ensure_ascii=False)}}}'
             for g, p in zip(texts, props) if g is not None]
    return '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}"


def map_roofs(result, max_roofs: int, datum: str = "wgs84") -> tuple[str, int, int]:
    """The roofs of the interactive map as GeoJSON text.

    Returns
    -------
    geojson : str
        FeatureCollection (lon/lat in ``datum``), properties: ``id``, ``name``,
        ``street``, ``cls`` (class in Chinese), ``kw``, ``mwh``, ``status``
        (Chinese), ``dept``, ``colour``, and where the run has them
        ``remaining_kw``, ``installed_kw``, ``under_construction_kw``, ``planned_kw``, ``plan_task``.
    n_drawn, n_total : int
        Roofs in the map and roofs with a geometry (fewer drawn when beyond ``max_roofs``).
    """
    roofs = result.roofs[result.roofs.geometry.notna() & ~result.roofs.geometry.is_empty]
    n_total = len(roofs)
    if n_total > max_roofs:
        roofs = roofs[roofs["capacity_kw"] > 0]
        if len(roofs) > max_roofs:
            roofs = roofs.nlargest(max_roofs, "capacity_kw")
    texts = shapely.to_geojson(_to_lonlat(roofs, datum))
    keep = pd.notna(texts)
    roofs, texts = roofs[keep], texts[keep]
    n = len(roofs)
    if n == 0:
        return '{"type":"FeatureCollection","features":[]}', 0, n_total
    kw = roofs["capacity_kw"].astype(float).fillna(0.0).to_numpy()
    mwh = roofs["annual_kwh"].astype(float).fillna(0.0).to_numpy() / 1000.0 if "annual_kwh" in roofs else 0 * kw
    cols = [texts, _json_texts(roofs, "building_id"), _json_texts(roofs, "name"), _json_texts(roofs, "street"),
            _json_texts(roofs, "class_zh", empty="未分类"), _fmt_floats(kw), _fmt_floats(mwh),
            _json_texts(roofs, "status", mapping=STATUS_ZH), _json_texts(roofs, "responsible_department"),
            np.asarray(charts_mod.kw_colours(kw), dtype=object)]
    tail = np.full(n, "", dtype=object)  # the optional properties, only where the roof has them
    plan = _json_texts(roofs, "plan_task")
    tail = np.where(plan != '""', ', "plan_task": ' + plan, tail)
    for c in ("remaining_potential_kw", "installed_kw", "under_construction_kw", "planned_kw"):
        if c in roofs.columns:
            v = roofs[c].astype(float).to_numpy()
            key = "remaining_kw" if c == "remaining_potential_kw" else c
            tail = np.where(np.isfinite(v), tail + f', "{key}": ' + _fmt_floats(v), tail)
    feature = ('{"type":"Feature","geometry":%s,"properties":{"id": %s, "name": %s, "street": %s, "cls": %s, '
               '"kw": %s, "mwh": %s, "status": %s, "dept": %s, "colour": "%s"%s}}')
    table = np.column_stack(cols + [tail]).ravel().tolist()
    body = ",".join([feature] * n) % tuple(table)  # one format of every feature (no per-roof Python)
    return '{"type":"FeatureCollection","features":[' + body + "]}", n, n_total


def _json_texts(df: pd.DataFrame, col: str, *, empty: str = "", mapping: dict | None = None) -> np.ndarray:
    """Column ``col`` of ``df`` as JSON string literals (``json.dumps(_text(v), ensure_ascii=False)``),
    object array; ``empty`` for missing / empty values, values translated by ``mapping`` first.
    Each distinct value is encoded once (:func:`pandas.factorize`)."""
    from json.encoder import encode_basestring  # json.dumps(str, ensure_ascii=False)

    if col not in df.columns:
        return np.full(len(df), encode_basestring(empty), dtype=object)
    codes, uniques = pd.factorize(df[col], use_na_sentinel=True)
    words = [_text(u) for u in uniques]
    if mapping:
        words = [mapping.get(w, w) for w in words]
    encoded = np.asarray([encode_basestring(w or empty) for w in words] + [encode_basestring(empty)],
                         dtype=object)
    return encoded[codes]  # code -1 (missing) → the last entry


def _fmt_floats(values: np.ndarray) -> np.ndarray:
    """``json.dumps(round(float(v), 1))`` of every value, object array, in one ``%`` format.

    ``"%.1f"`` is correctly rounded like :func:`round`, and for a number already rounded to
    one decimal ``repr`` (what :mod:`json` writes) gives the same digits below 1e15 (larger
    finite values take :func:`json.dumps` itself).  Not-finite values come out as ``nan`` /
    ``inf``, not JSON: callers leave them out.
    """
    values = np.asarray(values, dtype=float)
    out = np.asarray((("%.1f\x00" * len(values)) % tuple(values.tolist())).split("\x00")[:-1], dtype=object)
    big = np.isfinite(values) & (np.abs(values) >= 1e15)
    if big.any():  # rare: the exact json.dumps text
        out[big] = [json.dumps(round(float(v), 1)) for v in values[big]]
    return out


def map_streets(result, datum: str = "wgs84") -> str:
    """Street outlines (``result.streets``) as GeoJSON text; properties ``name``, ``kw``."""
    streets = getattr(result, "streets", None)
    if streets is None or len(streets) == 0:
        return '{"type":"FeatureCollection","features":[]}'
    streets = streets[streets.geometry.notna() & ~streets.geometry.is_empty]
    geoms = _to_lonlat(streets, datum)
    props = [{"name": _text(r.get("key_zh", r.get("key", ""))),
              "kw": round(float(r.get("capacity_kw", 0.0) or 0.0), 1)} for _, r in streets.iterrows()]
    return _feature_collection(geoms, props)


# --- tables --------------------------------------------------------------------------------------

_EXTRA_HEADERS = {
    "installed_kw": "已建(已并网) built [kW]", "under_construction_kw": "在建 in progress [kW]",
    "planned_kw": "已备案 planned [kW]", "remaining_potential_kw": "剩余潜力 remaining potential [kW]",
    "remaining_kw": "距目标尚缺 remaining to target [kW]", "achieved_pct": "已建占目标 built, % of target",
    "potential_x_target": "潜力/目标 potential × target", "tce_t": "节约标煤 coal saved [tce/yr]",
    "consumption_kwh": "用能 consumption [kWh/yr]", "renewable_share_pct": "可再生能源替代率(代理) renewable share [%]",
    "capex_yuan": "投资 capex [元]", "first_year_benefit_yuan": "首年收益 first-year benefit [元]",
    "npv_yuan": "净现值 NPV [元]", "simple_payback_yr": "静态回收期 payback [年]",
    "rank": "排名 rank", "building_id": "建筑编号 id", "name": "名称 name", "street": "街道 street",
    "class_zh": "类别 class", "responsible_department": "责任部门 department", "plan_task": "规划任务 task",
    "annual_kwh": "年发电量 energy [kWh/yr]", "specific_yield_kwh_per_kwp": "等效利用小时 [kWh/kWp]",
    "cumulative_kw": "累计 cumulative [kW]", "closes_gap": "补足缺口 closes gap", "status": "状态 status",
    "irr_pct": "IRR [%]", "lcoe_yuan_per_kwh": "度电成本 LCOE [元/kWh]",
    "capex_wan_yuan": "投资 capex [万元]", "first_year_benefit_wan_yuan": "首年收益 first-year benefit [万元/yr]",
    "npv_wan_yuan": "净现值 NPV [万元]", "business_model": "商业模式 business model", "level": "层级 level",
    "scenario": "情景 scenario", "description_zh": "说明 description", "capacity_kw": "潜力 potential [kW]",
    "n_sized": "安装建筑数 sized", "parameter_zh": "参数 parameter", "change_label": "变化 change",
    "payback_yr": "静态回收期 payback [年]",
}
_SUMMARY_COLS = ["key_zh", "n_buildings", "n_sized", "capacity_kw", "annual_mwh", "co2_t", "tce_t",
                 "specific_yield_kwh_per_kwp", "installed_kw", "under_construction_kw", "planned_kw",
                 "remaining_potential_kw", "target_kw", "remaining_kw", "achieved_pct", "potential_x_target",
                 "consumption_kwh", "renewable_share_pct", "capex_yuan", "npv_yuan", "simple_payback_yr"]
_LIST_COLS = ["rank", "name", "street", "class_zh", "responsible_department", "plan_task", "status",
              "remaining_potential_kw", "annual_kwh", "specific_yield_kwh_per_kwp", "cumulative_kw",
              "closes_gap", "simple_payback_yr", "npv_yuan", "lcoe_yuan_per_kwh"]


def _header(col: str) -> str:
    alias = {**schema.aliases("summary"), **schema.aliases("roofs")}
    return _EXTRA_HEADERS.get(col) or alias.get(col) or col


def _cell(v, col: str) -> tuple[str, bool]:
    if isinstance(v, (bool, np.bool_)):
        return ("是" if v else "否"), False
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "—", True
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}", True
    if isinstance(v, (float, np.floating)):
        digits = 3 if col.endswith("_per_kwh") else 2 if col.endswith("_x_target") else \
            1 if col.endswith(("_pct", "_yr", "_wan_yuan")) else 0
        return f"{float(v):,.{digits}f}", True
    if col == "status":
        return html.escape(STATUS_ZH.get(str(v), str(v))), False
    if col in schema.CATEGORY_LABELS:
        return html.escape(str(schema.label_series(col, pd.Series([v])).iloc[0])), False
    return html.escape(str(v)), False


def html_table(df: pd.DataFrame, cols: list[str], table_id: str = "") -> str:
    """An HTML table of the columns ``cols`` of ``df`` that exist, with Chinese / English headers."""
    cols = [c for c in cols if c in df.columns and (c == "key_zh" or df[c].notna().any())]
    head = "".join(f"<th>{html.escape(_header(c) if c != 'key_zh' else '名称 name')}</th>" for c in cols)
    rows = []
    # a labelled column's cell (status, category codes) is the same for the same value: formatted once each
    # (the label look-up of one value costs ≈ 0.15 ms; a city's street tables have tens of thousands of cells)
    labelled = {c: {} for c in cols if c == "status" or c in schema.CATEGORY_LABELS}
    for rec in df[cols].itertuples(index=False):
        cells = []
        for c, v in zip(cols, rec):
            memo = labelled.get(c) if isinstance(v, str) else None
            if memo is None:
                text, num = _cell(v, c)
            elif v in memo:
                text, num = memo[v]
            else:
                text, num = memo[v] = _cell(v, c)
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    return f'<table{ident}><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# --- assumptions and flags -----------------------------------------------------------------------

def _preset_source(path: str) -> str:
    """The ``# Source:`` comment lines at the top of a preset TOML (its citation), else ''."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()[:40]
    except (OSError, UnicodeDecodeError):
        return ""
    out, on = [], False
    for line in lines:
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if body.lower().startswith(("source", "sources", "来源")):
            on = True
        elif on and (not body or body.endswith(":")):
            on = False
        if on and body:
            out.append(body)
    return " ".join(out)


def assumptions(result) -> list[tuple[str, str, str]]:
    """Every assumption of the run: (item, value, source) from ``run_info``, the config and the presets."""
    info, cfg = result.run_info, result.config
    rows = [
        ("情景 scenario", f"{result.scenario}: {result.scenario_description}", info.get("policy_preset", "")),
        ("目标 target", f"{float(result.target_kw):,.0f} kW {info.get('target_label', '')}",
         info.get("policy_source", "")),
        ("排放因子 emission factor", f"{info.get('emission_factor_kg_per_kwh', '')} kg CO2/kWh",
         info.get("emission_factor_source", "")),
        ("气象年 weather year", info.get("weather_description", ""), info.get("weather_source", "")),
        ("建筑轮廓 footprints", info.get("footprints_path", ""), f"sha256 {info.get('footprints_sha256', '')}"),
        ("街道边界 street outlines", info.get("streets_source", ""), ""),
        ("组件 module", info.get("module_preset", ""), _preset_source(info.get("module_preset", ""))),
        ("遮挡 shading", info.get("shading", ""), "[shading] / --shading, --no-shading"),
    ]
    if cfg is not None:
        from pvsite import presets

        try:
            losses_path = str(presets.load_losses(cfg.system.losses).get("_path", cfg.system.losses))
        except Exception:  # noqa: BLE001 — a citation must not stop a report
            losses_path = cfg.system.losses
        rows += [
            ("系统损失 system losses", losses_path, _preset_source(losses_path)),
            ("逆变器效率 inverter efficiency", f"{cfg.system.inverter_efficiency_pct:g} %", "[system] (pvsite config)"),
            ("容配比 DC/AC ratio", f"{cfg.system.dc_ac_ratio:g}", "[system] (pvsite config)"),
            ("平屋顶倾角 flat-roof tilt", f"{cfg.mounting.flat_tilt_deg:g}° / 方位 {cfg.mounting.flat_azimuth_deg:g}°",
             "[mounting] (pvsite config, see pvsite.config.MountingConfig)"),
            ("无遮挡时段 no-shade hours", f"{cfg.mounting.no_shade_start_hour:g}–{cfg.mounting.no_shade_end_hour:g} h",
             "[mounting] (pvsite config)"),
            ("新建建筑年份 new building from", f"{cfg.classify.new_building_year}", "[classify] (policy: 2022 起新建)"),
            ("分类规则 classification", cfg.classify.preset, "presets/classify"),
        ]
    return rows


def flags(result, extra: list[str] = ()) -> list[tuple[str, str]]:
    """Every data flag: (level, text) — synthetic sample and weather, sanity-check findings, reader warnings."""
    info = result.run_info
    out = []
    if result.is_synthetic or info.get("synthetic_sample") == "true":
        out.append(("error", info.get("warning") or "合成示例数据 / synthetic sample data"))
    if info.get("weather_is_synthetic") == "true":
        out.append(("warning", "气象数据为合成年，发电量仅供示意 / the weather year is synthetic: energy figures "
                               f"are indicative only ({info.get('weather_description', '')})"))
    for f in result.findings or []:
        d = f.to_dict() if hasattr(f, "to_dict") else dict(f)
        out.append((d.get("level", "warning"), f"{d.get('message_zh', '')} / {d.get('message_en', '')}"))
    try:
        fp_warn = json.loads(info.get("footprints_warnings", "[]") or "[]")
    except ValueError:
        fp_warn = []
    out += [("warning", f"读取轮廓 footprints: {w}") for w in fp_warn]
    for key, zh, en in (("n_rejected", "栋建筑几何无效，已列入 rejected 图层", "buildings with unusable geometry "
                                                                   "(rejected layer)"),
                        ("n_excluded", "栋建筑被排除（保护/禁装）", "buildings excluded (protected / no-go)"),
                        ("n_outside_streets", "栋建筑不在任何街道边界内", "buildings outside every street outline")):
        n = int(float(info.get(key, 0) or 0))
        if n:
            out.append(("info", f"{n:,} {zh} / {n:,} {en}"))
    if not charts_mod.registry_given(result):
        out.append(("info", "已建容量未知（未提供 --installed）：报告中的容量均为潜力，并非已建 / no registry of "
                            "installed systems given (--installed): every capacity here is potential, not built"))
    out += [("info", e) for e in extra]
    return out


# --- the page ------------------------------------------------------------------------------------

def _fmt(x, digits: int = 0) -> str:
    try:
        return f"{float(x):,.{digits}f}"
    except (TypeError, ValueError):
        return "—"


def _headline(result) -> str:
    d = result.district
    target = float(d["target_kw"]) if "target_kw" in d and pd.notna(d["target_kw"]) else float(result.target_kw)
    pot = float(d["capacity_kw"])
    x = float(d["potential_x_target"]) if "potential_x_target" in d and pd.notna(d.get("potential_x_target")) \
        else (pot / target if target > 0 else float("nan"))
    cards = [(f"潜力 potential（{html.escape(result.scenario)}）", f"{_fmt(pot)} kW",
              f"= {x:.2f} × 目标 target {_fmt(target)} kW"),
             ("年发电量潜力 energy potential", f"{_fmt(d['annual_mwh'])} MWh/yr",
              f"{_fmt(d['specific_yield_kwh_per_kwp'])} kWh/kWp"),
             ("年减排 CO2 avoided", f"{_fmt(d['co2_t'])} t/yr",
              f"排放因子 {result.run_info.get('emission_factor_kg_per_kwh', '')} kg/kWh")]
    if "tce_t" in d and pd.notna(d["tce_t"]):
        cards.append(("节约标煤 coal saved", f"{_fmt(d['tce_t'])} tce/yr", ""))
    if charts_mod.registry_given(result):
        built = float(d["installed_kw"])
        doing = float(d.get("under_construction_kw", 0.0) or 0.0)
        # toward the target counts what was commissioned within its years (planning.rollup)
        remain = float(d["remaining_kw"]) if pd.notna(d.get("remaining_kw")) else target - built
        pct = float(d["achieved_pct"]) if pd.notna(d.get("achieved_pct")) else (
            built / target * 100 if target > 0 else float("nan"))
        counted = target - remain
        note = "已超额完成 target exceeded" if remain < 0 else "距目标尚缺 remaining"
        sub = f"占目标 {pct:.1f} % of target" + (
            "" if abs(counted - built) < 1e-6 else f"（计入目标 {_fmt(counted)} kW toward it）")
        cards.append(("已建 built（已并网）", f"{_fmt(built)} kW", sub))
        cards.append(("在建 in progress", f"{_fmt(doing)} kW", ""))
        cards.append((note, f"{_fmt(abs(remain))} kW", "目标 − 计入目标的已建 target − built toward it"))
    else:
        cards.append(("已建 / 在建 built / in progress", "未知 unknown", "未提供 --installed / no registry given"))
    if "renewable_share_pct" in d and pd.notna(d["renewable_share_pct"]):
        cards.append(("可再生能源替代率（代理）renewable share (proxy)", f"{_fmt(d['renewable_share_pct'], 1)} %",
                      "光伏发电量 / 用能 PV kWh / consumption"))
    return "".join(f'<div class="card"><div class="k">{k}</div><div class="v">{v}</div>'
                   f'<div class="s">{html.escape(s)}</div></div>' for k, v, s in cards)


_ECON_COLS = ["level", "key_zh", "n_sized", "capacity_kw", "capex_wan_yuan", "first_year_benefit_wan_yuan",
              "npv_wan_yuan", "simple_payback_yr", "lcoe_yuan_per_kwh", "business_model"]
_SCENARIO_COLS = ["scenario", "description_zh", "n_sized", "capacity_kw", "annual_mwh", "potential_x_target"]
_SENSITIVITY_COLS = ["parameter_zh", "change_label", "payback_yr", "npv_wan_yuan"]


def scenarios_html(result) -> str:
    """The potential of every scenario (``RunResult.scenarios``): kW and × target, never % of target."""
    sc = getattr(result, "scenarios", None)
    if sc is None or not len(sc):
        return "<p class='muted'>未比较情景 / scenarios not compared (pvsite scenarios --compare).</p>"
    return ("<h3>各情景潜力 potential by scenario</h3>" + html_table(sc, _SCENARIO_COLS, "table-scenarios")
            + f"<p class='muted'>本次运行情景 this run: {html.escape(result.scenario)}；潜力不是已建 / potentials, "
              "not built.</p>")


def economics_html(result, chart_png: bytes | None) -> str:
    """The 经济性 section: headline money, the street / department table, the tornado chart, preset sources."""
    from pvsite.outputs import xlsx
    from pvsite.outputs.provenance import economics_entry

    rows = xlsx.economics_rows(result)
    if rows is None:
        return "<p class='muted'>本次运行未测算经济性 / no economics in this run.</p>"
    d = rows[rows["level"] == "district"].iloc[0]
    e = economics_entry(result.run_info)
    models = " + ".join(schema.BUSINESS_MODEL_ZH.get(m, m) for m in str(d["business_model"]).split(",") if m)
    cards = [("投资 capex", f"{_fmt(d['capex_wan_yuan'], 1)} 万元", f"{_fmt(d['capacity_kw'])} kW 潜力 potential"),
             ("首年净收益 first-year net benefit", f"{_fmt(d['first_year_benefit_wan_yuan'], 1)} 万元/yr",
              "节省电费 + 上网收入 + 奖励 − 运维"),
             ("静态回收期 simple payback", f"{_fmt(d['simple_payback_yr'], 1)} 年 yr", "投资合计 / 首年净收益合计"),
             ("净现值 NPV", f"{_fmt(d['npv_wan_yuan'], 1)} 万元",
              f"实际折现率 real rate {e.get('discount_rate_pct_real', '')} %, {e.get('lifetime_yr', '')} 年"),
             ("度电成本 LCOE（容量加权）", f"{_fmt(d['lcoe_yuan_per_kwh'], 3)} 元/kWh", f"商业模式 {models}")]
    out = ("<div class='cards' id='econ-cards'>" + "".join(
        f'<div class="card"><div class="k">{k}</div><div class="v">{v}</div><div class="s">{html.escape(t)}</div>'
        f"</div>" for k, v, t in cards) + "</div>")
    out += ("<h3>按街道与责任部门 by street and department</h3>"
            + html_table(rows, _ECON_COLS, "table-economics"))
    sens = getattr(result, "sensitivity", None)
    if chart_png is not None:
        out += (f'<figure class="chart"><img alt="回收期敏感性 payback sensitivity" '
                f'src="data:image/png;base64,{base64.b64encode(chart_png).decode("ascii")}"/>'
                "<figcaption>回收期敏感性：投资 ±20 %、电价 ±10 %、自用比例 ±20 个百分点 / payback sensitivity"
                "</figcaption></figure>")
    if sens is not None:
        out += html_table(schema.with_display_units(sens), _SENSITIVITY_COLS, "table-sensitivity")
    out += economics_sources_html(result, e)
    return out


def economics_sources_html(result, entry: dict) -> str:
    """Every table of the economics preset with its source; the pvsite assumptions marked."""
    from pvsite import presets

    cfg = result.config
    try:
        preset = presets.load_economics(cfg.economics.preset if cfg is not None else entry.get("preset", ""))
    except Exception:  # noqa: BLE001 — a citation must not stop a report
        return "<p class='muted'>经济性参数来源不可读 / the economics preset's sources could not be read.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{'假设 pvsite assumption' if presets.ASSUMPTION_LABEL in v else '引用 cited'}"
        f"</td><td>{html.escape(v)}</td></tr>" for k, v in preset.sources.items())
    return (f"<h3>经济性参数 economics preset: {html.escape(preset.name)} — {html.escape(preset.name_zh)}</h3>"
            "<p class='muted'>标为“假设”的参数表是 pvsite 的估计，请用实际报价、电价与合同替换 / tables marked "
            "“assumption” are pvsite's estimates: set yours (--economics my.toml).</p>"
            '<table id="table-econ-sources"><thead>'
            "<tr><th>参数表 table</th><th>性质 kind</th><th>来源 source</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def html_text(result, charts: dict[str, bytes], *, set_info: dict | None = None, pdf_note: str = "",
              pdf_name: str = "") -> str:
    """The whole report as one HTML document (see the module docstring).

    Parameters
    ----------
    result : pvsite.pipeline.RunResult
    charts : dict of str to bytes
        Chart key (:data:`pvsite.outputs.charts.CHARTS`) → PNG bytes; missing keys are left out.
    set_info : dict, optional
        The output set identity (``output_set_id`` …).
    pdf_note : str
        Said under the title about the PDF (how to get one when none is written).
    pdf_name : str
        File name of the set's PDF, when one is written.
    """
    cfg = getattr(result.config, "report", None)
    max_roofs = cfg.max_map_roofs if cfg is not None else 50_000
    datum = cfg.tile_datum if cfg is not None and cfg.tile_url else "wgs84"
    roofs_json, n_drawn, n_total = map_roofs(result, max_roofs, datum)
    extra = []
    if n_drawn < n_total:
        extra.append(f"地图仅绘制 {n_drawn:,} / {n_total:,} 栋屋顶（有光伏者）/ the map draws {n_drawn:,} of "
                     f"{n_total:,} roofs (those with PV; [report] max_map_roofs)")
    if charts_mod.cjk_font() is None:
        extra.append("图表无中文字体，中文标注已省略：请安装 fonts-noto-cjk / no CJK font for the charts")
    s = result.summary
    tables = "".join(
        f"<h3>{zh} {en}</h3>" + html_table(s[s["level"] == lvl], _SUMMARY_COLS, f"table-{lvl}")
        for lvl, zh, en in (("street", "按街道", "by street"), ("class", "按类别", "by class"),
                            ("department", "按责任部门", "by responsible department")))
    lists = ""
    prio = getattr(result, "priority", None)
    if prio is not None and len(prio):
        by = prio.attrs.get("rank_by", "")
        gap = prio.attrs.get("gap_kw")
        lists += (f"<h3>优先屋顶清单 priority roofs (排序 rank by: {html.escape(str(by))}"
                  + (f"; 缺口 gap {_fmt(gap)} kW" if gap is not None else "") + ")</h3>"
                  + _bounded(prio, "table-priority"))
    tasks = getattr(result, "department_tasks", None) or {}
    for dept, df in tasks.items():
        lists += (f"<details><summary>{html.escape(str(dept))} — {len(df):,} 栋屋顶 roofs</summary>"
                  + _bounded(df, "") + "</details>")
    if not lists:
        lists = "<p class='muted'>本次运行未生成优先清单 / no priority list in this run.</p>"
    chart_html = "".join(
        f'<figure class="chart{" print-map" if c.key == "map" else ""}"><img alt="{c.title_zh} {c.title_en}" '
        f'src="data:image/png;base64,{base64.b64encode(charts[c.key]).decode("ascii")}"/>'
        f"<figcaption>{c.title_zh} {c.title_en}</figcaption></figure>"
        for c in charts_mod.CHARTS if c.key in charts and c.key != "sensitivity")
    assume = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
                     for a, b, c in assumptions(result))
    flag_html = "".join(f'<li class="{lvl}">{html.escape(t)}</li>' for lvl, t in flags(result, extra))
    set_info = set_info or {}
    conf = {"tileUrl": cfg.tile_url if cfg is not None else None,
            "tileDatum": datum, "tileAttribution": cfg.tile_attribution if cfg is not None else "",
            "bins": list(charts_mod.KW_BINS), "colours": list(charts_mod.KW_COLOURS),
            "binLabels": charts_mod.bin_labels(), "noPv": charts_mod.NO_PV_COLOUR}
    title = f"{result.scope} 屋顶光伏潜力报告 · rooftop PV report ({result.scenario})"
    pdf_line = (f'<p class="muted screen-only">PDF: <a href="{html.escape(pdf_name)}">{html.escape(pdf_name)}</a></p>'
                if pdf_name else (f'<p class="muted">{html.escape(pdf_note)}</p>' if pdf_note else ""))
    return _TEMPLATE.format(
        title=html.escape(title), synthetic=_synthetic_banner(result), pdf_line=pdf_line,
        headline=_headline(result), scenarios=scenarios_html(result),
        economics=economics_html(result, charts.get("sensitivity")), tables=tables, lists=lists, charts=chart_html, assumptions=assume,
        flags=flag_html, config_toml=html.escape(result.run_info.get("config_toml", "")),
        set_id=html.escape(set_info.get("output_set_id", "")), created=html.escape(
            set_info.get("output_set_created_utc", result.run_info.get("created_utc", ""))),
        version=html.escape(result.run_info.get("version_pvsite", "")),
        n_drawn=f"{n_drawn:,}", css=_CSS, js=_JS,
        img_src="data: http: https:" if conf["tileUrl"] else "data:",
        roofs_json=_script_json(roofs_json), streets_json=_script_json(map_streets(result, datum)),
        conf_json=_script_json(json.dumps(conf, ensure_ascii=False)),
    )


def _bounded(df: pd.DataFrame, table_id: str) -> str:
    shown = df.head(MAX_LIST_ROWS)
    note = (f"<p class='muted'>显示前 {len(shown):,} / {len(df):,} 行，完整清单见工作簿 / first {len(shown):,} of "
            f"{len(df):,} rows; the workbook has all.</p>" if len(df) > len(shown) else "")
    return html_table(shown, _LIST_COLS, table_id) + note


def _synthetic_banner(result) -> str:
    if not (result.is_synthetic or result.run_info.get("synthetic_sample") == "true"):
        return ""
    return f'<div class="banner">⚠ {html.escape(result.run_info.get("warning", "合成示例数据 / synthetic sample"))}</div>'


def _script_json(text: str) -> str:
    """JSON safe inside a <script> element (no '</' sequence)."""
    return text.replace("</", "<\\/")


_CSS = """
:root{--fg:#1f2933;--muted:#61707d;--line:#d9dee3;--accent:#1565c0}
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);
 margin:0 auto;max-width:1180px;padding:16px 24px;line-height:1.45}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:2px solid var(--accent);padding-bottom:4px;margin-top:1.6em}
.banner{background:#b00020;color:#fff;padding:8px 12px;border-radius:4px;font-weight:bold}
.muted{color:var(--muted);font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:200px;flex:1}
.card .k{font-size:.85em;color:var(--muted)}.card .v{font-size:1.4em;font-weight:bold}.card .s{font-size:.8em}
table{border-collapse:collapse;width:100%;font-size:.85em;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:3px 6px;vertical-align:top}th{background:#f1f4f7;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure.chart{margin:10px 0}figure.chart img{max-width:100%;border:1px solid var(--line)}
figcaption{font-size:.85em;color:var(--muted)}
ul.flags li.error{color:#b00020;font-weight:bold}ul.flags li.warning{color:#8a5a00}
#map-wrap{position:relative;border:1px solid var(--line);height:560px;background:#f7f9fb;overflow:hidden}
#map{width:100%;height:100%;cursor:grab;display:block}
#map-tools{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:6px 0}
#map-zoom{position:absolute;right:8px;top:8px;display:flex;flex-direction:column;gap:4px}
#map-zoom button{width:30px;height:30px;font-size:18px}
#popup{position:absolute;display:none;background:#fff;border:1px solid #888;border-radius:4px;padding:6px 8px;
 font-size:.85em;box-shadow:0 2px 6px rgba(0,0,0,.25);max-width:320px;z-index:5}
#popup table{margin:0;font-size:1em}#popup .x{float:right;cursor:pointer;border:0;background:none}
#legend{position:absolute;left:8px;bottom:8px;background:rgba(255,255,255,.9);padding:4px 6px;font-size:.8em}
#legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
#attribution{position:absolute;right:4px;bottom:2px;font-size:.7em;color:#555}
.print-only{display:none}
@media print{.screen-only{display:none!important}.print-only{display:block}body{max-width:none;padding:0}
 h2{break-after:avoid}figure,table,.card{break-inside:avoid}details{display:block}details>*{display:block}}
@page{size:A4;margin:14mm}
"""

_JS = r"""
(function(){
"use strict";
var R=6378137, conf=JSON.parse(document.getElementById('pv-conf').textContent);
var roofs=JSON.parse(document.getElementById('pv-roofs').textContent).features;
var streets=JSON.parse(document.getElementById('pv-streets').textContent).features;
var canvas=document.getElementById('map'), ctx=canvas.getContext('2d'), popup=document.getElementById('popup');
function merc(c){var lat=Math.max(Math.min(c[1],85),-85);return [R*c[0]*Math.PI/180,R*Math.log(Math.tan(Math.PI/4+lat*Math.PI/360))];}
function polys(g){if(!g)return [];var p=g.type==='Polygon'?[g.coordinates]:g.type==='MultiPolygon'?g.coordinates:[];
 return p.map(function(poly){return poly.map(function(ring){return ring.map(merc);});});}
function prep(f){var ps=polys(f.geometry),b=[Infinity,Infinity,-Infinity,-Infinity];
 ps.forEach(function(p){p[0].forEach(function(q){b[0]=Math.min(b[0],q[0]);b[1]=Math.min(b[1],q[1]);b[2]=Math.max(b[2],q[0]);b[3]=Math.max(b[3],q[1]);});});
 return {f:f,p:ps,b:b,c:[(b[0]+b[2])/2,(b[1]+b[3])/2],show:true};}
var R_=roofs.map(prep), S_=streets.map(prep), all=[Infinity,Infinity,-Infinity,-Infinity];
(R_.length?R_:S_).forEach(function(r){all[0]=Math.min(all[0],r.b[0]);all[1]=Math.min(all[1],r.b[1]);all[2]=Math.max(all[2],r.b[2]);all[3]=Math.max(all[3],r.b[3]);});
var view={cx:0,cy:0,s:1}, W=0, H=0, drawn=0, tiles={};
function size(){var r=canvas.getBoundingClientRect(),d=window.devicePixelRatio||1;W=r.width;H=r.height;
 canvas.width=Math.max(1,Math.round(W*d));canvas.height=Math.max(1,Math.round(H*d));ctx.setTransform(d,0,0,d,0,0);}
function fit(){if(!isFinite(all[0])){view={cx:0,cy:0,s:1};return;}view.cx=(all[0]+all[2])/2;view.cy=(all[1]+all[3])/2;
 view.s=0.92*Math.min(W/Math.max(all[2]-all[0],1),H/Math.max(all[3]-all[1],1));}
function px(q){return [W/2+(q[0]-view.cx)*view.s,H/2-(q[1]-view.cy)*view.s];}
function unpx(x,y){return [view.cx+(x-W/2)/view.s,view.cy-(y-H/2)/view.s];}
function path(r){ctx.beginPath();r.p.forEach(function(poly){poly.forEach(function(ring){ring.forEach(function(q,i){var a=px(q);
 if(i)ctx.lineTo(a[0],a[1]);else ctx.moveTo(a[0],a[1]);});ctx.closePath();});});}
function visible(b){var a=px([b[0],b[3]]),c=px([b[2],b[1]]);return c[0]>=0&&a[0]<=W&&c[1]>=0&&a[1]<=H;}
function drawTiles(){if(!conf.tileUrl)return;var world=2*Math.PI*R,z=Math.max(0,Math.min(19,Math.round(Math.log2(view.s*world/256))));
 var n=Math.pow(2,z),ts=world/n,tl=unpx(0,0),br=unpx(W,H);
 var x0=Math.floor((tl[0]+world/2)/ts),x1=Math.floor((br[0]+world/2)/ts),y0=Math.floor((world/2-tl[1])/ts),y1=Math.floor((world/2-br[1])/ts);
 for(var x=x0;x<=x1;x++)for(var y=y0;y<=y1;y++){if(x<0||y<0||x>=n||y>=n)continue;
  var key=z+'/'+x+'/'+y,img=tiles[key];
  if(!img){img=new Image();img.onload=draw;img.src=conf.tileUrl.replace('{z}',z).replace('{x}',x).replace('{y}',y).replace('{s}','abc'[(x+y)%3]);tiles[key]=img;}
  if(img.complete&&img.naturalWidth){var a=px([x*ts-world/2,world/2-y*ts]);ctx.drawImage(img,a[0],a[1],ts*view.s+0.5,ts*view.s+0.5);}}}
function draw(){ctx.clearRect(0,0,W,H);drawTiles();drawn=0;
 ctx.lineWidth=1;ctx.strokeStyle='#607080';S_.forEach(function(r){if(visible(r.b)){path(r);ctx.stroke();}});
 R_.forEach(function(r){if(!r.show||!visible(r.b))return;path(r);ctx.fillStyle=r.f.properties.colour;ctx.fill('evenodd');
  if(view.s>0.5){ctx.strokeStyle='#333';ctx.lineWidth=0.5;ctx.stroke();}drawn++;});
 ctx.font='12px sans-serif';ctx.fillStyle='#263238';ctx.textAlign='center';
 ctx.strokeStyle='#fff';ctx.lineWidth=3;S_.forEach(function(r){if(visible(r.b)){var a=px(r.c);ctx.strokeText(r.f.properties.name,a[0],a[1]);ctx.fillText(r.f.properties.name,a[0],a[1]);}});
 document.getElementById('map-count').textContent=drawn.toLocaleString();}
function inRing(x,y,ring){var ins=false;for(var i=0,j=ring.length-1;i<ring.length;j=i++){var a=ring[i],b=ring[j];
 if(((a[1]>y)!==(b[1]>y))&&(x<(b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0]))ins=!ins;}return ins;}
function hit(x,y){var q=unpx(x,y),best=null,bd=64;
 for(var i=R_.length-1;i>=0;i--){var r=R_[i];if(!r.show)continue;
  if(q[0]>=r.b[0]&&q[0]<=r.b[2]&&q[1]>=r.b[1]&&q[1]<=r.b[3]){for(var k=0;k<r.p.length;k++){var p=r.p[k];
   if(inRing(q[0],q[1],p[0])&&!p.slice(1).some(function(h){return inRing(q[0],q[1],h);}))return r;}}
  var a=px(r.c),d=(a[0]-x)*(a[0]-x)+(a[1]-y)*(a[1]-y);if(d<bd){bd=d;best=r;}}
 return best;}
function esc(t){return String(t==null?'':t).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
function fmt(v){return (+v).toLocaleString('zh-CN',{maximumFractionDigits:1});}
function show(r,x,y){var p=r.f.properties,rows=[['名称 name',p.name||'(无名称)'],['编号 id',p.id],['街道 street',p.street],['类别 class',p.cls],
 ['装机潜力 capacity',fmt(p.kw)+' kW'],['年发电量 energy',fmt(p.mwh)+' MWh/yr'],['状态 status',p.status],['责任部门 department',p.dept||'—']];
 if(p.plan_task)rows.push(['规划任务 task',p.plan_task]);
 if(p.installed_kw!=null)rows.push(['已建 built',fmt(p.installed_kw)+' kW']);
 if(p.under_construction_kw!=null)rows.push(['在建 in progress',fmt(p.under_construction_kw)+' kW']);
 if(p.planned_kw!=null)rows.push(['已备案 planned',fmt(p.planned_kw)+' kW']);
 if(p.remaining_kw!=null)rows.push(['剩余潜力 remaining potential',fmt(p.remaining_kw)+' kW']);
 popup.innerHTML='<button class="x" title="关闭 close">×</button><table>'+rows.map(function(t){return '<tr><th>'+esc(t[0])+'</th><td>'+esc(t[1])+'</td></tr>';}).join('')+'</table>';
 popup.querySelector('.x').onclick=function(){popup.style.display='none';};
 popup.style.left=Math.min(x+10,W-330)+'px';popup.style.top=Math.max(0,Math.min(y+10,H-260))+'px';popup.style.display='block';popup.dataset.id=p.id;}
var fs=document.getElementById('f-street'),fc=document.getElementById('f-class'),fp=document.getElementById('f-pv');
function opts(sel,vals){vals.sort().forEach(function(v){var o=document.createElement('option');o.value=v;o.textContent=v;sel.appendChild(o);});}
opts(fs,Array.from(new Set(roofs.map(function(f){return f.properties.street;}).filter(Boolean))));
opts(fc,Array.from(new Set(roofs.map(function(f){return f.properties.cls;}).filter(Boolean))));
function filter(){var s=fs.value,c=fc.value,pv=fp.checked;R_.forEach(function(r){var p=r.f.properties;
 r.show=(!s||p.street===s)&&(!c||p.cls===c)&&(!pv||p.kw>0);});popup.style.display='none';draw();}
[fs,fc,fp].forEach(function(e){e.addEventListener('change',filter);});
function zoom(k,x,y){var q=unpx(x,y);view.s*=k;var a=unpx(x,y);view.cx+=q[0]-a[0];view.cy+=q[1]-a[1];draw();}
canvas.addEventListener('wheel',function(e){e.preventDefault();var r=canvas.getBoundingClientRect();zoom(e.deltaY<0?1.25:0.8,e.clientX-r.left,e.clientY-r.top);},{passive:false});
document.getElementById('zoom-in').onclick=function(){zoom(1.5,W/2,H/2);};
document.getElementById('zoom-out').onclick=function(){zoom(1/1.5,W/2,H/2);};
document.getElementById('zoom-fit').onclick=function(){fit();draw();};
var drag=null;
canvas.addEventListener('mousedown',function(e){drag={x:e.clientX,y:e.clientY,cx:view.cx,cy:view.cy,moved:false};canvas.style.cursor='grabbing';});
window.addEventListener('mousemove',function(e){if(!drag)return;var dx=e.clientX-drag.x,dy=e.clientY-drag.y;
 if(Math.abs(dx)+Math.abs(dy)>3)drag.moved=true;if(drag.moved){view.cx=drag.cx-dx/view.s;view.cy=drag.cy+dy/view.s;draw();}});
window.addEventListener('mouseup',function(e){if(!drag)return;var moved=drag.moved;drag=null;canvas.style.cursor='grab';
 if(!moved&&e.target===canvas){var r=canvas.getBoundingClientRect(),x=e.clientX-r.left,y=e.clientY-r.top,h=hit(x,y);
  if(h)show(h,x,y);else popup.style.display='none';}});
var lg=document.getElementById('legend');
lg.innerHTML='<b>装机 capacity</b><br><i style="background:'+conf.noPv+'"></i>无光伏 no PV<br>'+conf.colours.map(function(c,i){return '<i style="background:'+c+'"></i>'+esc(conf.binLabels[i]);}).join('<br>');
if(conf.tileUrl)document.getElementById('attribution').textContent=conf.tileAttribution||conf.tileUrl.split('/')[2]||'';
window.addEventListener('resize',function(){size();draw();});
size();fit();draw();
// test hook: the number of roofs drawn and where a roof is on screen
window.pvsiteMap={drawnCount:function(){return drawn;},total:function(){return R_.length;},
 screenPoint:function(id){var r=R_.filter(function(t){return t.f.properties.id===id;})[0];if(!r)return null;
  var a=px(r.c),b=canvas.getBoundingClientRect();return {x:a[0]+b.left,y:a[1]+b.top};},
 view:function(){return {cx:view.cx,cy:view.cy,s:view.s};}};
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src {img_src}; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{title}</title><style>{css}</style></head>
<body>
<h1>{title}</h1>
{synthetic}
<p class="muted">pvsite {version} · 生成 created {created} UTC · 输出集 output set {set_id}</p>
{pdf_line}
<h2>要点 Headline</h2>
<p class="muted">“潜力”为情景测算的可装容量，并非已建；“× 目标”为潜力与目标之比。 / “Potential” is what the scenario's rules
fit on the roofs, not what is built; “× target” is potential divided by the target.</p>
<div class="cards">{headline}</div>
{scenarios}
<h2>经济性 Economics</h2>
<section id="economics">{economics}</section>
<h2>数据提示 Data flags</h2>
<ul class="flags">{flags}</ul>
<h2 class="screen-only">地图 Map</h2>
<div class="screen-only">
<div id="map-tools">
<label>街道 street <select id="f-street"><option value="">全部 all</option></select></label>
<label>类别 class <select id="f-class"><option value="">全部 all</option></select></label>
<label><input type="checkbox" id="f-pv"> 仅显示有光伏 PV only</label>
<span class="muted">显示 shown: <b id="map-count">0</b> / {n_drawn} · 拖动平移、滚轮缩放、点击屋顶查看 drag to pan, wheel to zoom, click a roof</span>
</div>
<div id="map-wrap"><canvas id="map"></canvas>
<div id="map-zoom"><button id="zoom-in" title="放大 zoom in">+</button><button id="zoom-out" title="缩小 zoom out">−</button><button id="zoom-fit" title="全图 fit">⤢</button></div>
<div id="legend"></div><div id="attribution"></div><div id="popup"></div></div>
</div>
<h2>汇总表 Tables</h2>
{tables}
<h2>优先清单与部门任务 Priority list and department tasks</h2>
{lists}
<h2>图表 Charts</h2>
{charts}
<h2>假设与来源 Assumptions and sources</h2>
<table><thead><tr><th>项目 item</th><th>取值 value</th><th>来源 source</th></tr></thead><tbody>{assumptions}</tbody></table>
<details class="screen-only"><summary>完整配置 full configuration (TOML)</summary><pre>{config_toml}</pre></details>
<script type="application/json" id="pv-conf">{conf_json}</script>
<script type="application/geo+json" id="pv-roofs">{roofs_json}</script>
<script type="application/geo+json" id="pv-streets">{streets_json}</script>
<script>{js}</script>
</body></html>
"""

__all__ = ["CANCEL_POLL_S", "CHROMIUM_CANDIDATES", "CHROMIUM_FLAGS", "NO_PDF_HINT", "PDF_TIMEOUT_S", "PrintCancelled",
           "STATUS_ZH", "assumptions", "find_chromium", "flags", "html_table", "html_text", "map_roofs", "map_streets",
           "print_pdf"]
