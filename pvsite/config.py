"""Run configuration: frozen dataclasses with cited defaults, checked once at the edge.

A run is fully described by one :class:`Config`.  Defaults live here, in code,
each with its source; a user overrides any of them from a single TOML file
(``pvsite run --config my.toml``) whose sections mirror the dataclasses::

    [input]
    footprints = "survey/changning_2024.shp"
    encoding = "gbk"
    [input.fields]
    name = "JZMC"
    [[input.registries]]
    path = "schools.csv"
    datum = "gcj02"
    default_type = "school"

    [mounting]
    flat_tilt_deg = 15

Every setting declares its unit, range or choices on the field itself
(``dataclasses.field(metadata=...)``, built by :func:`setting`); the loaders
read those declarations, so there is no side table to keep in step.  Checking
follows osmnx's "collect all, report once": :func:`load_config` and
:meth:`Config.with_overrides` check the whole document and raise **one**
:class:`~pvsite.errors.ConfigError` listing every unknown key (with a
"did you mean" suggestion) and every bad value (type, range, choice, cross-
field rule), each with its source (the file, or ``options``) and dotted key.
A section built directly in Python (``MountingConfig(flat_tilt_deg=120)``) is
checked the same way on construction, so the stages never re-validate.

Why dataclasses and not pydantic v2: pydantic is not a dependency of pvsite,
the frozen dataclasses and their attribute names (``cfg.roof.setback_m``) are
the API every stage and test already uses, and the checks pvsite needs —
ranges with open/closed ends, choice lists, table keys, typed list-of-table
entries, relative-path resolution and an osmnx-style combined report with
suggestions — take ~200 lines over :mod:`dataclasses` metadata.  pydantic
would add a compiled dependency and its own error format for no gain here.

The resolved configuration is written into every output (``run_info``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, get_args, get_origin, get_type_hints

import tomli_w

from pvsite.errors import ConfigError

# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------

#: Datums of lon/lat coordinates (:data:`pvsite.geo.datums.DATUMS`).
DATUMS = ("wgs84", "gcj02", "bd09")
#: Vector readers (:func:`pvsite.io.footprints.read_footprints`).
ENGINES = ("pyogrio", "fiona")
#: Roof types that carry a setback and an obstruction share (:data:`pvsite.roofs.usable.ROOF_TYPES`).
ROOF_TYPES = ("flat", "pitched", "metal", "unknown")
#: Module orientations on flush planes.
FLUSH_ORIENTATIONS = ("portrait", "landscape", "best")
#: Where the per-roof stages run (:mod:`pvsite.compute`): the values ``[compute] scheduler`` holds.
SCHEDULERS = ("serial", "processes", "dask")
#: What ``[compute] scheduler`` accepts besides an address: :data:`SCHEDULERS` and ``local`` (stored as ``dask``).
SCHEDULER_NAMES = (*SCHEDULERS, "local")
#: Schemes of a Dask scheduler address (the comm protocols of ``distributed``).
DASK_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")
#: Cell-temperature models of :func:`pvsite.solar.energy.temperature_parameters`.
TEMPERATURE_MODELS = ("faiman", "sapm")
#: Business models of :mod:`pvsite.economics.models`.
BUSINESS_MODELS = ("self", "full-export", "emc")


class Range(NamedTuple):
    """Valid range of a numeric setting: physical limits (a tilt is 0–90°, an
    hour 0–24, a share 0–1), not preferences; a value outside them is a typo or
    a unit mix-up."""

    low: float
    high: float
    low_included: bool
    high_included: bool

    def contains(self, x: Any) -> bool:
        """True when ``x`` is a real number inside the range (bool and NaN are not)."""
        if isinstance(x, bool) or not isinstance(x, (int, float)) or math.isnan(x):
            return False
        lo_ok = x >= self.low if self.low_included else x > self.low
        hi_ok = x <= self.high if self.high_included else x < self.high
        return lo_ok and hi_ok

    def text(self) -> str:
        """``'≥ 0'``, ``'in [0, 90)'``…"""
        if self.high == math.inf:
            return f"{'≥' if self.low_included else '>'} {self.low:g}"
        return (f"in {'[' if self.low_included else '('}{self.low:g}, {self.high:g}"
                f"{']' if self.high_included else ')'}")


def setting(default: Any = MISSING, *, unit: str | None = None, range: Range | None = None,
            choices: tuple | None = None, keys: tuple | None = None, values: Any = None,
            item: type | None = None, path: bool = False, crs: bool = False):
    """A dataclass field with its checks declared as metadata.

    Parameters
    ----------
    default : value or callable
        Default value; a callable (``dict``, ``tuple``, a lambda) is a default factory.
        Omitted: a required field.
    unit : str, optional
        Unit of the value (documentation and messages).
    range : Range, optional
        Valid numeric range.
    choices : tuple of str, optional
        The words the setting accepts.
    keys : tuple of str, optional
        For a table setting: the keys it must have (no other key is accepted).
    values : Range or type, optional
        For a table setting: the range (or type) of every value.
    item : type, optional
        For a list-of-tables setting: the frozen dataclass of one entry.
    path : bool
        A file path; relative paths in a config file are relative to that file.
    crs : bool
        A coordinate reference system pyproj knows (``EPSG:4549``, WKT, PROJ text).
    """
    meta = {k: v for k, v in dict(unit=unit, range=range, choices=choices, keys=keys, values=values,
                                  item=item, path=path, crs=crs).items() if v not in (None, False)}
    if default is MISSING:
        return field(metadata=meta)
    if callable(default):
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


#: One problem found: (dotted key, what is wrong, how to fix it).
Problem = tuple[str, str, str]


class _Section:
    """Base of the config dataclasses: checked on construction, problems collected."""

    #: Dotted prefix of the section in messages (set for the sections of :class:`Config`).
    _key: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if _Deferred.active:
            return
        problems = check(self)
        if problems:
            raise config_error(f"{type(self).__name__}(...)", problems)

    def _cross_check(self) -> list[Problem]:
        """Rules between fields of one section (field name, message, fix)."""
        return []

    def _normalise(self, data: dict) -> tuple[dict, list[Problem]]:
        """One layer's values of this section (a TOML table, API or CLI options) in their stored form.

        ``self`` holds the layers below.  Returns the rewritten table and the
        problems (field name, message, fix) of the forms it cannot rewrite;
        the fields named there are left out of the table.
        """
        return data, []


def check(obj: Any, prefix: str | None = None) -> list[Problem]:
    """Every problem of a config dataclass's values (types, ranges, choices, tables, cross-field).

    Parameters
    ----------
    obj : dataclass instance
        A section, a table entry, or a whole :class:`Config`.
    prefix : str, optional
        Dotted prefix of its keys; default the section's own (``'mounting.'``).

    Returns
    -------
    list of (dotted key, problem, fix)
        Empty when the values are valid.
    """
    prefix = (obj._key + "." if getattr(obj, "_key", "") else "") if prefix is None else prefix
    hints = get_type_hints(type(obj))
    problems: list[Problem] = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        dotted = f"{prefix}{f.name}"
        if is_dataclass(value):
            continue  # checked when it was built
        problems += _check_value(value, hints[f.name], f.metadata, dotted)
    if not problems:
        problems += [(f"{prefix}{k}", msg, fix) for k, msg, fix in obj._cross_check()]
    return problems


#: Chinese renderings of the fixed wording of the problems and fixes above (regex → template);
#: a wording not listed stays English only.
_PROBLEMS_ZH = tuple((re.compile(a), b) for a, b in (
    (r"^unknown (config )?key$", "未知的键"),
    (r"^must be given \(no default\)$", "必须给出（无默认值）"),
    (r"^expects a table, found (.*)$", r"应为表，实为 \1"),
    (r"^expects a list of tables, found (.*)$", r"应为表的列表，实为 \1"),
    (r"^expects true or false, found (.*)$", r"应为 true 或 false，实为 \1"),
    (r"^expects int, found (.*)$", r"应为整数，实为 \1"),
    (r"^expects float, found (.*)$", r"应为数值，实为 \1"),
    (r"^expects str, found (.*)$", r"应为文字，实为 \1"),
    (r"^must be a table of sections, found (.*)$", r"应为由各节组成的表，实为 \1"),
    (r"^must be a table, found (.*)$", r"应为表，实为 \1"),
    (r"^must be a list of tables, found (.*)$", r"应为表的列表，实为 \1"),
    (r"^must be a table or a path, found (.*)$", r"应为表或路径，实为 \1"),
    (r"^must be in (.*), found (.*)$", r"须在 \1 之内，实为 \2"),
    (r"^must be ([≥>] .*), found (.*)$", r"须 \1，实为 \2"),
    (r"^is (.*), not one of serial, processes, dask, local or a Dask scheduler address$",
     r"为 \1，不是 serial、processes、dask、local 之一，也不是 Dask 调度器地址"),
    (r"^is (.*), not one of (.*)$", r"为 \1，不是 \2 之一"),
    (r"^'local' starts a LocalCluster on this machine, but '(.*)' = (.*) names a running scheduler$",
     r"'local' 在本机启动 LocalCluster，但 '\1' = \2 指定了一个已在运行的调度器"),
    (r"^(.*) and '(.*)' = (.*) name two different Dask schedulers$", r"\1 与 '\2' = \3 是两个不同的 Dask 调度器"),
    (r"^a Dask scheduler address needs scheduler = \"dask\", found (.*)$",
     r'Dask 调度器地址需要 scheduler = "dask"，实为 \1'),
    (r"^(.*) is not a Dask scheduler address$", r"\1 不是 Dask 调度器地址"),
    (r"^(.*) is not a coordinate reference system pyproj knows$", r"\1 不是 pyproj 能识别的坐标系"),
    (r"^did you mean '(.*)'\? Set '(.*)' to serial, processes, dask, local or the address `dask scheduler` prints "
     r"\(e\.g\. (.*)\)\.$", r"是否想写 '\1'？请把 '\2' 设为 serial、processes、dask、local，或 `dask scheduler` 打印的地址（如 \3）。"),
    (r"^Set '(.*)' to serial, processes, dask, local or the address `dask scheduler` prints \(e\.g\. (.*)\)\.$",
     r"请把 '\1' 设为 serial、processes、dask、local，或 `dask scheduler` 打印的地址（如 \2）。"),
    (r"^Give one of them: drop '(.*)' \(--dask-address\) for a LocalCluster, or set '(.*)' = \"dask\" for the "
     r"scheduler at the address\.$", r"只能选一个：用本机 LocalCluster 就去掉 '\1'（--dask-address），"
     r"用该地址的调度器就把 '\2' 设为 " '"dask"。'),
    (r"^Give one address, in '(.*)' or in '(.*)' \(--dask-address\)\.$",
     r"只给一个地址，写在 '\1' 或 '\2'（--dask-address）中。"),
    (r"^Set '(.*)' = \"dask\" \(or --scheduler dask\), or drop the address\.$",
     r"请把 '\1' 设为 " '"dask"（或 --scheduler dask），或去掉该地址。'),
    (r"^Give it as tcp://HOST:PORT \(the address `dask scheduler` prints\)\.$",
     r"请写成 tcp://主机:端口（即 `dask scheduler` 打印的地址）。"),
    (r"^did you mean '(.*)'\? Set '(.*)' to one of (.*)\.$", r"是否想写 '\1'？请把 '\2' 设为 \3 之一。"),
    (r"^Set '(.*)' to one of (.*)\.$", r"请把 '\1' 设为 \2 之一。"),
    (r"^Give '(.*)' a value (.*) \(check the unit and the sign\)\.$", r"请给 '\1' 一个 \2 的值（检查单位和正负号）。"),
    (r"^Give '(.*)' a value of that type\.$", r"请给 '\1' 一个该类型的值。"),
    (r"^Set '(.*)'\.$", r"请设置 '\1'。"),
    (r"^did you mean '(.*)'\?$", r"是否想写 '\1'？"),
    (r"^valid keys here: (.*)$", "有效的键见英文列表"),
))


def _zh(text: str | None) -> str | None:
    """The Chinese of a problem or fix of :func:`check` when its wording is known, else None."""
    for pattern, template in _PROBLEMS_ZH:
        if text and pattern.match(text):
            return pattern.sub(template, text)
    return None


def config_error(source: str, problems: list[Problem]) -> ConfigError:
    """One :class:`ConfigError` listing every problem, each with its source and dotted key.

    The headline is in Chinese and English; each problem line is English, followed by its
    Chinese (in full-width brackets) where the wording is one of :data:`_PROBLEMS_ZH`.
    """
    if len(problems) == 1:
        key, msg, fix = problems[0]
        return ConfigError(f"{source}: '{key}': {msg}.", fix=fix,
                           zh=f"配置有误（{source}）：'{key}' {_zh(msg) or '的值不可用（见下方英文说明）'}。",
                           fix_zh=_zh(fix))

    def line(key, msg, fix):
        zh = "；".join(x for x in (_zh(msg), _zh(fix)) if x)
        return f"\n  - {source}: '{key}': {msg} — {fix}" + (f"（{zh}）" if zh else "")

    lines = "".join(line(*p) for p in problems)
    return ConfigError(f"{len(problems)} problems in the configuration ({source}):{lines}",
                       fix="Correct every key listed above (each line names the fix).",
                       zh=f"配置中有 {len(problems)} 处问题（{source}），逐条列在下方：",
                       fix_zh="逐项改正上面列出的键（每行都写明了改法）。")


def _kind(hint: Any) -> tuple[str, bool]:
    """(``'float'``, ``'dict'``, …, optional?) of a field's type hint."""
    args = [a for a in get_args(hint) if a is not type(None)] or [hint]
    base = get_origin(args[0]) or args[0]
    return getattr(base, "__name__", str(base)), type(None) in get_args(hint)


