"""Classify buildings: type, policy class and responsible department, with a stated reason.

Rules are data (``pvsite/presets/classify/<name>.toml``).  Families are tried
in a fixed priority order — override > institution registry > use keywords >
land-use codes > OSM tags > name keywords > default — and every building gets
exactly one ``building_type`` plus ``class_rule``, the id of the rule that
decided it (``'override:fixes.csv'``, ``'registry:schools.csv:12'``,
``'use:行政办公'``, ``'use_code:A3'``, ``'osm:amenity=school'``,
``'name:小学'`` or ``'default:no-rule-matched'``).  Nothing is dropped.

A registry (a planner's list of schools, canteens, ...) is matched to the
footprints by :func:`pvsite.buildings.registry.match_registry`; its per-footprint frame
is passed as ``registry=``.

Each rule is evaluated as one vectorised string match over the column, on the
rows still unclassified; there is no per-row Python loop.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.errors import ConfigError, InputError
from pvsite.presets import load_preset

log = logging.getLogger(__name__)

#: Rule families in priority order (after overrides): (preset key, frame column(s)).
FAMILIES = ("use", "use_code", "osm", "name")
DEFAULT_RULE = "default:no-rule-matched"
DEFAULT_TYPE = "other"
UNKNOWN_YEAR = "unknown year, assumed existing"

#: Columns added by :func:`classify` (inserted before ``geometry``).
CLASS_COLUMNS = (
    "building_type", "type_zh", "building_class", "class_zh", "class_rule", "class_note",
    "responsible_department", "is_new", "is_new_basis",
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


def classify(gdf, preset="cn-default", new_building_year=2022, overrides=None, registry=None):
    """Add building type, policy class, responsible department and new/existing flags.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or pandas.DataFrame
        Footprints as returned by :func:`pvsite.io.footprints.read_footprints`.
        Used columns (each optional): ``use``, ``name``, ``osm_amenity``,
        ``osm_office``, ``osm_shop``, ``osm_building``, ``osm_landuse``,
        ``year_built`` [year]; ``building_id`` when ``overrides`` is given.
    preset : str
        Classification preset name (``presets/classify/<name>.toml``) or path.
    new_building_year : int
        First completion year counted as new (新建) [year].  Default 2022:
        长府〔2023〕1号 applies the new-building requirement from 2022 (see
        :class:`pvsite.config.ClassifyConfig`).
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

    Returns
    -------
    GeoDataFrame
        A copy with :data:`CLASS_COLUMNS` added: ``building_type``,
        ``type_zh``, ``building_class`` (public_institution | factory |
        other_public | residential | other), ``class_zh``, ``class_rule``,
        ``class_note`` (override reason, registry entry, or NA), ``responsible_department``,
        ``is_new`` (bool), ``is_new_basis`` ('year_built' or
        'unknown year, assumed existing').
    """
    p = load_rules(preset)
    out = gdf.copy()
    n = len(out)
    btype = np.full(n, None, dtype=object)
    rule = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)

    if overrides is not None:
        if "building_id" not in out.columns:
            raise InputError("Overrides need a building_id column in the footprints, which this frame lacks.",
                             fix="Classify the frame returned by read_footprints().")
        table, label = _read_overrides(overrides, p["types"])
        idx = pd.Index(table["building_id"])
        pos = idx.get_indexer(out["building_id"].astype("str"))
        hit = pos >= 0
        btype[hit] = table["building_type"].to_numpy(dtype=object)[pos[hit]]
        note[hit] = table["reason"].to_numpy(dtype=object)[pos[hit]]
        rule[hit] = f"override:{label}"
        unused = np.setdiff1d(np.arange(len(table)), pos[hit])
        if unused.size:
            log.warning("%d override(s) in %s name building_ids not in the footprints: %s",
                        unused.size, label, ", ".join(table["building_id"].iloc[unused[:10]]))

    if registry is not None:
        rtype, rrule, rnote = _align_registry(registry, out.index, p["types"])
        hit = pd.isna(btype) & rtype.notna().to_numpy()
        btype[hit] = rtype.to_numpy(dtype=object)[hit]
        rule[hit] = rrule.to_numpy(dtype=object)[hit]
        note[hit] = rnote.to_numpy(dtype=object)[hit]
        log.info("registry decided %d building(s)", int(hit.sum()))

    cache: dict[str, pd.Series] = {}
    for r in p["rules"]:
        todo = np.flatnonzero(pd.isna(btype))
        if todo.size == 0:
            break
        if r.column not in out.columns:
            continue
        if r.column not in cache:
            cache[r.column] = _text(out[r.column], lower=r.column.startswith("osm_"))
        values = cache[r.column].iloc[todo]
        hit = todo[r.match(values)]
        btype[hit] = r.type
        rule[hit] = r.id

    rest = pd.isna(btype)
    btype[rest] = DEFAULT_TYPE
    rule[rest] = DEFAULT_RULE

    types = p["types"]
    classes = p["classes"]
    bt = pd.Series(btype, index=out.index, dtype="str")
    bclass = bt.map({k: v["class"] for k, v in types.items()}).astype("str")
    year = out["year_built"] if "year_built" in out.columns else pd.Series(pd.NA, index=out.index, dtype="Int64")
    year = pd.to_numeric(year, errors="coerce").astype("Int64")
    cols = {
        "building_type": bt,
        "type_zh": bt.map({k: v["name_zh"] for k, v in types.items()}).astype("str"),
        "building_class": bclass,
        "class_zh": bclass.map({k: v["name_zh"] for k, v in classes.items()}).astype("str"),
        "class_rule": pd.Series(rule, index=out.index, dtype="str"),
        "class_note": pd.Series(note, index=out.index, dtype="str"),
        "responsible_department": bt.map({k: v["responsible_department"] for k, v in types.items()}).astype("str"),
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


def classification_report(gdf, by=("building_class", "building_type", "class_rule")) -> pd.DataFrame:
    """Count buildings per class and per rule.

    Parameters
    ----------
    gdf : DataFrame
        Output of :func:`classify`.
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
    order = {c: i for i, c in enumerate(("public_institution", "factory", "other_public", "residential", "other"))}
    # Ties are broken by the group keys, so the table does not depend on the input's row order.
    if "building_class" in rep.columns:
        rep["_o"] = rep["building_class"].map(order).fillna(len(order))
        rep = rep.sort_values(["_o", "n_buildings", *keys], ascending=[True, False] + [True] * len(keys),
                              kind="stable").drop(columns="_o")
    else:
        rep = rep.sort_values(["n_buildings", *keys], ascending=[False] + [True] * len(keys), kind="stable")
    return rep.reset_index(drop=True)


