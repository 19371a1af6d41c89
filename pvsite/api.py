"""The Python API: what the CLI calls, for notebooks and scripts.

    import pvsite
    result = pvsite.run(footprints="survey.gpkg", scenario="plan-2030", street="新华路街道")
    result.summary                          # the rollup table
    pvsite.write(result, "outputs/xinhua.gpkg", overwrite=True)   # .gpkg + .qgs + .xlsx + _roofs.csv

    prepared = pvsite.prepare(config="my.toml")     # read, classify, lay out, simulate once
    for name in ("plan-2025", "plan-2030"):
        print(name, pvsite.size(prepared, name).district["capacity_kw"])

Every keyword that names a setting is checked by :mod:`pvsite.config` once,
here at the edge, together with the TOML file: every unknown key and every
bad value is reported in one :class:`pvsite.errors.ConfigError`.
"""

from __future__ import annotations

from pathlib import Path

from pvsite.config import Config, load_config

#: Shortcut keywords of :func:`configure` → dotted config key.
SHORTCUTS = {
    "footprints": "input.footprints",
    "layer": "input.layer",
    "encoding": "input.encoding",
    "crs": "input.crs",
    "datum": "input.datum",
    "engine": "input.engine",
    "streets": "input.streets",
    "overrides": "input.overrides",
    "weather": "weather.path",
    "weather_columns": "weather.columns",
    "allow_distant_weather": "weather.allow_distant",
    "policy": "policy.preset",
    "scenario": "policy.scenario",
    "heights": "roof.height_raster",
    "panels": "output.panels",
    "parquet": "output.parquet",
    "out_crs": "output.crs",
    "flag_exclusions": "exclusions.flag_only",
    "shading": "shading.enabled",
    "rank_by": "priority.rank_by",
    "consumption": "carbon.consumption",
    "emission_factor": "carbon.emission_factor",
    "report": "report.enabled",
    "pdf": "report.pdf",
    "tile_url": "report.tile_url",
    "tile_datum": "report.tile_datum",
    "scheduler": "compute.scheduler",
    "dask_address": "compute.address",
    "workers": "compute.n_workers",
    "economics": "economics.preset",
    "business_model": "economics.business_model",
    "load": "economics.load",
}


