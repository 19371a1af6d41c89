"""Field mapping: source columns → pvsite fields, and the parsers of their values.

A footprint file names its attributes in many ways (名称, JZMC, ``building:levels``).
:func:`resolve_mapping` maps them to :data:`PVSITE_FIELDS` once: explicit entries
first, the rest auto-detected, case-insensitively, from the candidates of
``pvsite/presets/fields.toml`` (:func:`load_field_candidates`; institution registries
use :func:`load_registry_candidates`).  The ``parse_*`` functions turn the mapped
columns into typed values (``storeys`` [-], ``height_m`` [m], ``year_built``,
``roof_type``), appending a line to ``warn`` for every value they cannot use;
nothing here opens a footprint file.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.errors import ConfigError, InputError

FIELDS_PRESET = Path(__file__).resolve().parent.parent / "presets" / "fields.toml"

#: pvsite fields that can be mapped from a source column.
PVSITE_FIELDS = ("building_id", "name", "use", "storeys", "height_m", "year_built", "roof_type", "street",
                 "owner_type", "build_status")

#: Values of the ``roof_type`` field.
ROOF_TYPES = ("flat", "pitched", "metal", "unknown")


@lru_cache(maxsize=1)
def fields_preset() -> dict:
    """The parsed ``presets/fields.toml`` (cached): candidates, roof-type vocabulary, registry columns."""
    return tomllib.loads(FIELDS_PRESET.read_text(encoding="utf-8"))


def load_field_candidates() -> dict:
    """Candidate source column names per pvsite field (``presets/fields.toml``)."""
    return dict(fields_preset()["candidates"])


def load_registry_candidates() -> dict:
    """Candidate column names of institution registries (``[registry]`` of ``presets/fields.toml``).

    Returns
    -------
    dict
        ``lonlat`` (list of [lon column, lat column] pairs), ``name``,
        ``type`` and ``owner`` (lists of column names), in preference order.
    """
    reg = fields_preset().get("registry", {})
    return {"lonlat": [list(p) for p in reg.get("lonlat", [])],
            "name": list(reg.get("name", [])), "type": list(reg.get("type", [])),
            "owner": list(reg.get("owner", []))}


# ---------------------------------------------------------------------------
# Field mapping and attribute parsing
# ---------------------------------------------------------------------------


def resolve_mapping(columns, fields, path: Path) -> dict:
    """pvsite field → source column (or None) for every field of :data:`PVSITE_FIELDS`.

    Parameters
    ----------
    columns : sequence of str
        Source attribute columns.
    fields : dict or None
        Explicit pvsite field → source column; ``''`` / None leaves a field
        empty (no auto-detection).  Matched case-insensitively.
    path : Path
        Source file, named in errors.

    Returns
    -------
    dict
        In :data:`PVSITE_FIELDS` order; unmapped fields auto-detected from
        :func:`load_field_candidates`, each source column used at most once.

    Raises
    ------
    ConfigError
        Unknown pvsite field in ``fields`` (with a suggestion).
    InputError
        A mapped column that the source lacks (listing the columns).
    """
    fields = dict(fields or {})
    unknown = [f for f in fields if f not in PVSITE_FIELDS]
    if unknown:
        hints = [f"{u!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(u, PVSITE_FIELDS, 1)) else repr(u)
                 for u in unknown]
        raise ConfigError(f"Unknown pvsite field(s) in the field mapping: {', '.join(hints)}.",
                          fix=f"Map only: {', '.join(PVSITE_FIELDS)}.",
                          zh=f"字段映射中有未知的 pvsite 字段：{', '.join(hints)}。",
                          fix_zh=f"只能映射：{', '.join(PVSITE_FIELDS)}。")
    lower: dict[str, str] = {}
    for c in columns:
        lower.setdefault(str(c).strip().lower(), c)
    mapping: dict = {}
    used: set = set()
    missing = []
    for f, src in fields.items():
        if src is None or str(src).strip() == "":
            mapping[f] = None
            continue
        col = src if src in columns else lower.get(str(src).strip().lower())
        if col is None:
            missing.append(f"{f} → {src!r}")
            continue
        mapping[f] = col
        used.add(col)
    if missing:
        raise InputError(
            f"{path}: mapped column(s) not found: {'; '.join(missing)}. "
            f"Available columns: {', '.join(map(str, columns)) or '(none)'}.",
            fix="Correct the field mapping (--field / [input.fields]) to one of the available columns.",
            zh=f"{path}：找不到映射的列：{'；'.join(missing)}。可用列：{', '.join(map(str, columns)) or '（无）'}。",
            fix_zh="请将字段映射（--field / [input.fields]）改为可用列之一。",
        )
    candidates = load_field_candidates()
    for f in PVSITE_FIELDS:
        if f in mapping:
            continue
        mapping[f] = pick_column(columns, None, candidates.get(f, []), source=str(path), source_zh=str(path),
                                 exclude=used)
        if mapping[f] is not None:
            used.add(mapping[f])
    return {f: mapping[f] for f in PVSITE_FIELDS}


def _column_key(name, ignore_spaces: bool) -> str:
    key = str(name).strip().lower()
    return key.replace(" ", "") if ignore_spaces else key


def pick_column(columns, explicit, candidates, *, source: str, source_zh: str, what: str = "", what_zh: str = "",
                fix: str = "Name one of the columns present.", fix_zh: str = "请填写现有列之一。", exclude=(),
                ignore_spaces: bool = False):
    """The source column for one pvsite field: the ``explicit`` name, else the first of ``candidates``.

    Names match exactly first, then ignoring case and surrounding blanks (and every
    space with ``ignore_spaces``: ``年用电量 (kWh)`` = ``年用电量(kWh)``).  When two
    columns differ only in case, the first one wins.

    Parameters
    ----------
    columns : sequence
        Column names of the source table.
    explicit : str or None
        The column the user named (a field mapping); None auto-detects from ``candidates``.
    candidates : iterable of str
        Candidate names in preference order (``presets/fields.toml``); ignored when
        ``explicit`` is given.
    source, source_zh : str
        The file as the error names it, English and Chinese (e.g. ``"Registry schools.csv"``,
        ``"名录 schools.csv"``).
    what, what_zh : str
        The field, English and Chinese (``"name"``, ``"名称"``); empty for "has no column".
    fix, fix_zh : str
        The fix the error gives when ``explicit`` is missing, English and Chinese.
    exclude : iterable
        Columns never auto-detected (already taken by another field); an explicit name may still use them.
    ignore_spaces : bool
        Also ignore spaces inside the names.

    Returns
    -------
    str or None
        The column as spelled in ``columns``; None when nothing was named and no candidate is present.

    Raises
    ------
    InputError
        ``explicit`` is not a column: the message names the file, the column and the columns present.
    """
    columns = list(columns)
    if explicit is not None:
        if explicit in columns:
            return explicit
        want = _column_key(explicit, ignore_spaces)
        got = next((c for c in columns if _column_key(c, ignore_spaces) == want), None)
        if got is None:
            present = ", ".join(map(str, columns)) or "(none)"
            raise InputError(f"{source} has no {what + ' ' if what else ''}column {explicit!r}. Columns: {present}.",
                             fix=fix,
                             zh=f"{source_zh} 没有{what_zh}列 {explicit!r}。现有列：{present}。", fix_zh=fix_zh)
        return got
    skip = set(exclude or ())
    lower: dict = {}
    for c in columns:
        if c not in skip:
            lower.setdefault(_column_key(c, ignore_spaces), c)
    for cand in candidates:
        col = lower.get(_column_key(cand, ignore_spaces))
        if col is not None:
            return col
    return None


def distinct_values(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(code of every row, -1 where missing; the distinct non-missing values, in order of first appearance).

    For parsers whose result is a function of the value alone: parse the distinct values once and
    :func:`broadcast` the result to the rows (a city's few hundred roof-type spellings, not its million rows).
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Series(uniques, dtype=s.dtype)


def broadcast(parsed: pd.Series, codes: np.ndarray, index, missing=pd.NA) -> pd.Series:
    """``parsed`` (one entry per distinct value, :func:`distinct_values`) on every row; ``missing`` where code -1."""
    table = np.append(parsed.to_numpy(dtype=object, na_value=pd.NA), np.array([missing], dtype=object))
    return pd.Series(table[codes], index=index, dtype=parsed.dtype)


def clean_text(s: pd.Series) -> pd.Series:
    """Text with NA for missing/blank; integral floats print without '.0'."""
    if pd.api.types.is_float_dtype(s):
        v = s.astype("Float64")
        if bool(((v % 1) == 0).fillna(True).all()):
            s = v.astype("Int64")
    elif pd.api.types.is_bool_dtype(s):
        s = s.astype(object)
    out = s.astype("str").str.strip()
    return out.mask(out.isin(["", "nan", "None", "<NA>", "NaN"]))


def clean_lower_text(s: pd.Series) -> pd.Series:
    """:func:`clean_text`, lower-cased."""
    return clean_text(s).str.lower()


_NUMBER = r"(-?\d+(?:\.\d+)?)"


def first_number(s: pd.Series) -> pd.Series:
    """First number in each value (``'12 m'`` → 12.0, ``'5层'`` → 5.0) as Float64."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("Float64")
    return pd.to_numeric(clean_text(s).str.extract(_NUMBER, expand=False), errors="coerce").astype("Float64")