def load_rules(preset="cn-default") -> dict:
    """Load and validate a classification preset; compile its rules in priority order.

    Returns
    -------
    dict
        ``classes``, ``types`` (as in the TOML) and ``rules`` (list of
        :class:`Rule`, in evaluation order after overrides).

    Raises
    ------
    ConfigError
        Listing every problem at once: a type with an unknown class, a rule
        with an unknown type, an entry without matchers, a bad regex.
    """
    p = load_preset("classify", preset)
    path = p.get("_path", preset)
    problems = []
    classes = p.get("classes", {})
    types = p.get("types", {})
    if DEFAULT_TYPE not in types:
        problems.append(f"[types.{DEFAULT_TYPE}] is missing (needed for unmatched buildings)")
    for t, spec in types.items():
        for key in ("class", "name_zh", "responsible_department"):
            if key not in spec:
                problems.append(f"[types.{t}] lacks '{key}'")
        if spec.get("class") not in classes:
            problems.append(f"[types.{t}] class {spec.get('class')!r} is not one of [classes.*]: {', '.join(classes)}")
    rules: list[Rule] = []
    for fam in FAMILIES:
        for k, entry in enumerate(p.get("rules", {}).get(fam, [])):
            where = f"[[rules.{fam}]] entry {k + 1}"
            if entry.get("type") not in types:
                problems.append(f"{where}: type {entry.get('type')!r} is not one of [types.*]: {', '.join(types)}")
            try:
                compiled = _compile_entry(fam, entry)
            except (re.error, KeyError, TypeError) as exc:
                problems.append(f"{where}: {exc}")
                continue
            if not compiled:
                problems.append(f"{where}: no keywords/words/patterns/codes/values")
            rules.extend(compiled)
    if problems:
        raise ConfigError(f"Classification preset {path} has {len(problems)} problem(s): " + "; ".join(problems) + ".",
                          fix="Correct the preset (see the comments in presets/classify/cn-default.toml).")
    return {"classes": classes, "types": types, "rules": rules, "path": path}


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
    if fam == "osm":
        tag = e["tag"]
        col = "osm_" + tag
        out = []
        for v in e["values"]:
            if v == "*":
                out.append(Rule(f"osm:{tag}=*", col, t, "any", None, excl))
            else:
                out.append(Rule(f"osm:{tag}={v}", col, t, "isin", [str(v).lower()], excl))
        return out
    column = "use" if fam in ("use", "use_code") else "name"
    out = []
    if fam == "use_code":
        for c in e["codes"]:
            if not re.fullmatch(r"[A-Z]\d*", c):
                raise re.error(f"land-use code {c!r} is not a letter followed by digits")
            out.append(Rule(f"use_code:{c}", column, t, "regex", re.compile(_code_regex(c)), excl))
        return out
    for kw in e.get("keywords", []):
        out.append(Rule(f"{fam}:{kw}", column, t, "literal", kw, excl))
    for p in e.get("patterns", []):
        out.append(Rule(f"{fam}:{p['id']}", column, t, "regex", re.compile(p["regex"]), excl))
    for w in e.get("words", []):
        out.append(Rule(f"{fam}:{w}", column, t, "regex", re.compile(_word_regex(w)), excl))
    return out


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
                         fix="Use a CSV with header building_id,building_type,reason.")
    if "reason" not in table.columns:
        table["reason"] = None
    table = table[["building_id", "building_type", "reason"]].astype("str")
    for c in table.columns:
        table[c] = table[c].str.strip()
    table["reason"] = table["reason"].mask(table["reason"].isin(["", "nan", "None"]))
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
                         fix="Give each building_id once, with one of the valid building types.")
    return table.reset_index(drop=True), label


