"""Classify buildings: type, policy class and responsible department, with a stated reason.

Rules are data (``pvsite/presets/classify/<name>.toml``).  Families are tried
in a fixed priority order — override > institution registry > use keywords >
land-use codes > OSM tags > site context (``--context`` polygons) > name
keywords > default — and every building gets
exactly one ``building_type`` plus ``class_rule``, the id of the rule that
decided it (``'override:fixes.csv'``, ``'registry:schools.csv:12'``,
``'use:行政办公'``, ``'use_code:A3'``, ``'osm:amenity=school'``,
``'context:A3'`` / ``'context:amenity=school'``, ``'name:小学'`` or ``'default:no-rule-matched'``).  Nothing is dropped.

Every family is matched on every row, so where a lower-priority family also
matched and gave a *different* policy class, the highest such rule is kept
in ``class_overruled`` (``'name:医院 → public_institution'`` under
``class_rule`` ``'use:住宅'``): a planner sees where the evidence disagrees.
``class_confidence`` (high / medium / low / none) is the level the preset's
``[confidence]`` table gives the family of the deciding rule.

A registry (a planner's list of schools, canteens, ...) is matched to the
footprints by :func:`pvsite.buildings.registry.match_registry`; its per-footprint frame
is passed as ``registry=``.

Each rule is evaluated as one vectorised string match over the column, on the
rows its family has not matched yet; there is no per-row Python loop.  Names and use values
are converted from traditional to simplified Chinese first (:func:`simplified`,
OpenCC ``t2s``, once per distinct value), so 大廈 matches 大厦.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.errors import InputError
from pvsite.presets import RULE_FAMILIES, ClassifyPreset, load_classify
from pvsite.presets import DEFAULT_TYPE  # noqa: F401  (re-exported: the type of unmatched buildings)

log = logging.getLogger(__name__)

#: Rule families in priority order (after overrides and registries).
FAMILIES = tuple(RULE_FAMILIES)
#: The family whose rules type the --context polygons (its matches reach :func:`classify` as ``context=``).
CONTEXT_FAMILY = "context"
DEFAULT_RULE = "default:no-rule-matched"
UNKNOWN_YEAR = "unknown year, assumed existing"

#: Columns added by :func:`classify` (inserted before ``geometry``).
CLASS_COLUMNS = (
    "building_type", "type_zh", "building_class", "class_zh", "class_rule", "class_note",
    "class_confidence", "class_overruled", "responsible_department", "is_new", "is_new_basis",
)


@dataclass(frozen=True)
class Rule:
    """One compiled rule: where to look, how to match, what it decides."""

    id: str
    column: str
    type: str
    kind: str  # 'literal' | 'regex' | 'isin' | 'any'
    pattern: object
    exclude: str | None = None

    @property
    def family(self) -> str:
        """The rule family (``use``, ``use_code``, ``osm``, ``name``): the prefix of the id."""
        return self.id.split(":", 1)[0]

    def match(self, values: pd.Series) -> np.ndarray:
        """Boolean mask of ``values`` (text, NA = missing) matched by this rule."""
        if self.kind == "literal":
            hit = values.str.contains(self.pattern, regex=False, na=False)
        elif self.kind == "regex":
            hit = values.str.contains(self.pattern, regex=True, na=False)
        elif self.kind == "isin":
            hit = values.isin(self.pattern)
        else:  # any non-missing value
            hit = values.notna()
        if self.exclude:
            hit &= ~values.str.contains(self.exclude, regex=True, na=False)
        return hit.to_numpy(dtype=bool)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def classify(gdf, preset, new_building_year, overrides=None, registry=None, context=None):
    """Add building type, policy class, responsible department and new/existing flags.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or pandas.DataFrame
        Footprints as returned by :func:`pvsite.io.footprints.read_footprints`.
        Used columns (each optional): ``use``, ``name``, the OSM tag columns
        (:data:`pvsite.io.footprints.OSM_COLUMNS`: ``osm_building``,
        ``osm_building_use``, ``osm_amenity``, ``osm_office``, ``osm_shop``,
        ``osm_healthcare``, ``osm_government``, ``osm_landuse``,
        ``osm_man_made``), ``year_built`` [year]; ``building_id`` when
        ``overrides`` is given.
    preset : ClassifyPreset or str
        Classification preset (:func:`pvsite.presets.load_classify`), or its
        name / path (``[classify] preset``).
    new_building_year : int
        First completion year counted as new (新建) [year]
        (``[classify] new_building_year``, :class:`pvsite.config.ClassifyConfig`).
    overrides : str, Path or pandas.DataFrame, optional
        CSV (UTF-8, UTF-8 with BOM, or GBK) or table with columns
        ``building_id``, ``building_type`` and optionally ``reason``.
        Overrides beat every rule; rule id ``'override:<file name>'``.
    registry : pandas.DataFrame, optional
        Per-footprint registry matches, the first frame returned by
        :func:`pvsite.buildings.registry.match_registry`: indexed like ``gdf`` (a subset
        or superset of its index is aligned by label), columns
        ``registry_type`` and ``registry_rule`` (optionally
        ``registry_name``, ``registry_match``).  A row with a
        ``registry_type`` beats every rule but the overrides; its rule id is
        its ``registry_rule`` and ``class_note`` names the entry.
    context : pandas.DataFrame, optional
        Per-footprint site context, from :func:`match_context`:
        indexed like ``gdf`` (aligned by label), columns ``context_type``,
        ``context_rule`` and ``context_note`` (NA where no typed polygon holds
        the footprint).  Ranked below the building's own OSM tags and above
        name keywords (the preset's family order); its rule id is its
        ``context_rule`` and ``class_note`` names the polygon.

    Returns
    -------
    GeoDataFrame
        A copy with :data:`CLASS_COLUMNS` added: ``building_type``,
        ``type_zh``, ``building_class`` (public_institution | factory |
        other_public | residential | other), ``class_zh``, ``class_rule``,
        ``class_note`` (override reason, registry entry, or NA),
        ``class_confidence`` (level of the deciding rule's family, preset
        ``[confidence]``), ``class_overruled`` (``'<rule id> → <class>'`` of
        the highest lower-priority family that matched with another policy
        class, or NA), ``responsible_department``,
        ``is_new`` (bool), ``is_new_basis`` ('year_built' or
        'unknown year, assumed existing').
    """
    p = load_rules(preset)
    out = gdf.copy()
    n = len(out)
    matches = {}

    if registry is not None and "registry_owner" in registry.columns:
        # a registry's ownership column (权属, 单位性质 …) beats the footprint attribute; an override beats both
        reg_owner = registry["registry_owner"].reindex(out.index).to_numpy(dtype=object)
        base = (out["owner_type"].astype("str") if "owner_type" in out.columns
                else pd.Series(pd.NA, index=out.index, dtype="str")).to_numpy(dtype=object)
        out["owner_type"] = pd.Series(np.where(pd.isna(reg_owner), base, reg_owner), index=out.index, dtype="str")

    if overrides is not None:
        if "building_id" not in out.columns:
            raise InputError("Overrides need a building_id column in the footprints, which this frame lacks.",
                             fix="Classify the frame returned by read_footprints().",
                             zh="覆盖表需要建筑轮廓中的 building_id 字段，但该数据表没有。",
                             fix_zh="请对 read_footprints() 返回的数据表进行分类。")
        table, label = _read_overrides(overrides, p["types"])
        otype, orule, onote = (np.full(n, None, dtype=object) for _ in range(3))
        idx = pd.Index(table["building_id"])
        pos = idx.get_indexer(out["building_id"].astype("str"))
        hit = pos >= 0
        otype[hit] = table["building_type"].to_numpy(dtype=object)[pos[hit]]
        onote[hit] = table["reason"].to_numpy(dtype=object)[pos[hit]]
        orule[hit] = f"override:{label}"
        matches["override"] = (otype, orule, onote)
        if "owner_type" in table.columns:  # an owner column of the overrides beats the footprint attribute
            from pvsite.io.fields import parse_owner_type

            owner = parse_owner_type(table["owner_type"]).to_numpy(dtype=object)[pos[hit]]
            base = (out["owner_type"].astype("str") if "owner_type" in out.columns
                    else pd.Series(pd.NA, index=out.index, dtype="str")).to_numpy(dtype=object)
            base[np.flatnonzero(hit)] = np.where(pd.isna(owner), base[hit], owner)
            out["owner_type"] = pd.Series(base, index=out.index, dtype="str")
        unused = np.setdiff1d(np.arange(len(table)), pos[hit])
        if unused.size:
            log.warning("%d override(s) in %s name building_ids not in the footprints: %s",
                        unused.size, label, ", ".join(table["building_id"].iloc[unused[:10]]))

    if registry is not None:
        rtype, rrule, rnote = _align_registry(registry, out.index, p["types"])
        has = rtype.notna().to_numpy()
        matches["registry"] = tuple(np.where(has, col.to_numpy(dtype=object), None).astype(object)
                                    for col in (rtype, rrule, rnote))
        log.info("registry matched %d building(s)", int(has.sum()))

    for fam, (ftype, frule) in _family_matches(out, p["rules"]).items():
        matches[fam] = (ftype, frule, np.full(n, None, dtype=object))
    if context is not None:
        ctx = context.reindex(out.index)
        has = ctx["context_type"].notna().to_numpy()
        matches[CONTEXT_FAMILY] = tuple(np.where(has, ctx[c].to_numpy(dtype=object), None).astype(object)
                                        for c in ("context_type", "context_rule", "context_note"))
        log.info("site context typed %d building(s)", int(has.sum()))
    d = _decide(matches, p["types"], p["preset"].confidence)
    btype, rule, note = d["building_type"], d["class_rule"], d["class_note"]
    n_over = int(pd.notna(d["class_overruled"]).sum())
    if n_over:
        log.info("%d building(s): a lower-priority rule gave another class (class_overruled)", n_over)

    types = p["types"]
    bt = pd.Series(btype, index=out.index, dtype="str")
    bclass = bt.map({k: v.building_class for k, v in types.items()}).astype("str")
    year = out["year_built"] if "year_built" in out.columns else pd.Series(pd.NA, index=out.index, dtype="Int64")
    year = pd.to_numeric(year, errors="coerce").astype("Int64")
    cols = {
        "building_type": bt,
        "type_zh": bt.map({k: v.name_zh for k, v in types.items()}).astype("str"),
        "building_class": bclass,
        "class_zh": bclass.map(p["preset"].class_names_zh).astype("str"),
        "class_rule": pd.Series(rule, index=out.index, dtype="str"),
        "class_note": pd.Series(note, index=out.index, dtype="str"),
        "class_confidence": pd.Series(d["class_confidence"], index=out.index, dtype="str"),
        "class_overruled": pd.Series(d["class_overruled"], index=out.index, dtype="str"),
        "responsible_department": bt.map({k: v.responsible_department for k, v in types.items()}).astype("str"),
        "is_new": (year >= int(new_building_year)).fillna(False).astype(bool),
        "is_new_basis": pd.Series(np.where(year.notna(), "year_built", UNKNOWN_YEAR), index=out.index, dtype="str"),
    }
    out = out.drop(columns=[c for c in CLASS_COLUMNS if c in out.columns])
    geom = getattr(out, "_geometry_column_name", None)
    at = list(out.columns).index(geom) if geom in out.columns else len(out.columns)
    for i, (k, v) in enumerate(cols.items()):
        out.insert(at + i, k, v)
    log.info("classified %d buildings: %s", n, bclass.value_counts().to_dict())
    return out


def classification_report(gdf, class_order, by=("building_class", "building_type", "class_rule")) -> pd.DataFrame:
    """Count buildings per class and per rule.

    Parameters
    ----------
    gdf : DataFrame
        Output of :func:`classify`.
    class_order : sequence of str
        Policy classes in plan order (:attr:`pvsite.presets.ClassifyPreset.class_order`);
        classes not in it come last.
    by : sequence of str
        Grouping columns; the default gives one row per (class, type, rule).
        ``by=('building_class',)`` gives per-class totals.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns (with ``class_zh`` / ``type_zh`` when grouped by class
        / type), ``n_buildings`` [-] and, when ``reject_reason`` is present,
        ``n_usable`` [-] (rows with a usable footprint).  Sorted by class
        order then count, descending.
    """
    by = list(by)
    df = pd.DataFrame(gdf.drop(columns=getattr(gdf, "_geometry_column_name", None) or [], errors="ignore"))
    extra = [z for c, z in (("building_class", "class_zh"), ("building_type", "type_zh")) if c in by and z in df]
    keys = by + extra
    df["_usable"] = df["reject_reason"].isna() if "reject_reason" in df.columns else True
    rep = (df.groupby(keys, dropna=False, sort=False)
             .agg(n_buildings=("_usable", "size"), n_usable=("_usable", "sum"))
             .reset_index())
    if "reject_reason" not in df.columns:
        rep = rep.drop(columns="n_usable")
    order = {c: i for i, c in enumerate(class_order)}
    # Ties are broken by the group keys, so the table does not depend on the input's row order.
    if "building_class" in rep.columns:
        rep["_o"] = rep["building_class"].map(order).fillna(len(order))
        rep = rep.sort_values(["_o", "n_buildings", *keys], ascending=[True, False] + [True] * len(keys),
                              kind="stable").drop(columns="_o")
    else:
        rep = rep.sort_values(["n_buildings", *keys], ascending=[False] + [True] * len(keys), kind="stable")
    return rep.reset_index(drop=True)


def load_rules(preset) -> dict:
    """A classification preset with its rules compiled in priority order.

    Parameters
    ----------
    preset : ClassifyPreset or str
        The preset (checked when it was loaded: :func:`pvsite.presets.load_classify`),
        or its name / path.

    Returns
    -------
    dict
        ``preset`` (the :class:`~pvsite.presets.ClassifyPreset`), ``classes``
        (its :class:`~pvsite.presets.PolicyClass` tuple, plan order), ``types``
        (building type → :class:`~pvsite.presets.BuildingType`), ``rules``
        (list of :class:`Rule` matched on the footprints, in evaluation order
        after overrides; the context rules are :func:`context_rules`) and ``path``.
    """
    p = preset if isinstance(preset, ClassifyPreset) else load_classify(preset)
    rules = [r for r in _compiled(p) if r.family != CONTEXT_FAMILY]  # context rules type polygons, not footprints
    return {"preset": p, "classes": p.classes, "types": p.types, "rules": rules, "path": str(p.path)}


_COMPILED: dict[int, list] = {}


def _compiled(p: ClassifyPreset) -> list:
    """The compiled rules of a preset (compiled once per preset object)."""
    key = id(p)
    if key not in _COMPILED or _COMPILED[key][0] is not p:
        _COMPILED[key] = (p, [r for fam in FAMILIES for entry in p.rules.get(fam, ())
                              for r in _compile_entry(fam, entry)])
    return _COMPILED[key][1]


def context_rules(preset) -> list:
    """The compiled ``[[rules.context]]`` rules of a preset: they type the --context polygons, not the footprints."""
    p = preset if isinstance(preset, ClassifyPreset) else load_classify(preset)
    return [r for r in _compiled(p) if r.family == CONTEXT_FAMILY]


def polygon_types(frame, preset) -> pd.DataFrame:
    """Building type and rule id of each context polygon (first matching context rule; None: untyped).

    Parameters
    ----------
    frame : DataFrame
        Context polygons' attributes: ``use`` (land-use code / name text) and ``osm_*`` tag columns, each optional.
    preset : ClassifyPreset or str

    Returns
    -------
    DataFrame
        ``context_type``, ``context_rule`` (e.g. ``'context:A3'``, ``'context:amenity=school'``), indexed like
        ``frame``; None where no context rule matches.
    """
    ftype, frule = _family_matches(frame, context_rules(preset))[CONTEXT_FAMILY]
    return pd.DataFrame({"context_type": ftype, "context_rule": frule}, index=frame.index)


def rule_types(frame, preset) -> pd.DataFrame:
    """Building type and deciding rule from the rule families alone (no overrides, registry or year).

    Parameters
    ----------
    frame : DataFrame
        Columns the rules read (``use``, ``name``, ``osm_*``; each optional).
    preset : ClassifyPreset or str
        Classification preset or its name / path.

    Returns
    -------
    DataFrame
        ``building_type`` and ``class_rule`` (``'default:no-rule-matched'``
        → ``other`` where no rule matches), indexed like ``frame``.
    """
    return _match_rules(frame, load_rules(preset)["rules"])


def _match_rules(frame, rules: list) -> pd.DataFrame:
    fams = _family_matches(frame, rules)
    btype = np.full(len(frame), None, dtype=object)
    rule = np.full(len(frame), None, dtype=object)
    for ftype, frule in fams.values():
        hit = pd.isna(btype) & pd.notna(ftype)
        btype[hit] = ftype[hit]
        rule[hit] = frule[hit]
    rest = pd.isna(btype)
    btype[rest] = DEFAULT_TYPE
    rule[rest] = DEFAULT_RULE
    return pd.DataFrame({"building_type": btype, "class_rule": rule}, index=frame.index)


def _family_matches(frame, rules: list) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per rule family, the type and rule id of its first matching rule on every row (None: no match).

    Each family is evaluated on all rows, independently of the others, so a row
    keeps what every family says about it (the decision and what it overruled
    are derived from these).  A rule's match is a function of its column's
    value alone (missing values never match), so each family is decided once
    per distinct combination of the columns its rules read, and each rule is
    evaluated once per distinct value among the combinations its family has
    not matched yet; the result is broadcast to the rows once per family.  A
    city of a million footprints with a few thousand distinct uses or names
    costs a few thousand matches per rule, not a million.
    """
    n = len(frame)
    out = {fam: (np.full(n, None, dtype=object), np.full(n, None, dtype=object)) for fam in FAMILIES}
    cache: dict[str, tuple[np.ndarray, pd.Series]] = {}
    by_family: dict[str, list] = {}
    for r in rules:
        if r.column in frame.columns:
            by_family.setdefault(r.family, []).append(r)
    for fam, frules in by_family.items():
        btype, rule = out[fam]
        cols = list(dict.fromkeys(r.column for r in frules))
        for c in cols:
            if c not in cache:
                osm = c.startswith("osm_")
                text = _text(frame[c], lower=True) if osm else simplified(_text(frame[c]))
                codes, uniques = pd.factorize(text, use_na_sentinel=True)
                cache[c] = (codes, pd.Series(uniques, dtype=text.dtype))
        combo, first = _combinations([cache[c][0] for c in cols], n)
        k = len(first)
        ctype, crule = np.full(k, None, dtype=object), np.full(k, None, dtype=object)
        pending = np.ones(k, dtype=bool)
        for r in frules:
            codes, uniques = cache[r.column]
            cc = codes[first]
            todo = pending & (cc >= 0)  # missing values match no rule
            if not todo.any():
                continue
            which = np.unique(cc[todo])
            matched = np.zeros(len(uniques), dtype=bool)
            matched[which] = r.match(uniques.iloc[which].reset_index(drop=True))
            hit = todo & matched[np.where(cc >= 0, cc, 0)]
            ctype[hit] = r.type
            crule[hit] = r.id
            pending &= ~hit
        btype[:] = ctype[combo]
        rule[:] = crule[combo]
    return out


def _combinations(codes: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(combination of every row, first row of each combination) of several factorised columns (-1 = missing)."""
    key = codes[0].astype(np.int64) + 1
    for c in codes[1:]:
        key, _ = pd.factorize(key * (int(c.max(initial=-1)) + 2) + (c.astype(np.int64) + 1))
        key = key.astype(np.int64)
    combo, _ = pd.factorize(key)
    first = np.empty(int(combo.max(initial=-1)) + 1, dtype=np.int64)
    first[combo[::-1]] = np.arange(n - 1, -1, -1)
    return combo, first


def _decide(matches: dict, types: dict, confidence) -> dict[str, np.ndarray]:
    """Deciding rule, its confidence and the highest overruled rule from per-family matches.

    Parameters
    ----------
    matches : dict
        Family (:data:`pvsite.presets.CLASS_FAMILIES` order, ``default``
        excluded) → (building types, rule ids, notes) arrays, None where the
        family did not match the row.
    types : dict
        Building type → :class:`~pvsite.presets.BuildingType`.
    confidence : Mapping
        Family → confidence level (the preset's ``[confidence]``).

    Returns
    -------
    dict
        ``building_type``, ``class_rule``, ``class_note``,
        ``class_confidence`` and ``class_overruled`` (``'<rule> →
        <class>'`` or None) arrays.
    """
    fams = list(matches)
    n = len(next(iter(matches.values()))[0]) if fams else 0
    nf = len(fams)
    hit = np.column_stack([pd.notna(matches[f][0]) for f in fams] + [np.ones(n, dtype=bool)])
    # the default column always "matches"
    first = np.argmax(hit, axis=1)
    btype = np.full(n, DEFAULT_TYPE, dtype=object)
    rule = np.full(n, DEFAULT_RULE, dtype=object)
    note = np.full(n, None, dtype=object)
    for j, f in enumerate(fams):
        sel = first == j
        if sel.any():
            btype[sel], rule[sel], note[sel] = (np.asarray(a, dtype=object)[sel] for a in matches[f][:3])
    level = np.array([confidence[f] for f in [*fams, "default"]], dtype=object)[first]

    to_class = {k: v.building_class for k, v in types.items()}
    decided = pd.Series(btype).map(to_class).to_numpy(dtype=object)
    over = np.full(n, -1, dtype=np.int64)
    over_rule = np.full(n, None, dtype=object)
    over_class = np.full(n, None, dtype=object)
    for j, f in enumerate(fams):
        cand = hit[:, j] & (j > first) & (over < 0)  # the highest lower-priority family with another class
        if not cand.any():
            continue
        idx = np.flatnonzero(cand)
        cls = pd.Series(np.asarray(matches[f][0], dtype=object)[idx]).map(to_class).to_numpy(dtype=object)
        differs = cls != decided[idx]
        take = idx[differs]
        over[take] = j
        over_rule[take] = np.asarray(matches[f][1], dtype=object)[take]
        over_class[take] = cls[differs]
    has = over >= 0
    overruled = np.full(n, None, dtype=object)
    if has.any():
        overruled[has] = (pd.Series(over_rule[has], dtype="str") + " → "
                          + pd.Series(over_class[has], dtype="str")).to_numpy(dtype=object)
    return {"building_type": btype, "class_rule": rule, "class_note": note,
            "class_confidence": level, "class_overruled": overruled}


# ---------------------------------------------------------------------------
# Site context (--context): the parcel or OSM area holding a footprint
# ---------------------------------------------------------------------------
#
# Site context: the land-use parcel or OSM area that holds a footprint passes its type to it.
#
# A campus building often has no name and no tag of its own, but it stands on
# a parcel whose planned use is known (控规 地块 coded A33 中小学用地 after
# GB 50137-2011, M1 工业用地) or inside an OSM area (``amenity=school``,
# ``landuse=industrial``).  :func:`match_context` types every ``--context``
# polygon by the ``[[rules.context]]`` rules of the classification preset
# (:func:`pvsite.buildings.classify.polygon_types`), then gives each footprint
# the type of the polygon holding at least ``min_share`` of its area; where
# several typed polygons qualify (a school campus inside a residential
# landuse area, or two context layers), the smallest polygon wins — it is the
# most specific statement about the lot.  The result feeds
# :func:`pvsite.buildings.classify.classify` as ``context=``, ranked below the
# building's own use and tags and above name keywords.
#
# One STRtree query gives every (footprint, polygon) pair whose geometries
# intersect; their intersection areas are one vectorised shapely call.  There
# is no per-roof Python loop.

#: Columns of the per-footprint frame :func:`match_context` returns.
CONTEXT_MATCH_COLUMNS = ("context_type", "context_rule", "context_note", "context_share", "context_id")


def match_context(buildings: gpd.GeoDataFrame, contexts, preset) -> pd.DataFrame | None:
    """The site-context type of every footprint.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints in a metric CRS (``buildings.locate``), any index.
    contexts : sequence of (ContextConfig, GeoDataFrame)
        The ``--context`` layers as read by :func:`pvsite.io.layers.read_context`
        with their settings (``min_share`` [-]).
    preset : ClassifyPreset or str
        Classification preset holding ``[[rules.context]]``.

    Returns
    -------
    pandas.DataFrame or None
        None without context layers.  Else indexed like ``buildings``:
        ``context_type`` (building type, NA where no typed polygon holds
        ``min_share`` of the footprint), ``context_rule`` (``'context:A3'``,
        ``'context:amenity=school'``), ``context_note`` (``'地块 context:
        kg.gpkg#12 某中学 (A33 中小学用地), 100 % of footprint'``),
        ``context_share`` (share of the footprint's area inside that polygon
        [-]) and ``context_id``.
    """
    if not contexts:
        return None
    n = len(buildings)
    out = pd.DataFrame({"context_type": pd.Series(pd.NA, index=buildings.index, dtype="str"),
                        "context_rule": pd.Series(pd.NA, index=buildings.index, dtype="str"),
                        "context_note": pd.Series(pd.NA, index=buildings.index, dtype="str"),
                        "context_share": np.full(n, np.nan),
                        "context_id": pd.Series(pd.NA, index=buildings.index, dtype="str")})
    polys = _typed_polygons(contexts, preset, buildings.crs)
    if polys is None or n == 0:
        return out
    geoms = buildings.geometry.to_numpy()
    area = shapely.area(geoms)
    bi, pi = shapely.STRtree(polys.geometry.to_numpy()).query(geoms, predicate="intersects")
    ok = area[bi] > 0
    bi, pi = bi[ok], pi[ok]
    inter = shapely.area(shapely.intersection(geoms[bi], polys.geometry.to_numpy()[pi]))
    share = inter / area[bi]
    hit = share >= polys["min_share"].to_numpy()[pi]
    bi, pi, share = bi[hit], pi[hit], share[hit]
    if bi.size == 0:
        log.info("site context: no footprint lies in a typed context polygon")
        return out
    # per footprint: the smallest qualifying polygon (most specific), then the larger share
    order = np.lexsort((-share, polys["poly_area"].to_numpy()[pi], bi))
    bi, pi, share = bi[order], pi[order], share[order]
    first = np.r_[True, bi[1:] != bi[:-1]]
    bi, pi, share = bi[first], pi[first], share[first]
    pick = polys.iloc[pi]
    desc = pick["label"].to_numpy(dtype=object)
    pct = pd.Series(np.round(share * 100).astype(int)).astype(str).to_numpy(dtype=object)
    rows = out.index[bi]
    out.loc[rows, "context_type"] = pick["context_type"].to_numpy(dtype=object)
    out.loc[rows, "context_rule"] = pick["context_rule"].to_numpy(dtype=object)
    out.loc[rows, "context_note"] = "地块 context: " + desc + ", " + pct + " % of footprint"
    out.loc[rows, "context_share"] = share
    out.loc[rows, "context_id"] = pick["context_id"].to_numpy(dtype=object)
    log.info("site context: %d of %d footprint(s) lie in a typed context polygon", bi.size, n)
    return out


def _typed_polygons(contexts, preset, crs) -> gpd.GeoDataFrame | None:
    """Every context polygon a rule types, in ``crs``, with its min_share, area [m²] and a label."""
    parts = []
    for spec, frame in contexts:
        typed = polygon_types(frame, preset)
        keep = typed["context_type"].notna().to_numpy()
        n_untyped = int((~keep).sum())
        if n_untyped:
            log.info("--context %s: %d of %d polygon(s) match no [[rules.context]] rule (not used)",
                     spec.path, n_untyped, len(frame))
        if not keep.any():
            continue
        f = frame.loc[keep].to_crs(crs)
        parts.append(gpd.GeoDataFrame({
            "context_id": f["context_id"].to_numpy(), "context_type": typed["context_type"].to_numpy()[keep],
            "context_rule": typed["context_rule"].to_numpy()[keep], "label": _labels(f),
            "min_share": np.full(len(f), float(spec.min_share))}, geometry=f.geometry.to_numpy(), crs=crs))
    if not parts:
        log.warning("site context: no --context polygon matches a [[rules.context]] rule of the classify preset")
        return None
    polys = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
    polys["poly_area"] = shapely.area(polys.geometry.to_numpy())
    return polys


def _labels(frame: gpd.GeoDataFrame) -> np.ndarray:
    """``'kg.gpkg#12 某中学 (A33 中小学用地)'`` / ``'city.osm.pbf#40 (amenity=school)'`` per polygon."""
    label = frame["context_id"].astype("str")
    if "context_name" in frame.columns:
        label = label + (" " + frame["context_name"].astype("str")).fillna("")
    what = frame["use"].astype("str") if "use" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="str")
    for col in ("osm_amenity", "osm_office", "osm_landuse"):
        if col in frame.columns:
            what = what.fillna(col[4:] + "=" + frame[col].astype("str"))
    return (label + (" (" + what + ")").fillna("")).to_numpy(dtype=object)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _word_regex(word: str) -> str:
    """Case-insensitive whole-word regex that also works next to Chinese characters."""
    return r"(?i)(?<![A-Za-z])" + re.escape(word).replace(r"\ ", r"[\s_-]+") + r"(?![A-Za-z])"


def _code_regex(code: str) -> str:
    """Whole land-use code with optional sub-class digits; a bare letter only as the whole value."""
    if code.isalpha():
        return rf"(?<![A-Za-z0-9&]){code}\d+(?![A-Za-z0-9&])|^\s*{code}\s*$"
    return rf"(?<![A-Za-z0-9&]){code}\d*(?![A-Za-z0-9&])"


def _compile_entry(fam: str, e: dict) -> list[Rule]:
    t = e.get("type")
    excl = e.get("exclude")
    if excl:
        re.compile(excl)
    if "tag" in e:  # osm, or an OSM area polygon of the context family
        tag = e["tag"]
        col = osm_column(tag)
        out = []
        for v in e["values"]:
            if v == "*":
                out.append(Rule(f"{fam}:{tag}=*", col, t, "any", None, excl))
            else:
                out.append(Rule(f"{fam}:{tag}={v}", col, t, "isin", [str(v).lower()], excl))
        return out
    column = "use" if fam in ("use", "use_code", "context") else "name"
    out = []
    for c in e.get("codes", []):  # use_code, context
        if not re.fullmatch(r"[A-Z]\d*", c):
            raise re.error(f"land-use code {c!r} is not a letter followed by digits")
        out.append(Rule(f"{fam}:{c}", column, t, "regex", re.compile(_code_regex(c)), excl))
    for kw in e.get("keywords", []):
        out.append(Rule(f"{fam}:{kw}", column, t, "literal", kw, excl))
    for p in e.get("patterns", []):
        out.append(Rule(f"{fam}:{p['id']}", column, t, "regex", re.compile(p["regex"]), excl))
    for w in e.get("words", []):
        out.append(Rule(f"{fam}:{w}", column, t, "regex", re.compile(_word_regex(w)), excl))
    return out


def osm_column(tag: str) -> str:
    """Canonical column of an OSM key (``building:use`` → ``osm_building_use``; see :data:`pvsite.io.footprints.OSM_COLUMNS`)."""
    return "osm_" + tag.replace(":", "_")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(values: pd.Series) -> pd.Series:
    """Text with traditional Chinese characters converted to simplified ones (大廈 → 大厦), NA kept.

    OpenCC's ``t2s`` conversion (phrase-aware; https://github.com/BYVoid/OpenCC), applied once per
    distinct value and mapped back, so a column of 100,000 names with 5,000 distinct values costs
    5,000 conversions.  Simplified text passes through unchanged.

    Parameters
    ----------
    values : pandas.Series
        Text (``str`` dtype, NA for missing).

    Returns
    -------
    pandas.Series
        Same index, ``str`` dtype.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return values
    conv = _t2s().convert
    table = np.array([conv(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype="str")


def _text(s: pd.Series, lower: bool = False) -> pd.Series:
    t = s.astype("str").str.strip()
    t = t.mask(t.isin(["", "nan", "None", "<NA>"]))
    return t.str.lower() if lower else t


def _read_overrides(overrides, types: dict):
    if isinstance(overrides, pd.DataFrame):
        table, label = overrides.copy(), "table"
    else:
        from pvsite.io.layers import read_table

        label = Path(overrides).name
        table = read_table(overrides, what="--overrides")
    table.columns = [str(c).strip() for c in table.columns]
    need = ["building_id", "building_type"]
    lacking = [c for c in need if c not in table.columns]
    if lacking:
        raise InputError(f"Overrides {label} lacks column(s) {', '.join(lacking)}. "
                         f"Detected: {', '.join(table.columns)}.",
                         fix="Use a CSV with header building_id,building_type,reason.",
                         zh=f"覆盖表 {label} 缺少列 {', '.join(lacking)}。现有列：{', '.join(table.columns)}。",
                         fix_zh="请使用表头为 building_id,building_type,reason 的 CSV。")
    if "reason" not in table.columns:
        table["reason"] = None
    table = table[["building_id", "building_type", "reason", *(["owner_type"] if "owner_type" in table.columns
                                                              else [])]].astype("str")
    for c in table.columns:
        table[c] = table[c].str.strip()
    table["reason"] = table["reason"].mask(table["reason"].isin(["", "nan", "None"]))
    if "owner_type" in table.columns:
        table["owner_type"] = table["owner_type"].mask(table["owner_type"].isin(["", "nan", "None"]))
    problems = []
    bad = table[~table["building_type"].isin(list(types))]
    if len(bad):
        rows = "; ".join(f"row {i + 2}: {b!r} → {t!r}" for i, b, t in
                         zip(bad.index[:10], bad["building_id"][:10], bad["building_type"][:10]))
        problems.append(f"unknown building_type ({rows}); valid: {', '.join(types)}")
    dup = table["building_id"][table["building_id"].duplicated()]
    if len(dup):
        problems.append(f"duplicated building_id: {', '.join(dup.unique()[:10])}")
    if problems:
        raise InputError(f"Overrides {label}: " + "; ".join(problems) + ".",
                         fix="Give each building_id once, with one of the valid building types.",
                         zh=f"覆盖表 {label} 有误：" + "；".join(problems) + "。",
                         fix_zh="每个 building_id 只写一次，并填写有效的建筑类型。")
    return table.reset_index(drop=True), label


def _align_registry(registry, index: pd.Index, types: dict):
    """Registry type, rule and note aligned to ``index`` (NA where no entry)."""
    if not isinstance(registry, pd.DataFrame):
        raise InputError("registry= must be the per-footprint DataFrame returned by match_registry().",
                         fix="Pass match_registry(...)[0].",
                         zh="registry= 必须是 match_registry() 返回的逐建筑 DataFrame。",
                         fix_zh="请传入 match_registry(...)[0]。")
    lacking = [c for c in ("registry_type", "registry_rule") if c not in registry.columns]
    if lacking:
        raise InputError(f"The registry frame lacks column(s) {', '.join(lacking)}. "
                         f"Detected: {', '.join(map(str, registry.columns))}.",
                         fix="Pass the first frame returned by pvsite.buildings.registry.match_registry().",
                         zh=f"名录匹配表缺少列 {', '.join(lacking)}。现有列：{', '.join(map(str, registry.columns))}。",
                         fix_zh="请传入 pvsite.buildings.registry.match_registry() 返回的第一个表。")
    if not registry.index.equals(index):
        if not (registry.index.is_unique and index.is_unique):
            raise InputError("The registry frame is not indexed like the footprints (duplicate labels).",
                             fix="Match the registry against the same frame you classify.",
                             zh="名录匹配表与建筑轮廓的索引不一致（有重复标签）。",
                             fix_zh="请将名录与要分类的同一建筑轮廓表匹配。")
        extra = registry.index.difference(index)
        if len(extra) and registry.loc[extra, "registry_type"].notna().any():
            log.info("%d registry match(es) concern footprints outside this frame (not selected)",
                     int(registry.loc[extra, "registry_type"].notna().sum()))
        registry = registry.reindex(index)
    rtype = _text(registry["registry_type"])
    bad = rtype[rtype.notna() & ~rtype.isin(list(types))]
    if len(bad):
        raise InputError(f"Registry types not in the classification preset: {', '.join(sorted(set(bad))[:10])}.",
                         fix=f"Use pvsite building types: {', '.join(types)}.",
                         zh=f"名录中的建筑类型不在分类预设中：{', '.join(sorted(set(bad))[:10])}。",
                         fix_zh=f"请使用 pvsite 的建筑类型：{', '.join(types)}。")
    rule = _text(registry["registry_rule"]).fillna("registry")
    name = _text(registry["registry_name"]) if "registry_name" in registry.columns else None
    match = _text(registry["registry_match"]) if "registry_match" in registry.columns else None
    note = pd.Series(pd.NA, index=index, dtype="str")
    if name is not None:
        note = ("名录 registry: " + name).where(name.notna(), note)
    if match is not None:
        note = note.where(match.isna(), note.fillna("名录 registry") + ", " + match)
    return rtype, rule, note