def _type_text(hint: Any) -> str:
    kind = _kind(hint)[0]
    return {"dict": "a table", "tuple": "a list of tables", "bool": "true or false"}.get(kind, kind)


def _check_value(value: Any, hint: Any, meta, dotted: str) -> list[Problem]:
    kind, optional = _kind(hint)
    if value is None:
        return [] if optional else [(dotted, "must be given (no default)", f"Set '{dotted}'.")]
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "dict": isinstance(value, dict),
        "tuple": isinstance(value, tuple),
    }.get(kind, True)
    if not ok:
        return [(dotted, f"expects {_type_text(hint)}, found {value!r}",
                 f"Give '{dotted}' a value of that type.")]
    problems: list[Problem] = []
    rng, choices = meta.get("range"), meta.get("choices")
    if rng is not None and not rng.contains(value):
        problems.append((dotted, f"must be {rng.text()}, found {value!r}",
                         f"Give '{dotted}' a value {rng.text()} (check the unit and the sign)."))
    if choices is not None and value not in choices:
        near = difflib.get_close_matches(str(value), choices, n=1)
        problems.append((dotted, f"is {value!r}, not one of {', '.join(choices)}",
                         (f"did you mean '{near[0]}'? " if near else "")
                         + f"Set '{dotted}' to one of {', '.join(choices)}."))
    if meta.get("crs") and isinstance(value, str):
        import pyproj

        try:
            pyproj.CRS.from_user_input(value)
        except pyproj.exceptions.CRSError:
            problems.append((dotted, f"{value!r} is not a coordinate reference system pyproj knows",
                             f"Give '{dotted}' as EPSG:<code>, e.g. EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger "
                             "CM 120E) or EPSG:4490 (CGCS2000 lon/lat)."))
    if isinstance(value, dict):
        problems += _check_table(value, meta, dotted)
    if isinstance(value, tuple) and "item" in meta:
        bad = [i for i, v in enumerate(value) if not isinstance(v, meta["item"])]
        if bad:
            problems.append((dotted, f"entries {bad} are not {meta['item'].__name__}",
                             f"Give '{dotted}' as a list of tables."))
    return problems


