"""Institution registries (机构名录): tag footprints with the type a planner's list states.

Planners rarely hold classified footprints; they hold *lists*: the district's
schools from the education bureau, elderly canteens from civil affairs,
hospitals from the health commission.  Each entry has a name, often a type and
a point taken from a web map — GCJ-02 (Amap/Gaode, Tencent) or BD-09 (Baidu),
not WGS 84.  The IO stage reads the list and converts its points to WGS 84
(:func:`pvsite.io.run_inputs.read_registry`, :mod:`pvsite.geo.datums`);
:func:`match_registry` finds the footprint each entry denotes and returns, per
footprint, the registry's type and a rule id ``'registry:<file>:<row>'`` that
:func:`pvsite.buildings.classify.classify` applies (``registry=``) after the overrides
CSV and before the use / land-use / OSM / name rules.

Matching, per entry:

* a **point** tags the usable footprint that contains it (boundary included;
  of overlapping footprints the smallest);
* a **polygon** (e.g. a campus outline) tags every usable footprint whose
  point on surface it covers;
* otherwise the **nearest** usable footprint within ``tolerance_m``
  (:class:`pvsite.config.RegistryConfig`);
* otherwise nothing: the entry is listed ``'unmatched (nearest 340 m)'``.

Default tolerance (``RegistryConfig.tolerance_m``) 30 m, a pvsite assumption (no external
source): a registry point is a geocoded *address* or a map pin, usually on the
street frontage or the gate of the site, while the building can stand behind
a yard; 30 m covers such a set-back plus the ≤ ±6 m of a coordinate given to
4 decimals, and stays below the ~50 m half-step of a 3-decimal coordinate.
The datum conversion adds no error worth counting (the iterative inverses of
:mod:`pvsite.geo.datums` reproduce the WGS 84 columns of both shared Changning
registries within 0.13 m).  Every entry's distance is reported, so a planner
can review the nearest matches.

Entries whose coordinates are rounded to :data:`ROUNDED_DEG` (0.01°, ~950 m of
longitude × 1,110 m of latitude at 31° N, i.e. up to ~±500 m from the true
place) tag nothing: the footprint under such a point is a random neighbour.
11 of the 34 rows of the shared Changning schools list are like that (the
file's own ``coord_low_precision`` flag).  Rounding is recognised from the
values (both coordinates within 1e-5° of a multiple of the step; float32
storage leaves ~4e-6° of noise), so it works on any registry.

Nothing is lost: every entry is returned with its status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.config import RegistryConfig
from pvsite.errors import ConfigError, InputError
from pvsite.geo import crs as crs_mod
from pvsite.io.fields import load_registry_candidates, parse_owner_type, pick_column
from pvsite.io.layers import SideLayer
from pvsite.presets import ClassifyPreset

log = logging.getLogger(__name__)

#: Coordinates rounded to this step or coarser tag nothing [°] (0.01° ≈ 1 km cell).
ROUNDED_DEG = 0.01
#: Largest distance of a value from a multiple of the step still taken as rounded [°].
ROUNDING_SLACK_DEG = 1e-5
#: Columns of the per-footprint frame returned by :func:`match_registry`.
REGISTRY_COLUMNS = ("registry_type", "registry_name", "registry_rule", "registry_match", "registry_owner")
#: Columns of the per-entry frame returned by :func:`match_registry` (then ``geometry``).
ENTRY_COLUMNS = (
    "row", "name", "registry_type", "type_basis", "status", "distance_m", "building_id",
    "n_footprints", "note", "source_lon", "source_lat", "datum",
)



@dataclass
class _Registry:
    """A registry ready to match: source attributes and WGS 84 geometry."""

    table: pd.DataFrame  # source attributes as text, RangeIndex
    geometry: np.ndarray  # shapely geometries in WGS 84 lon/lat (None = no coordinates)
    source_lon: np.ndarray  # [°] in the registry's datum (NaN for polygons / projected)
    source_lat: np.ndarray
    rounded: np.ndarray  # bool: coordinates rounded to ROUNDED_DEG or coarser
    datum: str
    lonlat_columns: tuple | None
    label: str


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def match_registry(roofs, side: SideLayer, spec: RegistryConfig, classes: ClassifyPreset, *,
                   rounded_deg=ROUNDED_DEG):
    """Match a registry of institutions to footprints.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Footprints with a CRS (metric or not: distances are measured in
        :func:`pvsite.geo.crs.to_metric`'s CRS).  Rows with a ``reject_reason``
        or without geometry are never tagged.  ``building_id`` is reported
        when present.
    side : SideLayer
        The registry as read by :func:`pvsite.io.run_inputs.read_registry`
        (:func:`pvsite.io.layers.read_layer`: CSV, Excel ``.xlsx`` or any
        vector file of points / polygons; lon/lat columns found, datum applied).
        ``side.datum`` may be None only for a vector layer in a projected CRS;
        ``side.path`` names the registry in rule ids and messages.
    spec : pvsite.config.RegistryConfig
        The registry's settings (checked by :mod:`pvsite.config`):
        ``name_col`` (default: the first of ``[registry] name`` in
        ``presets/fields.toml`` found; names of entries still untyped are
        classified with the name rules of ``classes``, ``幼儿园`` → school),
        ``type_col`` (default: the first of ``[registry] type`` found; a value
        is resolved through ``type_map``, else taken when it is a pvsite
        building type (``school``) or its Chinese name (``教育``); other values
        fall through and are listed in the log), ``type_map`` (source type
        value → pvsite building type, e.g. ``{'1': 'school', '2': 'school'}``
        for the Changning schools list), ``default_type`` (type of entries the
        type column does not resolve, e.g. ``'school'`` for a list of schools)
        and ``tolerance_m`` (largest distance from an entry to the nearest
        footprint still matched [m]).
    classes : pvsite.presets.ClassifyPreset
        Classification preset (building types and name rules), as loaded by
        :func:`pvsite.presets.load_classify`.
    rounded_deg : float or None
        Entries whose lon and lat are both multiples of this step [°] (or of
        a coarser power of ten) tag nothing.  None disables the check.

    Returns
    -------
    per_roof : pandas.DataFrame
        Index of ``roofs``; :data:`REGISTRY_COLUMNS` (text, NA where no entry
        matched): ``registry_type`` (pvsite building type, NA when the entry
        has no resolvable type), ``registry_name``, ``registry_rule``
        (``'registry:<file name>:<row>'``, row = 1-based entry number, the
        first data row being 1) and ``registry_match`` (the entry's status).
        When several entries reach one footprint, a containing entry beats a
        nearest one, then the closer, then a typed one, then the lower row.
    entries : geopandas.GeoDataFrame
        One row per registry entry, in file order: :data:`ENTRY_COLUMNS` and
        the entry's geometry in the footprints' metric CRS.  ``status`` is
        ``'contains'``, ``'nearest (12.3 m)'`` or ``'unmatched (...)'``
        (``nearest 340 m``, ``coordinates rounded to 0.01°``, ``no
        coordinates``, ``no usable footprint``, ``not a point or polygon``);
        ``distance_m`` [m] to the matched (or nearest) footprint;
        ``building_id`` of the matched footprint(s) (``;``-separated);
        ``n_footprints`` matched before conflicts; ``note`` names footprints
        taken by another entry.

    Raises
    ------
    InputError
        Missing name / type column, footprints without CRS.
    ConfigError
        Datum of lon/lat coordinates not declared, unknown building types in
        ``type_map`` / ``default_type``.
    """
    if getattr(roofs, "crs", None) is None:
        raise InputError("The footprints have no CRS, so registry points cannot be placed on them.",
                         fix="Match the frame returned by read_footprints() / to_metric().",
                         zh="建筑轮廓没有坐标系，无法把名录点位放到建筑上。",
                         fix_zh="请匹配 read_footprints() / to_metric() 返回的数据表。")
    path = side.path
    reg = _registry(side, rounded_deg)
    names = _pick_text(reg.table, spec.name_col, "name", path, exclude=reg.lonlat_columns)
    tcol = _pick_column(reg.table, spec.type_col, "type", path, exclude=(*(reg.lonlat_columns or ()), names.name))
    rtype, basis = _resolve_types(reg.table, tcol, spec.type_map, spec.default_type, names, classes, path)
    ocol = _pick_column(reg.table, None, "owner", path,
                        exclude=(*(reg.lonlat_columns or ()), names.name, tcol))
    owners = (parse_owner_type(reg.table[ocol]) if ocol is not None
              else pd.Series(pd.NA, index=reg.table.index, dtype="str"))

    roofs_m = crs_mod.to_metric(roofs)
    found = _entry_geometry(reg, roofs_m.crs, rounded_deg)
    footprints = _usable_footprints(roofs_m)
    pairs = _candidate_pairs(found, footprints, spec.tolerance_m)
    pairs, winner = _resolve_conflicts(pairs, rtype)

    n = len(reg.table)
    rows = np.arange(1, n + 1)
    label = path.name
    per_roof = pd.DataFrame(
        {c: pd.Series(pd.NA, index=roofs.index, dtype="str") for c in REGISTRY_COLUMNS}
    )
    w_roof, w_entry = winner["roof"].to_numpy(), winner["entry"].to_numpy()
    per_roof.iloc[w_roof, 0] = rtype.to_numpy(dtype=object)[w_entry]
    per_roof.iloc[w_roof, 1] = names.to_numpy(dtype=object)[w_entry]
    per_roof.iloc[w_roof, 2] = [f"registry:{label}:{r}" for r in rows[w_entry]]
    per_roof.iloc[w_roof, 3] = found.status[w_entry]
    per_roof.iloc[w_roof, 4] = owners.to_numpy(dtype=object)[w_entry]

    entries = _entries_table(reg, found, pairs, footprints, names, rtype, basis, roofs_m.crs)
    n_matched = int(entries["status"].str.startswith(("contains", "nearest")).sum())
    log.info("registry %s: %d of %d entries matched %d footprints (tolerance %g m)",
             label, n_matched, n, len(winner), spec.tolerance_m)
    if n_matched < n:
        log.warning("registry %s: %d entries matched no footprint (see the entries table)", label, n - n_matched)
    return per_roof, entries


def locate_points(roofs_m, points, tolerance_m: float) -> pd.DataFrame:
    """The roof each point lies on: the smallest containing roof, else the nearest within ``tolerance_m``.

    The matching of :func:`match_registry` for points, without its one-entry-
    per-footprint rule (several PV projects may sit on one roof).  Used by
    :func:`pvsite.planning.installed.match_installed`.

    Parameters
    ----------
    roofs_m : geopandas.GeoDataFrame
        Roofs in a metric CRS; rows with a ``reject_reason`` or no geometry are never matched.
    points : array of shapely geometries
        One point per entry in ``roofs_m.crs`` (None / empty = no coordinates).
    tolerance_m : float
        Largest distance to a roof not containing the point [m].

    Returns
    -------
    pandas.DataFrame
        One row per point: ``roof`` (row position in ``roofs_m``, -1 when unmatched),
        ``method`` (``contains`` / ``nearest`` / ``unmatched``) and ``distance_m``
        [m] to the matched (or nearest) roof (NaN without coordinates).
    """
    eg = np.asarray(points, dtype=object)
    n = len(eg)
    missing = shapely.is_missing(eg) | shapely.is_empty(eg)
    tid = np.where(missing, -1, shapely.get_type_id(np.where(missing, None, eg)))
    is_point = tid == 0
    status = np.full(n, None, dtype=object)
    status[~is_point] = "unmatched"
    found = _Entries(eg, is_point, np.zeros(n, dtype=bool), is_point, status, np.full(n, np.nan))
    pairs = _candidate_pairs(found, _usable_footprints(roofs_m), tolerance_m)
    roof = np.full(n, -1, dtype=np.int64)
    roof[pairs["entry"].to_numpy(dtype=np.int64)] = pairs["roof"].to_numpy(dtype=np.int64)
    method = np.where(roof < 0, "unmatched",
                      np.where(np.asarray([str(x).startswith("contains") for x in found.status]), "contains", "nearest"))
    return pd.DataFrame({"roof": roof, "method": method, "distance_m": found.distance_m})


@dataclass
class _Entries:
    """Registry entries placed in the footprints' CRS, with what their geometry allows."""

    geometry: np.ndarray      # points (multipoints as centroids) and polygons [metric CRS]
    is_point: np.ndarray
    is_poly: np.ndarray
    live: np.ndarray          # may tag a footprint (point or polygon, coordinates not rounded)
    status: np.ndarray        # text per entry; None until matched
    distance_m: np.ndarray


def _entry_geometry(reg: _Registry, crs, rounded_deg) -> _Entries:
    """Entries in ``crs``; those without coordinates, of another geometry or rounded get their status."""
    eg = np.asarray(gpd.GeoSeries(reg.geometry, crs="EPSG:4326").to_crs(crs).values)
    n = len(eg)
    missing = shapely.is_missing(eg) | shapely.is_empty(eg)
    tid = np.where(missing, -1, shapely.get_type_id(eg))
    is_poly = np.isin(tid, (3, 6))
    is_point = np.isin(tid, (0, 4))
    eg = np.where(tid == 4, shapely.centroid(eg), eg)
    status = np.full(n, None, dtype=object)
    status[missing] = "unmatched (no coordinates)"
    status[~missing & ~(is_poly | is_point)] = "unmatched (not a point or polygon)"
    if rounded_deg is not None:
        status[reg.rounded & ~missing] = f"unmatched (coordinates rounded to {rounded_deg:g}°)"
    return _Entries(eg, is_point, is_poly, (is_poly | is_point) & ~reg.rounded, status, np.full(n, np.nan))


@dataclass
class _Footprints:
    """The footprints an entry may tag: usable geometry, no ``reject_reason``."""

    position: np.ndarray      # row positions in the roofs frame
    geometry: np.ndarray
    building_id: np.ndarray   # of every roof (not only the usable ones)


def _usable_footprints(roofs_m) -> _Footprints:
    rg = np.asarray(roofs_m.geometry.values)
    usable = ~(shapely.is_missing(rg) | shapely.is_empty(rg))
    if "reject_reason" in roofs_m.columns:
        usable &= roofs_m["reject_reason"].isna().to_numpy()
    upos = np.flatnonzero(usable)
    bids = (roofs_m["building_id"].astype("str").to_numpy(dtype=object) if "building_id" in roofs_m.columns
            else np.array([f"#{i}" for i in range(len(roofs_m))], dtype=object))
    return _Footprints(upos, rg[upos], bids)


def _candidate_pairs(found: _Entries, fp: _Footprints, tolerance_m: float) -> pd.DataFrame:
    """(entry, roof, rank, dist_m) pairs: rank 0 = contained, rank 1 = nearest within ``tolerance_m``.

    A point entry tags the smallest footprint containing it; a polygon entry
    every footprint whose point on surface it covers; an entry that contains
    none tags its nearest footprint within the tolerance.  Statuses and
    distances are written into ``found``.
    """
    eg, status, dist, live = found.geometry, found.status, found.distance_m, found.live
    pairs = []
    if fp.geometry.size == 0:
        status[live] = "unmatched (no usable footprint)"
    else:
        tree = shapely.STRtree(fp.geometry)
        pe = np.flatnonzero(live & found.is_point)
        if pe.size:
            ei, ri = tree.query(eg[pe], predicate="intersects")
            hit = pd.DataFrame({"entry": pe[ei], "roof": fp.position[ri], "area": shapely.area(fp.geometry[ri])})
            hit = hit.sort_values(["entry", "area", "roof"], kind="mergesort").drop_duplicates("entry")
            pairs.append(hit.assign(rank=0, dist_m=0.0)[["entry", "roof", "rank", "dist_m"]])
        pp = np.flatnonzero(live & found.is_poly)
        if pp.size:
            reps = shapely.point_on_surface(fp.geometry)
            ei, ri = shapely.STRtree(reps).query(eg[pp], predicate="covers")
            pairs.append(pd.DataFrame({"entry": pp[ei], "roof": fp.position[ri], "rank": 0, "dist_m": 0.0}))
        contained = np.zeros(len(eg), dtype=bool)
        for p in pairs:
            contained[p["entry"].to_numpy()] = True
        status[contained] = "contains"
        dist[contained] = 0.0
        rest = np.flatnonzero(live & ~contained)
        if rest.size:
            (ei, ri), d = tree.query_nearest(eg[rest], return_distance=True, all_matches=True)
            near = pd.DataFrame({"entry": rest[ei], "roof": fp.position[ri], "dist_m": d})
            near = near.sort_values(["entry", "dist_m", "roof"], kind="mergesort").drop_duplicates("entry")
            e, dd = near["entry"].to_numpy(), near["dist_m"].to_numpy()
            dist[e] = dd
            ok = dd <= tolerance_m
            status[e[ok]] = [f"nearest ({x:.1f} m)" for x in dd[ok]]
            status[e[~ok]] = [f"unmatched (nearest {x:.0f} m)" for x in dd[~ok]]
            pairs.append(near[ok].assign(rank=1)[["entry", "roof", "rank", "dist_m"]])
    if not pairs:
        return pd.DataFrame({"entry": [], "roof": [], "rank": [], "dist_m": []}).astype(
            {"entry": int, "roof": int, "rank": int, "dist_m": float})
    return pd.concat(pairs, ignore_index=True)


def _resolve_conflicts(pairs: pd.DataFrame, rtype: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One entry per footprint: containing beats nearest, then closer, then typed, then the lower row."""
    pairs = pairs.copy()
    pairs["untyped"] = rtype.isna().to_numpy()[pairs["entry"].to_numpy()]
    pairs = pairs.sort_values(["roof", "rank", "dist_m", "untyped", "entry"], kind="mergesort")
    winner = pairs.drop_duplicates("roof")
    pairs["winner"] = pairs["roof"].map(winner.set_index("roof")["entry"])
    return pairs, winner


def _entries_table(reg, found: _Entries, pairs, fp: _Footprints, names, rtype, basis, crs) -> gpd.GeoDataFrame:
    """One row per registry entry (:data:`ENTRY_COLUMNS`), in file order, with its geometry."""
    n = len(reg.table)
    pairs = pairs.assign(bid=fp.building_id[pairs["roof"].to_numpy()])
    ids = pairs.sort_values(["entry", "roof"]).groupby("entry")["bid"].agg(";".join)
    lost = pairs[pairs["winner"] != pairs["entry"]]
    lost_note = (("footprint " + lost["bid"] + " taken by row " + (lost["winner"] + 1).astype(str))
                 .groupby(lost["entry"]).agg("; ".join))
    entries = gpd.GeoDataFrame(
        {
            "row": np.arange(1, n + 1),
            "name": names.to_numpy(dtype=object),
            "registry_type": rtype.to_numpy(dtype=object),
            "type_basis": basis.to_numpy(dtype=object),
            "status": found.status,
            "distance_m": found.distance_m,
            "building_id": pd.Series(ids).reindex(range(n)).to_numpy(dtype=object),
            "n_footprints": pairs.groupby("entry").size().reindex(range(n), fill_value=0).to_numpy(),
            "note": pd.Series(lost_note, dtype=object).reindex(range(n)).to_numpy(dtype=object),
            "source_lon": reg.source_lon,
            "source_lat": reg.source_lat,
            "datum": reg.datum,
        },
        geometry=gpd.GeoSeries(found.geometry, crs=crs),
        crs=crs,
    )
    for c in ("name", "registry_type", "type_basis", "status", "building_id", "note", "datum"):
        entries[c] = entries[c].astype("str")
    entries["distance_m"] = entries["distance_m"].astype("Float64")
    return entries


def combine_matches(frames) -> pd.DataFrame:
    """Merge the per-footprint frames of several registries (first frame wins).

    Parameters
    ----------
    frames : sequence of pandas.DataFrame
        First values returned by :func:`match_registry` for the same
        footprints (same index), in precedence order.

    Returns
    -------
    pandas.DataFrame
        Same index and :data:`REGISTRY_COLUMNS`.  Per footprint, the first
        frame whose match carries a ``registry_type``; failing that, the
        first frame with any match (untyped); else NA.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("combine_matches() needs at least one frame")
    out = frames[0][list(REGISTRY_COLUMNS)].copy()
    for f in frames[1:]:
        if not f.index.equals(out.index):
            raise InputError("Registry matches to combine are not indexed alike.",
                             fix="Match every registry against the same footprint frame.",
                             zh="要合并的名录匹配结果索引不一致。",
                             fix_zh="请将每份名录都与同一建筑轮廓表匹配。")
        take = (out["registry_type"].isna() & f["registry_type"].notna()) | (
            out["registry_rule"].isna() & f["registry_rule"].notna())
        out.loc[take.to_numpy()] = f.loc[take.to_numpy(), list(REGISTRY_COLUMNS)].to_numpy()
    return out


# ---------------------------------------------------------------------------
# Preparing a read registry
# ---------------------------------------------------------------------------


def _rounded(lon: np.ndarray, lat: np.ndarray, step) -> np.ndarray:
    """True where both coordinates are multiples of ``step`` [°] (within ROUNDING_SLACK_DEG)."""
    if step is None:
        return np.zeros(len(lon), dtype=bool)
    with np.errstate(invalid="ignore"):
        off_lon = np.abs(lon / step - np.round(lon / step)) * step
        off_lat = np.abs(lat / step - np.round(lat / step)) * step
    return (off_lon <= ROUNDING_SLACK_DEG) & (off_lat <= ROUNDING_SLACK_DEG)


def _registry(side: SideLayer, rounded_deg) -> _Registry:
    """Attributes as text, geometry in WGS 84, rounding flags; the datum must be known."""
    path = side.path
    datum = side.datum
    frame = side.frame
    if datum is None:  # a vector layer whose lon/lat datum was not stated
        if frame.crs is not None and frame.crs.is_projected:
            datum = "wgs84"
            log.info("registry %s is in projected %s: no web-map datum applied", path, frame.crs.to_string())
        else:
            raise ConfigError(
                f"Registry {path}: the datum of its lon/lat coordinates is not declared.",
                fix="State it: wgs84 (GPS, OpenStreetMap), gcj02 (Amap/Gaode, Tencent) or bd09 (Baidu), e.g. "
                    "--registry PATH:gcj02.  The CRS label (often EPSG:4326) cannot tell.",
                zh=f"名录 {path} 未声明经纬度坐标的坐标系（datum）。",
                fix_zh="请注明：wgs84（GPS、OpenStreetMap）、gcj02（高德、腾讯）或 bd09（百度），如 --registry PATH:gcj02。坐标系标签（常为 EPSG:4326）无法区分。",
            )
    lon, lat = side.source_lon, side.source_lat
    rounded = np.isfinite(lon) & np.isfinite(lat) & _rounded(lon, lat, rounded_deg)
    geometry = np.asarray(frame.geometry.to_crs("EPSG:4326").values) if frame.crs is not None \
        else np.asarray(frame.geometry.values)
    return _Registry(side.attributes(), geometry, lon, lat, rounded, datum, side.lonlat_columns, path.name)


# ---------------------------------------------------------------------------
# Names and types
# ---------------------------------------------------------------------------


#: Chinese of the column kinds named in messages.
_KIND_ZH = {"name": "名称", "type": "类型"}


def _pick_column(table, explicit, kind, path, exclude=()):
    zh = _KIND_ZH.get(kind, kind)
    return pick_column(table.columns, explicit, load_registry_candidates()[kind],
                       source=f"Registry {path}", source_zh=f"名录 {path}", what=kind, what_zh=zh,
                       fix=f"Name the {kind} column of the file.", fix_zh=f"请指定文件中的{zh}列。", exclude=exclude)


def _pick_text(table, explicit, kind, path, exclude=()):
    col = _pick_column(table, explicit, kind, path, exclude)
    if col is None:
        return pd.Series(pd.NA, index=table.index, dtype="str", name=None)
    s = table[col].astype("str").str.strip()
    return s.mask(s == "").rename(col)


def _resolve_types(table, tcol, type_map, default_type, names, classes: ClassifyPreset, path):
    """Type and its basis per entry: type column > default_type > name rules."""
    from pvsite.buildings.classify import DEFAULT_RULE, rule_types

    types = classes.types
    valid = list(types)
    problems = []
    tmap = {str(k).strip(): str(v).strip() for k, v in (type_map or {}).items()}
    bad = sorted({v for v in tmap.values() if v not in types})
    if bad:
        problems.append(f"type_map targets {', '.join(map(repr, bad))}")
    if default_type is not None and default_type not in types:
        problems.append(f"default_type {default_type!r}")
    if problems:
        raise ConfigError(f"Registry {path}: unknown building type(s): {'; '.join(problems)}.",
                          fix=f"Use pvsite building types: {', '.join(valid)}.",
                          zh=f"名录 {path} 中有未知的建筑类型：{'；'.join(problems)}。",
                          fix_zh=f"请使用 pvsite 的建筑类型：{', '.join(valid)}。")
    n = len(table)
    rtype = pd.Series(pd.NA, index=table.index, dtype="str")
    basis = pd.Series(pd.NA, index=table.index, dtype="str")
    if tcol is not None:
        raw = table[tcol].astype("str").str.strip()
        raw = raw.mask(raw == "")
        zh = {v["name_zh"]: k for k, v in types.items()}
        got = raw.map(tmap) if tmap else pd.Series(pd.NA, index=raw.index, dtype="str")
        got = got.fillna(raw.where(raw.isin(valid))).fillna(raw.str.lower().where(raw.str.lower().isin(valid)))
        got = got.fillna(raw.map(zh)).astype("str")
        rtype = rtype.fillna(got)
        basis = basis.mask(got.notna(), f"type column {tcol}=" + raw)
        unknown = raw.notna() & got.isna()
        if unknown.any():
            counts = ", ".join(f"{k!r} ×{v}" for k, v in raw[unknown].value_counts().head(10).items())
            log.warning("registry %s: %d value(s) of column %r are not pvsite building types (%s); "
                        "pass a type_map to use them", path.name, int(unknown.sum()), tcol, counts)
    if default_type is not None:
        fill = rtype.isna()
        rtype[fill] = default_type
        basis[fill] = "default_type"
    todo = rtype.isna() & names.notna()
    if todo.any():
        cl = rule_types(pd.DataFrame({"name": names[todo].astype("str")}), classes)
        hit = (cl["class_rule"] != DEFAULT_RULE).to_numpy()
        idx = names.index[todo.to_numpy()][hit]
        rtype[idx] = cl["building_type"].to_numpy()[hit]
        basis[idx] = cl["class_rule"].to_numpy()[hit]
    if rtype.isna().any():
        log.warning("registry %s: %d of %d entries have no resolvable type; they are matched but "
                    "decide no building type", path.name, int(rtype.isna().sum()), n)
    return rtype, basis
