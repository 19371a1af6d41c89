"""Command line: thin — parse options, call the library, print.

    pvsite run [--footprints PATH] [--street NAME] [--scenario NAME] [--weather PATH]
               [--config TOML] [--out PATH] [--overwrite] [-v/-q]
    pvsite streets [--footprints PATH]
    pvsite scenarios [--policy NAME]
    pvsite weather fetch --lat LAT --lon LON
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from pvsite import __version__
from pvsite.config import Config, load_config
from pvsite.errors import PvsiteError

log = logging.getLogger("pvsite")


# --- shared options ---------------------------------------------------------

def verbosity(f):
    f = click.option("-v", "--verbose", count=True, help="More detail; -v also shows tracebacks.")(f)
    f = click.option("-q", "--quiet", is_flag=True, help="Only errors and the final summary.")(f)
    return f


def input_options(f):
    f = click.option("--footprints", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Building footprints (GPKG/SHP/GeoJSON/FGB/Parquet/.osm.pbf). Default: the embedded sample district.")(f)
    f = click.option("--layer", default=None, help="Layer in a multi-layer footprint file.")(f)
    f = click.option("--encoding", default=None, help="Attribute encoding of a Shapefile without .cpg (e.g. gbk).")(f)
    f = click.option("--crs", "crs", default=None, help="CRS of the file when it has none, or when its declared CRS fails the plausibility checks (e.g. EPSG:4490).")(f)
    f = click.option("--streets", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Street/town polygons (default: the footprint GPKG's 'streets' layer).")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="TOML file overriding defaults (see README).")(f)
    f = click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default=None,
                     help="Datum of lon/lat footprints: gcj02 (Amap/Tencent/DataV) or bd09 (Baidu) are converted to WGS84.")(f)
    f = click.option("--engine", type=click.Choice(["pyogrio", "fiona"]), default=None,
                     help="Vector I/O engine (default pyogrio).")(f)
    return f


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose >= 2:
        level = logging.DEBUG
    elif verbose == 1:
        level = logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)


def handle_errors(f):
    """Turn pvsite errors into a clear message and exit code; tracebacks only with -v."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        verbose = kwargs.get("verbose", 0)
        try:
            return f(*args, **kwargs)
        except PvsiteError as exc:
            if verbose:
                raise
            click.echo(click.style("Error: ", fg="red", bold=True) + str(exc), err=True)
            sys.exit(exc.exit_code)
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


def _config(config_path, footprints=None, layer=None, encoding=None, crs=None, streets=None,
            weather=None, scenario=None, policy=None, datum=None, engine=None, overrides_csv=None,
            registries=(), excludes=(), exclude_datum=None, flag_exclusions=False, no_panels=False) -> Config:
    from pvsite.io.layers import parse_spec as parse_registry_spec

    cfg = load_config(config_path)
    inp = {k: v for k, v in dict(footprints=str(footprints) if footprints else None, layer=layer,
                                 encoding=encoding, crs=crs, streets=str(streets) if streets else None,
                                 datum=datum, engine=engine,
                                 overrides=str(overrides_csv) if overrides_csv else None).items()
           if v is not None}
    if registries:
        specs = []
        for spec in registries:
            path, reg_datum = parse_registry_spec(spec)
            specs.append({"path": str(path), **({"datum": reg_datum} if reg_datum else {})})
        inp["registries"] = list(cfg.input.registries) + specs
    overrides = {}
    excl = {}
    if excludes:
        excl["layers"] = list(cfg.exclusions.layers) + [
            {"path": str(p), "datum": exclude_datum or "wgs84"} for p in excludes]
    if flag_exclusions:
        excl["flag_only"] = True
    if excl:
        overrides["exclusions"] = excl
    if no_panels:
        overrides["output"] = {"panels": False}
    if inp:
        overrides["input"] = inp
    if weather:
        overrides["weather"] = {"path": str(weather)}
    pol = {k: v for k, v in dict(scenario=scenario, preset=policy).items() if v}
    if pol:
        overrides["policy"] = pol
    return cfg.with_overrides(**overrides) if overrides else cfg


# --- commands ---------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pvsite")
def main():
    """pvsite — rooftop PV potential per roof, street and district, toward the plan's target.

    Run `pvsite run` for the whole (sample) district, `pvsite streets` for the street names.
    """