def _check_table(value: dict, meta, dotted: str) -> list[Problem]:
    problems: list[Problem] = []
    keys = meta.get("keys")
    if keys is not None:
        for k in value:
            if k not in keys:
                near = difflib.get_close_matches(str(k), keys, n=1)
                problems.append((f"{dotted}.{k}", "unknown key",
                                 f"did you mean '{dotted}.{near[0]}'?" if near
                                 else f"valid keys here: {', '.join(keys)}"))
        missing = [k for k in keys if k not in value]
        if missing:
            problems.append((dotted, f"has no value for {', '.join(missing)}",
                             f"Add {', '.join(missing)} to [{dotted}]."))
    spec = meta.get("values")
    if isinstance(spec, Range):
        bad = {k: v for k, v in value.items() if not spec.contains(v)}
        if bad:
            problems.append((dotted, f"values must be {spec.text()}, found {bad}",
                             f"Give every value of '{dotted}' a number {spec.text()}."))
    elif isinstance(spec, type):
        bad = {k: v for k, v in value.items() if not isinstance(v, spec)}
        if bad:
            problems.append((dotted, f"values must be {spec.__name__}, found {bad}",
                             f"Give every value of '{dotted}' as a {spec.__name__}."))
    return problems


# ---------------------------------------------------------------------------
# Table entries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryConfig(_Section):
    """One institution registry (``[[input.registries]]``; ``--registry PATH[:datum]``).

    Attributes
    ----------
    path : str
        CSV, Excel or vector file of the registry (relative to the config file).
    datum : str or None
        Datum of its lon/lat coordinates (wgs84, gcj02, bd09); ``None`` only
        when the coordinate columns name it or the layer is projected.
    lon_col, lat_col, name_col, type_col : str or None
        Columns; ``None`` = auto-detected (``[registry]`` of ``presets/fields.toml``).
    default_type : str or None
        pvsite building type of entries the type column does not resolve.
    type_map : dict or None
        Source type value → pvsite building type.
    tolerance_m : float
        Largest distance from an entry to the nearest footprint still matched
        [m].  30 m: a registry point (a gate, a geocoded address) lands within
        a street's width of its building in Shanghai's dense blocks (pvsite
        assumption; see :mod:`pvsite.buildings.registry`).
    layer : str or None
        Layer of a multi-layer file, or sheet of an Excel file.
    encoding : str or None
        Text encoding of a CSV; ``None``: UTF-8 (BOM allowed), then GBK.
    """

    _key: ClassVar[str] = "input.registries[]"

    path: str = setting(path=True)
    datum: str | None = setting(None, choices=DATUMS)
    lon_col: str | None = None
    lat_col: str | None = None
    name_col: str | None = None
    type_col: str | None = None
    default_type: str | None = None
    type_map: dict | None = setting(None, values=str)
    tolerance_m: float = setting(30.0, unit="m", range=Range(0.0, math.inf, True, False))
    layer: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class ContextConfig(_Section):
    """One site-context layer (``[[input.context]]``; ``--context PATH[:datum]``).

    Land-use parcels (控规 地块 with a GB 50137-2011 / GBJ 137-90 code or name) or
    OSM area polygons (``amenity=school``, ``landuse=industrial`` …) whose type
    passes to the footprints they hold (``[[rules.context]]`` of the classify preset).

    Attributes
    ----------
    path : str
        Vector file (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, ``.osm.pbf``, …;
        relative to the config file).
    datum : str or None
        Datum of lon/lat coordinates (wgs84, gcj02, bd09); ``None``: as the CRS label says.
    layer : str or None
        Layer of a multi-layer file; ``None``: the first (``multipolygons`` of an .osm.pbf).
    encoding : str or None
        Text encoding of a Shapefile without ``.cpg``; ``None``: UTF-8, then GBK.
    use_field : str or None
        Column holding the land-use code or name; ``None``: every column of
        ``[context] use`` in ``presets/fields.toml`` that is present (用地性质,
        用地代码, 用地名称, landuse_code, …), joined.
    min_share : float
        Share of a footprint's area that must lie inside a polygon for the
        polygon's type to pass to it [-].  0.5: the footprint lies mostly on
        that parcel, so at most one of several adjacent parcels qualifies,
        while outlines that cross a parcel line by a few metres of drawing
        error still count (pvsite assumption).
    """

    _key: ClassVar[str] = "input.context[]"

    path: str = setting(path=True)
    datum: str | None = setting(None, choices=DATUMS)
    layer: str | None = None
    encoding: str | None = None
    use_field: str | None = None
    min_share: float = setting(0.5, unit="-", range=Range(0.0, 1.0, False, True))


@dataclass(frozen=True)
class ExclusionLayerConfig(_Section):
    """One exclusion source (``[[exclusions.layers]]``; ``--exclude PATH``).

    Attributes
    ----------
    path : str
        Vector file (relative to the config file).
    layer : str or None
        Layer inside it; ``None``: every spatial layer of a GeoPackage, else the first.
    datum : str
        Datum of lon/lat coordinates: wgs84, gcj02 or bd09.
    kind : str
        Word the exclusion reason starts with (``heritage``, ``no-go``).
    name_field : str or None
        Column holding the feature name; ``None`` tries the usual name columns.
    """

    _key: ClassVar[str] = "exclusions.layers[]"

    path: str = setting(path=True)
    layer: str | None = None
    datum: str = setting("wgs84", choices=DATUMS)
    kind: str = "heritage"
    name_field: str | None = None


@dataclass(frozen=True)
class InstalledConfig(_Section):
    """One list of installed / planned PV systems (``[[delivery.installed]]``; ``--installed PATH[:datum]``).

    Attributes
    ----------
    path : str
        CSV, Excel or vector file, one row per PV project (relative to the config file).
    datum : str or None
        Datum of its lon/lat coordinates (wgs84 — also CGCS2000, identical at
        cm level —, gcj02, bd09); ``None`` when the columns name it, the layer
        is projected, or the rows carry building ids only.
    columns : dict
        pvsite field → source column (``project_name``, ``capacity_kw``,
        ``capacity_mw``, ``capacity_ac_kw``, ``commissioned``, ``status``,
        ``building_id``); unmapped fields are auto-detected from ``[installed]``
        of ``presets/fields.toml``.
    lon_col, lat_col : str or None
        Coordinate columns; ``None`` = auto-detected (``[registry] lonlat``).
    layer : str or None
        Layer of a multi-layer file, or sheet of an Excel file.
    encoding : str or None
        Text encoding of a CSV; ``None``: UTF-8 (BOM allowed), then GBK.
    """

    _key: ClassVar[str] = "delivery.installed[]"

    path: str = setting(path=True)
    datum: str | None = setting(None, choices=DATUMS)
    columns: dict = setting(dict, values=str)
    lon_col: str | None = None
    lat_col: str | None = None
    layer: str | None = None
    encoding: str | None = None


