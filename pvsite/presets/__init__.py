"""Presets: policy rules, classification rules, modules and losses as typed data.

Each preset is a TOML file under ``pvsite/presets/<kind>/<name>.toml`` that
states its units and cites its source.  A preset is chosen by name (one of
the shipped files) or by a path to the user's own file of the same shape.

Presets are loaded **once** and checked completely into frozen dataclasses
(:class:`PolicyPreset`, :class:`ClassifyPreset`, :class:`ModulePreset`,
:class:`LossesPreset`, :class:`EmissionPreset`, :class:`EconomicsPreset`), each carrying the path it came
from.  Every problem
of a file — unknown key (with the nearest valid one), missing key, wrong
type, value out of range, unknown class or type, include cycle, bad regex —
is reported in one :class:`~pvsite.errors.ConfigError` naming the file and
the key; the stages that use a preset do not check it again.

The typed presets are also read-only mappings (``module["width_m"]``,
``policy.get("source")``, ``policy["scenarios"][name]``), so code written
against the TOML dicts keeps working; ``preset["_path"]`` is the source path.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pvsite.errors import ConfigError

PRESET_DIR = Path(__file__).resolve().parent
KINDS = ("policy", "classify", "module", "losses", "emission", "economics")


def available(kind: str) -> list[str]:
    """Names of the shipped presets of one kind."""
    return sorted(p.stem for p in (PRESET_DIR / kind).glob("*.toml"))


def preset_path(kind: str, name_or_path: str) -> Path:
    """Resolve a preset name or a path to the TOML file."""
    if kind not in KINDS:
        raise ValueError(f"unknown preset kind {kind!r}; expected one of {KINDS}")
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    shipped = PRESET_DIR / kind / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    raise ConfigError(
        f"Unknown {kind} preset '{name_or_path}'.",
        fix=f"Use one of: {', '.join(available(kind))}, or a path to a .toml file.",
        zh=f"未知的{kind}预设 '{name_or_path}'。",
        fix_zh=f"请使用 {', '.join(available(kind))} 之一，或 .toml 文件的路径。",
    )


def _read(path: Path) -> dict:
    from pvsite.io.tomlfiles import read_toml

    return read_toml(path, "Preset file")


# ---------------------------------------------------------------------------
# Checking helpers: problems are collected, then raised once per file
# ---------------------------------------------------------------------------


class _Problems(list):
    """Problems of one preset file; :meth:`raise_if_any` raises one ConfigError."""

    def __init__(self, kind: str, path: Path):
        super().__init__()
        self.kind, self.path = kind, path

    def keys(self, table: Mapping, where: str, allowed, required=()) -> None:
        """Unknown keys (with a suggestion) and missing required keys of one table."""
        for k in table:
            if k not in allowed:
                near = difflib.get_close_matches(str(k), list(allowed), n=1)
                self.append(f"{where}{k}: unknown key" + (f" (did you mean '{where}{near[0]}'?)" if near else
                                                          f" (valid keys: {', '.join(allowed)})"))
        for k in required:
            if k not in table:
                self.append(f"{where}{k}: missing")

    def number(self, table: Mapping, key: str, where: str, low=-math.inf, high=math.inf,
               low_in=True, high_in=True, unit: str = "") -> float | None:
        """A numeric value in a range (problem recorded otherwise)."""
        if key not in table:
            return None
        v = table[key]
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)
        ok = ok and (v >= low if low_in else v > low) and (v <= high if high_in else v < high)
        if not ok:
            rng = (f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}")
            self.append(f"{where}{key}: must be a number in {rng}{' ' + unit if unit else ''}, found {v!r}")
            return None
        return float(v)

    def text(self, table: Mapping, key: str, where: str, default: str | None = "") -> str | None:
        v = table.get(key, default)
        if v is not None and not isinstance(v, str):
            self.append(f"{where}{key}: must be text, found {v!r}")
            return default
        return v

    def raise_if_any(self) -> None:
        if self:
            raise ConfigError(
                f"The {self.kind} preset {self.path} has {len(self)} problem(s): " + "; ".join(self) + ".",
                fix=f"Correct the preset (the shipped presets/{self.kind}/*.toml files show the shape).",
                zh=f"{self.kind} 预设 {self.path} 有 {len(self)} 处问题（逐条见下方英文说明）。",
                fix_zh=f"请改正该预设（可参照随附的 presets/{self.kind}/*.toml 文件的格式）。",
            )


class _Record(Mapping):
    """Read-only mapping view of a frozen preset dataclass (``preset["key"]``, ``.get``)."""

    def _items(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "path"}
        if hasattr(self, "path"):
            out["_path"] = str(self.path)
        return out

    def __getitem__(self, key: str) -> Any:
        items = self._items()
        if key not in items or items[key] is None:
            raise KeyError(key)
        return items[key]

    def __iter__(self) -> Iterator[str]:
        return (k for k, v in self._items().items() if v is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    __hash__ = object.__hash__


# ---------------------------------------------------------------------------
# Module and losses
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ModulePreset(_Record):
    """A PV module (``presets/module/*.toml``).

    Attributes
    ----------
    name, name_zh : str
        English and Chinese names.
    power_w : float
        Nameplate power at STC [W].
    length_m, width_m : float
        Long and short side of the frame [m].
    gamma_pdc_per_c : float
        Pmax temperature coefficient [1/°C] (negative).
    iam_n, iam_k, iam_l : float
        Physical IAM model: refractive index [-], glazing extinction [1/m],
        glazing thickness [m].
    path : Path
        The preset file.
    """

    name: str
    name_zh: str
    power_w: float
    length_m: float
    width_m: float
    gamma_pdc_per_c: float
    iam_n: float
    iam_k: float
    iam_l: float
    path: Path


#: Module keys: (low, high, low included, high included, unit) — physical limits.
_MODULE_NUMBERS = {
    "power_w": (0.0, math.inf, False, False, "W"),
    "length_m": (0.0, 10.0, False, True, "m"),
    "width_m": (0.0, 10.0, False, True, "m"),
    "gamma_pdc_per_c": (-0.02, 0.0, True, True, "1/°C"),
    "iam_n": (1.0, 3.0, False, True, "-"),
    "iam_k": (0.0, math.inf, True, False, "1/m"),
    "iam_l": (0.0, 0.1, True, True, "m"),
}


def parse_module(data: Mapping, path: Path) -> ModulePreset:
    """Check a module preset's table (all problems at once) and type it."""
    p = _Problems("module", path)
    p.keys(data, "", ["name", "name_zh", *_MODULE_NUMBERS], required=list(_MODULE_NUMBERS))
    nums = {k: p.number(data, k, "", *spec[:4], unit=spec[4]) for k, spec in _MODULE_NUMBERS.items()}
    name, name_zh = p.text(data, "name", ""), p.text(data, "name_zh", "")
    p.raise_if_any()
    return ModulePreset(name=name, name_zh=name_zh, path=path, **nums)


#: Loss items of a losses preset (pvlib.pvsystem.pvwatts_losses), each in percent [%].
LOSS_ITEMS = (
    "soiling", "shading", "snow", "mismatch", "wiring", "connections",
    "lid", "nameplate_rating", "age", "availability",
)


@dataclass(frozen=True, eq=False)
class LossesPreset(_Record):
    """PVWatts system losses (``presets/losses/*.toml``).

    Attributes
    ----------
    name : str
        Description.
    losses_pct : Mapping
        Loss item (:data:`LOSS_ITEMS`) → percent [%] in [0, 100); items not
        given count as 0.
    path : Path
        The preset file.

    As a mapping it yields ``name`` and the loss items (the TOML's shape).
    """

    name: str
    losses_pct: Mapping
    path: Path

    def _items(self) -> dict:
        return {"name": self.name, **self.losses_pct, "_path": str(self.path)}


def parse_losses(data: Mapping, path: Path) -> LossesPreset:
    """Check a losses preset's table and type it."""
    p = _Problems("losses", path)
    p.keys(data, "", ["name", *LOSS_ITEMS])
    items = {k: p.number(data, k, "", 0.0, 100.0, True, False, unit="%") for k in LOSS_ITEMS if k in data}
    name = p.text(data, "name", "")
    p.raise_if_any()
    return LossesPreset(name=name, losses_pct=MappingProxyType(items), path=path)


# ---------------------------------------------------------------------------
# Emission factors and standard coal
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EmissionPreset(_Record):
    """A grid emission factor and a standard-coal rate (``presets/emission/*.toml``).

    Attributes
    ----------
    name, name_zh : str
        English and Chinese names.
    region : str
        Grid the factor is for (上海市, 全国, 华东区域).
    year : int
        Year the factor describes.
    emission_factor_kg_per_kwh : float
        CO2 per kWh of grid electricity displaced [kg CO2/kWh] (``co2_t``).
    source : str
        Document, number and figure the factor comes from.
    coal_gce_per_kwh : float
        Standard coal per kWh of supplied power (供电标准煤耗) [gce/kWh] (``tce_t``).
    coal_source : str
        Where the coal rate comes from.
    path : Path
        The preset file.
    """

    name: str
    name_zh: str
    region: str
    year: int
    emission_factor_kg_per_kwh: float
    source: str
    coal_gce_per_kwh: float
    coal_source: str
    path: Path


_EMISSION_TEXT = ("name", "name_zh", "region", "source", "coal_source")


def parse_emission(data: Mapping, path: Path) -> EmissionPreset:
    """Check an emission-factor preset (every problem at once) and type it."""
    p = _Problems("emission", path)
    p.keys(data, "", [*_EMISSION_TEXT, "year", "emission_factor_kg_per_kwh", "coal_gce_per_kwh"],
           required=["year", "emission_factor_kg_per_kwh", "source", "coal_gce_per_kwh", "coal_source"])
    # Physical limits: no grid emits more than ~1.2 kg/kWh (lignite); 供电煤耗 of any fleet lies well inside 100–1000 g.
    ef = p.number(data, "emission_factor_kg_per_kwh", "", 0.0, 2.0, True, True, unit="kg/kWh")
    coal = p.number(data, "coal_gce_per_kwh", "", 100.0, 1000.0, True, True, unit="gce/kWh")
    year = data.get("year")
    if "year" in data and not (isinstance(year, int) and not isinstance(year, bool) and 1990 <= year <= 2100):
        p.append(f"year: must be a year 1990–2100, found {year!r}")
    text = {k: p.text(data, k, "") or "" for k in _EMISSION_TEXT}
    for k in ("source", "coal_source"):
        if k in data and not text[k].strip():
            p.append(f"{k}: must name the document the figure comes from")
    p.raise_if_any()
    return EmissionPreset(year=int(year), emission_factor_kg_per_kwh=ef, coal_gce_per_kwh=coal, path=path, **text)


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyClass:
    """A policy class (公共机构 …) in plan order.

    Attributes
    ----------
    key : str
        ``public_institution`` …
    name_zh : str
        Chinese name (reports, ``class_zh``).
    colour : str
        Map fill colour ``#rrggbb`` (QGIS styles).
    """

    key: str
    name_zh: str
    colour: str


@dataclass(frozen=True, eq=False)
class BuildingType(_Record):
    """A building type: its class, Chinese name and responsible department."""

    key: str
    building_class: str
    name_zh: str
    responsible_department: str


#: Rule families in priority order (after overrides and registries) and their entry keys.
RULE_FAMILIES = {
    "use": ("type", "keywords", "words", "patterns", "exclude"),
    "use_code": ("type", "codes", "exclude"),
    "osm": ("type", "tag", "values", "exclude"),
    "context": ("type", "codes", "keywords", "tag", "values", "exclude"),
    "name": ("type", "keywords", "words", "patterns", "exclude"),
}
#: Building type given to a building no rule matches (it must exist in every preset).
DEFAULT_TYPE = "other"
#: Every family a class can come from, in priority order (overrides and registries first, the default last):
#: the keys of a classification preset's ``[confidence]`` table.
CLASS_FAMILIES = ("override", "registry", *RULE_FAMILIES, "default")
#: Confidence levels of a class (``[confidence]`` values), most to least reliable; the summary layer
#: has one ``capacity_<level>_kw`` column per level.
CONFIDENCE_LEVELS = ("high", "medium", "low", "none")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, eq=False)
class ClassifyPreset(_Record):
    """Classification rules (``presets/classify/*.toml``).

    Attributes
    ----------
    name, description : str
    classes : tuple of PolicyClass
        The policy classes in plan order (the order of the file).
    types : Mapping
        Building type → :class:`BuildingType`.
    confidence : Mapping
        Family of the deciding rule (:data:`CLASS_FAMILIES`: ``override``,
        ``registry``, ``use``, ``use_code``, ``osm``, ``context``, ``name``, ``default``)
        → confidence level (:data:`CONFIDENCE_LEVELS`), the ``[confidence]``
        table; every family is listed.
    rules : Mapping
        Rule family (:data:`RULE_FAMILIES`, in priority order) → tuple of
        entry tables (checked: known keys, known type, at least one
        matcher, regexes and land-use codes valid).
    path : Path
        The preset file.
    """

    name: str
    description: str
    classes: tuple
    types: Mapping
    confidence: Mapping
    rules: Mapping
    path: Path

    @property
    def class_order(self) -> tuple[str, ...]:
        """Class keys in plan order."""
        return tuple(c.key for c in self.classes)

    @property
    def class_names_zh(self) -> dict[str, str]:
        """Class key → Chinese name, in plan order."""
        return {c.key: c.name_zh for c in self.classes}

    @property
    def class_colours(self) -> dict[str, str]:
        """Class key → map colour, in plan order."""
        return {c.key: c.colour for c in self.classes}


def parse_classify(data: Mapping, path: Path) -> ClassifyPreset:
    """Check a classification preset (every problem at once) and type it."""
    p = _Problems("classify", path)
    p.keys(data, "", ["name", "description", "classes", "types", "confidence", "rules"],
           required=["classes", "types", "confidence"])
    classes = []
    for key, spec in (data.get("classes") or {}).items():
        where = f"classes.{key}."
        if not isinstance(spec, Mapping):
            p.append(f"classes.{key}: must be a table")
            continue
        p.keys(spec, where, ["name_zh", "colour"], required=["name_zh", "colour"])
        colour = p.text(spec, "colour", where)
        if colour and not _HEX.fullmatch(colour):
            p.append(f"{where}colour: must be #rrggbb, found {colour!r}")
        classes.append(PolicyClass(key, p.text(spec, "name_zh", where) or "", colour or ""))
    class_keys = [c.key for c in classes]
    types = {}
    for key, spec in (data.get("types") or {}).items():
        where = f"types.{key}."
        if not isinstance(spec, Mapping):
            p.append(f"types.{key}: must be a table")
            continue
        p.keys(spec, where, ["class", "name_zh", "responsible_department"],
               required=["class", "name_zh", "responsible_department"])
        cls = spec.get("class")
        if "class" in spec and cls not in class_keys:
            p.append(f"{where}class: {cls!r} is not one of the classes ({', '.join(class_keys)})")
        types[key] = BuildingType(key, cls, p.text(spec, "name_zh", where) or "",
                                  p.text(spec, "responsible_department", where) or "")
    if DEFAULT_TYPE not in types:
        p.append(f"types.{DEFAULT_TYPE}: missing (needed for unmatched buildings)")
    confidence = data.get("confidence") or {}
    if not isinstance(confidence, Mapping):
        p.append("confidence: must be a table of rule family = level")
        confidence = {}
    p.keys(confidence, "confidence.", list(CLASS_FAMILIES), required=list(CLASS_FAMILIES) if confidence else ())
    for fam, level in confidence.items():
        if fam in CLASS_FAMILIES and level not in CONFIDENCE_LEVELS:
            p.append(f"confidence.{fam}: {level!r} is not one of the levels ({', '.join(CONFIDENCE_LEVELS)})")
    raw_rules = data.get("rules") or {}
    p.keys(raw_rules, "rules.", list(RULE_FAMILIES))
    rules = {}
    for fam, keys in RULE_FAMILIES.items():
        entries = raw_rules.get(fam, [])
        for k, entry in enumerate(entries):
            _check_rule_entry(p, fam, keys, entry, f"rules.{fam}[{k + 1}].", types)
        rules[fam] = tuple(MappingProxyType(dict(e)) for e in entries if isinstance(e, Mapping))
    p.raise_if_any()
    return ClassifyPreset(name=str(data.get("name", path.stem)), description=str(data.get("description", "")),
                          classes=tuple(classes), types=MappingProxyType(types),
                          confidence=MappingProxyType({f: confidence.get(f) for f in CLASS_FAMILIES}),
                          rules=MappingProxyType(rules), path=path)


def _check_rule_entry(p: _Problems, fam: str, keys, entry, where: str, types) -> None:
    if not isinstance(entry, Mapping):
        p.append(f"{where[:-1]}: must be a table")
        return
    p.keys(entry, where, keys, required=["type", "tag", "values"] if fam == "osm" else ["type"])
    if fam == "context" and ("tag" in entry) != ("values" in entry):
        p.append(f"{where[:-1]}: tag and values go together (an OSM tag of the area polygon)")
    if fam == "context" and "tag" in entry and ("codes" in entry or "keywords" in entry):
        p.append(f"{where[:-1]}: either tag + values (OSM) or codes / keywords (land-use value), not both")
    if "type" in entry and entry["type"] not in types:
        p.append(f"{where}type: {entry['type']!r} is not one of the types ({', '.join(types)})")
    lists = [k for k in ("keywords", "words", "codes", "values") if k in keys]
    for k in lists:
        v = entry.get(k, [])
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            p.append(f"{where}{k}: must be a list of text, found {v!r}")
    for k in ("exclude",):
        if k in entry:
            _check_regex(p, f"{where}{k}", entry[k])
    for i, pat in enumerate(entry.get("patterns", []) if "patterns" in keys else []):
        if not (isinstance(pat, Mapping) and set(pat) == {"id", "regex"}):
            p.append(f"{where}patterns[{i + 1}]: must be {{id, regex}}, found {pat!r}")
        else:
            _check_regex(p, f"{where}patterns[{i + 1}].regex", pat["regex"])
    for c in entry.get("codes", []) if fam in ("use_code", "context") else []:
        if not (isinstance(c, str) and re.fullmatch(r"[A-Z]\d*", c)):
            p.append(f"{where}codes: land-use code {c!r} is not a letter followed by digits")
    if not any(entry.get(k) for k in ("keywords", "words", "patterns", "codes", "values")):
        p.append(f"{where[:-1]}: no keywords/words/patterns/codes/values")


def _check_regex(p: _Problems, where: str, value) -> None:
    try:
        re.compile(value)
    except (re.error, TypeError) as exc:
        p.append(f"{where}: bad regular expression {value!r} ({exc})")


# ---------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Rule(_Record):
    """One coverage rule of a scenario: which roofs, what share of roof area.

    Attributes
    ----------
    building_class, building_type : str or None
        Roofs of this class / type (``None``: any).
    is_new : bool or None
        New (``True``) or existing (``False``) buildings; ``None``: both.
    ratio : float
        Policy coverage: share of the roof (footprint) area given to PV [-], in [0, 1].
    scenario : str
        Scenario that states the rule.
    index : int
        1-based position of the rule in that scenario.
    """

    building_class: str | None
    building_type: str | None
    is_new: bool | None
    ratio: float
    scenario: str
    index: int


@dataclass(frozen=True, eq=False)
class Scenario(_Record):
    """A scenario: own rules, then the rules of the included scenarios."""

    name: str
    description: str
    description_zh: str
    rules: tuple
    include: tuple


RULE_KEYS = ("building_class", "building_type", "is_new", "ratio")


@dataclass(frozen=True, eq=False)
class Targets(_Record):
    """What a plan asks to be *built* (``[targets]`` of a policy preset).

    Attributes
    ----------
    source : str
        The plan text the figures come from (task number).
    first_year : int
        First year whose commissioned capacity counts toward the target.
    milestones : Mapping of int to float
        Year → cumulative built capacity the plan asks for by the end of that
        year [kW], years ascending; the last equals ``target_kw``.
    streets, departments : Mapping of str to float
        Optional allocations of the target [kW] per street / department.
    """

    source: str
    first_year: int
    milestones: Mapping
    streets: Mapping
    departments: Mapping

    @property
    def last_year(self) -> int:
        """Year of the last milestone (the target year)."""
        return max(self.milestones)


@dataclass(frozen=True, eq=False)
class PlanTask(_Record):
    """A task of the plan's task table that obliges roofs (``[tasks.<number>]``).

    Attributes
    ----------
    number : str
        Task number in the plan's table (``"37"``).
    text_zh : str
        The task as printed.
    departments : tuple of str
        责任单位 as printed, in order.
    scenarios : tuple of str
        A roof carries the task when a rule of one of these scenarios gives it a ratio > 0;
        empty: the task obliges no single roof (a district total).
    responsible_by_owner, responsible_by_type : Mapping of str to str
        ``owner_type`` / building type → the one department a roof goes to.
    responsible_default : str
        Department of the other roofs, or ``"street"`` (the roof's street or town, 各街道镇).
    """

    number: str
    text_zh: str
    departments: tuple
    scenarios: tuple
    responsible_by_owner: Mapping
    responsible_by_type: Mapping
    responsible_default: str


#: ``responsible_default`` word meaning "the roof's street or town" (the plan's 各街道镇).
STREET_DEPARTMENT = "street"


@dataclass(frozen=True, eq=False)
class PolicyPreset(_Record):
    """A policy (``presets/policy/*.toml``): target, emission factor and scenarios.

    Attributes
    ----------
    name, name_en, source, district, target_label, emission_factor_source : str
    target_kw : float
        The plan's capacity target [kW].
    emission_factor_kg_per_kwh : float
        Grid emission factor [kg CO2/kWh].
    default_scenario : str
    scenarios : Mapping
        Scenario name → :class:`Scenario` (include targets exist, no cycle).
    district_adcode : str
        Administrative division code (GB/T 2260) of the district the target is
        for; ``""`` when the preset is not one district's (e.g. the NEA pilot).
    district_bbox : tuple of 4 float or None
        (lon_min, lat_min, lon_max, lat_max) of that district [°, WGS 84];
        roofs outside it are not the target's (:mod:`pvsite.buildings.checks`).
    district_bbox_source : str
        Where the box comes from.
    emission_preset : str
        Emission-factor preset (``presets/emission/<name>.toml``) the preset's
        ``emission_factor_kg_per_kwh`` comes from; ``""`` when none is named.
        :func:`load_policy` checks that the two agree.
    renewable_share_goals_pct : Mapping or None
        Year → goal of 城镇建筑可再生能源替代率 [%] (e.g. 2025 → 10, 2030 → 15).
    renewable_share_source : str
        Where the goals come from (plan, task number, departments).
    path : Path
        The preset file.
    """

    name: str
    name_en: str
    source: str
    district: str
    target_kw: float
    target_label: str
    emission_factor_kg_per_kwh: float
    emission_factor_source: str
    default_scenario: str
    scenarios: Mapping
    path: Path
    district_adcode: str = ""
    district_bbox: tuple | None = None
    district_bbox_source: str = ""
    emission_preset: str = ""
    renewable_share_goals_pct: Mapping | None = None
    renewable_share_source: str = ""
    targets: Targets | None = None
    tasks: Mapping = field(default_factory=lambda: MappingProxyType({}))

    def resolve(self, scenario: str | None) -> tuple[str, tuple[Rule, ...]]:
        """A scenario's ordered rules: its own, then those of its includes (depth first).

        Parameters
        ----------
        scenario : str or None
            Scenario name; ``None`` is the preset's ``default_scenario``.

        Raises
        ------
        ConfigError
            Unknown scenario (the message lists the valid ones).
        """
        name = scenario or self.default_scenario
        if name not in self.scenarios:
            raise ConfigError(f"Unknown scenario '{name}' in {self.path}.",
                              fix=f"Use --scenario with one of: {', '.join(self.scenarios)}.",
                              zh=f"{self.path} 中没有情景 '{name}'。",
                              fix_zh=f"请用 --scenario 指定其中之一：{', '.join(self.scenarios)}。")

        def collect(n: str) -> tuple:
            sc = self.scenarios[n]
            return sc.rules + tuple(r for inc in sc.include for r in collect(inc))

        return name, collect(name)


_POLICY_TEXT = ("name", "name_en", "source", "district", "target_label", "emission_factor_source",
                "district_adcode", "district_bbox_source", "emission_preset", "renewable_share_source")


def parse_policy(data: Mapping, path: Path, classify: ClassifyPreset | None = None) -> PolicyPreset:
    """Check a policy preset (every problem at once) and type it.

    Parameters
    ----------
    data : Mapping
        The TOML table.
    path : Path
        Its file (named in messages).
    classify : ClassifyPreset, optional
        When given, every rule's ``building_class`` / ``building_type`` must
        be one of its classes / types.
    """
    p = _Problems("policy", path)
    p.keys(data, "", [*_POLICY_TEXT, "target_kw", "emission_factor_kg_per_kwh", "default_scenario", "scenarios",
                      "district_bbox", "renewable_share_goals_pct", "targets", "tasks"],
           required=["target_kw", "emission_factor_kg_per_kwh", "default_scenario", "scenarios"])
    text = {k: p.text(data, k, "") or "" for k in _POLICY_TEXT}
    target = p.number(data, "target_kw", "", 0.0, math.inf, False, False, unit="kW")
    ef = p.number(data, "emission_factor_kg_per_kwh", "", 0.0, 2.0, True, True, unit="kg/kWh")
    bbox = data.get("district_bbox")
    if bbox is not None:
        ok = (isinstance(bbox, list) and len(bbox) == 4
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox))
        if ok and not (-180 <= bbox[0] < bbox[2] <= 180 and -90 <= bbox[1] < bbox[3] <= 90):
            ok = False
        if not ok:
            p.append(f"district_bbox: must be [lon_min, lat_min, lon_max, lat_max] in degrees (WGS 84), found {bbox!r}")
            bbox = None
        else:
            bbox = tuple(float(v) for v in bbox)
    goals = _renewable_goals(p, data.get("renewable_share_goals_pct"))
    if text["emission_preset"] and text["emission_preset"] not in available("emission"):
        p.append(f"emission_preset: {text['emission_preset']!r} is not a shipped emission preset "
                 f"({', '.join(available('emission'))})")
    raw = data.get("scenarios") or {}
    scenarios = {}
    for name, sc in raw.items():
        where = f"scenarios.{name}."
        if not isinstance(sc, Mapping):
            p.append(f"scenarios.{name}: must be a table")
            continue
        p.keys(sc, where, ["description", "description_zh", "rules", "include"])
        rules = []
        for i, rule in enumerate(sc.get("rules", [])):
            rw = f"{where}rules[{i + 1}]."
            if not isinstance(rule, Mapping):
                p.append(f"{rw[:-1]}: must be a table")
                continue
            p.keys(rule, rw, RULE_KEYS, required=["ratio"])
            ratio = p.number(rule, "ratio", rw, 0.0, 1.0)
            if "is_new" in rule and not isinstance(rule["is_new"], bool):
                p.append(f"{rw}is_new: must be true or false, found {rule['is_new']!r}")
            bclass, btype = p.text(rule, "building_class", rw, None), p.text(rule, "building_type", rw, None)
            if classify is not None and bclass is not None and bclass not in classify.class_order:
                p.append(f"{rw}building_class: {bclass!r} is not a class of the classification preset "
                         f"{classify.path.name} ({', '.join(classify.class_order)})")
            if classify is not None and btype is not None and btype not in classify.types:
                p.append(f"{rw}building_type: {btype!r} is not a type of the classification preset "
                         f"{classify.path.name} ({', '.join(classify.types)})")
            rules.append(Rule(bclass, btype, rule.get("is_new"), ratio if ratio is not None else 0.0, name, i + 1))
        include = sc.get("include", [])
        if not (isinstance(include, list) and all(isinstance(x, str) for x in include)):
            p.append(f"{where}include: must be a list of scenario names, found {include!r}")
            include = []
        for inc in include:
            if inc not in raw:
                p.append(f"{where}include: unknown scenario '{inc}' ({', '.join(raw)})")
        scenarios[name] = Scenario(name, p.text(sc, "description", where) or "",
                                   p.text(sc, "description_zh", where) or "", tuple(rules), tuple(include))
    for cycle in _include_cycles(scenarios):
        p.append(f"scenarios: include cycle {' → '.join(cycle)}")
    default = data.get("default_scenario")
    if "default_scenario" in data and default not in raw:
        p.append(f"default_scenario: {default!r} is not one of the scenarios ({', '.join(raw)})")
    targets = _parse_targets(p, data.get("targets"), target) if "targets" in data else None
    tasks = _parse_tasks(p, data.get("tasks"), raw, classify)
    p.raise_if_any()
    return PolicyPreset(target_kw=target, emission_factor_kg_per_kwh=ef, default_scenario=default,
                        scenarios=MappingProxyType(scenarios), path=path, district_bbox=bbox,
                        renewable_share_goals_pct=goals, targets=targets, tasks=MappingProxyType(tasks), **text)


def _renewable_goals(p: _Problems, raw) -> Mapping | None:
    """``{"2025" = 10.0, …}`` → read-only {2025: 10.0, …} in year order (problems recorded)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        p.append(f"renewable_share_goals_pct: must be a table of year = percent, found {raw!r}")
        return None
    goals = {}
    for year, pct in raw.items():
        if not (str(year).isdigit() and 1990 <= int(year) <= 2100):
            p.append(f"renewable_share_goals_pct.{year}: the key must be a year 1990–2100")
            continue
        v = p.number(raw, year, "renewable_share_goals_pct.", 0.0, 100.0, False, True, unit="%")
        if v is not None:
            goals[int(year)] = v
    return MappingProxyType(dict(sorted(goals.items())))


def _kw_table(p: _Problems, table, where: str) -> dict:
    """A table of name → kW ≥ 0 (problems recorded)."""
    if not isinstance(table, Mapping):
        p.append(f"{where}: must be a table of name = kW, found {table!r}")
        return {}
    return {str(k): v for k in table if (v := p.number(table, k, f"{where}.", 0.0, math.inf, unit="kW")) is not None}


def _parse_targets(p: _Problems, t, target_kw: float | None) -> Targets | None:
    """``[targets]``: cumulative milestones ending at ``target_kw``, optional allocations."""
    if not isinstance(t, Mapping):
        p.append(f"targets: must be a table, found {t!r}")
        return None
    p.keys(t, "targets.", ["source", "first_year", "milestones", "streets", "departments"],
           required=["source", "first_year", "milestones"])
    first = t.get("first_year")
    if not (isinstance(first, int) and not isinstance(first, bool) and 1990 <= first <= 2100):
        p.append(f"targets.first_year: must be a year (integer in [1990, 2100]), found {first!r}")
        first = None
    raw = t.get("milestones") or {}
    miles = {}
    for k in (raw if isinstance(raw, Mapping) else {}):
        try:
            year = int(k)
        except ValueError:
            p.append(f"targets.milestones: key {k!r} is not a year")
            continue
        v = p.number(raw, k, "targets.milestones.", 0.0, math.inf, False, True, unit="kW")
        if v is not None:
            miles[year] = v
    if not isinstance(raw, Mapping) or not miles:
        p.append("targets.milestones: must be a table of year = cumulative kW, e.g. { \"2025\" = 16000.0 }")
        return None
    years = sorted(miles)
    values = [miles[y] for y in years]
    if any(b < a for a, b in zip(values, values[1:])):
        p.append(f"targets.milestones: cumulative kW must not fall from year to year, found {miles}")
    if first is not None and years[0] < first:
        p.append(f"targets.milestones: year {years[0]} is before first_year {first}")
    if target_kw is not None and abs(values[-1] - target_kw) > 1e-6:
        p.append(f"targets.milestones: the last milestone ({years[-1]}: {values[-1]:g} kW) must equal "
                 f"target_kw ({target_kw:g} kW)")
    alloc = {k: _kw_table(p, t.get(k, {}), f"targets.{k}") for k in ("streets", "departments")}
    for k, table in alloc.items():
        if target_kw is not None and sum(table.values()) > target_kw + 1e-6:
            p.append(f"targets.{k}: the allocations add up to {sum(table.values()):g} kW, more than "
                     f"target_kw ({target_kw:g} kW)")
    return Targets(source=p.text(t, "source", "targets.") or "", first_year=first or years[0],
                   milestones=MappingProxyType(dict(zip(years, values))),
                   streets=MappingProxyType(alloc["streets"]), departments=MappingProxyType(alloc["departments"]))


def _text_list(p: _Problems, value, where: str) -> tuple:
    if not (isinstance(value, list) and all(isinstance(x, str) and x.strip() for x in value)):
        p.append(f"{where}: must be a list of names, found {value!r}")
        return ()
    return tuple(value)


def _parse_tasks(p: _Problems, raw, scenarios: Mapping, classify: ClassifyPreset | None) -> dict:
    """``[tasks.<number>]``: departments as printed, which roofs, which department per roof."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        p.append(f"tasks: must be a table of [tasks.<number>] tables, found {raw!r}")
        return {}
    tasks = {}
    for number, t in raw.items():
        where = f"tasks.{number}."
        if not isinstance(t, Mapping):
            p.append(f"tasks.{number}: must be a table")
            continue
        p.keys(t, where, ["text_zh", "departments", "scenarios", "responsible_by_owner", "responsible_by_type",
                          "responsible_default"], required=["text_zh", "departments"])
        depts = _text_list(p, t.get("departments", []), where + "departments")
        scs = _text_list(p, t.get("scenarios", []), where + "scenarios") if "scenarios" in t else ()
        for sc in scs:
            if sc not in scenarios:
                p.append(f"{where}scenarios: unknown scenario {sc!r} ({', '.join(scenarios)})")
        maps = {}
        for key in ("responsible_by_owner", "responsible_by_type"):
            table = t.get(key, {})
            if not (isinstance(table, Mapping) and all(isinstance(v, str) for v in table.values())):
                p.append(f"{where}{key}: must be a table of name = department, found {table!r}")
                table = {}
            maps[key] = {str(k): v for k, v in table.items()}
            for k, v in maps[key].items():
                if v not in depts:
                    p.append(f"{where}{key}.{k}: {v!r} is not one of the task's departments ({'、'.join(depts)})")
        if classify is not None:
            for k in maps["responsible_by_type"]:
                if k not in classify.types:
                    p.append(f"{where}responsible_by_type.{k}: not a building type of the classification preset "
                             f"{classify.path.name} ({', '.join(classify.types)})")
        default = p.text(t, "responsible_default", where, "") or ""
        if scs and not default:
            p.append(f"{where}responsible_default: missing (a department of the task, or \"street\")")
        elif default and default != STREET_DEPARTMENT and default not in depts:
            p.append(f"{where}responsible_default: {default!r} is neither \"street\" nor one of the task's "
                     f"departments ({'、'.join(depts)})")
        tasks[str(number)] = PlanTask(str(number), p.text(t, "text_zh", where) or "", depts, scs,
                                      MappingProxyType(maps["responsible_by_owner"]),
                                      MappingProxyType(maps["responsible_by_type"]), default)
    return tasks


def _include_cycles(scenarios: Mapping) -> list[list[str]]:
    """Every include cycle, each once (as found from its first scenario in file order)."""
    cycles, seen = [], set()

    def walk(n: str, stack: list[str]) -> None:
        if n in stack:
            cyc = stack[stack.index(n):] + [n]
            key = frozenset(cyc)
            if key not in seen:
                seen.add(key)
                cycles.append(cyc)
            return
        if n not in scenarios:
            return
        for inc in scenarios[n].include:
            walk(inc, stack + [n])

    for name in scenarios:
        walk(name, [])
    return cycles


# ---------------------------------------------------------------------------
# Economics
# ---------------------------------------------------------------------------

#: Capex mountings of an economics preset (``[capex] <mounting>_yuan_per_w``).
CAPEX_MOUNTINGS = ("flat_racks", "metal_flush", "pitched_flush")
#: What the Shanghai reward is paid on (``[tariffs.*] subsidy_basis``).
SUBSIDY_BASES = ("export", "generation")
#: The word that marks a value as pvsite's own estimate in a preset's ``source``.
ASSUMPTION_LABEL = "pvsite assumption"


@dataclass(frozen=True)
class TariffGroup:
    """One tariff group of an economics preset (``[tariffs.<name>]``).

    Attributes
    ----------
    name, name_zh : str
        Key and Chinese name.
    flat_yuan_per_kwh : float
        Host's grid price averaged over PV hours [元/kWh].
    subsidy_basis : {'export', 'generation'}
        Energy the Shanghai reward is paid on.
    subsidy_yuan_per_kwh : float
        Reward [元/kWh].
    source : str
        Citation or assumption label.
    """

    name: str
    name_zh: str
    flat_yuan_per_kwh: float
    subsidy_basis: str
    subsidy_yuan_per_kwh: float
    source: str


@dataclass(frozen=True, eq=False)
class EconomicsPreset(_Record):
    """Costs, tariffs, rewards and contract terms (``presets/economics/*.toml``).

    Every number is in 元 of the preset's year, held constant (real terms);
    ``discount_rate_pct`` is a real rate.  ``sources`` maps each table of the
    file to its citation or to ":data:`ASSUMPTION_LABEL` — set yours".

    Attributes
    ----------
    name, name_zh : str
    capex_bands_kw : tuple of float
        Lower bounds of the size bands [kW DC], ascending, starting at 0.
    capex_yuan_per_w : Mapping
        Mounting (:data:`CAPEX_MOUNTINGS`) → tuple of 元/W DC, one per band.
    om_yuan_per_w_yr : float
        O&M [元/W DC/yr].
    inverter_replacement_year : int
        Year of the one inverter replacement (≤ lifetime to count).
    inverter_yuan_per_w : float
        Its cost [元/W DC].
    first_year_degradation_pct, annual_degradation_pct : float
        Power loss in year 1 and in every later year [%].
    lifetime_yr : int
        Project life [yr].
    discount_rate_pct : float
        Real discount rate [%/yr].
    feed_in_yuan_per_kwh : float
        Price of exported energy [元/kWh].
    subsidy_cap_full_load_hours : float
        Reward ends when cumulative generation / kW reaches this [h].
    subsidy_cap_years : int
        ... or after this many years.
    tariffs : Mapping
        Group name → :class:`TariffGroup`.
    tariff_by_type, tariff_by_class : Mapping
        Building type / policy class → tariff group (type first).
    self_consumption_by_type, self_consumption_by_class : Mapping
        Building type / policy class → share of PV energy used on site [0–1].
    emc_host_discount_pct : float
        Host's discount on its tariff for energy bought from the investor [%].
    emc_contract_years : int
        Contract length [yr]; the system passes to the host afterwards.
    emc_roof_rent_yuan_per_m2_yr : float
        Rent the investor pays per m² of PV field [元/m²/yr].
    sources : Mapping
        Table → citation or assumption label.
    path : Path
    """

    name: str
    name_zh: str
    capex_bands_kw: tuple
    capex_yuan_per_w: Mapping
    om_yuan_per_w_yr: float
    inverter_replacement_year: int
    inverter_yuan_per_w: float
    first_year_degradation_pct: float
    annual_degradation_pct: float
    lifetime_yr: int
    discount_rate_pct: float
    feed_in_yuan_per_kwh: float
    subsidy_cap_full_load_hours: float
    subsidy_cap_years: int
    tariffs: Mapping
    tariff_by_type: Mapping
    tariff_by_class: Mapping
    self_consumption_by_type: Mapping
    self_consumption_by_class: Mapping
    emc_host_discount_pct: float
    emc_contract_years: int
    emc_roof_rent_yuan_per_m2_yr: float
    sources: Mapping
    path: Path


#: Economics tables and their numeric keys: (low, high, low included, high included, unit).
_ECON_NUMBERS = {
    "om": {"yuan_per_w_yr": (0.0, 1.0, True, True, "元/W/yr")},
    "inverter": {"replacement_year": (1, 100, True, True, "yr"), "yuan_per_w": (0.0, 5.0, True, True, "元/W")},
    "degradation": {"first_year_pct": (0.0, 20.0, True, True, "%"), "annual_pct": (0.0, 5.0, True, True, "%/yr")},
    "finance": {"lifetime_yr": (1, 60, True, True, "yr"), "discount_rate_pct": (-5.0, 50.0, True, True, "%")},
    "feed_in": {"yuan_per_kwh": (0.0, 5.0, True, True, "元/kWh")},
    "subsidy": {"cap_full_load_hours": (0.0, math.inf, True, False, "h"), "cap_years": (0, 60, True, True, "yr")},
    "emc": {"host_discount_pct": (0.0, 100.0, True, True, "%"), "contract_years": (1, 60, True, True, "yr"),
            "roof_rent_yuan_per_m2_yr": (0.0, 1000.0, True, True, "元/m²/yr")},
}
_ECON_INTS = {("inverter", "replacement_year"), ("finance", "lifetime_yr"), ("subsidy", "cap_years"),
              ("emc", "contract_years")}
_TARIFF_NUMBERS = {"flat_yuan_per_kwh": (0.0, 10.0, False, True, "元/kWh"),
                   "subsidy_yuan_per_kwh": (0.0, 5.0, True, True, "元/kWh")}


def _source(p: _Problems, table: Mapping, where: str) -> str:
    """A table's ``source``: required, non-empty text."""
    src = p.text(table, "source", where, default=None)
    if not src or not src.strip():
        p.append(f"{where}source: missing — cite where the numbers come from, or write "
                 f"'{ASSUMPTION_LABEL} — set yours'")
        return ""
    return src


def _mapping(p: _Problems, table: Mapping, key: str, where: str, check) -> dict:
    """A ``{name = value}`` table whose values pass ``check(value, dotted) -> value | None``."""
    v = table.get(key, {})
    if not isinstance(v, Mapping):
        p.append(f"{where}{key}: must be a table, found {v!r}")
        return {}
    out = {}
    for k, x in v.items():
        got = check(x, f"{where}{key}.{k}")
        if got is not None:
            out[str(k)] = got
    return out


def parse_economics(data: Mapping, path: Path) -> EconomicsPreset:
    """Check an economics preset's tables (every problem at once) and type it."""
    p = _Problems("economics", path)
    tables = ["capex", *_ECON_NUMBERS, "tariffs", "tariff_of", "self_consumption"]
    p.keys(data, "", ["name", "name_zh", *tables], required=tables)
    sources: dict[str, str] = {}
    nums: dict[tuple[str, str], float | None] = {}
    for tab, keys in _ECON_NUMBERS.items():
        t = data.get(tab, {})
        if not isinstance(t, Mapping):
            p.append(f"{tab}: must be a table")
            continue
        p.keys(t, f"{tab}.", [*keys, "source"], required=[*keys, "source"])
        sources[tab] = _source(p, t, f"{tab}.")
        for k, spec in keys.items():
            v = p.number(t, k, f"{tab}.", *spec[:4], unit=spec[4])
            if v is not None and (tab, k) in _ECON_INTS and v != int(v):
                p.append(f"{tab}.{k}: must be a whole number of years, found {v!r}")
            nums[(tab, k)] = v
    # capex
    cap = data.get("capex", {}) if isinstance(data.get("capex", {}), Mapping) else {}
    mount_keys = [f"{m}_yuan_per_w" for m in CAPEX_MOUNTINGS]
    p.keys(cap, "capex.", ["bands_kw", *mount_keys, "source"], required=["bands_kw", *mount_keys, "source"])
    sources["capex"] = _source(p, cap, "capex.")
    bands = cap.get("bands_kw", [])
    ok_num = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)  # noqa: E731
    if not (isinstance(bands, list) and bands and all(ok_num(b) for b in bands) and bands[0] == 0
            and all(b < c for b, c in zip(bands, bands[1:]))):
        p.append(f"capex.bands_kw: must be ascending kW lower bounds starting at 0, found {bands!r}")
        bands = []
    capex = {}
    for m, key in zip(CAPEX_MOUNTINGS, mount_keys):
        vals = cap.get(key, [])
        if not (isinstance(vals, list) and all(ok_num(v) and 0 < v <= 50 for v in vals)
                and (not bands or len(vals) == len(bands))):
            p.append(f"capex.{key}: must be one 元/W value in (0, 50] per size band ({len(bands)}), found {vals!r}")
            continue
        capex[m] = tuple(float(v) for v in vals)
    # tariffs
    tariffs = {}
    tt = data.get("tariffs", {})
    if not isinstance(tt, Mapping) or not tt:
        p.append("tariffs: must hold at least one [tariffs.<group>] table")
        tt = {}
    for g, t in tt.items():
        w = f"tariffs.{g}."
        if not isinstance(t, Mapping):
            p.append(f"tariffs.{g}: must be a table")
            continue
        p.keys(t, w, ["name_zh", *_TARIFF_NUMBERS, "subsidy_basis", "source"],
               required=[*_TARIFF_NUMBERS, "subsidy_basis", "source"])
        vals = {k: p.number(t, k, w, *spec[:4], unit=spec[4]) for k, spec in _TARIFF_NUMBERS.items()}
        basis = t.get("subsidy_basis")
        if basis not in SUBSIDY_BASES:
            p.append(f"{w}subsidy_basis: must be one of {', '.join(SUBSIDY_BASES)}, found {basis!r}")
        src = _source(p, t, w)
        sources[f"tariffs.{g}"] = src
        if None not in vals.values() and basis in SUBSIDY_BASES:
            tariffs[str(g)] = TariffGroup(str(g), p.text(t, "name_zh", w) or str(g), vals["flat_yuan_per_kwh"],
                                          basis, vals["subsidy_yuan_per_kwh"], src)
    group = lambda x, where: x if x in tt else p.append(  # noqa: E731
        f"{where}: unknown tariff group {x!r} (groups: {', '.join(map(str, tt))})")
    share = lambda x, where: float(x) if ok_num(x) and 0 <= x <= 1 else p.append(  # noqa: E731
        f"{where}: must be a share in [0, 1], found {x!r}")
    to = data.get("tariff_of", {}) if isinstance(data.get("tariff_of", {}), Mapping) else {}
    p.keys(to, "tariff_of.", ["by_type", "by_class", "source"], required=["by_class", "source"])
    sources["tariff_of"] = _source(p, to, "tariff_of.")
    sc = data.get("self_consumption", {}) if isinstance(data.get("self_consumption", {}), Mapping) else {}
    p.keys(sc, "self_consumption.", ["by_type", "by_class", "source"], required=["by_class", "source"])
    sources["self_consumption"] = _source(p, sc, "self_consumption.")
    by = {"tariff_by_type": _mapping(p, to, "by_type", "tariff_of.", group),
          "tariff_by_class": _mapping(p, to, "by_class", "tariff_of.", group),
          "self_consumption_by_type": _mapping(p, sc, "by_type", "self_consumption.", share),
          "self_consumption_by_class": _mapping(p, sc, "by_class", "self_consumption.", share)}
    name, name_zh = p.text(data, "name", ""), p.text(data, "name_zh", "")
    p.raise_if_any()
    n = {f"{t}.{k}": v for (t, k), v in nums.items()}
    return EconomicsPreset(
        name=name, name_zh=name_zh, capex_bands_kw=tuple(float(b) for b in bands),
        capex_yuan_per_w=MappingProxyType(capex), om_yuan_per_w_yr=n["om.yuan_per_w_yr"],
        inverter_replacement_year=int(n["inverter.replacement_year"]), inverter_yuan_per_w=n["inverter.yuan_per_w"],
        first_year_degradation_pct=n["degradation.first_year_pct"], annual_degradation_pct=n["degradation.annual_pct"],
        lifetime_yr=int(n["finance.lifetime_yr"]), discount_rate_pct=n["finance.discount_rate_pct"],
        feed_in_yuan_per_kwh=n["feed_in.yuan_per_kwh"], subsidy_cap_full_load_hours=n["subsidy.cap_full_load_hours"],
        subsidy_cap_years=int(n["subsidy.cap_years"]), tariffs=MappingProxyType(tariffs),
        **{k: MappingProxyType(v) for k, v in by.items()},
        emc_host_discount_pct=n["emc.host_discount_pct"], emc_contract_years=int(n["emc.contract_years"]),
        emc_roof_rent_yuan_per_m2_yr=n["emc.roof_rent_yuan_per_m2_yr"], sources=MappingProxyType(sources),
        path=path)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _load(kind: str, path: str, mtime_ns: int):
    p = Path(path)
    data = _read(p)
    return {"module": parse_module, "losses": parse_losses, "classify": parse_classify,
            "emission": parse_emission, "economics": parse_economics}[kind](data, p)


def _cached(kind: str, name_or_path: str):
    path = preset_path(kind, name_or_path)
    return _load(kind, str(path), path.stat().st_mtime_ns)


def load_module(name_or_path: str) -> ModulePreset:
    """The module preset ``name_or_path`` (shipped name or TOML path), checked."""
    return _cached("module", name_or_path)


def load_losses(name_or_path: str) -> LossesPreset:
    """The losses preset ``name_or_path``, checked."""
    return _cached("losses", name_or_path)


def load_emission(name_or_path: str) -> EmissionPreset:
    """The emission-factor preset ``name_or_path`` (shipped name or TOML path), checked."""
    return _cached("emission", name_or_path)


def load_economics(name_or_path: str) -> EconomicsPreset:
    """The economics preset ``name_or_path`` (costs, tariffs, rewards, EMC terms), checked."""
    return _cached("economics", name_or_path)


def load_classify(name_or_path: str) -> ClassifyPreset:
    """The classification preset ``name_or_path``, checked (types, rules, classes and colours)."""
    return _cached("classify", name_or_path)


def load_policy(name_or_path: str, classify: ClassifyPreset | None = None) -> PolicyPreset:
    """The policy preset ``name_or_path``, checked.

    Parameters
    ----------
    name_or_path : str
        Shipped preset name or TOML path.
    classify : ClassifyPreset, optional
        Also check the rules' classes and types against this classification.
    """
    path = preset_path("policy", name_or_path)
    return _load_policy(str(path), path.stat().st_mtime_ns, classify)


@lru_cache(maxsize=64)
def _load_policy(path: str, mtime_ns: int, classify: ClassifyPreset | None):
    policy = parse_policy(_read(Path(path)), Path(path), classify)
    if policy.emission_preset:
        ef = load_emission(policy.emission_preset).emission_factor_kg_per_kwh
        if not math.isclose(ef, policy.emission_factor_kg_per_kwh, rel_tol=1e-9):
            raise ConfigError(
                f"The policy preset {path} states emission_factor_kg_per_kwh = {policy.emission_factor_kg_per_kwh:g} "
                f"but names emission_preset '{policy.emission_preset}', whose factor is {ef:g} kg/kWh.",
                fix="Make the two agree (the emission preset is the source), or drop emission_preset.",
                zh=f"政策预设 {path} 写明 emission_factor_kg_per_kwh = {policy.emission_factor_kg_per_kwh:g}，但所指的 emission_preset '{policy.emission_preset}' 的排放因子为 {ef:g} kg/kWh。",
                fix_zh="请使两者一致（以排放因子预设为准），或删除 emission_preset。")
    return policy


def load_preset(kind: str, name_or_path: str):
    """Load a preset of one kind as its typed object.

    Parameters
    ----------
    kind : {'policy', 'classify', 'module', 'losses', 'emission', 'economics'}
    name_or_path : str
        Shipped preset name or path to a TOML file.

    Returns
    -------
    PolicyPreset, ClassifyPreset, ModulePreset, LossesPreset, EmissionPreset or EconomicsPreset
        Frozen and checked; also a read-only mapping of the TOML's keys.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown preset kind {kind!r}; expected one of {KINDS}")
    return {"policy": load_policy, "classify": load_classify, "module": load_module,
            "losses": load_losses, "emission": load_emission, "economics": load_economics}[kind](name_or_path)
