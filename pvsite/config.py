"""Run configuration: frozen dataclasses with cited defaults, one TOML override.

A run is fully described by one :class:`Config`.  Defaults live here, in code,
each with its source; a user overrides any of them from a single TOML file
(``pvsite run --config my.toml``) whose sections mirror the dataclasses::

    [input]
    footprints = "survey/changning_2024.shp"
    encoding = "gbk"
    [input.fields]
    name = "JZMC"

    [mounting]
    flat_tilt_deg = 15

An unknown section or key is an error that names it and suggests the nearest
valid one (a typo must never silently fall back to a default).  The resolved
configuration is written into every output (``run_info``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

import tomli_w

from pvsite.errors import ConfigError

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InputConfig:
    """Where the footprints and streets come from and how to read them.

    Attributes
    ----------
    footprints : str or None
        Footprint file (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, GeoParquet,
        .osm.pbf).  ``None`` uses the embedded synthetic sample district
        ``footprints/sample_district.gpkg``.
    layer : str or None
        Layer inside a multi-layer source.  ``None``: the only polygon layer,
        or ``buildings`` when present.
    encoding : str or None
        Attribute encoding of a Shapefile without a ``.cpg`` (e.g. ``gbk``).
    crs : str or None
        CRS to assume when the source declares none (e.g. ``EPSG:4490``).
    fields : dict
        pvsite field → source column (``name``, ``use``, ``storeys``,
        ``height_m``, ``year_built``, ``roof_type``, ``street``,
        ``building_id``).  Unmapped fields are auto-detected from common
        Chinese and English column names (``presets/fields.toml``).
    streets : str or None
        Street / town polygon file.  ``None``: the ``streets`` layer of the
        footprint GeoPackage when it has one.
    streets_layer : str or None
        Layer in ``streets``.
    street_name_field : str
        Column of the street polygons holding the street name.
    datum : str
        Datum of lon/lat footprint coordinates: ``wgs84`` (also CGCS2000,
        identical at cm level), ``gcj02`` (Amap/Gaode, Tencent, Aliyun DataV
        exports) or ``bd09`` (Baidu).  Web-map data left unconverted lands
        ~500 m off in Shanghai.
    engine : str
        ``pyogrio`` (default; Arrow, fastest) or ``fiona``.
    overrides : str or None
        CSV keyed by building id (``building_id, building_type, reason``)
        whose classification beats every rule.
    registries : list of tables
        Institution registries: ``{path, datum, default_type, tolerance_m,
        lon_col, lat_col, type_col, name_col}`` — points tag the footprint
        that contains them (or the nearest within ``tolerance_m``).
    """

    footprints: str | None = None
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    fields: dict = field(default_factory=dict)
    streets: str | None = None
    streets_layer: str | None = None
    street_name_field: str = "name"
    datum: str = "wgs84"
    engine: str = "pyogrio"
    overrides: str | None = None
    registries: list = field(default_factory=list)


@dataclass(frozen=True)
class ClassifyConfig:
    """Building classification.

    Attributes
    ----------
    preset : str
        Classification rule preset name (``presets/classify/<name>.toml``) or path.
    new_building_year : int
        Buildings completed in this year or later are *new* (新建).  Source:
        长府〔2023〕1号 — the rooftop PV requirement applies to new buildings
        "from 2022".
    """

    preset: str = "cn-default"
    new_building_year: int = 2022


@dataclass(frozen=True)
class RoofConfig:
    """Usable roof area.

    Attributes
    ----------
    setback_m : dict
        Edge setback per roof type [m].  Flat concrete roofs keep 1.5 m clear
        along parapets for access, maintenance and parapet shade; pitched and
        metal roofs keep 0.5 m from eaves/ridge/verges for clamps and
        wind-edge zones.  These are pvsite assumptions (no binding Shanghai
        code prescribes them); they sit inside the 0.5–2 m range of fire-access
        and wind-zone rules (e.g. IFC 2018 §1204 pathways of 0.9 m on
        pitched roofs and 1.2 m perimeter on large flat roofs).  Configure them
        to local practice.
    min_usable_area_m2 : float
        Roofs whose usable area after setbacks is below this carry no PV [m²].
        20 m² holds ~8 modules (≈ 4 kW), the smallest system worth a grid
        connection application on a public building (pvsite assumption).
    pitched_tilt_deg : float
        Slope of pitched roofs when no height raster gives it [°].  25° is
        typical of Shanghai's 1980s–2000s "平改坡" and villa roofs (pvsite
        assumption; override per survey).
    metal_tilt_deg : float
        Slope of metal (colour-steel) shed roofs [°]; typical light-steel
        portal-frame roofs are laid at 1:20 (≈ 3°) to 1:10 (≈ 6°)
        (GB 51022-2015 门式刚架轻型房屋钢结构技术规范 gives 1/8–1/20).
    obstruction_share : dict
        Share of the usable area (after setbacks) lost to roof equipment,
        per roof type [-]; footprints do not show where it stands, so it is
        an area allowance (and the same share of the modules that fit).
        Defaults are **pvsite assumptions**: flat/unknown 0.15 — a Shanghai
        flat roof carries stair and lift housings (楼梯间、电梯机房, each
        ≈ 20–40 m²), water tanks, HVAC condensers and vents, of the order of
        100–150 m² on a 1,000 m² roof; with the 1.5 m setback this leaves
        ≈ 0.81 × 0.85 ≈ 69 % of a 40 × 25 m footprint, in line with the
        65 % of commercial roof area Navigant Consulting assumed usable
        (shading, setbacks and obstructions together; report for the Energy
        Foundation, 2004, as summarised by ILSR, 2005).  Pitched 0.05
        (vents, dormers, chimneys are rare on Shanghai pitched roofs); metal
        0.10 (daylight strips 采光带 and roof ventilators of factory sheds).
        Replace with survey figures where known.
    min_part_area_m2 : float
        Parts of a usable polygon smaller than this are dropped as slivers
        [m²].  2.5 m² is just under the 2.58 m² frame of one 550 W-class
        module (2.279 × 1.134 m), i.e. a part that cannot hold a single
        module (pvsite assumption).
    max_footprint_area_m2 : float
        Footprints larger than this are rejected as implausible for one
        building [m²] (a unit or CRS error, or a district polygon in the
        building layer).  1 km²: the largest single buildings in the world
        are ≈ 0.5–1 km² (pvsite assumption; the largest outline in the Bund
        data is 0.018 km²).
    height_raster : str or None
        Building-height raster (nDSM: metres above ground; any GDAL format
        with a CRS).  When given, roofs get measured heights where
        ``height_m`` is missing, and measured tilt/azimuth where the raster
        shows a pitched or mono-pitch roof (:mod:`pvsite.roofs.heights`).
        ``None``: assumed planes only.
    """

    setback_m: dict = field(
        default_factory=lambda: {"flat": 1.5, "pitched": 0.5, "metal": 0.5, "unknown": 1.5}
    )
    min_usable_area_m2: float = 20.0
    pitched_tilt_deg: float = 25.0
    metal_tilt_deg: float = 5.0
    obstruction_share: dict = field(
        default_factory=lambda: {"flat": 0.15, "pitched": 0.05, "metal": 0.10, "unknown": 0.15}
    )
    min_part_area_m2: float = 2.5
    max_footprint_area_m2: float = 1.0e6
    height_raster: str | None = None


@dataclass(frozen=True)
class MountingConfig:
    """How arrays sit on the roof.

    Attributes
    ----------
    flat_tilt_deg : float
        Tilt of rows on flat roofs [°].  20° is a common compromise for
        Shanghai flat roofs: close to the annual optimum (≈ 22–25° on the
        CSWD year, see README) with lower wind load and wider spacing
        efficiency.  Configurable.
    flat_azimuth_deg : float
        Azimuth of rows on flat roofs [°, clockwise from north]; 180 = south.
    no_shade_start_hour, no_shade_end_hour : float
        Solar-time window on the winter solstice in which rows must not
        shade each other.  09:00–15:00 (true solar time) is the array-spacing
        rule of GB 50797-2012 光伏发电站设计规范 (方阵前后排在冬至日
        9:00–15:00 互不遮挡).
    module_gap_m : float
        Gap between adjacent modules (clamps) [m]; 20 mm is the width of a
        standard mid-clamp.
    align_tolerance_deg : float
        Rows on flat roofs follow the building when one of its edge normals
        (long-axis bearing + k·90°) is within this angle of
        ``flat_azimuth_deg``; otherwise they face ``flat_azimuth_deg``
        [°].  0 (default) keeps every row due south (``flat_azimuth_deg``).
        Rows parallel to the parapets tile the roof without the saw-tooth
        loss at the edges, for a small loss of specific yield: 0.8 % at 10°
        and 1.4 % at 15° off south for 20° tilt (pvsite's energy model on
        the CSWD Shanghai typical year, station 58362).  10–15° is a
        reasonable setting when rows should follow the parapets.
    modules_per_row_portrait : int
        Modules stacked up the slope of one rack row on flat roofs, in
        portrait (long side up the slope).  2 (a "2P" table, 4.58 m slant,
        1.57 m high at 20°) is a common fixed-rack layout on Chinese
        concrete flat roofs: one row of ballast per two modules and half the
        number of shadow gaps of single-module rows.  pvsite assumption;
        1 suits small roofs or high wind zones.
    flush_orientation : str
        Module orientation on flush planes (pitched and metal roofs):
        ``portrait`` (long side up the slope), ``landscape``, or ``best``
        (default: each plane gets whichever holds more modules — on a
        narrow roof half, landscape fits more rows).
    """

    flat_tilt_deg: float = 20.0
    flat_azimuth_deg: float = 180.0
    no_shade_start_hour: float = 9.0
    no_shade_end_hour: float = 15.0
    module_gap_m: float = 0.02
    align_tolerance_deg: float = 0.0
    modules_per_row_portrait: int = 2
    flush_orientation: str = "best"


@dataclass(frozen=True)
class SystemConfig:
    """Module, losses and inverter.

    Attributes
    ----------
    module : str
        Module preset name (``presets/module/<name>.toml``) or path.
    losses : str
        Loss preset name (``presets/losses/<name>.toml``) or path; default
        PVWatts v5 (14.08 % total).
    inverter_efficiency_pct : float
        Nominal inverter efficiency [%]; 96 % is the PVWatts v5 default
        (Dobos 2014, NREL/TP-6A20-62641).
    dc_ac_ratio : float
        DC/AC ratio; 1.2 is the PVWatts v5 default (Dobos 2014).
    temperature_model : str
        ``faiman`` (default; IEC 61853-2 coefficients u0=25, u1=6.84) or
        ``sapm`` (open-rack glass/polymer).
    orientation_step_deg : float
        Tilts and azimuths are rounded to this step before the energy model
        runs, so each distinct orientation is simulated once [°].
    """

    module: str = "generic-550w"
    losses: str = "pvwatts"
    inverter_efficiency_pct: float = 96.0
    dc_ac_ratio: float = 1.2
    temperature_model: str = "faiman"
    orientation_step_deg: float = 1.0


@dataclass(frozen=True)
class PolicyConfig:
    """Which policy rules and scenario size the roofs.

    Attributes
    ----------
    preset : str
        Policy preset (``presets/policy/<name>.toml``) or path.
    scenario : str or None
        Scenario name inside the preset; ``None`` uses the preset's default.
    """

    preset: str = "changning-2023"
    scenario: str | None = None


@dataclass(frozen=True)
class WeatherConfig:
    """Weather year.

    Attributes
    ----------
    path : str or None
        EPW, PVGIS (csv/json), TMY3 or canonical CSV.  ``None`` uses the
        embedded synthetic Shanghai typical year
        ``irradiance/shanghai_default_year.csv``.
    time_shift_min : float
        Opt-in correction of the weather file's time labels [min].  The
        Chinese CSWD EPW files run late: irradiance peaks ~28 min (Shanghai
        58362) and ~63 min (Hangzhou 58457) after solar noon as labelled;
        −30 and −60 correct them (``pvsite.io.weather.CSWD_TIME_SHIFT_MIN``,
        evidence in irradiance/README.md).  0 = use the labels as they are
        (a warning reports a measured offset above 15 min).
    """

    path: str | None = None
    time_shift_min: float = 0.0


@dataclass(frozen=True)
class ExclusionsConfig:
    """No-go roofs: protected buildings and other exclusion areas.

    Attributes
    ----------
    layers : list of tables
        ``{path, layer, datum, kind, name_field}`` per source (polygons or
        points, any CRS; ``datum`` wgs84/gcj02/bd09 for lon/lat data).
        Protected buildings (上海市优秀历史建筑, 文物保护单位) need approval for
        any alteration, so by default their roofs carry no PV.
    flag_only : bool
        ``true``: only flag excluded roofs (they keep their PV).
    min_overlap_share : float
        A polygon excludes a roof it covers by at least this share of the
        roof's area; ``0`` = any intersection.  5 % ignores the slivers a
        misaligned outline leaves on a neighbour sharing a wall (pvsite
        choice; see pvsite/buildings/exclusions.py).
    """

    layers: list = field(default_factory=list)
    flag_only: bool = False
    min_overlap_share: float = 0.05


@dataclass(frozen=True)
class OutputConfig:
    """What the GeoPackage holds.

    Attributes
    ----------
    panels : bool
        Write the ``panels`` layer (one rectangle per installed module).
        Switch off for very large runs (``--no-panels``).
    """

    panels: bool = True


@dataclass(frozen=True)
class Config:
    """Everything that defines a run."""

    input: InputConfig = field(default_factory=InputConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    roof: RoofConfig = field(default_factory=RoofConfig)
    mounting: MountingConfig = field(default_factory=MountingConfig)
    system: SystemConfig = field(default_factory=SystemConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    weather: WeatherConfig = field(default_factory=WeatherConfig)
    exclusions: ExclusionsConfig = field(default_factory=ExclusionsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def to_dict(self) -> dict:
        """Plain nested dict (``None`` values dropped, as TOML has no null)."""
        return _drop_none(dataclasses.asdict(self))

    def to_toml(self) -> str:
        """The resolved configuration as TOML text (written into run_info)."""
        return tomli_w.dumps(self.to_dict())

    def with_overrides(self, **sections: dict) -> "Config":
        """Copy with some keys of some sections replaced.

        ``cfg.with_overrides(policy={"scenario": "plan-2030"})``
        """
        return _merge(self, sections, source="options")


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_config(path: str | Path | None = None) -> Config:
    """Read a TOML override file into a :class:`Config`.

    Parameters
    ----------
    path : str or Path, optional
        TOML file.  ``None`` returns the defaults.

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or has an unknown section or
        key, or a value of the wrong type.
    """
    cfg = Config()
    if path is None:
        return cfg
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"Config file {path} does not exist.",
            fix="Check the path given to --config.",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Config file {path} is not valid UTF-8 TOML: {exc}.",
            fix="Fix the syntax at the position given (TOML strings need quotes).",
        ) from None
    cfg = _merge(cfg, data, source=str(path))
    # Relative paths inside the file are relative to the file.
    base = path.parent
    inp = cfg.input
    resolved = {}
    for key in ("footprints", "streets", "overrides"):
        value = getattr(inp, key)
        if value and not Path(value).is_absolute():
            resolved[key] = str((base / value))

    def _rel(tables):
        out = []
        for t in tables:
            t = dict(t) if isinstance(t, dict) else {"path": str(t)}
            if t.get("path") and not Path(t["path"]).is_absolute():
                t["path"] = str(base / t["path"])
            out.append(t)
        return out

    if inp.registries:
        resolved["registries"] = _rel(inp.registries)
    if cfg.roof.height_raster and not Path(cfg.roof.height_raster).is_absolute():
        cfg = replace(cfg, roof=replace(cfg.roof, height_raster=str(base / cfg.roof.height_raster)))
    if cfg.exclusions.layers:
        cfg = replace(cfg, exclusions=replace(cfg.exclusions, layers=_rel(cfg.exclusions.layers)))
    if cfg.weather.path and not Path(cfg.weather.path).is_absolute():
        cfg = replace(cfg, weather=replace(cfg.weather, path=str(base / cfg.weather.path)))
    if resolved:
        cfg = replace(cfg, input=replace(inp, **resolved))
    return cfg


def _merge(obj: Any, data: dict, source: str, prefix: str = "") -> Any:
    """Return a copy of dataclass ``obj`` with ``data`` merged in, validated."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: [{prefix.rstrip('.')}] must be a table, found {type(data).__name__}.",
        )
    known = {f.name: f for f in fields(obj)}
    hints = get_type_hints(type(obj))
    changes = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in known:
            near = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean '{prefix}{near[0]}'?" if near else (
                "valid keys here: " + ", ".join(sorted(known))
            )
            raise ConfigError(f"{source}: unknown config key '{dotted}'.", fix=hint)
        current = getattr(obj, key)
        if is_dataclass(current):
            changes[key] = _merge(current, value, source, prefix=f"{dotted}.")
        else:
            changes[key] = _check_value(_coerce(value, hints[key], dotted, source, current), dotted, source)
    return replace(obj, **changes)