@main.command()
@input_options
@click.option("--street", default=None, help="Only this street/town (e.g. 新华路街道). Default: whole district.")
@click.option("--scenario", default=None, help="Policy scenario (see `pvsite scenarios`). Default: the preset's default.")
@click.option("--policy", default=None, help="Policy preset name or TOML path (default changning-2023).")
@click.option("--weather", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Weather year (EPW, PVGIS csv/json, TMY3, CSV). Default: the embedded synthetic Shanghai year.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output GeoPackage (default outputs/pvsite_<scope>_<scenario>.gpkg).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--district", default=None, help="Only this district (name or adcode) of --district-boundaries.")
@click.option("--district-boundaries", default=None, metavar="PATH[:datum]",
              help="District polygons for --district (e.g. shanghai_districts_gcj02.geojson:gcj02).")
@click.option("--bbox", nargs=4, type=float, default=None, metavar="W S E N",
              help="Only roofs inside this lon/lat box (WGS84 degrees).")
@click.option("--within", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Only roofs inside the polygons of this file.")
@click.option("--overrides", "overrides_csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV building_id,building_type,reason whose classification beats every rule.")
@click.option("--registry", "registries", multiple=True, metavar="PATH[:datum]",
              help="Institution registry (CSV with lon/lat, or a layer); repeatable. Datum wgs84/gcj02/bd09.")
@click.option("--exclude", "excludes", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="No-go polygons/points (e.g. heritage); every layer of the file is used; repeatable.")
@click.option("--exclude-datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default=None,
              help="Datum of lon/lat --exclude files (default wgs84).")
@click.option("--flag-exclusions", is_flag=True, help="Only flag excluded roofs; they keep their PV.")
@click.option("--no-panels", is_flag=True, help="Do not write the panels layer (very large runs).")
@click.option("--heights", "height_raster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Building-height raster (metres above ground): measured heights and roof planes.")
@verbosity
@handle_errors
def run(footprints, layer, encoding, crs, streets, config_path, datum, engine, street, scenario, policy,
        weather, out, overwrite, district, district_boundaries, bbox, within, overrides_csv, registries,
        excludes, exclude_datum, flag_exclusions, no_panels, height_raster, verbose, quiet):
    """Size every roof, simulate its yield and roll up toward the target; write a GeoPackage."""
    _setup_logging(verbose, quiet)
    from pvsite import pipeline
    from pvsite.outputs import gpkg as output
    from pvsite.outputs import console as report
    from pvsite.resources import OUTPUTS_DIR

    cfg = _config(config_path, footprints, layer, encoding, crs, streets, weather, scenario, policy,
                  datum, engine, overrides_csv, registries, excludes, exclude_datum, flag_exclusions, no_panels)
    if height_raster:
        cfg = cfg.with_overrides(roof={"height_raster": str(height_raster)})
    selection = pipeline.Selection(street=street, district=district, district_boundaries=district_boundaries,
                                   bbox=tuple(bbox) if bbox else None, within=str(within) if within else None)
    if out is not None:
        output.check_writable(out, overwrite)  # fail before the work, not after
    with report.progress(quiet) as stage:
        result = pipeline.run(cfg, stage=stage, selection=selection)
    if out is None:
        out = OUTPUTS_DIR / f"pvsite_{report.safe_name(result.scope)}_{result.scenario}.gpkg"
        output.check_writable(out, overwrite)
    output.write_result(out, result, overwrite=overwrite)
    output.write_xlsx(Path(out).with_suffix(".xlsx"), result, overwrite=overwrite)
    report.print_summary(result, out, verbose=verbose, quiet=quiet)


@main.command(name="streets")
@input_options
@verbosity
@handle_errors
def streets_cmd(footprints, layer, encoding, crs, streets, config_path, datum, engine, verbose, quiet):
    """List the streets/towns a run can select with --street."""
    _setup_logging(verbose, quiet)
    from pvsite import pipeline

    cfg = _config(config_path, footprints, layer, encoding, crs, streets, datum=datum, engine=engine)
    for name in pipeline.list_streets(cfg):
        click.echo(name)


@main.group()
def weather():
    """Weather years: fetch a PVGIS TMY for a point."""


@weather.command()
@click.option("--lat", "lat", type=float, required=True, help="Latitude [°N].")
@click.option("--lon", "lon", type=float, required=True, help="Longitude [°E].")
@click.option("--dir", "dest_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to store the file in (default irradiance/).")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Network timeout [s].")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@verbosity
@handle_errors
def fetch(lat, lon, dest_dir, timeout, overwrite, verbose, quiet):
    """Download a PVGIS typical year for LAT/LON (needs internet)."""
    _setup_logging(verbose, quiet)
    from pvsite.io import pvgis

    path = pvgis.fetch_pvgis_tmy(lat, lon, dest_dir=dest_dir, timeout=timeout, overwrite=overwrite)
    click.echo(f"wrote {path}; use it with: pvsite run --weather {path}")


@main.command()
@click.option("--policy", default="changning-2023", show_default=True, help="Policy preset name or TOML path.")
@handle_errors
def scenarios(policy, verbose=0):
    """List the scenarios of a policy preset with what they mean."""
    from pvsite.presets import load_preset
    from pvsite.planning.sizing import describe_rule, scenario_rules

    pol = load_preset("policy", policy)
    click.echo(f"{pol.get('name', policy)}\nsource: {pol.get('source', '')}\n"
               f"target: {pol.get('target_kw')} kW ({pol.get('target_label', '')})\n")
    for name, sc in pol.get("scenarios", {}).items():
        default = "  (default)" if name == pol.get("default_scenario") else ""
        click.echo(f"{name}{default}\n  {sc.get('description_zh', '')}\n  {sc.get('description', '')}")
        for rule in scenario_rules(pol, name)[1]:
            click.echo(f"    - {describe_rule(rule)}")
