"""Read every input file of a run, once, before any computation.

:func:`read_inputs` is the IO stage of :func:`pvsite.pipeline.prepare`: the
footprints, the weather year, the street polygons, the institution
registries, the exclusion and site-context layers, the ``--within`` / ``--district``
selection layers and the ``--consumption`` table.  The stages after it work on
the frames it returns and never open a file.
"""

from __future__ import annotations

import dataclasses

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pvsite.config import ContextConfig, ExclusionLayerConfig, RegistryConfig
from pvsite.errors import ConfigError, InputError
from pvsite.io import consumption as consumption_io
from pvsite.io import footprints as footprints_io
from pvsite.io import installed as installed_io
from pvsite.io import layers
from pvsite.io import loads as loads_io
from pvsite.io import weather as weather_io
from pvsite.resources import SAMPLE_FOOTPRINTS

log = logging.getLogger(__name__)


@dataclass
class RunInputs:
    """The inputs of a run, as read from their files.

    Attributes
    ----------
    footprints : geopandas.GeoDataFrame
        Canonical footprint columns (:mod:`pvsite.io.footprints`), in the file's CRS.
    footprints_path : Path
        The footprint file.
    footprints_meta : dict
        Layer, CRS, field mapping, SHA-256 and warnings of the read.
    is_synthetic : bool
        The footprints are pvsite's synthetic sample district.
    weather : pandas.DataFrame
        Canonical hourly weather (:mod:`pvsite.io.weather`).
    weather_meta : dict
        Source, site, SHA-256 and checks of the weather year.
    street_polygons : geopandas.GeoDataFrame or None
        ``street_name`` + geometry, or None when the run has none.
    streets_source : str
        Where the street polygons came from (``none`` when absent).
    within : geopandas.GeoDataFrame or None
        The ``--within`` region.
    districts : geopandas.GeoDataFrame or None
        District outlines for ``--district`` (WGS 84).
    registries : list of (RegistryConfig, SideLayer)
        The institution registries (``[[input.registries]]``, ``--registry``), in precedence order.
    exclusions : list of (ExclusionLayerConfig, SideLayer)
        The exclusion layers (``[[exclusions.layers]]``, ``--exclude``).
    context : list of (ContextConfig, GeoDataFrame)
        The site-context layers (``[[input.context]]``, ``--context``), as
        :func:`pvsite.io.layers.read_context` reads them.
    consumption : pandas.DataFrame or None
        Annual energy use entries (``--consumption``,
        :func:`pvsite.io.consumption.read_consumption`), or None.
    installed : list of pvsite.io.installed.InstalledList
        The lists of installed / planned PV projects (``[[delivery.installed]]``, ``--installed``).
    warnings : list
        Warnings of the reads.
    load : pandas.DataFrame or None
        Hourly loads [kWh] per building / street / class (``--load``), on the weather's hours.
    """

    footprints: gpd.GeoDataFrame
    footprints_path: Path
    footprints_meta: dict
    is_synthetic: bool
    weather: pd.DataFrame
    weather_meta: dict
    street_polygons: gpd.GeoDataFrame | None = None
    streets_source: str = "none"
    within: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    registries: list[tuple[RegistryConfig, layers.SideLayer]] = field(default_factory=list)
    exclusions: list[tuple[ExclusionLayerConfig, layers.SideLayer]] = field(default_factory=list)
    context: list[tuple[ContextConfig, gpd.GeoDataFrame]] = field(default_factory=list)
    installed: list[installed_io.InstalledList] = field(default_factory=list)
    warnings: list = field(default_factory=list)
    consumption: pd.DataFrame | None = None
    load: pd.DataFrame | None = None
    #: Features read from the footprint file (kept when :func:`release_footprints` drops the rows).
    n_footprints: int | None = None

    def __post_init__(self):
        if self.n_footprints is None:
            self.n_footprints = len(self.footprints)


def release_footprints(inputs: RunInputs) -> RunInputs:
    """The inputs without the footprint rows, once :func:`pvsite.buildings.locate.locate` holds them in metric form.

    The file-CRS geometries are not used after locating; at 1,000,000
    footprints they hold ≈ 0.5 GB.  The columns (an empty frame) and
    :attr:`RunInputs.n_footprints` stay.
    """
    return dataclasses.replace(inputs, footprints=inputs.footprints.iloc[:0].copy(), n_footprints=inputs.n_footprints)