def _coerce(value: Any, hint: Any, dotted: str, source: str, current: Any) -> Any:
    text = str(hint)
    if value is None:
        return None
    if isinstance(current, list) or text.startswith("list"):
        if not isinstance(value, list):
            raise ConfigError(f"{source}: '{dotted}' must be a list, found {value!r}.")
        return list(value)
    if text == "bool" or isinstance(current, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: '{dotted}' expects true or false, found {value!r}.")
    if isinstance(current, dict) or text.startswith("dict"):
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: '{dotted}' must be a table, found {value!r}.")
        merged = dict(current or {})
        merged.update(value)
        return merged
    if "float" in text and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if "int" in text and isinstance(value, int) and not isinstance(value, bool):
        return value
    if "str" in text and isinstance(value, str):
        return value
    raise ConfigError(
        f"{source}: '{dotted}' expects {text.replace('| None', '').strip()}, found {value!r}.",
        fix=f"Give '{dotted}' a value of that type.",
    )


#: Valid range of numeric settings: dotted key → (low, high, low included, high included).
#: Physical limits (a tilt is 0–90°, an hour 0–24, a share 0–1), not preferences; a value
#: outside them is a typo or a unit mix-up, caught here so the message names the file.
_RANGES = {
    "classify.new_building_year": (1900, 2100, True, True),
    "roof.min_usable_area_m2": (0.0, math.inf, True, False),
    "roof.pitched_tilt_deg": (0.0, 90.0, True, False),
    "roof.metal_tilt_deg": (0.0, 90.0, True, False),
    "roof.min_part_area_m2": (0.0, math.inf, True, False),
    "roof.max_footprint_area_m2": (0.0, math.inf, False, False),
    "mounting.flat_tilt_deg": (0.0, 90.0, True, False),
    "mounting.flat_azimuth_deg": (0.0, 360.0, True, True),
    "mounting.no_shade_start_hour": (0.0, 24.0, True, True),
    "mounting.no_shade_end_hour": (0.0, 24.0, True, True),
    "mounting.module_gap_m": (0.0, math.inf, True, False),
    "mounting.align_tolerance_deg": (0.0, 45.0, True, True),
    "mounting.modules_per_row_portrait": (1, math.inf, True, False),
    "system.inverter_efficiency_pct": (0.0, 100.0, False, True),
    "system.dc_ac_ratio": (0.0, math.inf, False, False),
    "system.orientation_step_deg": (0.0, 90.0, False, True),
    "exclusions.min_overlap_share": (0.0, 1.0, True, True),
    "weather.time_shift_min": (-180.0, 180.0, True, True),
}
#: Ranges of the values of table settings (each value of the table).
_TABLE_RANGES = {
    "roof.setback_m": (0.0, math.inf, True, False),
    "roof.obstruction_share": (0.0, 1.0, True, False),
}
#: Settings that take one of a few words.
_CHOICES = {
    "system.temperature_model": ("faiman", "sapm"),
    "mounting.flush_orientation": ("portrait", "landscape", "best"),
    "input.datum": ("wgs84", "gcj02", "bd09"),
    "input.engine": ("pyogrio", "fiona"),
}


def _range_text(lo, hi, lo_in, hi_in) -> str:
    if hi == math.inf:
        return f"{'≥' if lo_in else '>'} {lo:g}"
    return f"in {'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"


def _in_range(x: Any, lo, hi, lo_in, hi_in) -> bool:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or math.isnan(x):
        return False
    return (x >= lo if lo_in else x > lo) and (x <= hi if hi_in else x < hi)


def _check_value(value: Any, dotted: str, source: str) -> Any:
    """Refuse a value outside its physical range or choice list, naming the file and key."""
    if value is None:
        return value
    if dotted in _RANGES and not _in_range(value, *_RANGES[dotted]):
        allowed = _range_text(*_RANGES[dotted])
        raise ConfigError(f"{source}: '{dotted}' must be {allowed}, found {value!r}.",
                          fix=f"Give '{dotted}' a value {allowed} (check the unit and the sign).")
    if dotted in _TABLE_RANGES and isinstance(value, dict):
        bad = {k: v for k, v in value.items() if not _in_range(v, *_TABLE_RANGES[dotted])}
        if bad:
            allowed = _range_text(*_TABLE_RANGES[dotted])
            raise ConfigError(f"{source}: '{dotted}' values must be {allowed}, found {bad}.",
                              fix=f"Give every value of '{dotted}' a number {allowed}.")
    if dotted in _CHOICES and value not in _CHOICES[dotted]:
        near = difflib.get_close_matches(str(value), _CHOICES[dotted], n=1)
        raise ConfigError(f"{source}: '{dotted}' is {value!r}, not one of {', '.join(_CHOICES[dotted])}.",
                          fix=(f"did you mean '{near[0]}'? " if near else "")
                          + f"Set '{dotted}' to one of {', '.join(_CHOICES[dotted])}.")
    return value


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    return obj