def parse_storeys(s: pd.Series, warn, col) -> pd.Series:
    """Storeys [-] (Int64, rounded half up); values ≤ 0 become NA with a warning."""
    x = first_number(s)
    bad = x.notna() & (x <= 0)
    if bad.any():
        warn.append(f"storeys: {int(bad.sum())} value(s) ≤ 0 in '{col}' treated as unknown")
    x = x.mask(bad)
    frac = x.notna() & ((x % 1) != 0)
    if frac.any():
        warn.append(f"storeys: {int(frac.sum())} non-integer value(s) in '{col}' rounded half up")
    return np.floor(x + 0.5).astype("Int64")


def parse_height_m(s: pd.Series, warn, col) -> pd.Series:
    """Height [m] (Float64); values in feet (``ft``, ``'``) converted; ≤ 0 become NA."""
    x = first_number(s)
    if not pd.api.types.is_numeric_dtype(s):
        feet = clean_text(s).str.contains(r"(?:ft|feet|')\s*$", regex=True, na=False).to_numpy()
        x = x.where(~feet, x * 0.3048)  # international foot [m]
    bad = x.notna() & (x <= 0)
    if bad.any():
        warn.append(f"height_m: {int(bad.sum())} value(s) ≤ 0 in '{col}' treated as unknown")
    return x.mask(bad).astype("Float64")