def footprints_path(config) -> Path:
    """The footprint file of a run (the embedded sample when none is given)."""
    if config.input.footprints:
        return Path(config.input.footprints)
    if not SAMPLE_FOOTPRINTS.is_file():
        raise InputError(
            f"The embedded sample district {SAMPLE_FOOTPRINTS} is missing.",
            fix="Regenerate it with `python -m pvsite.datagen.sample_district`, or pass --footprints PATH.",
            zh=f"内置样例城区 {SAMPLE_FOOTPRINTS} 缺失。",
            fix_zh="请用 `python -m pvsite.datagen.sample_district` 重新生成，或传入 --footprints PATH。",
        )
    return SAMPLE_FOOTPRINTS


def read_weather(config) -> tuple[pd.DataFrame, dict]:
    """The run's weather year: ``[weather] path``, else the embedded default year."""
    if config.weather.path:
        return weather_io.read_weather(config.weather.path, columns=dict(config.weather.columns) or None,
                                       time_shift_min=config.weather.time_shift_min)
    if config.weather.columns:
        raise ConfigError(
            "[weather] columns is set but no weather file is given.",
            fix="Pass --weather PATH (a CSV), or drop [weather.columns].",
            zh="配置了 [weather] columns，但没有给出气象文件。",
            fix_zh="请传入 --weather PATH（CSV 文件），或删除 [weather.columns]。",
        )
    if config.weather.time_shift_min:
        raise ConfigError(
            "[weather] time_shift_min is set but no weather file is given.",
            fix="The default year already follows the sun: drop time_shift_min, or pass --weather PATH.",
            zh="配置了 [weather] time_shift_min，但没有给出气象文件。",
            fix_zh="内置默认气象年已与太阳位置对齐：请删除 time_shift_min，或传入 --weather PATH。",
        )
    return weather_io.default_weather()


def read_footprints(config) -> tuple[gpd.GeoDataFrame, Path, dict]:
    """The run's footprints, refusing an empty layer."""
    path = footprints_path(config)
    gdf, meta = footprints_io.read_footprints(
        path, layer=config.input.layer, encoding=config.input.encoding,
        crs=config.input.crs, fields=config.input.fields, engine=config.input.engine,
    )
    for warning in meta.get("warnings", []):
        log.warning("%s: %s", path, warning)
    if len(gdf) == 0:
        raise InputError(
            f"{path} (layer {meta.get('layer')}) holds no features.",
            fix="Check --layer (the layers are listed by `ogrinfo` or QGIS) or the export.",
            zh=f"{path}（图层 {meta.get('layer')}）中没有要素。",
            fix_zh="请检查 --layer（`ogrinfo` 或 QGIS 可列出图层）或导出的数据。",
        )
    return gdf, path, meta


def read_registry(spec: RegistryConfig) -> layers.SideLayer:
    """Read one institution registry (``--registry PATH[:datum]``).

    Raises
    ------
    InputError
        Missing / unreadable / empty file, no lon/lat columns, swapped or projected coordinates.
    ConfigError
        A datum contradicting the coordinate columns' names, or two column pairs and no datum.
    """
    return layers.read_layer(spec.path, datum=spec.datum, layer=spec.layer, encoding=spec.encoding,
                             lon_col=spec.lon_col, lat_col=spec.lat_col, what="--registry")


def read_exclusion_layer(spec: ExclusionLayerConfig) -> layers.SideLayer:
    """Read one exclusion source (``--exclude PATH``); a GeoPackage without a layer: all its spatial layers.

    Raises
    ------
    InputError
        Missing / unreadable / empty file or layer, no CRS, no lon/lat columns, or a
        ``name_field`` that is not in the layer.
    """
    return layers.read_layer(spec.path, datum=spec.datum, layer=spec.layer, name_field=spec.name_field,
                             what="--exclude", all_layers=spec.layer is None)


def read_context_layer(spec: ContextConfig) -> gpd.GeoDataFrame:
    """Read one site-context layer (``--context PATH[:datum]``).

    Raises
    ------
    InputError
        Missing / unreadable / empty file, no CRS, no area polygons, a ``use_field`` not in the layer.
    """
    return layers.read_context(spec.path, datum=spec.datum, layer=spec.layer, encoding=spec.encoding,
                               use_field=spec.use_field)