#: Where ``responsible_department`` comes from (:mod:`pvsite.planning.tasks`).
DEPARTMENT_SOURCES = ("plan", "classify")


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InputConfig(_Section):
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
    registries : tuple of RegistryConfig
        Institution registries (``[[input.registries]]`` tables, see
        :class:`RegistryConfig`) — points tag the footprint that contains
        them (or the nearest within ``tolerance_m``).
    context : tuple of ContextConfig
        Site-context layers (``[[input.context]]``, ``--context``): land-use
        parcels or OSM areas whose type passes to the footprints inside them.
    osm_areas_as_context : bool
        When the footprints are an ``.osm.pbf``, its own area polygons
        (``amenity=school``, ``landuse=industrial`` … without ``building=*``) are
        context too (:func:`pvsite.io.run_inputs.read_contexts`).  Default true:
        OSM maps campuses as areas around untagged buildings.
    """

    footprints: str | None = setting(None, path=True)
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    fields: dict = setting(dict, values=str)
    streets: str | None = setting(None, path=True)
    streets_layer: str | None = None
    street_name_field: str = "name"
    datum: str = setting("wgs84", choices=DATUMS)
    engine: str = setting("pyogrio", choices=ENGINES)
    overrides: str | None = setting(None, path=True)
    registries: tuple = setting(tuple, item=RegistryConfig)
    context: tuple = setting(tuple, item=ContextConfig)
    osm_areas_as_context: bool = True


@dataclass(frozen=True)
class ClassifyConfig(_Section):
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
    new_building_year: int = setting(2022, unit="year", range=Range(1900, 2100, True, True))


@dataclass(frozen=True)
class RoofConfig(_Section):
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
    min_yield_share_pct : float
        A PV plane carries modules only if its specific yield (shaded, when
        shading is on) reaches this share of the site's optimum plane — an
        unshaded plane of the same mounting facing the equator at the tilt of
        maximum yield, simulated with the same pvlib chain
        (:func:`pvsite.solar.yields.suitable_planes`) [%].  80 % follows NREL's
        rooftop technical-potential study (Gagnon, Margolis, Melius, Phillips,
        Elmore 2016, *Rooftop Solar Photovoltaic Technical Potential in the
        United States: A Detailed Assessment*, NREL/TP-6A20-65298: a suitable
        roof plane receives at least 80 % of the annual insolation of an
        unshaded, optimally oriented surface at its location); German solar
        cadastres likewise leave north-facing roof planes out as unsuitable
        (e.g. Solardachkataster Landkreis Roth, "Datengrundlage &
        Eignungsklassen").  On Shanghai's weather this drops north slopes of
        25° pitched roofs (≈ 73 % of the optimum) and keeps east/west ones
        (≈ 87 %).  0 puts modules on every plane (the figures before this
        setting existed).
    height_raster : str or None
        Building-height raster (nDSM: metres above ground; any GDAL format
        with a CRS).  When given, roofs get measured heights where
        neither ``height_m`` nor ``storeys`` is given (:class:`HeightsConfig`),
        and measured tilt/azimuth where the raster shows a pitched or
        mono-pitch roof (:mod:`pvsite.roofs.heights`).
        ``None``: assumed planes only.
    slender_min_height_m : float
        Buildings at least this tall whose roof is small (below) are
        "slender crowns" (:mod:`pvsite.roofs.unsuitable`), status
        ``unsuitable`` [m].  100 m: GB 50352-2019 民用建筑设计统一标准 §3.1.2
        calls buildings above 100 m 超高层建筑 (super-tall), whose crowns hold
        the façade gondola (BMU), helipad and mechanical crown.  ``inf``
        switches the rule off.
    slender_max_area_m2 : float
        A super-tall building with a footprint below this is a slender crown
        [m²].  300 m² (≈ 17 × 17 m: after the 1.5 m setback and 15 %
        obstruction allowance ≈ 170 m², a crown smaller than its own BMU and
        plant) is a pvsite assumption.
    slender_ratio : float
        A super-tall building with height / √footprint at least this is a
        slender crown, whatever its footprint [-].  10 (e.g. 20 m across at
        200 m) is a pvsite assumption: on the real Bund outlines it adds the
        set-back crown parts of the 88- to 118-storey towers (360–620 m²).
    """

    setback_m: dict = setting(
        lambda: {"flat": 1.5, "pitched": 0.5, "metal": 0.5, "unknown": 1.5},
        unit="m", keys=ROOF_TYPES, values=Range(0.0, math.inf, True, False),
    )
    min_usable_area_m2: float = setting(20.0, unit="m²", range=Range(0.0, math.inf, True, False))
    pitched_tilt_deg: float = setting(25.0, unit="°", range=Range(0.0, 90.0, True, False))
    metal_tilt_deg: float = setting(5.0, unit="°", range=Range(0.0, 90.0, True, False))
    obstruction_share: dict = setting(
        lambda: {"flat": 0.15, "pitched": 0.05, "metal": 0.10, "unknown": 0.15},
        unit="-", keys=ROOF_TYPES, values=Range(0.0, 1.0, True, False),
    )
    min_part_area_m2: float = setting(2.5, unit="m²", range=Range(0.0, math.inf, True, False))
    max_footprint_area_m2: float = setting(1.0e6, unit="m²", range=Range(0.0, math.inf, False, False))
    min_yield_share_pct: float = setting(80.0, unit="%", range=Range(0.0, 100.0, True, True))
    height_raster: str | None = setting(None, path=True)
    slender_min_height_m: float = setting(100.0, unit="m", range=Range(0.0, math.inf, False, True))
    slender_max_area_m2: float = setting(300.0, unit="m²", range=Range(0.0, math.inf, True, False))
    slender_ratio: float = setting(10.0, unit="-", range=Range(0.0, math.inf, False, True))


#: Policy classes of the default classification preset (``presets/classify/cn-default.toml``).
DEFAULT_CLASSES = ("public_institution", "factory", "other_public", "residential", "other")


@dataclass(frozen=True)
class ShadingConfig(_Section):
    """Shading by neighbouring buildings (:mod:`pvsite.roofs.horizon`, :mod:`pvsite.solar.shading`).

    On by default: a whole ``pvsite run`` on the 10,613 real Bund outlines
    costs 1.4–1.9 × the CPU seconds of the same run with ``--no-shading``
    (default scenario 1.91–1.93 × and ``--scenario technical-max
    --no-panels`` 1.44–1.45 × without the report, the default scenario with
    the HTML/PDF report 1.75 ×; ``benchmarks/README.md``, "Shading (issue 12
    item 6)", 2026-12-02, load average 2–7 on 2 shared cores), within issue
    12's "shading at most doubles the run time".  ``--no-shading`` or
    ``[shading] enabled = false`` gives the unshaded figures (the flat PVWatts
    3 % "shading" item instead).  When on, each plane's horizon is computed from every input building with a
    height, its beam and circumsolar irradiance is blocked below the horizon
    and its sky diffuse scaled by the sky-view factor, and the PVWatts 3 %
    "shading" loss item is dropped for those planes (no double counting;
    recorded in ``run_info``).

    Attributes
    ----------
    enabled : bool
        Apply geometric shading.
    n_sectors : int
        Azimuth sectors of a horizon profile (≥ 36, i.e. at most 10° wide).  144 (2.5°): on 97
        shaded planes of the real Bund it agrees with an hourly brute force cast against every
        neighbour within 1 pp on every plane (mean 0.15 pp); 36 sectors of 4 rays miss it on tall
        horizons (max 2.2 pp) at the same ray count (``tests/test_shading_bruteforce.py``).
    rays_per_sector : int
        Rays averaged per sector (1: the exact ray at the sector centre).
    points_per_plane : int
        Sample points per PV plane (losses are averaged over them by area).
    min_sun_elevation_deg : float
        Least useful sun elevation [°]: a neighbour farther than
        (Δh) / tan(this) cannot shade.  5°: below it the sun brings ≈ 0.1 % of
        the year's horizontal beam on the CSWD Shanghai year (pvsite measurement).
    max_radius_m : float
        Cap of the neighbour search radius [m] (pvsite assumption).
    module_height_m : float
        Height of the sample points above the roof surface [m] (rack height;
        pvsite assumption).
    """

    enabled: bool = setting(True)
    n_sectors: int = setting(144, unit="-", range=Range(36, 720, True, True))
    rays_per_sector: int = setting(1, unit="-", range=Range(1, 16, True, True))
    points_per_plane: int = setting(6, unit="-", range=Range(1, 64, True, True))
    min_sun_elevation_deg: float = setting(5.0, unit="°", range=Range(0.0, 45.0, False, True))
    max_radius_m: float = setting(1000.0, unit="m", range=Range(0.0, 10000.0, False, True))
    module_height_m: float = setting(0.5, unit="m", range=Range(0.0, 10.0, True, True))