# A four-digit year 1500–2099, optionally followed by month (and day) digits: '2019', '2019-05', '201905',
# '20190501', '2019.0', 'c. 1990', '1990s', '2019年'.
_YEAR = r"(?<!\d)(1[5-9]\d\d|20\d\d)(?:(?!\d)|(?=(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])?(?!\d)))"


def parse_year(s: pd.Series, warn, col) -> pd.Series:
    """Year built (Int64) from numbers, dates or text such as ``'2019年'``; others NA."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.year.astype("Int64")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.astype("Float64")
        ok = ((x >= 1500) & (x < 2100) & ((x % 1) == 0)).fillna(False)
        bad = x.notna() & ~ok
        if bad.any():
            warn.append(f"year_built: {int(bad.sum())} value(s) in '{col}' are not years 1500–2099, treated as unknown")
        return x.where(ok).astype("Int64")
    t = clean_text(s)
    y = pd.to_numeric(t.str.extract(_YEAR, expand=False), errors="coerce").astype("Int64")
    bad = t.notna() & y.isna()
    if bad.any():
        sample = ", ".join(repr(v) for v in t[bad].unique()[:5])
        warn.append(f"year_built: {int(bad.sum())} value(s) in '{col}' without a year, treated as unknown ({sample})")
    return y


def match_vocabulary(low: pd.Series, vocab: dict) -> pd.Series:
    """Key of ``vocab`` (key → lower-case words) for each lower-case text; NA where no word fits.

    Exact words first (every key), then words contained in the text, keys in
    ``vocab`` order — so ``长宁区属国有企业`` finds 区属国企 by contained word only
    when no key has it as an exact word.  A contained word counts only where it
    is not part of a longer vocabulary word the text also contains: 未竣工 is read
    as 未竣工 (not 竣工), 施工完成 as 施工完成 (not 施工), "not under construction" as
    itself (not "construction").  Without that rule a value that negates or
    completes a word would be matched by the word it negates.
    """
    out = pd.Series(pd.NA, index=low.index, dtype="str")
    for key, words in vocab.items():
        out = out.mask(out.isna() & low.isin(words), key)
    every = sorted({w for words in vocab.values() for w in words}, key=len, reverse=True)
    for key, words in vocab.items():
        for w in words:
            text = low
            for longer in every:  # longest first: a longer word is masked before the shorter ones inside it
                if len(longer) > len(w) and w in longer:
                    text = text.str.replace(longer, "\x00", regex=False)
            out = out.mask(out.isna() & text.str.contains(w, regex=False).fillna(False).astype(bool), key)
    return out


def parse_owner_type(s: pd.Series) -> pd.Series:
    """Owner category (``[owner_type]`` of presets/fields.toml: 区属国企, 市属国企, 私营 …) of each value.

    Exact words first, then words contained in the value (``上海长宁区属企业`` → 区属国企);
    other non-blank values are kept as written, blanks become NA.
    """
    vocab = {k: [str(w).lower() for w in v] for k, v in fields_preset().get("owner_type", {}).items()}

    def parse(u):
        text = clean_text(u)
        return match_vocabulary(text.str.lower(), vocab).fillna(text).astype("str")

    codes, uniques = distinct_values(s)
    return broadcast(parse(uniques), codes, s.index)


def parse_build_status(s: pd.Series) -> pd.Series:
    """Construction status (``[build_status]`` of presets/fields.toml) of each value: 'under_construction' or NA.

    Exact words first, then words contained in the value (``主体施工中`` → under_construction);
    a ``completed`` word (竣工, 施工完成, "construction completed" …) wins over contained
    under-construction words, and any other value (现状, 已建成 …) is NA: the building stands.
    """
    preset = fields_preset().get("build_status", {})
    # completed first: a value naming both (施工已完成) says the works are over
    vocab = {k: [str(w).lower() for w in preset.get(k, [])] for k in ("completed", "under_construction")}
    codes, uniques = distinct_values(s)
    key = match_vocabulary(clean_text(uniques).str.lower(), vocab)
    return broadcast(key.where(key.eq("under_construction")).astype("str"), codes, s.index)


def parse_roof_type(s: pd.Series, warn, col) -> pd.Series:
    """Roof type (:data:`ROOF_TYPES`) from the vocabulary of ``presets/fields.toml``."""
    vocab = fields_preset()["roof_type"]
    codes, uniques = distinct_values(s)  # decided once per distinct value, counted per row
    t = clean_lower_text(uniques).str.replace(r"\s+", " ", regex=True)
    out = pd.Series(pd.NA, index=uniques.index, dtype="str")
    exact = {v.lower(): k for k in ("metal", "flat", "pitched") for v in vocab[k]}
    out = out.fillna(t.map(exact))
    for kind in ("metal", "flat", "pitched"):
        for kw in vocab[kind]:
            hit = out.isna() & t.str.contains(kw.lower(), regex=False, na=False)
            out = out.mask(hit, kind)
    unmatched = t.notna() & out.isna()
    if unmatched.any():
        sample = ", ".join(repr(v) for v in t[unmatched].unique()[:10])
        n_rows = int(np.bincount(codes[codes >= 0], minlength=len(uniques))[unmatched.to_numpy()].sum())
        warn.append(f"roof_type: {n_rows} value(s) in '{col}' not recognised, set to 'unknown' ({sample})")
    return broadcast(out.fillna("unknown"), codes, s.index, missing="unknown")


def building_ids(s, source_row, stem, warn, col) -> pd.Series:
    """Source ids when they are a unique key, else generated ``<stem>-<source_row>`` ids (with a warning)."""
    generated = stem + "-" + pd.Series(source_row).astype("str")
    if s is None:
        return generated
    ids = clean_text(s).reset_index(drop=True)
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    if ids.notna().all() and dup.empty:
        return ids
    problems = []
    if ids.isna().any():
        problems.append(f"{int(ids.isna().sum())} empty")
    if not dup.empty:
        counts = dup.value_counts()
        shown = ", ".join(f"{k!r} ×{v}" for k, v in counts.head(10).items())
        more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
        problems.append(f"{len(counts)} duplicated: {shown}{more}")
    warn.append(f"building_id column '{col}' is not a unique key ({'; '.join(problems)}); "
                f"generated ids '{stem}-<row>' instead")
    return generated