def configure(config: Config | str | Path | None = None, *, registries=(), excludes=(), contexts=(), installed=(),
              **settings) -> Config:
    """The run configuration: a TOML file (or a :class:`Config`) with settings on top.

    Parameters
    ----------
    config : Config, str or Path, optional
        A configuration, or a TOML file of overrides; default: pvsite's defaults.
    registries : sequence of str or dict
        Institution registries added to ``[input] registries`` (``PATH[:datum]`` or tables).
    installed : sequence of str or dict
        Lists of installed / planned PV projects added to ``[delivery] installed``
        (``PATH[:datum]``, datum also ``cgcs2000``, or tables).
    excludes : sequence of str or dict
        Exclusion layers added to ``[exclusions] layers`` (``PATH[:datum]`` or tables).
    contexts : sequence of str or dict
        Site-context layers added to ``[input] context`` (``PATH[:datum]`` or tables).
    **settings
        Shortcuts (:data:`SHORTCUTS`, e.g. ``footprints=``, ``scenario=``) or whole
        sections as dicts (``mounting={"flat_tilt_deg": 15}``).  ``None`` values are ignored.
        ``scheduler=`` takes what ``--scheduler`` and the TOML file take: ``serial``,
        ``processes``, ``dask``, ``local`` (a Dask LocalCluster) or a Dask scheduler
        address such as ``"tcp://10.0.0.5:8786"`` (:class:`pvsite.config.ComputeConfig`).

    Raises
    ------
    pvsite.errors.ConfigError
        Listing every unknown key and bad value at once.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    sections: dict[str, dict] = {}
    for key, value in settings.items():
        if value is None:
            continue
        if key in SHORTCUTS:
            section, name = SHORTCUTS[key].split(".")
            sections.setdefault(section, {})[name] = str(value) if isinstance(value, Path) else value
        elif isinstance(value, dict):
            sections.setdefault(key, {}).update(value)
        else:  # not a section: with_overrides names it with the valid keys
            sections[key] = value
    if registries:
        sections.setdefault("input", {})["registries"] = list(cfg.input.registries) + [_spec(r) for r in registries]
    if installed:
        from pvsite.io.installed import parse_installed_spec

        sections.setdefault("delivery", {})["installed"] = (list(cfg.delivery.installed)
                                                           + [parse_installed_spec(i) for i in installed])
    if excludes:
        sections.setdefault("exclusions", {})["layers"] = list(cfg.exclusions.layers) + [_spec(e) for e in excludes]
    if contexts:
        sections.setdefault("input", {})["context"] = list(cfg.input.context) + [_spec(c) for c in contexts]
    return cfg.with_overrides(**sections) if sections else cfg


def _spec(item) -> dict:
    """``PATH[:datum]`` → ``{path, datum}``; tables pass through."""
    if isinstance(item, dict):
        return dict(item)
    from pvsite.io.layers import parse_spec

    path, datum = parse_spec(str(item))
    return {"path": str(path), **({"datum": datum} if datum else {})}


def selection(street=None, district=None, district_boundaries=None, bbox=None, within=None):
    """A :class:`pvsite.pipeline.Selection` (criteria combine with AND)."""
    from pvsite.pipeline import Selection

    return Selection(street=street, district=district, district_boundaries=district_boundaries,
                     bbox=tuple(bbox) if bbox else None, within=str(within) if within else None)


def prepare(config: Config | str | Path | None = None, *, street=None, district=None, district_boundaries=None,
            bbox=None, within=None, progress=None, **settings):
    """Everything a scenario does not change (:func:`pvsite.pipeline.prepare`); see :func:`configure`."""
    from pvsite import pipeline

    cfg = configure(config, **settings)
    return pipeline.prepare(cfg, selection(street, district, district_boundaries, bbox, within), progress)


def size(prepared, scenario: str | None = None, progress=None):
    """Size a :func:`prepare` d run for one scenario (:func:`pvsite.pipeline.size`)."""
    from pvsite import pipeline

    return pipeline.size(prepared, scenario, progress)


def run(config: Config | str | Path | None = None, *, street=None, district=None, district_boundaries=None,
        bbox=None, within=None, progress=None, **settings):
    """Run pvsite: read, classify, size, simulate and roll up; returns a :class:`pvsite.pipeline.RunResult`.

    Parameters
    ----------
    config : Config, str or Path, optional
        A configuration or a TOML file (see :func:`configure`).
    street, district, district_boundaries, bbox, within : optional
        The selection (:class:`pvsite.pipeline.Selection`).
    progress : callable, optional
        Called with a label as each stage starts.
    **settings
        Shortcuts and sections, see :func:`configure` (e.g. ``footprints=``, ``scenario=``,
        ``registries=[...]``, ``excludes=[...]``).
    """
    prepared = prepare(config, street=street, district=district, district_boundaries=district_boundaries,
                       bbox=bbox, within=within, progress=progress, **settings)
    return size(prepared, progress=progress)


def write(result, path: str | Path | None = None, *, overwrite: bool = False, progress=None):
    """Write a run's outputs as one set: ``.gpkg`` with QGIS styles, ``.qgs`` project, ``.xlsx`` workbook, CSV twins.

    Either the whole new set appears or the previous one stays; a lock beside
    the output keeps two runs aimed at it from interleaving
    (:func:`pvsite.outputs.write_all`).

    Parameters
    ----------
    result : pvsite.pipeline.RunResult
        From :func:`run` / :func:`size`.
    path : str or Path, optional
        The GeoPackage; default ``outputs/pvsite_<scope>_<scenario>.gpkg``.
    overwrite : bool
        Replace an existing set.
    progress : callable, optional
        Called with a label as each file of the set starts being written.

    Returns
    -------
    pvsite.outputs.OutputSet
        The paths written (``.gpkg``, ``.qgs``, ``.xlsx``, ``_roofs.csv`` and the other CSV twins) and the set id.
    """
    from pvsite import outputs
    from pvsite.resources import OUTPUTS_DIR

    return outputs.write_all(result, path if path is not None else outputs.default_path(result, OUTPUTS_DIR),
                             overwrite=overwrite, progress=progress)