@dataclass(frozen=True)
class HeightsConfig(_Section):
    """A height for every building (:mod:`pvsite.roofs.building_heights`).

    The height of a building is, in this order: its height attribute
    (``height_m``); else ``storeys × storey_height_m`` of its policy class;
    else the median of the ``--heights`` raster inside the footprint; else
    ``default_storeys × storey_height_m`` of its class, flagged
    ``height_source = 'class_default'``.  Classes missing from a table take
    its ``other`` entry.

    Attributes
    ----------
    storey_height_m : dict
        Floor-to-floor height per policy class [m].  residential 3.0:
        GB 50096-2011《住宅设计规范》§5.5.1 "住宅层高宜为 2.80 m", rounded up
        for taller ground floors (shops, lobbies) and roof slabs; it is also
        the storey height behind the Bund data's ``height_est_m`` and the
        issue's independent estimate.  public_institution and other_public
        3.6: schools need ≥ 3.0–3.1 m clear classroom height (GB 50099-2011
        《中小学校设计规范》) and offices are commonly built at 3.6–4.2 m
        floor-to-floor; 3.6 m is the low end (pvsite assumption).  factory
        4.5: multi-storey plants and warehouses, commonly 4.5–6 m (pvsite
        assumption; a single-storey shed's height is better given as
        ``height_m``).  other 3.0 (as residential, the commonest stock).
    default_storeys : dict
        Storeys assumed per policy class when neither a height, storeys nor
        a raster height is known [-]: residential 6 (the 多层 walk-up
        blocks that dominate Shanghai's housing stock), public_institution 4
        (a school or clinic), other_public 6, factory 2, other 3 (the median
        of the 10,613 real Bund outlines).  pvsite assumptions, flagged per
        roof; give real heights where shading matters.
    """

    storey_height_m: dict = setting(
        lambda: {"public_institution": 3.6, "factory": 4.5, "other_public": 3.6, "residential": 3.0, "other": 3.0},
        unit="m", values=Range(0.0, 20.0, False, True),
    )
    default_storeys: dict = setting(
        lambda: {"public_institution": 4, "factory": 2, "other_public": 6, "residential": 6, "other": 3},
        unit="-", values=Range(1, 200, True, True),
    )

    def _cross_check(self) -> list[tuple[str, str, str]]:
        return [(name, "has no 'other' entry (the value for classes it does not list)",
                 f"add other = <value> to [heights.{name}]")
                for name in ("storey_height_m", "default_storeys") if "other" not in getattr(self, name)]


@dataclass(frozen=True)
class MountingConfig(_Section):
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
    min_sun_elevation_deg : float
        High-latitude fallback of the no-shade rule [°]: instants of the
        window in which the sun stands lower than this are left out of the
        spacing rule (rows may shade each other then), and when even the
        noon sun of the design day is lower, rows are spaced for the noon
        sun alone.  At 60° N the winter-solstice sun rises at 09:15 solar
        time, so the 09:00–15:00 rule asks for infinite spacing; with 5° the
        rule keeps 10:45–13:15 there.  No Chinese site south of 52° N is
        affected (the 09:00 solstice sun stands ≥ 5° up to ≈ 52° N), so the
        GB 50797-2012 rule is unchanged in China.  pvsite assumption: below
        5° a horizontal surface receives at most sin 5° = 8.7 % of the beam's
        normal irradiance through an air mass above 10, so mutual shading then
        costs little energy; 0 keeps every instant with the sun above the
        horizon (very wide rows near sunrise).
    narrow_roof_layouts : bool
        On flat and unknown roofs where the normal rack rows
        (``modules_per_row_portrait`` modules in portrait) hold no module,
        try in turn single-row portrait racks ("1P": one module up the
        slope, same tilt, its own no-shade pitch) and single-row landscape
        racks ("1L"), and keep the first that holds any module (column
        ``layout``).  Laying modules flat is no further fallback: a flat
        module's footprint contains a tilted one's, so where a flat module
        fits a 1P or 1L module fits too.  1P/1L tables are the usual small-roof and
        high-wind variants of fixed racks beside 2P (the same no-shade row
        rule of GB 50797-2012 — pvsite assumption that a narrow roof may take
        them); ``false`` reproduces the figures before this setting (a roof
        the normal rows cannot use is "too small").
    """

    flat_tilt_deg: float = setting(20.0, unit="°", range=Range(0.0, 90.0, True, False))
    flat_azimuth_deg: float = setting(180.0, unit="°", range=Range(0.0, 360.0, True, True))
    no_shade_start_hour: float = setting(9.0, unit="h", range=Range(0.0, 24.0, True, True))
    no_shade_end_hour: float = setting(15.0, unit="h", range=Range(0.0, 24.0, True, True))
    module_gap_m: float = setting(0.02, unit="m", range=Range(0.0, math.inf, True, False))
    align_tolerance_deg: float = setting(0.0, unit="°", range=Range(0.0, 45.0, True, True))
    modules_per_row_portrait: int = setting(2, unit="-", range=Range(1, math.inf, True, False))
    flush_orientation: str = setting("best", choices=FLUSH_ORIENTATIONS)
    narrow_roof_layouts: bool = setting(True)
    min_sun_elevation_deg: float = setting(5.0, unit="°", range=Range(0.0, 45.0, True, False))

    def _cross_check(self) -> list[tuple[str, str, str]]:
        if self.no_shade_start_hour < self.no_shade_end_hour:
            return []
        return [("no_shade_end_hour",
                 f"the no-shade window {self.no_shade_start_hour:g}–{self.no_shade_end_hour:g} h is empty",
                 "set mounting.no_shade_end_hour later than mounting.no_shade_start_hour")]


@dataclass(frozen=True)
class SystemConfig(_Section):
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
    inverter_efficiency_pct: float = setting(96.0, unit="%", range=Range(0.0, 100.0, False, True))
    dc_ac_ratio: float = setting(1.2, unit="-", range=Range(0.0, math.inf, False, False))
    temperature_model: str = setting("faiman", choices=TEMPERATURE_MODELS)
    orientation_step_deg: float = setting(1.0, unit="°", range=Range(0.0, 90.0, False, True))


@dataclass(frozen=True)
class PolicyConfig(_Section):
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
class WeatherConfig(_Section):
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
        −30 and −60 correct them (``pvsite.io.weather_checks.CSWD_TIME_SHIFT_MIN``,
        evidence in irradiance/README.md).  0 = use the labels as they are
        (a warning reports a measured offset above 15 min).
    columns : dict
        Plain CSV only: canonical name (``time``, ``ghi``, ``dni``, ``dhi``,
        ``temp_air``, ``wind_speed``, ``pressure``) → column of the file
        (``[weather.columns]``; ``--weather-column ghi=GHI``).  Unmapped names
        are looked for under their own name and the usual EPW-style headers
        (:data:`pvsite.io.weather.CSV_COLUMN_ALIASES`).
    allow_distant : bool
        Run although the weather file's station lies more than
        :data:`pvsite.buildings.checks.WEATHER_REFUSE_KM` from the buildings
        or :data:`pvsite.buildings.checks.WEATHER_REFUSE_DLAT_DEG` of latitude
        away (``--allow-distant-weather``); the distance is still reported.
    """

    path: str | None = setting(None, path=True)
    time_shift_min: float = setting(0.0, unit="min", range=Range(-180.0, 180.0, True, True))
    columns: dict = setting(dict, values=str)
    allow_distant: bool = False