def _align_registry(registry, index: pd.Index, types: dict):
    """Registry type, rule and note aligned to ``index`` (NA where no entry)."""
    if not isinstance(registry, pd.DataFrame):
        raise InputError("registry= must be the per-footprint DataFrame returned by match_registry().",
                         fix="Pass match_registry(...)[0].")
    lacking = [c for c in ("registry_type", "registry_rule") if c not in registry.columns]
    if lacking:
        raise InputError(f"The registry frame lacks column(s) {', '.join(lacking)}. "
                         f"Detected: {', '.join(map(str, registry.columns))}.",
                         fix="Pass the first frame returned by pvsite.buildings.registry.match_registry().")
    if not registry.index.equals(index):
        if not (registry.index.is_unique and index.is_unique):
            raise InputError("The registry frame is not indexed like the footprints (duplicate labels).",
                             fix="Match the registry against the same frame you classify.")
        extra = registry.index.difference(index)
        if len(extra) and registry.loc[extra, "registry_type"].notna().any():
            log.info("%d registry match(es) concern footprints outside this frame (not selected)",
                     int(registry.loc[extra, "registry_type"].notna().sum()))
        registry = registry.reindex(index)
    rtype = _text(registry["registry_type"])
    bad = rtype[rtype.notna() & ~rtype.isin(list(types))]
    if len(bad):
        raise InputError(f"Registry types not in the classification preset: {', '.join(sorted(set(bad))[:10])}.",
                         fix=f"Use pvsite building types: {', '.join(types)}.")
    rule = _text(registry["registry_rule"]).fillna("registry")
    name = _text(registry["registry_name"]) if "registry_name" in registry.columns else None
    match = _text(registry["registry_match"]) if "registry_match" in registry.columns else None
    note = pd.Series(pd.NA, index=index, dtype="str")
    if name is not None:
        note = ("名录 registry: " + name).where(name.notna(), note)
    if match is not None:
        note = note.where(match.isna(), note.fillna("名录 registry") + ", " + match)
    return rtype, rule, note