def read_contexts(config) -> list[tuple[ContextConfig, gpd.GeoDataFrame]]:
    """The site-context layers of a run: ``--context`` files, and an ``.osm.pbf``'s own area polygons.

    An OpenStreetMap extract maps campuses and zones as areas (``amenity=school``,
    ``landuse=industrial`` …) beside the buildings inside them; when the footprints
    are an ``.osm.pbf``, its ``multipolygons`` layer (without ``building=*``) is
    context automatically (issue #11: the campus polygon itself is not a roof),
    unless the same file is already given with ``--context`` or ``[input]
    osm_areas_as_context = false``.  An extract with no such areas adds nothing (logged).
    """
    out = [(spec, read_context_layer(spec)) for spec in config.input.context]
    fp = footprints_path(config)
    given = {Path(spec.path).resolve() for spec in config.input.context}
    auto = config.input.osm_areas_as_context and fp.name.lower().endswith(".osm.pbf")
    if auto and fp.resolve() not in given:
        spec = ContextConfig(path=str(fp))
        try:
            out.append((spec, read_context_layer(spec)))
            log.info("context: the area polygons of %s (%d) type the buildings inside them", fp.name,
                        len(out[-1][1]))
        except InputError as exc:  # an extract with no area polygons: nothing to add
            log.info("context: %s has no usable area polygons (%s)", fp.name, exc.message)
    return out


def read_street_names(config) -> list[str]:
    """The streets a run can select: the street polygons' names, else the footprints' street attribute.

    Reads only the footprints and the street polygons (not the weather or the side layers).
    """
    gdf, path, _ = read_footprints(config)
    polygons, _ = layers.read_street_polygons(
        config.input.streets, path, config.input.streets_layer, config.input.street_name_field)
    if polygons is not None:
        return list(dict.fromkeys(polygons["street_name"]))
    return sorted(gdf["street"].dropna().astype(str).unique())


def read_inputs(config, selection) -> RunInputs:
    """Read the footprints, weather, street polygons, registries, exclusion, selection layers and PV lists of a run.

    The weather is read first: it is cheap and a wrong file should fail
    before the footprints are parsed.  Every side layer is read here, so a
    bad registry or exclusion file fails before any computation.

    Parameters
    ----------
    config : pvsite.config.Config
        Validated configuration.
    selection : pvsite.buildings.locate.Selection
        The run's selection (its ``within`` and ``district_boundaries`` files are read here).
    """
    weather, weather_meta = read_weather(config)
    gdf, path, meta = read_footprints(config)
    synthetic = footprints_io.is_synthetic_sample(path)
    polygons, source = layers.read_street_polygons(
        config.input.streets, path, config.input.streets_layer, config.input.street_name_field)
    within = layers.read_within(selection.within) if selection.within else None
    districts = None
    if selection.district and selection.district_boundaries:
        bpath, bdatum = layers.parse_spec(selection.district_boundaries)
        districts = layers.read_districts(bpath, datum=bdatum or "wgs84")
        districts.attrs["source"] = f"{bpath.name}, datum {bdatum or 'wgs84'}"  # named in selection messages
    return RunInputs(
        footprints=gdf, footprints_path=path, footprints_meta=meta, is_synthetic=synthetic,
        weather=weather, weather_meta=weather_meta, street_polygons=polygons, streets_source=source,
        within=within, districts=districts,
        registries=[(spec, read_registry(spec)) for spec in config.input.registries],
        exclusions=[(spec, read_exclusion_layer(spec)) for spec in config.exclusions.layers],
        context=read_contexts(config),
        consumption=read_consumption(config),
        installed=[installed_io.read_installed(spec) for spec in config.delivery.installed],
        load=loads_io.read_load(config.economics.load, weather.index) if config.economics.load else None,
    )


def read_consumption(config) -> pd.DataFrame | None:
    """The run's annual energy use table (``[carbon] consumption``), or None when none is given."""
    c = config.carbon
    if not c.consumption:
        return None
    return consumption_io.read_consumption(c.consumption, dict(c.consumption_columns) or None, c.consumption_sheet)