@dataclass(frozen=True)
class ExclusionsConfig(_Section):
    """No-go roofs: protected buildings and other exclusion areas.

    Attributes
    ----------
    layers : tuple of ExclusionLayerConfig
        ``[[exclusions.layers]]`` tables ``{path, layer, datum, kind,
        name_field}`` per source (polygons or points, any CRS; ``datum``
        wgs84/gcj02/bd09 for lon/lat data), see :class:`ExclusionLayerConfig`.
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

    layers: tuple = setting(tuple, item=ExclusionLayerConfig)
    flag_only: bool = False
    min_overlap_share: float = setting(0.05, unit="-", range=Range(0.0, 1.0, True, True))


@dataclass(frozen=True)
class PriorityConfig(_Section):
    """Which roofs to do next: the ranking of :mod:`pvsite.planning.ranking`.

    Attributes
    ----------
    rank_by : str
        A key of :data:`pvsite.planning.ranking.RANK_KEYS` (``capacity``,
        ``yield``, ``class``, ``payback``, ``npv``, ``lcoe``) or several joined
        by commas, compared in that order (``class,capacity``).  Default
        ``capacity``: largest remaining potential first, which closes the
        remaining gap with the fewest roofs (pvsite choice).
    """

    rank_by: str = "capacity"

    def _cross_check(self) -> list[tuple[str, str, str]]:
        from pvsite.planning.ranking import RANK_KEYS, parse_rank_by

        try:
            parse_rank_by(self.rank_by)
        except ValueError as exc:
            return [("rank_by", str(exc), f"Use one of {', '.join(RANK_KEYS)}, or several joined by commas "
                                          f"(e.g. 'class,capacity').")]
        return []


@dataclass(frozen=True)
class CarbonConfig(_Section):
    """CO2, standard coal and the renewable share of task 15 (:mod:`pvsite.planning.carbon`).

    Attributes
    ----------
    consumption : str or None
        CSV / XLSX of annual energy use [kWh] per building (``building_id``),
        per street or for the district (``--consumption PATH``), read by
        :func:`pvsite.io.consumption.read_consumption`.  ``None``: no
        ``renewable_share_pct``.
    consumption_sheet : str or None
        Sheet of an Excel file (default the first).
    consumption_columns : dict
        pvsite column (``building_id``, ``street``, ``consumption_kwh``) →
        column of the file; unmapped ones are found among the candidates of
        ``[consumption]`` in ``presets/fields.toml``.
    emission_factor : str or None
        Emission-factor preset (``presets/emission/<name>.toml``: shanghai-2022,
        national-2022, national-2021, east-china-2022, national-grid-ets-2022) or a
        path (``--emission-factor``).  ``None``: the policy preset's
        ``emission_preset`` (Changning: shanghai-2022, 0.42 kg/kWh).
    """

    consumption: str | None = setting(None, path=True)
    consumption_sheet: str | None = None
    consumption_columns: dict = setting(dict, values=str)
    emission_factor: str | None = None

    #: pvsite columns of a consumption file (:data:`pvsite.io.consumption.CONSUMPTION_FIELDS`).
    _COLUMNS: ClassVar[tuple] = ("building_id", "street", "consumption_kwh")

    def _cross_check(self) -> list[tuple[str, str, str]]:
        bad = [k for k in self.consumption_columns if k not in self._COLUMNS]
        if bad:
            near = {k: difflib.get_close_matches(k, self._COLUMNS, 1) for k in bad}
            return [("consumption_columns", "unknown column(s) " + ", ".join(
                f"'{k}'" + (f" (did you mean '{near[k][0]}'?)" if near[k] else "") for k in bad),
                f"Map only {', '.join(self._COLUMNS)}.")]
        return []


@dataclass(frozen=True)
class DeliveryConfig(_Section):
    """What is built, under construction and planned; who is responsible.

    Attributes
    ----------
    installed : tuple of InstalledConfig
        Lists of PV projects (``[[delivery.installed]]``, ``--installed PATH[:datum]``).
    tolerance_m : float
        Largest distance from a project's point to the nearest roof still
        matched, when no roof contains it [m].  30 m, the tolerance of the
        institution registries (:class:`RegistryConfig`): a project's point is
        a geocoded address or a map pin at the gate or frontage of its site,
        within a street's width of the building in Shanghai's blocks (pvsite
        assumption).
    departments : str
        ``plan`` (default): ``responsible_department`` from the policy preset's
        ``[tasks]`` (task 36 / 37 of the Changning plan, by owner, type and
        street); ``classify``: the classification preset's per-type department
        alone, as before the plan's task table was read (reproduces earlier runs;
        also what a policy without ``[tasks]`` gives).
    """

    installed: tuple = setting(tuple, item=InstalledConfig)
    tolerance_m: float = setting(30.0, unit="m", range=Range(0.0, math.inf, True, False))
    departments: str = setting("plan", choices=DEPARTMENT_SOURCES)


@dataclass(frozen=True)
class OutputConfig(_Section):
    """What the GeoPackage holds.

    Attributes
    ----------
    panels : bool or None
        The ``panels`` layer (one rectangle per installed module):
        ``true`` always, ``false`` never (``--no-panels``; the layout then
        only counts), unset (the default, "auto") when the run installs at
        most :data:`pvsite.outputs.gpkg.PANELS_AUTO_MAX_MODULES` (200,000)
        modules; beyond that it is skipped with a warning (set
        ``[output] panels = true`` to write it anyway).  It is written in
        batches either way, so memory stays bounded.
    crs : str or None
        CRS of the GeoPackage layers (``--out-crs``), e.g. ``EPSG:4549``
        (CGCS2000 / 3-degree Gauss-Kruger CM 120E: the zone of Shanghai,
        118.5–121.5° E, in which Chinese survey and planning offices keep
        their drawings) or ``EPSG:4490`` (CGCS2000 lon/lat).  ``None`` (the
        default, as before): the run's metric CRS, the WGS 84 / UTM zone of the
        site (EPSG:32651 in Shanghai), which QGIS measures in metres without
        a setting.  CGCS2000 and WGS 84 agree to a few centimetres, so the
        choice changes the coordinates' form, not their place.  The result in
        memory keeps the run's CRS; layers are transformed as they are written.
    parquet : bool or None
        The roofs also as a partitioned GeoParquet folder ``<name>_roofs.parquet/``
        beside the GeoPackage (:mod:`pvsite.outputs.parquet`; ``--parquet/--no-parquet``):
        ``true`` always, ``false`` never, ``"auto"`` or unset (the default) only
        when the run has more roofs than the workbook's 屋顶明细 sheet lists
        (:data:`pvsite.outputs.xlsx.MAX_ROOF_ROWS`, 50,000).

    An optional true/false setting (``panels``, ``parquet``) also takes ``"auto"``, the same as leaving it unset.
    """

    panels: bool | None = None
    parquet: bool | None = None
    crs: str | None = setting(None, crs=True)


#: Datums a tile basemap can be in (WGS84 for OSM-style tiles; GCJ-02 for 高德 / 腾讯 and 天地图 web tiles
#: published for Chinese web maps).
TILE_DATUMS = ("wgs84", "gcj02")


@dataclass(frozen=True)
class ReportConfig(_Section):
    """The HTML report, its PDF and the chart PNGs (:mod:`pvsite.outputs.report`, :mod:`pvsite.outputs.charts`).

    Attributes
    ----------
    enabled : bool
        Write ``<stem>.html`` and the chart PNGs (``<stem>_chart_*.png``) with
        the set (``--no-report``: not; default on).
    pdf : bool
        Also print the report to ``<stem>.pdf`` with headless Chromium when
        ``/usr/bin/chromium`` (or ``chromium`` on PATH) is present
        (``--no-pdf``: not).  Without Chromium the report says how to get a PDF.
    tile_url : str or None
        Optional basemap tiles for the interactive map, an XYZ template with
        ``{z}``, ``{x}``, ``{y}`` (and optionally ``{s}`` → a/b/c).  Unset
        (default): no basemap, nothing is fetched from the internet.
    tile_datum : str
        Datum of the tiles: ``wgs84`` or ``gcj02`` (高德 / 腾讯 tiles are
        GCJ-02: the roofs are then shifted to GCJ-02 so they sit on the tiles).
    tile_attribution : str
        Credit line shown on the map for the tiles (the tile provider's terms).
    max_map_roofs : int
        Most roofs drawn on the interactive map; beyond it only roofs with PV
        are drawn and the report says so (pvsite assumption: 50,000 outlines
        keep the file below ~15 MB and the map fluid).
    """

    enabled: bool = True
    pdf: bool = True
    tile_url: str | None = None
    tile_datum: str = setting("wgs84", choices=TILE_DATUMS)
    tile_attribution: str = ""
    max_map_roofs: int = setting(50_000, unit="-", range=Range(1, math.inf, True, False))


@dataclass(frozen=True)
class ComputeConfig(_Section):
    """Where the per-roof stages run (:mod:`pvsite.compute`): one process, a process pool, or Dask.

    The layout (:func:`pvsite.roofs.survey.survey_roofs`) and, with shading,
    the horizons (:func:`pvsite.roofs.horizon.horizon_profiles`) run on
    partitions of the chosen roofs; the results equal the one-process run
    (same roofs, planes, modules, horizons).  Nothing else changes.

    The TOML file, :func:`pvsite.run` / :func:`pvsite.configure` keywords
    (``scheduler=``, ``dask_address=``) and the CLI (``--scheduler``,
    ``--dask-address``) accept the same forms, rewritten here, once, to the
    stored ``scheduler`` and ``address`` (what ``run_info`` records):

    ========================  ==========================================
    given                     stored
    ========================  ==========================================
    ``serial``, ``processes``  that scheduler, no address
    ``dask``                  ``dask`` (at ``address`` if one is set)
    ``local``                 ``dask``, no address: a LocalCluster
    ``tcp://HOST:PORT``       ``dask`` at that address (also ``tls://``…)
    ``address`` alone         ``dask`` at that address
    ========================  ==========================================

    Names are case-insensitive.  ``local`` with an address, or an address
    in ``scheduler`` and a different one in ``address``, is an error.  A
    layer (the file, then the options) that names a scheduler other than
    plain ``dask`` also replaces the address of the layers below it
    (``--scheduler local`` over a file's ``address`` is a LocalCluster).
    ``ComputeConfig(...)`` built in Python takes the same forms, except an
    address alone: there the default ``serial`` counts as given.

    Attributes
    ----------
    scheduler : str
        ``serial`` (default: this process; the layout one partition after
        the other, the horizons unpartitioned), ``processes``
        (a local pool of ``n_workers`` processes) or ``dask`` (a
        ``distributed`` cluster: a LocalCluster of ``n_workers`` one-thread
        processes, or the scheduler at ``address``; needs ``pip install
        pvsite[dask]``).  Also accepted: ``local`` and a scheduler address
        (see above).
    n_workers : int
        Worker processes of ``processes`` and of a local Dask cluster
        (pvsite default 2: this machine's cores).
    partition_roofs : int
        Roofs per partition [-].  5,000 (pvsite assumption): a partition's
        layout peaks at ≈ 0.1 GB, and a run of 100,000 roofs gives 20 tasks
        for the workers to share.  The serial layout uses the same partitions
        (its peak stays bounded; measured CPU time unchanged at 100,000 roofs).
    address : str or None
        ``tcp://host:8786`` of a running Dask scheduler (``scheduler = "dask"``
        only).  Every worker must see the run's input files at the same
        paths (a height raster is read there).
    """

    scheduler: str = setting("serial", choices=SCHEDULERS)
    n_workers: int = setting(2, unit="-", range=Range(1, 1024, True, True))
    partition_roofs: int = setting(5000, unit="-", range=Range(1, 10_000_000, True, True))
    address: str | None = None

    def __post_init__(self) -> None:
        if not _Deferred.active:  # built in Python: the same forms as a TOML table
            data, problems = self._normalise({"scheduler": self.scheduler, "address": self.address})
            if problems:
                raise config_error(f"{type(self).__name__}(...)",
                                   [(f"{self._key}.{k}", msg, fix) for k, msg, fix in problems])
            for name in ("scheduler", "address"):
                object.__setattr__(self, name, data.get(name, getattr(self, name)))
        super().__post_init__()

    def _normalise(self, data: dict) -> tuple[dict, list[Problem]]:
        """``local`` and addresses → ``dask`` + ``address`` (the table of the class docstring)."""
        sched, address = data.get("scheduler"), data.get("address")
        if sched is None and address is None:
            return data, []
        out = dict(data)
        if isinstance(address, str):
            address = out["address"] = address.strip()
        key = f"{self._key or 'compute'}."
        if sched is None:  # an address alone: Dask there (``--dask-address`` without ``--scheduler``)
            out["scheduler"] = "dask"
            return out, []
        if not isinstance(sched, str):
            return out, []  # the type check names it
        text = sched.strip()
        name = text.lower()
        if name in SCHEDULERS:
            out["scheduler"] = name
            if name != "dask" and address is None:  # a lower layer's address went with its dask
                out["address"] = None
            return out, []
        if name == "local":
            if address:
                return _without(out, "scheduler", "address"), [(
                    "scheduler", f"'local' starts a LocalCluster on this machine, but '{key}address' = "
                                 f"{address!r} names a running scheduler",
                    f"Give one of them: drop '{key}address' (--dask-address) for a LocalCluster, or set "
                    f"'{key}scheduler' = \"dask\" for the scheduler at the address.")]
            out["scheduler"], out["address"] = "dask", None
            return out, []
        if is_dask_address(text):
            if address and address != text:
                return _without(out, "scheduler", "address"), [(
                    "scheduler", f"{text!r} and '{key}address' = {address!r} name two different Dask schedulers",
                    f"Give one address, in '{key}scheduler' or in '{key}address' (--dask-address).")]
            out["scheduler"], out["address"] = "dask", text
            return out, []
        near = difflib.get_close_matches(name, SCHEDULER_NAMES, n=1)
        return _without(out, "scheduler"), [(
            "scheduler", f"is {sched!r}, not one of serial, processes, dask, local or a Dask scheduler address",
            (f"did you mean '{near[0]}'? " if near else "")
            + f"Set '{key}scheduler' to serial, processes, dask, local or the address `dask scheduler` prints "
              "(e.g. tcp://10.0.0.5:8786).")]

    def _cross_check(self) -> list[Problem]:
        key = f"{self._key or 'compute'}."
        if self.address and self.scheduler != "dask":
            return [("address", f"a Dask scheduler address needs scheduler = \"dask\", found {self.scheduler!r}",
                     f"Set '{key}scheduler' = \"dask\" (or --scheduler dask), or drop the address.")]
        if self.address and not is_dask_address(self.address):
            return [("address", f"{self.address!r} is not a Dask scheduler address",
                     "Give it as tcp://HOST:PORT (the address `dask scheduler` prints).")]
        return []


def _without(table: dict, *keys: str) -> dict:
    return {k: v for k, v in table.items() if k not in keys}


def is_dask_address(text: Any) -> bool:
    """True for a Dask scheduler address: a scheme of :data:`DASK_SCHEMES` and a host (``tcp://10.0.0.5:8786``)."""
    return isinstance(text, str) and text.startswith(DASK_SCHEMES) and len(text) > text.index("//") + 2


@dataclass(frozen=True)
class EconomicsConfig(_Section):
    """Money figures per roof: costs, savings, payback, NPV, IRR, LCOE (:mod:`pvsite.economics`).

    Attributes
    ----------
    preset : str
        Economics preset (``presets/economics/<name>.toml``) or path
        (``--economics``): costs, tariffs, Shanghai rewards, EMC terms, each cited.
    business_model : {'self', 'full-export', 'emc'}
        ``self``: the owner pays and uses the energy, the surplus is exported
        (自发自用、余电上网); ``full-export``: everything exported (全额上网);
        ``emc``: an investor builds, the host buys the energy at a discount
        (合同能源管理).  ``--business-model``.
    business_model_by_class : dict
        Policy class → business model, overriding ``business_model`` for that
        class (``[economics.business_model_by_class] factory = "emc"``).
    discount_rate_pct : float or None
        Real discount rate [%/yr]; ``None`` uses the preset's.
    lifetime_yr : float or None
        Project life [yr], a whole number of years; ``None`` uses the preset's.
    load : str or None
        Hourly load CSV (``--load``): a ``time`` column and one kWh column per
        building id, street or policy class; with it the self-consumed share
        follows from the hours (:mod:`pvsite.economics.selfconsumption`).
    """

    preset: str = "shanghai-2025"
    business_model: str = setting("self", choices=BUSINESS_MODELS)
    business_model_by_class: dict = setting(dict, values=str)
    discount_rate_pct: float | None = setting(None, unit="%", range=Range(-5.0, 50.0, True, True))
    lifetime_yr: float | None = setting(None, unit="yr", range=Range(1.0, 60.0, True, True))
    load: str | None = setting(None, path=True)

    def _cross_check(self) -> list[tuple[str, str, str]]:
        bad = {k: v for k, v in self.business_model_by_class.items() if v not in BUSINESS_MODELS}
        out = [("business_model_by_class", f"values must be one of {', '.join(BUSINESS_MODELS)}, found {bad}",
                f"set each class to one of {', '.join(BUSINESS_MODELS)}")] if bad else []
        if self.lifetime_yr is not None and self.lifetime_yr != int(self.lifetime_yr):
            out.append(("lifetime_yr", f"must be a whole number of years, found {self.lifetime_yr!r}",
                        "give the lifetime in whole years (e.g. 25)"))
        return out


@dataclass(frozen=True)
class Config:
    """Everything that defines a run."""

    input: InputConfig = field(default_factory=InputConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    roof: RoofConfig = field(default_factory=RoofConfig)
    heights: HeightsConfig = field(default_factory=HeightsConfig)
    shading: ShadingConfig = field(default_factory=ShadingConfig)
    mounting: MountingConfig = field(default_factory=MountingConfig)
    system: SystemConfig = field(default_factory=SystemConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    weather: WeatherConfig = field(default_factory=WeatherConfig)
    exclusions: ExclusionsConfig = field(default_factory=ExclusionsConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    priority: PriorityConfig = field(default_factory=PriorityConfig)
    carbon: CarbonConfig = field(default_factory=CarbonConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    economics: EconomicsConfig = field(default_factory=EconomicsConfig)

    def to_dict(self) -> dict:
        """Plain nested dict (``None`` values dropped, as TOML has no null)."""
        return _drop_none(dataclasses.asdict(self))

    def to_toml(self) -> str:
        """The resolved configuration as TOML text (written into run_info)."""
        return tomli_w.dumps(self.to_dict())

    def with_overrides(self, **sections: dict) -> "Config":
        """Copy with some keys of some sections replaced, checked like a config file.

        ``cfg.with_overrides(policy={"scenario": "plan-2030"})``

        Raises
        ------
        ConfigError
            Listing every unknown key and bad value (source ``options``).
        """
        return _apply(self, sections, source="options")


for _name, _cls in get_type_hints(Config).items():
    _cls._key = _name


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_config(path: str | Path | None = None) -> Config:
    """Read a TOML override file into a :class:`Config`.

    Relative paths in the file (``input.footprints``, ``input.streets``,
    ``input.overrides``, ``roof.height_raster``, ``weather.path`` and the
    ``path`` of every registry and exclusion layer) are relative to the file.

    Parameters
    ----------
    path : str or Path, optional
        TOML file.  ``None`` returns the defaults.

    Raises
    ------
    ConfigError
        The file is missing or is not valid TOML; or, in one message, every
        unknown section or key (with the nearest valid one) and every value
        of the wrong type, outside its range or not one of its choices.
    """
    cfg = Config()
    if path is None:
        return cfg
    from pvsite.io.tomlfiles import read_toml

    path = Path(path)
    data = read_toml(path, "Config file")
    cfg = _apply(cfg, data, source=str(path))
    return _resolve_paths(cfg, path.parent)


class _Deferred:
    """While loading, sections are built unchecked; the loader collects their problems itself."""

    active = False

    def __enter__(self):
        self._before, _Deferred.active = _Deferred.active, True

    def __exit__(self, *exc):
        _Deferred.active = self._before


def _apply(cfg: Config, data: Any, source: str) -> Config:
    """``cfg`` with ``data`` merged in; one ConfigError naming every problem."""
    problems: list[Problem] = []
    with _Deferred():
        if not isinstance(data, dict):
            raise config_error(source, [("", f"must be a table of sections, found {type(data).__name__}",
                                         "Give sections such as [mounting].")])
        merged = _merge(cfg, data, "", problems)
    if problems:
        raise config_error(source, problems)
    return merged


def _merge(obj: Any, data: dict, prefix: str, problems: list[Problem]) -> Any:
    """Copy of dataclass ``obj`` with the valid values of ``data``; problems appended."""
    known = {f.name: f for f in fields(obj)}
    hints = get_type_hints(type(obj))
    changes = {}
    if isinstance(obj, _Section):
        data, found = obj._normalise(data)
        problems += [(f"{prefix}{k}", msg, fix) for k, msg, fix in found]
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in known:
            near = difflib.get_close_matches(str(key), list(known), n=1)
            problems.append((dotted, "unknown config key",
                             f"did you mean '{prefix}{near[0]}'?" if near
                             else "valid keys here: " + ", ".join(sorted(known))))
            continue
        current = getattr(obj, key)
        meta = known[key].metadata
        if is_dataclass(current):
            if not isinstance(value, dict):
                problems.append((dotted, f"must be a table, found {value!r}", f"Write it as [{dotted}]."))
            else:
                changes[key] = _merge(current, value, f"{dotted}.", problems)
            continue
        value = _coerce(value, hints[key], meta, dotted, current, problems)
        if value is _BAD:
            continue
        found = _check_value(value, hints[key], meta, dotted)
        if found:
            problems += found
        else:
            changes[key] = value
    merged = replace(obj, **changes)
    if isinstance(merged, _Section):
        problems += [(f"{prefix}{k}", msg, fix) for k, msg, fix in merged._cross_check()]
    return merged


_BAD = object()


def _coerce(value: Any, hint: Any, meta, dotted: str, current: Any, problems: list[Problem]) -> Any:
    """TOML value → the field's Python value (int → float, table merged, entries typed)."""
    kind, optional = _kind(hint)
    if value is None or (optional and kind == "bool" and value == "auto"):  # "auto" = unset
        return None
    if "item" in meta:
        if not isinstance(value, (list, tuple)):
            problems.append((dotted, f"must be a list of tables, found {value!r}",
                             f"Write each entry as [[{dotted}]]."))
            return _BAD
        n = len(problems)
        items = tuple(_entry(v, meta["item"], f"{dotted}[{i + 1}]", problems) for i, v in enumerate(value))
        return _BAD if len(problems) > n else items
    if kind == "dict" and isinstance(value, dict):
        return {**(current or {}), **value}
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _entry(value: Any, cls: type, dotted: str, problems: list[Problem]) -> Any:
    """One list-of-tables entry: an instance, a path, or a table of its fields."""
    if isinstance(value, cls):
        return value
    if isinstance(value, (str, Path)):
        value = {"path": str(value)}
    if not isinstance(value, dict):
        problems.append((dotted, f"must be a table or a path, found {value!r}",
                         "Give a table such as {path = \"file.gpkg\"}."))
        return None
    known = {f.name: f for f in fields(cls)}
    hints = get_type_hints(cls)
    kwargs = {}
    for key, v in value.items():
        if key not in known:
            near = difflib.get_close_matches(str(key), list(known), n=1)
            problems.append((f"{dotted}.{key}", "unknown key",
                             f"did you mean '{dotted}.{near[0]}'?" if near
                             else "valid keys here: " + ", ".join(known)))
            continue
        v = _coerce(v, hints[key], known[key].metadata, f"{dotted}.{key}", None, problems)
        if v is _BAD:
            continue
        found = _check_value(v, hints[key], known[key].metadata, f"{dotted}.{key}")
        problems += found
        if not found:
            kwargs[key] = v
    missing = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
               and f.name not in kwargs and f.name not in value]
    if missing:
        problems.append((dotted, f"has no {', '.join(missing)}", f"Give each entry its {', '.join(missing)}."))
        return None
    if len(kwargs) < len(value):
        return None
    return cls(**kwargs)


def _resolve_paths(obj: Any, base: Path) -> Any:
    """Relative values of ``path=True`` settings made relative to ``base`` (the config's folder)."""
    changes = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            new = _resolve_paths(value, base)
        elif isinstance(value, tuple) and "item" in f.metadata:
            new = tuple(_resolve_paths(v, base) for v in value)
        elif f.metadata.get("path") and value and not Path(value).is_absolute():
            new = str(base / value)
        else:
            continue
        if new != value:
            changes[f.name] = new
    return replace(obj, **changes) if changes else obj


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_drop_none(v) for v in obj]
    return obj