# ---------------------------------------------------------------------------
# Terminal report
# ---------------------------------------------------------------------------

_CLASS_ORDER = ("public_institution", "factory", "other_public", "residential", "other")


def _width(text: str) -> int:
    """Display width in terminal cells (CJK wide characters count 2)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _pad(text, width: int, right: bool = False) -> str:
    text = str(text)
    fill = " " * max(width - _width(text), 0)
    return fill + text if right else text + fill


def _table(rows: list[list], right: set[int]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(_pad(c, widths[i], i in right) for i, c in enumerate(r)).rstrip() for r in rows]


def format_classification_report(report_df: pd.DataFrame, top: int = 10) -> str:
    """Printable classification report: buildings per class, then the top rules.

    Parameters
    ----------
    report_df : pandas.DataFrame
        Output of :func:`classification_report` (default grouping, or any
        grouping that includes ``building_class``).
    top : int
        Number of rules listed [-]; the rest are summed in one line.
        Registry rules ``'registry:<file>:<row>'`` are counted per file
        (``'registry:<file>:*'``).

    Returns
    -------
    str
        Lines with Chinese + English labels (no trailing newline).
    """
    df = pd.DataFrame(report_df)
    if "building_class" not in df.columns or "n_buildings" not in df.columns:
        raise InputError("The classification report lacks building_class / n_buildings.",
                         fix="Pass the frame returned by classification_report().")
    usable = "n_usable" in df.columns
    total = int(df["n_buildings"].sum())
    lines = [f"分类 Classification — {total} 建筑 buildings"]
    agg = {"n_buildings": ("n_buildings", "sum")}
    if usable:
        agg["n_usable"] = ("n_usable", "sum")
    per = df.groupby("building_class", sort=False, dropna=False).agg(**agg)
    zh = df.drop_duplicates("building_class").set_index("building_class")["class_zh"] if "class_zh" in df else None
    order = sorted(per.index, key=lambda c: (_CLASS_ORDER.index(c) if c in _CLASS_ORDER else len(_CLASS_ORDER),
                                            -per.loc[c, "n_buildings"]))
    rows = [["类别 class", "建筑 buildings"] + (["可用 usable"] if usable else []) + ["占比 share"]]
    for c in order:
        label = f"{zh[c]} {c}" if zh is not None and pd.notna(zh.get(c)) else str(c)
        r = per.loc[c]
        rows.append([label, int(r["n_buildings"])] + ([int(r["n_usable"])] if usable else [])
                    + [f"{100 * r['n_buildings'] / total:.1f} %" if total else "—"])
    rows.append(["合计 total", total] + ([int(per["n_usable"].sum())] if usable else []) + ["100.0 %" if total else "—"])
    lines += _table(rows, right=set(range(1, len(rows[0]))))
    if "class_rule" in df.columns:
        keys = ["class_rule"] + [c for c in ("building_type", "type_zh") if c in df.columns]
        rules = df.assign(class_rule=df["class_rule"].astype("str").str.replace(
            r"^(registry:.*):\d+$", r"\1:*", regex=True))
        rules = (rules.groupby(keys, sort=False, dropna=False)["n_buildings"].sum().reset_index()
                 .sort_values(["n_buildings", "class_rule"], ascending=[False, True], kind="stable"))
        shown = rules.head(max(int(top), 0))
        lines.append(f"规则 Rules — top {len(shown)} of {len(rules)}")
        head = [["规则 rule"] + (["类型 type"] if "building_type" in keys else []) + ["建筑 buildings"]]
        body = []
        for r in shown.itertuples(index=False):
            d = r._asdict()
            t = []
            if "building_type" in keys:
                t = [f"{d['building_type']} {d['type_zh']}" if "type_zh" in d and pd.notna(d["type_zh"])
                     else str(d["building_type"])]
            body.append([d["class_rule"]] + t + [int(d["n_buildings"])])
        rest = rules.iloc[len(shown):]
        if len(rest):
            body.append([f"… {len(rest)} more rules 其余规则"] + ([""] if "building_type" in keys else [])
                        + [int(rest["n_buildings"].sum())])
        lines += _table(head + body, right={len(head[0]) - 1})
    return "\n".join(lines)
