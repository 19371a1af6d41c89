"""Command line: parse options, call the Python API (:mod:`pvsite.api`), print.

    pvsite run        [input options] [selection options] [--scenario NAME] [--out PATH] [--overwrite]
    pvsite scenarios  [--policy NAME] [--compare [input options] [selection options]]
    pvsite streets    [input options]
    pvsite weather fetch --lat LAT --lon LON

Options are declared once (the ``*_options`` decorators below) and passed to
:func:`pvsite.api.configure` by name; the configuration is validated there,
once, with every problem reported together.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import unicodedata
from pathlib import Path

import click

from pvsite import __version__
from pvsite.errors import PvsiteError

log = logging.getLogger("pvsite")

DATUMS = click.Choice(["wgs84", "gcj02", "bd09"])
FILE = click.Path(dir_okay=False, path_type=Path)
#: A footprint source: a file, or a folder dataset (an Esri File Geodatabase ``.gdb``; read_footprints refuses others).
DATASET = click.Path(dir_okay=True, path_type=Path)


# --- help that wraps Chinese by its width on screen ---------------------------------------
# Click wraps by characters, but a Chinese character takes two columns in a terminal, so a
# bilingual help line would run past 80 columns.  These wrap by display width instead.

_CJK = r"\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
#: One CJK character with the closing punctuation that must stay on its line, an ASCII word, or a space.
_TOKEN = re.compile(rf"[{_CJK}][，。、；：）」]*|[^\s{_CJK}]+|\s+")


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide and full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """Greedy wrap by display width; lines may break between Chinese characters and at spaces.

    Paragraphs (blank-line separated) are kept; one that starts with ``\\b`` is left unwrapped.
    """
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip("\n")):
        if out:
            out.append("")
        if para.lstrip().startswith("\b"):
            out += [ln.rstrip() for ln in para.lstrip()[1:].strip("\n").splitlines()]
            continue
        line, used = "", 0
        for tok in _TOKEN.findall(" ".join(para.split())):
            w = _width(tok)
            if tok.isspace():
                if line:
                    line, used = line + " ", used + 1
            elif used + w > width and line.strip():
                out.append(line.rstrip())
                line, used = tok, w
            else:
                line, used = line + tok, used + w
        out.append(line.rstrip())
    return out


class _Formatter(click.HelpFormatter):
    """Click's help formatter, wrapping by display width (see :func:`_wrap`)."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for line in _wrap(text, max(self.width - self.current_indent, 11)):
            self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((_width(a) for a, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if _width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - _width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(second, max(self.width - first_col - self.current_indent - 2, 10)) or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class _Context(click.Context):
    formatter_class = _Formatter


class _Command(click.Command):
    context_class = _Context


class _Group(click.Group):
    context_class = _Context
    command_class = _Command


_Group.group_class = _Group

# --- shared options, declared once -----------------------------------------------------

def _options(*decorators):
    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f
    return apply


verbosity = _options(
    click.option("-v", "--verbose", count=True, help="详细输出 More detail; -v also shows tracebacks."),
    click.option("-q", "--quiet", is_flag=True, help="安静模式 Only errors and the final summary."),
)

#: Options that set configuration keys (named as :data:`pvsite.api.SHORTCUTS`).
input_options = _options(
    click.option("--footprints", type=DATASET, default=None,
                 help="建筑轮廓文件 Building footprints (GPKG/SHP/GeoJSON/FGB/Parquet/.gdb folder/KML/KMZ/zipped SHP or "
                      "/vsizip/ path/DXF/CSV with WKT/.osm.pbf). Default: the embedded sample district."),
    click.option("--layer", default=None, help="图层名 Layer in a multi-layer footprint file."),
    click.option("--encoding", default=None,
                 help="属性编码 Attribute encoding of a Shapefile without .cpg, or of a DXF drawing (overrides its "
                      "$DWGCODEPAGE), e.g. gbk."),
    click.option("--crs", default=None,
                 help="坐标系 CRS of the file when it has none, or when its declared CRS fails the plausibility "
                      "checks (e.g. EPSG:4490)."),
    click.option("--datum", type=DATUMS, default=None,
                 help="经纬度坐标系 Datum of lon/lat footprints: gcj02 (Amap/Tencent/DataV) or bd09 (Baidu) are "
                      "converted to WGS84."),
    click.option("--engine", type=click.Choice(["pyogrio", "fiona"]), default=None,
                 help="读写引擎 Vector I/O engine (default pyogrio)."),
    click.option("--streets", type=FILE, default=None,
                 help="街道边界 Street/town polygons (default: the footprint GPKG's 'streets' layer)."),
    click.option("--config", "config_path", type=FILE, default=None,
                 help="配置文件 TOML file overriding defaults (see README)."),
)

model_options = _options(
    click.option("--policy", default=None,
                 help="政策预设 Policy preset name or TOML path (default changning-2023)."),
    click.option("--weather", type=FILE, default=None,
                 help="气象文件 Weather year (EPW, PVGIS csv/json, TMY3, CSV). Default: the embedded synthetic "
                      "Shanghai year."),
    click.option("--weather-column", "weather_columns", multiple=True, metavar="NAME=COLUMN",
                 help="气象列映射 Column of a CSV weather file for a canonical name (time, ghi, dni, dhi, temp_air, "
                      "wind_speed, pressure); repeatable. EPW-style headers are recognised without it."),
    click.option("--allow-distant-weather", is_flag=True, default=None,
                 help="允许远处气象站 Run although the weather station is > 1,000 km or > 5° of latitude from the "
                      "buildings."),
    click.option("--overrides", type=FILE, default=None,
                 help="分类覆盖表 CSV building_id,building_type,reason whose classification beats every rule."),
    click.option("--registry", "registries", multiple=True, metavar="PATH[:datum]",
                 help="单位名录 Institution registry (CSV with lon/lat, or a layer); repeatable. Datum "
                      "wgs84/gcj02/bd09."),
    click.option("--context", "contexts", multiple=True, metavar="PATH[:datum]",
                 help="用地性质图层 Land-use parcels (GB 50137 codes) or OSM areas (amenity=school, "
                      "landuse=industrial) whose type passes to the footprints inside them; repeatable."),
    click.option("--installed", "installed", multiple=True, metavar="PATH[:datum]",
                 help="已建/在建/已备案光伏项目清单 Installed, under-construction and planned PV projects (CSV/XLSX/"
                      "GPKG: project name, capacity kW, status 已并网/在建/已备案, date, building id or lon/lat); "
                      "repeatable. Datum wgs84/cgcs2000/gcj02/bd09."),
    click.option("--exclude", "excludes", multiple=True, type=FILE,
                 help="禁建范围 No-go polygons/points (e.g. heritage); every layer of the file is used; repeatable."),
    click.option("--exclude-datum", type=DATUMS, default=None,
                 help="禁建范围坐标系 Datum of lon/lat --exclude files (default wgs84)."),
    click.option("--flag-exclusions", is_flag=True, default=None,
                 help="只标记不排除 Only flag excluded roofs; they keep their PV."),
    click.option("--heights", type=FILE, default=None,
                 help="建筑高度栅格 Building-height raster (metres above ground): measured heights and roof planes."),
    click.option("--shading/--no-shading", default=None,
                 help="周边遮挡 Shading by neighbouring buildings (horizon per roof; on by default, "
                      "--no-shading: 不计遮挡 the flat 3 % PVWatts item instead)."),
    click.option("--rank-by", default=None, metavar="KEY[,KEY…]",
                 help="优先屋顶排序 Rank the roofs to do next by capacity (default; fewest roofs to close the gap), "
                      "yield, class (public institutions first), payback, npv, lcoe (need --economics), or several "
                      "joined by commas, e.g. class,capacity."),
    click.option("--consumption", type=FILE, default=None,
                 help="年用能 Annual energy use per building (building_id), street or the district, kWh (CSV/XLSX): "
                      "gives the renewable share (a PV-only proxy of task 15's 可再生能源替代率)."),
    click.option("--emission-factor", default=None, metavar="PRESET",
                 help="排放因子 Emission-factor preset (shanghai-2022 default, national-2022, national-2021, "
                      "east-china-2022, national-grid-ets-2022) or a TOML path; also sets the standard-coal rate."),
    click.option("--scheduler", default=None, metavar="serial|processes|local|ADDRESS",
                 help="并行方式 Where the layout and horizons run: serial = this process (default); processes = a "
                      "local pool; local (= dask) = a Dask LocalCluster; tcp://HOST:PORT = the Dask scheduler there "
                      "(本机 Dask 集群 / 已有 Dask 调度器地址)."),
    click.option("--dask-address", default=None, metavar="tcp://HOST:PORT",
                 help="Dask 调度器地址 A running Dask scheduler (implies --scheduler dask); default a local cluster."),
    click.option("--workers", type=click.IntRange(1), default=None,
                 help="进程数 Worker processes for --scheduler processes / a local Dask cluster (default 2)."),
    click.option("--economics", default=None,
                 help="经济性预设 Economics preset name or TOML path: costs, tariffs, rewards, EMC terms (default "
                      "shanghai-2025)."),
    click.option("--business-model", type=click.Choice(["self", "full-export", "emc"]), default=None,
                 help="商业模式 self = 自发自用余电上网 (owner pays); full-export = 全额上网; emc = 合同能源管理 "
                      "(investor builds)."),
    click.option("--load", type=FILE, default=None,
                 help="逐时负荷 Hourly load CSV (time + kWh per building id, street or class): self-consumption "
                      "from the hours."),
)

selection_options = _options(
    click.option("--street", default=None,
                 help="只算该街道/镇 Only this street/town (e.g. 新华路街道). Default: whole district."),
    click.option("--district", default=None,
                 help="只算该区 Only this district (name or adcode) of --district-boundaries."),
    click.option("--district-boundaries", default=None, metavar="PATH[:datum]",
                 help="区界 District polygons for --district (e.g. shanghai_districts_gcj02.geojson:gcj02)."),
    click.option("--bbox", nargs=4, type=float, default=None, metavar="W S E N",
                 help="范围框 Only roofs inside this lon/lat box (WGS84 degrees)."),
    click.option("--within", type=FILE, default=None,
                 help="范围面 Only roofs inside the polygons of this file."),
)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)


def handle_errors(f):
    """Turn pvsite errors into a clear message and exit code; tracebacks only with -v."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        verbose = kwargs.get("verbose", 0)
        _setup_logging(verbose, kwargs.get("quiet", False))
        try:
            return f(*args, **kwargs)
        except PvsiteError as exc:
            if verbose:
                raise
            click.echo(click.style("错误 Error", fg="red", bold=True) + f"{exc.headline}\n{exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # `pvsite streets | head`: the reader left, nothing is wrong
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: say so plainly
            if verbose:
                raise
            click.echo(
                click.style("Internal error: ", fg="red", bold=True)
                + f"{type(exc).__name__}: {exc}\n"
                "This is a pvsite bug. Re-run with -v for the traceback and report it.",
                err=True,
            )
            sys.exit(70)

    return wrapper


def _configure(config_path, excludes=(), exclude_datum=None, heights=None, **settings):
    """The validated :class:`pvsite.config.Config` of the options (one call, every problem at once)."""
    from pvsite import api

    excl = [{"path": str(p), "datum": exclude_datum or "wgs84"} for p in excludes]
    # A flag that is not given must not override the TOML file: only True counts.
    flags = {k: True if settings.pop(k, None) else None for k in ("flag_exclusions", "allow_distant_weather")}
    settings["weather_columns"] = _column_map(settings.pop("weather_columns", ()))
    # --scheduler local|ADDRESS and --dask-address are rewritten and checked by pvsite.config.ComputeConfig.
    return api.configure(config_path, excludes=excl, heights=heights,
                         **flags, **settings)


def _column_map(pairs) -> dict | None:
    """``("ghi=GHI", …)`` → ``{"ghi": "GHI"}``; None when no pair is given."""
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        name, sep, column = str(pair).partition("=")
        if not sep or not name.strip() or not column.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=COLUMN (e.g. ghi=\"Global Horizontal Radiation\").",
                                     param_hint="--weather-column")
        out[name.strip()] = column.strip()
    return out


def _selection(street=None, district=None, district_boundaries=None, bbox=None, within=None):
    from pvsite import api

    return api.selection(street, district, district_boundaries, bbox or None, within)


# --- commands ---------------------------------------------------------------------------

@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pvsite")
def main():
    """pvsite 屋顶光伏潜力测算：逐屋顶、街道、全区，对照规划目标。

    pvsite — rooftop PV potential per roof, street and district, toward the plan's target.

    \b
    pvsite run                    测算全区 size the whole (sample) district
    pvsite streets                街道名称 list the street names
    pvsite scenarios --compare    各情景对比 every scenario side by side
    pvsite weather fetch          下载气象年 fetch a PVGIS weather year
    """


@main.command(short_help="测算屋顶光伏并写出成果 Size every roof; write the outputs.")
@input_options
@model_options
@selection_options
@click.option("--scenario", default=None, help="情景 Policy scenario (see `pvsite scenarios`). Default: the preset's default.")
@click.option("--out", type=FILE, default=None, help="输出文件 Output GeoPackage (default outputs/pvsite_<scope>_<scenario>.gpkg).")
@click.option("--overwrite", is_flag=True,
              help="覆盖已有输出 Replace an existing output set (.gpkg, .qgs, .xlsx, CSVs).")
@click.option("--out-crs", default=None, metavar="CRS",
              help="输出坐标系 CRS of the GeoPackage layers, e.g. EPSG:4549 (CGCS2000 3-degree Gauss-Kruger CM 120E) or "
                   "EPSG:4490 (CGCS2000 lon/lat). Default: the run's WGS 84 / UTM zone (EPSG:32651 in Shanghai).")
@click.option("--panels/--no-panels", default=None,
              help="组件图层 Write the panels layer (one rectangle per module) always / never; default: up to "
                   "200,000 modules.")
@click.option("--parquet/--no-parquet", default=None,
              help="GeoParquet 屋顶 Also write the roofs as a partitioned GeoParquet folder <name>_roofs.parquet/ "
                   "always / never; default: only beyond the workbook's 50,000-roof sheet.")
@click.option("--report/--no-report", default=None,
              help="HTML 报告与图表 Write the one-file HTML report and chart PNGs (default on).")
@click.option("--pdf/--no-pdf", default=None,
              help="报告 PDF Print the report to PDF with headless Chromium when installed (default on).")
@click.option("--tile-url", default=None, metavar="URL",
              help="地图底图 Optional XYZ tile URL for the report's map ({z}/{x}/{y}); default none (fully offline).")
@click.option("--tile-datum", type=click.Choice(["wgs84", "gcj02"]), default=None,
              help="底图坐标系 Datum of --tile-url tiles: gcj02 for 高德/腾讯 tiles (default wgs84).")
@verbosity
@handle_errors
def run(config_path, excludes, exclude_datum, heights, street, district, district_boundaries, bbox,
        within, out, overwrite, verbose, quiet, **settings):
    """测算每个屋顶的装机与发电量并汇总对照目标，写出 GeoPackage、QGIS 工程、Excel 工作簿和报告。

    Size every roof, simulate its yield and roll up toward the target; write GeoPackage, QGIS project,
    workbook and report.
    """
    from pvsite import api, outputs, pipeline
    from pvsite.outputs import console

    cfg = _configure(config_path, excludes, exclude_datum, heights, **settings)
    selection = _selection(street, district, district_boundaries, bbox, within)
    if out is not None:
        outputs.check_writable(out, overwrite)  # fail before the work, not after
    with console.progress(quiet, len(pipeline.STAGES) + len(outputs.MEMBERS)) as stage:
        result = pipeline.run(cfg, selection, stage)
        written = api.write(result, out, overwrite=overwrite, progress=stage)
    console.print_summary(result, written.gpkg, verbose=verbose, quiet=quiet)


@main.command(name="streets", short_help="列出街道/镇 List the streets/towns.")
@input_options
@verbosity
@handle_errors
def streets_cmd(config_path, verbose, quiet, **settings):
    """列出可用 --street 选择的街道/镇。 List the streets/towns a run can select with --street."""
    from pvsite import pipeline

    for name in pipeline.list_streets(_configure(config_path, **settings)):
        click.echo(name)


@main.command(short_help="情景列表与对比 List or compare the scenarios.")
@click.option("--compare", is_flag=True,
              help="情景对比 Size the current inputs for every scenario (one preparation) and print the table.")
@input_options
@model_options
@selection_options
@verbosity
@handle_errors
def scenarios(compare, config_path, excludes, exclude_datum, heights, street, district, district_boundaries, bbox,
              within, verbose, quiet, **settings):
    """列出政策预设的情景；加 --compare 时给出各情景的全区潜力。

    List the scenarios of a policy preset; with --compare, their district totals for the inputs.
    """
    from pvsite.planning.sizing import describe_rule, scenario_rules
    from pvsite.presets import load_preset

    cfg = _configure(config_path, excludes, exclude_datum, heights, panels=False, **settings)
    pol = load_preset("policy", cfg.policy.preset)
    if not compare:
        click.echo(f"{pol.get('name', cfg.policy.preset)}\nsource: {pol.get('source', '')}\n"
                   f"target: {pol.get('target_kw')} kW ({pol.get('target_label', '')})\n")
        for name, sc in pol.get("scenarios", {}).items():
            default = "  (default)" if name == pol.get("default_scenario") else ""
            click.echo(f"{name}{default}\n  {sc.get('description_zh', '')}\n  {sc.get('description', '')}")
            for rule in scenario_rules(pol, name)[1]:
                click.echo(f"    - {describe_rule(rule)}")
        return
    from pvsite import pipeline
    from pvsite.outputs import console

    with console.progress(quiet, len(pipeline.PREPARE_STAGES)) as stage:
        prepared = pipeline.prepare(cfg, _selection(street, district, district_boundaries, bbox, within), stage)
    console.print_findings(prepared.findings)
    console.print_scenarios(pipeline.compare_scenarios(prepared), prepared.chosen.scope,
                            float(pol["target_kw"]), pol.get("default_scenario"))


@main.group(short_help="气象年 Weather years (PVGIS).")
def weather():
    """气象年：下载某点的 PVGIS 典型气象年。 Weather years: fetch a PVGIS TMY for a point."""


@weather.command(short_help="下载 PVGIS 典型年 Download a PVGIS TMY.")
@click.option("--lat", "lat", type=float, required=True, help="纬度 Latitude [°N].")
@click.option("--lon", "lon", type=float, required=True, help="经度 Longitude [°E].")
@click.option("--dir", "dest_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="保存文件夹 Folder to store the file in (default irradiance/).")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="网络超时 Network timeout [s].")
@click.option("--overwrite", is_flag=True, help="覆盖已有文件 Replace an existing file.")
@verbosity
@handle_errors
def fetch(lat, lon, dest_dir, timeout, overwrite, verbose, quiet):
    """下载 LAT/LON 处的 PVGIS 典型气象年（需联网）。 Download a PVGIS typical year for LAT/LON (needs internet)."""
    from pvsite.io import pvgis

    path = pvgis.fetch_pvgis_tmy(lat, lon, dest_dir=dest_dir, timeout=timeout, overwrite=overwrite)
    click.echo(f"wrote {path}; use it with: pvsite run --weather {path}")
