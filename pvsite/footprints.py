"""Read building footprints into pvsite's canonical frame.

One reader, :func:`read_footprints`, turns a GeoPackage, Shapefile, GeoJSON,
FlatGeobuf, GeoParquet or OpenStreetMap ``.osm.pbf`` file into a
GeoDataFrame with a fixed set of columns (:data:`CANONICAL_COLUMNS`).  Source
attribute names (Chinese survey names such as 名称, 用途, 层数, pinyin codes
such as JZMC, or OSM tags) are renamed to pvsite's vocabulary once, here,
through a field mapping: explicit ``fields=`` entries first, the rest
auto-detected from ``pvsite/presets/fields.toml``.

Nothing is dropped: a feature whose geometry cannot be used keeps its row and
gets a ``reject_reason``; an invalid polygon that could be repaired gets a
``geometry_note``.  (The one exception is OSM input, where only multipolygons
carrying a ``building`` tag are footprints at all.)

Missing values are pandas NA (``str`` / ``Int64`` / ``Float64`` dtypes).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import tomllib
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from pvsite.errors import ConfigError, InputError

log = logging.getLogger(__name__)

FIELDS_PRESET = Path(__file__).resolve().parent / "presets" / "fields.toml"

#: pvsite fields that can be mapped from a source column.
PVSITE_FIELDS = ("building_id", "name", "use", "storeys", "height_m", "year_built", "roof_type", "street")

#: Columns of every frame returned by :func:`read_footprints` (then OSM extras, then ``geometry``).
CANONICAL_COLUMNS = (
    "building_id", "source_row", "name", "use", "storeys", "height_m", "year_built",
    "roof_type", "street", "reject_reason", "geometry_note",
)

#: Extra columns present only for OSM input (lower-case tag values), used by classification.
OSM_COLUMNS = ("osm_building", "osm_amenity", "osm_office", "osm_shop", "osm_landuse")

#: OSM tags taken from the GDAL ``other_tags`` hstore string when not a column of their own.
OSM_TAGS = ("building:levels", "height", "roof:shape", "start_date", "amenity", "office", "shop", "landuse")

ROOF_TYPES = ("flat", "pitched", "metal", "unknown")

# suffix -> (GDAL driver, human format name)
_FORMATS = {
    ".gpkg": ("GPKG", "GeoPackage"),
    ".shp": ("ESRI Shapefile", "Shapefile"),
    ".geojson": ("GeoJSON", "GeoJSON"),
    ".json": ("GeoJSON", "GeoJSON"),
    ".fgb": ("FlatGeobuf", "FlatGeobuf"),
    ".parquet": (None, "GeoParquet"),
    ".geoparquet": (None, "GeoParquet"),
    ".osm.pbf": ("OSM", "OpenStreetMap PBF"),
    ".osm": ("OSM", "OpenStreetMap XML"),
}

_POLYGON = 3
_MULTIPOLYGON = 6
_COLLECTION = 7
_TYPE_NAMES = {
    0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
    5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection",
}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def read_footprints(path, *, layer=None, encoding=None, crs=None, fields=None, engine="pyogrio"):
    """Read building footprints and map their attributes to pvsite fields.

    Parameters
    ----------
    path : str or Path
        Footprint file: ``.gpkg``, ``.shp``, ``.geojson``/``.json``, ``.fgb``,
        ``.parquet`` (GeoParquet) or ``.osm.pbf``/``.osm``.
    layer : str, optional
        Layer of a multi-layer source.  Default: the only polygon layer, else
        ``buildings``, else the only layer; otherwise an error lists the layers.
    encoding : str, optional
        Attribute encoding of a Shapefile without ``.cpg`` (e.g. ``'gbk'``).
        Without either, UTF-8 is tried and GBK used when UTF-8 fails to decode.
    crs : str, optional
        CRS to assume when the source declares none, e.g. ``'EPSG:4490'``
        (CGCS2000 lon/lat [°]) or ``'EPSG:4549'`` (CGCS2000 / 3-degree
        Gauss-Kruger CM 120E [m]).  A CRS declared by the file wins.
    fields : dict, optional
        pvsite field → source column, for any of :data:`PVSITE_FIELDS`.
        A field mapped to ``''`` or ``None`` is left empty (no auto-detection).
        Unmapped fields are auto-detected (case-insensitive) from
        ``presets/fields.toml``.
    engine : {'pyogrio', 'fiona'}
        I/O engine (pyogrio reads through Arrow).  GeoParquet always uses
        :func:`geopandas.read_parquet`.

    Returns
    -------
    gdf : geopandas.GeoDataFrame
        Columns :data:`CANONICAL_COLUMNS` (``storeys`` [-] Int64, ``height_m``
        [m] Float64, ``year_built`` [year] Int64), for OSM input also
        :data:`OSM_COLUMNS`, then ``geometry`` in the source CRS.  One row per
        source feature (OSM: per multipolygon with a ``building`` tag other
        than ``no``), in source order, RangeIndex.  ``source_row`` is the
        0-based position in the source layer (OSM: in GDAL's
        ``multipolygons`` layer).  Rows whose geometry cannot be used keep
        their source geometry (or None) and say why in ``reject_reason``;
        downstream stages use ``reject_reason.isna()`` rows only.
    meta : dict
        ``path, layer, driver, format, crs, n_features, n_source_features,
        n_rejected, n_repaired, sha256, encoding, encoding_basis,
        field_mapping, unmapped_source_columns, warnings``.

    Raises
    ------
    InputError
        Missing/unknown file, unknown layer, no CRS, coordinates not lon/lat
        under a geographic CRS, mapped column missing, undecodable text.
    ConfigError
        Unknown pvsite field in ``fields``, unknown ``engine`` or bad ``crs``.
    """
    path = Path(path)
    if engine not in ("pyogrio", "fiona"):
        raise ConfigError(f"Unknown I/O engine {engine!r}.", fix="Use engine='pyogrio' (default) or 'fiona'.")
    if not path.exists():
        raise InputError(f"Footprint file {path} does not exist.", fix="Check the path (--footprints).")
    suffix, driver, fmt = _detect_format(path)
    warn: list[str] = []
    meta = {
        "path": str(path), "layer": None, "driver": driver, "format": fmt, "crs": None,
        "n_features": 0, "n_source_features": 0, "n_rejected": 0, "n_repaired": 0,
        "sha256": _sha256(_hashed_files(path, suffix)), "encoding": None, "encoding_basis": None,
        "field_mapping": {}, "unmapped_source_columns": [], "warnings": warn,
    }

    invalid_wkb = None
    if fmt == "GeoParquet":
        if layer is not None:
            warn.append(f"layer={layer!r} ignored: GeoParquet has a single table")
        try:
            raw = gpd.read_parquet(path)
        except Exception as exc:  # pyarrow / geopandas raise several types
            raise InputError(f"Cannot read {path} as GeoParquet: {exc}.",
                             fix="Write it with GeoDataFrame.to_parquet() (GeoParquet metadata required).") from None
        source_row = np.arange(len(raw))
    elif driver == "OSM":
        if layer not in (None, "multipolygons"):
            warn.append(f"layer={layer!r} ignored: building footprints are read from the OSM 'multipolygons' layer")
        meta["layer"] = "multipolygons"
        raw, source_row, invalid_wkb, n_src = _read_osm(path, engine, warn)
        meta["n_source_features"] = n_src
    else:
        meta["layer"] = _pick_layer(path, layer)
        enc = None
        if driver == "ESRI Shapefile":
            enc, meta["encoding"], meta["encoding_basis"] = _shapefile_encoding(path, encoding, warn)
        elif encoding is not None:
            warn.append(f"encoding={encoding!r} ignored: {fmt} text is always UTF-8")
        raw, used = _read_ogr(path, meta["layer"], enc, engine, warn)
        if driver == "ESRI Shapefile" and enc == "auto":
            meta["encoding"] = used
            meta["encoding_basis"] = "UTF-8 decoded" if used == "UTF-8" else "UTF-8 failed to decode; fell back to GBK"
            if used != "UTF-8":
                warn.append(f"{path.name}: no .cpg and text is not UTF-8; decoded as GBK (pass --encoding to choose)")
        source_row = np.arange(len(raw))
        if engine == "pyogrio":
            invalid_wkb = _diagnose_null_geometry(path, meta["layer"], raw)
    if not meta["n_source_features"]:
        meta["n_source_features"] = int(len(raw))

    raw = _ensure_crs(raw, path, crs, warn)
    meta["crs"] = raw.crs.to_string()

    mapping = _resolve_mapping([c for c in raw.columns if c != raw.geometry.name], fields, path)
    meta["field_mapping"] = mapping
    used_cols = {c for c in mapping.values() if c is not None}
    hidden = {"osm_way_id", *(c.removeprefix("osm_") for c in OSM_COLUMNS)} if driver == "OSM" else set()
    meta["unmapped_source_columns"] = [
        c for c in raw.columns if c != raw.geometry.name and c not in used_cols and c not in hidden
    ]

    gdf = _canonical_frame(raw, source_row, mapping, path.name.split(".")[0], invalid_wkb, warn)
    if driver == "OSM":
        for col in OSM_COLUMNS:
            gdf.insert(len(gdf.columns) - 1, col, _lower_text(raw[col.removeprefix("osm_")]).to_numpy())
    meta["n_features"] = int(len(gdf))
    meta["n_rejected"] = int(gdf["reject_reason"].notna().sum())
    meta["n_repaired"] = int(gdf["geometry_note"].notna().sum())
    log.info("read %d footprints from %s (%d rejected, %d repaired)",
             meta["n_features"], path, meta["n_rejected"], meta["n_repaired"])
    return gdf, meta


def load_field_candidates() -> dict:
    """Candidate source column names per pvsite field (``presets/fields.toml``)."""
    return dict(_fields_preset()["candidates"])


def load_registry_candidates() -> dict:
    """Candidate column names of institution registries (``[registry]`` of ``presets/fields.toml``).

    Returns
    -------
    dict
        ``lonlat`` (list of [lon column, lat column] pairs), ``name`` and
        ``type`` (lists of column names), in preference order.
    """
    reg = _fields_preset().get("registry", {})
    return {"lonlat": [list(p) for p in reg.get("lonlat", [])],
            "name": list(reg.get("name", [])), "type": list(reg.get("type", []))}


#: Chinese labels of the pvsite fields (terminal reports; units in brackets).
FIELD_LABELS_ZH = {
    "building_id": "编号", "name": "名称", "use": "用途", "storeys": "层数", "height_m": "高度 [m]",
    "year_built": "建成年份", "roof_type": "屋顶类型", "street": "街道",
}

#: Shown for a pvsite field that no source column feeds.
NOT_MAPPED = "—"


def format_field_report(meta: dict, compact: bool = False, max_warnings: int = 20) -> str:
    """Printable field-mapping report of a :func:`read_footprints` call.

    Parameters
    ----------
    meta : dict
        Second value returned by :func:`read_footprints`.
    compact : bool
        One line (mapping, unmapped columns, warning count) instead of the
        full table.
    max_warnings : int
        Warnings listed in full [-]; the rest are counted.

    Returns
    -------
    str
        Lines with Chinese + English labels (no trailing newline): pvsite
        field → source column (:data:`NOT_MAPPED` when none), the source
        columns not used, features read / rejected / repaired, the encoding
        when known, and the warnings.
    """
    mapping = meta.get("field_mapping") or {}
    unmapped = list(meta.get("unmapped_source_columns") or [])
    warns = list(meta.get("warnings") or [])
    fields = [f for f in PVSITE_FIELDS if f in mapping] or list(PVSITE_FIELDS)

    def src(f):
        c = mapping.get(f)
        return NOT_MAPPED if c is None else str(c)

    if compact:
        parts = ["字段映射 fields: " + ", ".join(f"{f}←{src(f)}" for f in fields)]
        parts.append("未映射 unmapped: " + (", ".join(map(str, unmapped)) if unmapped else NOT_MAPPED))
        if warns:
            parts.append(f"警告 warnings: {len(warns)}")
        return " | ".join(parts)

    where = ", ".join(str(x) for x in (
        f"layer {meta['layer']}" if meta.get("layer") else None, meta.get("format"), meta.get("crs")) if x)
    name = Path(str(meta["path"])).name if meta.get("path") else "?"
    lines = [f"字段映射 Field mapping — {name}" + (f" ({where})" if where else "")]
    rows = [["pvsite 字段 field", "源字段 source column"]]
    rows += [[f"{f} {FIELD_LABELS_ZH.get(f, '')}".strip(), src(f)] for f in fields]
    widths = [max(_display_width(r[i]) for r in rows) for i in range(2)]
    lines += ["  " + _pad(a, widths[0]) + "  " + b for a, b in rows]
    lines.append("未映射源字段 Unmapped source columns: " + (", ".join(map(str, unmapped)) if unmapped else NOT_MAPPED))
    if "n_features" in meta:
        counts = (f"要素 Features: {meta.get('n_features', 0)} 读入 read, {meta.get('n_rejected', 0)} 拒绝 rejected, "
                  f"{meta.get('n_repaired', 0)} 修复 repaired")
        if meta.get("n_source_features") and meta["n_source_features"] != meta["n_features"]:
            counts += f" (of {meta['n_source_features']} source features)"
        lines.append(counts)
    if meta.get("encoding"):
        basis = f" ({meta['encoding_basis']})" if meta.get("encoding_basis") else ""
        lines.append(f"编码 Encoding: {meta['encoding']}{basis}")
    lines.append(f"警告 Warnings: {len(warns)}" if warns else f"警告 Warnings: {NOT_MAPPED}")
    for w in warns[:max_warnings]:
        lines.append(f"  - {w}")
    if len(warns) > max_warnings:
        lines.append(f"  … {len(warns) - max_warnings} more")
    return "\n".join(lines)


def _display_width(text: str) -> int:
    """Display width in terminal cells (CJK wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _pad(text: str, width: int) -> str:
    return str(text) + " " * max(width - _display_width(text), 0)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fields_preset() -> dict:
    return tomllib.loads(FIELDS_PRESET.read_text(encoding="utf-8"))


def _detect_format(path: Path):
    name = path.name.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return (suffix, *_FORMATS[suffix])
    raise InputError(
        f"Footprint file {path} has an unsupported format (suffix {path.suffix!r}).",
        fix="Use a GeoPackage (.gpkg), Shapefile (.shp), GeoJSON (.geojson), FlatGeobuf (.fgb), "
            "GeoParquet (.parquet) or OpenStreetMap (.osm.pbf) file.",
    )


def _hashed_files(path: Path, suffix: str) -> list[Path]:
    if suffix != ".shp":
        return [path]
    files = []
    for ext in (".shp", ".dbf", ".prj", ".cpg"):
        for cand in (path.with_suffix(ext), path.with_suffix(ext.upper())):
            if cand.is_file():
                files.append(cand)
                break
    return files


def _sha256(files) -> str:
    h = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _pick_layer(path: Path, layer):
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise InputError(f"Cannot open {path}: {exc}.", fix="Check that the file is a valid vector dataset.") from None
    names = [str(n) for n, _ in layers]
    listing = ", ".join(f"{n} ({t})" for n, t in layers)
    if layer is not None:
        if layer not in names:
            raise InputError(f"{path} has no layer {layer!r}. Layers: {listing}.", fix="Pass --layer with one of these.")
        return layer
    polygon = [str(n) for n, t in layers if t is not None and "POLYGON" in str(t).upper()]
    if len(polygon) == 1:
        return polygon[0]
    if "buildings" in names:
        return "buildings"
    if len(names) == 1:
        return names[0]
    raise InputError(
        f"{path} has several layers and pvsite cannot tell which holds the buildings. Layers: {listing}.",
        fix="Pass --layer NAME (or [input] layer = \"NAME\").",
    )


def _shapefile_encoding(path: Path, encoding, warn):
    """Return (encoding to read with, encoding reported, basis)."""
    cpg = next((c for c in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if c.is_file()), None)
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        if encoding is not None and encoding.lower() != declared.lower():
            warn.append(f"encoding={encoding!r} ignored: {cpg.name} declares {declared!r}")
        return None, declared, ".cpg"
    if encoding is not None:
        return encoding, encoding, "argument"
    return "auto", None, None


def _read_ogr(path: Path, layer, enc, engine, warn):
    """Read one OGR layer; ``enc='auto'`` tries UTF-8 then GBK."""
    tries = ["UTF-8", "GBK"] if enc == "auto" else [enc]
    for i, e in enumerate(tries):
        try:
            return _read_layer(path, layer, e, engine, warn), e
        except UnicodeDecodeError as exc:
            if i == len(tries) - 1:
                declared = " or ".join(tries) if enc == "auto" else (enc or "the encoding its .cpg declares")
                raise InputError(
                    f"Text attributes or field names of {path} cannot be decoded as {declared} ({exc}).",
                    fix="Pass --encoding (e.g. gb18030, big5) or correct the .cpg file.  Note that a DBF field "
                        "name holds at most 10 bytes, so UTF-8 Chinese field names longer than 3 characters "
                        "are cut mid-character by many writers: rename those fields or use a GeoPackage.",
                ) from None
        except Exception as exc:
            raise InputError(f"Cannot read layer {layer!r} of {path}: {exc}.") from None
    raise AssertionError("unreachable")


def _read_layer(path, layer, encoding, engine, warn, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if engine == "pyogrio":
            try:
                df = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=True,
                                            on_invalid="fix", **kw)
            except pyogrio.errors.DataSourceError as exc:
                if "use_arrow=False" not in str(exc):
                    raise
                # GDAL cannot hand non-UTF-8 text to Arrow: read through pyogrio's own decoder instead
                df = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=False,
                                            on_invalid="fix", **kw)
        else:
            df = gpd.read_file(path, layer=layer, encoding=encoding, engine="fiona", **kw)
    for msg in dict.fromkeys(str(w.message) for w in caught):
        warn.append(f"GDAL/{engine}: {msg}")
    return df


def _diagnose_null_geometry(path, layer, raw):
    """Return {row: reason} for rows whose WKB exists but could not be decoded."""
    missing = np.flatnonzero(shapely.is_missing(np.asarray(raw.geometry.values)))
    if missing.size == 0:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same GDAL warnings were recorded by the first read
        _, _, wkb, _ = pyogrio.raw.read(path, layer=layer, columns=[])
    out = {}
    for i in missing:  # only the few rows that failed to decode
        if wkb[i] is None:
            continue
        try:
            shapely.from_wkb(wkb[i])
            out[int(i)] = "unreadable geometry"
        except Exception as exc:
            out[int(i)] = f"unreadable geometry ({str(exc).split(': ', 1)[-1]})"
    return out


def _read_osm(path: Path, engine, warn):
    """Read the OSM ``multipolygons`` layer, keep rows with a ``building`` tag."""
    if engine != "pyogrio":
        warn.append("engine='fiona' cannot read OSM files (no OSM driver in fiona); read with pyogrio")
    df = _read_layer(path, "multipolygons", None, "pyogrio", warn)
    n_src = len(df)
    invalid = _diagnose_null_geometry(path, "multipolygons", df)
    tags = df["other_tags"] if "other_tags" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    for key in OSM_TAGS:
        if key not in df.columns:
            df[key] = _hstore_get(tags, key)
    building = _lower_text(df["building"]) if "building" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    keep = (building.notna() & (building != "no")).to_numpy()
    n_no = int((building == "no").sum())
    if n_no:
        warn.append(f"{n_no} multipolygon(s) tagged building=no were skipped")
    source_row = np.flatnonzero(keep)
    df = df.loc[keep].reset_index(drop=True)
    # Stable OSM ids: way/<id> for closed ways, relation/<id> for multipolygon relations.
    way = _text(df["osm_way_id"]) if "osm_way_id" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    rel = _text(df["osm_id"]) if "osm_id" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    df["osm_id"] = ("way/" + way).fillna("relation/" + rel)
    df["building"] = building.loc[keep].to_numpy()
    invalid = {int(np.searchsorted(source_row, k)): v for k, v in invalid.items() if keep[k]}
    return df, source_row, invalid, n_src


def _hstore_get(tags: pd.Series, key: str) -> pd.Series:
    """Value of ``key`` in GDAL's ``other_tags`` hstore strings (``"k"=>"v",...``), vectorised."""
    pattern = r'(?:^|,)"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    val = tags.astype("str").str.extract(pattern, expand=False)
    return val.str.replace(r'\\(.)', r"\1", regex=True)


def _ensure_crs(raw, path: Path, crs, warn):
    user = None
    if crs is not None:
        try:
            user = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise ConfigError(f"--crs {crs!r} is not a CRS pyproj understands: {exc}.",
                              fix="Use an EPSG code such as EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84).") from None
    bounds = _bounds(raw)
    if raw.crs is None:
        if user is None:
            looks = ("they look like lon/lat, e.g. --crs EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84)"
                     if bounds is not None and _within_lonlat(bounds)
                     else "e.g. --crs EPSG:4490 for CGCS2000 lon/lat, or a projected CRS such as EPSG:4549 "
                          "(CGCS2000 / 3-degree Gauss-Kruger CM 120E) for metres")
            raise InputError(
                f"{path} declares no coordinate reference system (CRS), so its coordinates cannot be placed.",
                fix=f"Pass --crs with the CRS the coordinates are in ({looks}), or add a .prj / CRS to the file.",
            )
        raw = raw.set_crs(user)
    elif user is not None and not user.equals(raw.crs):
        warn.append(f"crs={crs!r} ignored: {path.name} declares {raw.crs.to_string()}")
    if raw.crs.is_geographic and bounds is not None and not _within_lonlat(bounds):
        raise InputError(
            f"{path}: CRS {raw.crs.to_string()} is geographic (lon/lat in degrees) but the coordinates reach "
            f"x {bounds[0]:.6g}..{bounds[2]:.6g}, y {bounds[1]:.6g}..{bounds[3]:.6g}, which are not lon/lat.",
            fix="These are projected coordinates: pass their projected CRS, e.g. EPSG:4549 (CGCS2000 / 3-degree "
                "Gauss-Kruger CM 120E) or EPSG:4528 when x carries the zone prefix 40 (x ≈ 40 500 000), "
                "and fix the file's .prj.",
        )
    return raw


def _bounds(raw):
    geoms = np.asarray(raw.geometry.values)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not ok.any():
        return None
    b = shapely.bounds(geoms[ok])
    return (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))


def _within_lonlat(b) -> bool:
    return -180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90


# ---------------------------------------------------------------------------
# Field mapping and attribute parsing
# ---------------------------------------------------------------------------


def _resolve_mapping(columns, fields, path: Path) -> dict:
    fields = dict(fields or {})
    unknown = [f for f in fields if f not in PVSITE_FIELDS]
    if unknown:
        hints = [f"{u!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(u, PVSITE_FIELDS, 1)) else repr(u)
                 for u in unknown]
        raise ConfigError(f"Unknown pvsite field(s) in the field mapping: {', '.join(hints)}.",
                          fix=f"Map only: {', '.join(PVSITE_FIELDS)}.")
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
        )
    candidates = load_field_candidates()
    for f in PVSITE_FIELDS:
        if f in mapping:
            continue
        mapping[f] = None
        for cand in candidates.get(f, []):
            col = lower.get(cand.strip().lower())
            if col is not None and col not in used:
                mapping[f] = col
                used.add(col)
                break
    return {f: mapping[f] for f in PVSITE_FIELDS}


def _text(s: pd.Series) -> pd.Series:
    """Text with NA for missing/blank; integral floats print without '.0'."""
    if pd.api.types.is_float_dtype(s):
        v = s.astype("Float64")
        if bool(((v % 1) == 0).fillna(True).all()):
            s = v.astype("Int64")
    elif pd.api.types.is_bool_dtype(s):
        s = s.astype(object)
    out = s.astype("str").str.strip()
    return out.mask(out.isin(["", "nan", "None", "<NA>", "NaN"]))


def _lower_text(s: pd.Series) -> pd.Series:
    return _text(s).str.lower()


_NUMBER = r"(-?\d+(?:\.\d+)?)"


def _number(s: pd.Series) -> pd.Series:
    """First number in each value (``'12 m'`` → 12.0, ``'5层'`` → 5.0) as Float64."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("Float64")
    return pd.to_numeric(_text(s).str.extract(_NUMBER, expand=False), errors="coerce").astype("Float64")


def _storeys(s: pd.Series, warn, col) -> pd.Series:
    x = _number(s)
    bad = x.notna() & (x <= 0)
    if bad.any():
        warn.append(f"storeys: {int(bad.sum())} value(s) ≤ 0 in '{col}' treated as unknown")
    x = x.mask(bad)
    frac = x.notna() & ((x % 1) != 0)
    if frac.any():
        warn.append(f"storeys: {int(frac.sum())} non-integer value(s) in '{col}' rounded half up")
    return np.floor(x + 0.5).astype("Int64")


def _height(s: pd.Series, warn, col) -> pd.Series:
    x = _number(s)
    if not pd.api.types.is_numeric_dtype(s):
        feet = _text(s).str.contains(r"(?:ft|feet|')\s*$", regex=True, na=False).to_numpy()
        x = x.where(~feet, x * 0.3048)  # international foot [m]
    bad = x.notna() & (x <= 0)
    if bad.any():
        warn.append(f"height_m: {int(bad.sum())} value(s) ≤ 0 in '{col}' treated as unknown")
    return x.mask(bad).astype("Float64")


# A four-digit year 1500–2099, optionally followed by month (and day) digits: '2019', '2019-05', '201905',
# '20190501', '2019.0', 'c. 1990', '1990s', '2019年'.
_YEAR = r"(?<!\d)(1[5-9]\d\d|20\d\d)(?:(?!\d)|(?=(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])?(?!\d)))"


def _year(s: pd.Series, warn, col) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.year.astype("Int64")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.astype("Float64")
        ok = ((x >= 1500) & (x < 2100) & ((x % 1) == 0)).fillna(False)
        bad = x.notna() & ~ok
        if bad.any():
            warn.append(f"year_built: {int(bad.sum())} value(s) in '{col}' are not years 1500–2099, treated as unknown")
        return x.where(ok).astype("Int64")
    t = _text(s)
    y = pd.to_numeric(t.str.extract(_YEAR, expand=False), errors="coerce").astype("Int64")
    bad = t.notna() & y.isna()
    if bad.any():
        sample = ", ".join(repr(v) for v in t[bad].unique()[:5])
        warn.append(f"year_built: {int(bad.sum())} value(s) in '{col}' without a year, treated as unknown ({sample})")
    return y


def _roof_type(s: pd.Series, warn, col) -> pd.Series:
    vocab = _fields_preset()["roof_type"]
    t = _lower_text(s).str.replace(r"\s+", " ", regex=True)
    out = pd.Series(pd.NA, index=s.index, dtype="str")
    exact = {v.lower(): k for k in ("metal", "flat", "pitched") for v in vocab[k]}
    out = out.fillna(t.map(exact))
    for kind in ("metal", "flat", "pitched"):
        for kw in vocab[kind]:
            hit = out.isna() & t.str.contains(kw.lower(), regex=False, na=False)
            out = out.mask(hit, kind)
    unmatched = t.notna() & out.isna()
    if unmatched.any():
        sample = ", ".join(repr(v) for v in t[unmatched].unique()[:10])
        warn.append(f"roof_type: {int(unmatched.sum())} value(s) in '{col}' not recognised, set to 'unknown' ({sample})")
    return out.fillna("unknown")


def _building_ids(s, source_row, stem, warn, col) -> pd.Series:
    generated = stem + "-" + pd.Series(source_row).astype("str")
    if s is None:
        return generated
    ids = _text(s).reset_index(drop=True)
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


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------


def _polygonal_parts(geoms: np.ndarray):
    """Keep only the Polygon parts of each geometry, as MultiPolygons; None where nothing is left."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    while True:
        tid = shapely.get_type_id(parts)
        multi = np.isin(tid, (4, 5, 6, 7))
        if not multi.any():
            break
        sub, sidx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        idx = np.concatenate([idx[~multi], idx[multi][sidx]])
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    parts, idx = parts[keep], idx[keep]
    order = np.argsort(idx, kind="stable")
    out = np.full(len(geoms), None, dtype=object)
    if parts.size:
        shapely.multipolygons(parts[order], indices=idx[order], out=out)
    return out


def _clean_geometry(geoms: np.ndarray, invalid_wkb: dict | None, warn):
    """Return (geometry, reject_reason, geometry_note) arrays; vectorised over features."""
    g = np.array(geoms, dtype=object)
    n = len(g)
    reason = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)
    missing = shapely.is_missing(g)
    reason[missing] = "no geometry"
    for i, why in (invalid_wkb or {}).items():
        reason[i] = why
    present = ~missing
    zm = present & (shapely.has_z(g) | shapely.has_m(g))
    if zm.any():
        g[zm] = shapely.force_2d(g[zm])
        warn.append(f"{int(zm.sum())} feature(s) had Z/M coordinates; dropped (footprints are 2-D)")
    empty = present & shapely.is_empty(g)
    reason[empty] = "empty geometry"
    tid = shapely.get_type_id(g)
    live = present & ~empty
    coll = live & (tid == _COLLECTION)
    if coll.any():
        fixed = _polygonal_parts(g[coll])
        idx = np.flatnonzero(coll)
        got = ~shapely.is_missing(fixed)
        g[idx[got]] = fixed[got]
        note[idx[got]] = "kept the polygonal parts of a GeometryCollection"
        reason[idx[~got]] = "not a polygon (GeometryCollection without polygons)"
        tid[idx[got]] = _MULTIPOLYGON
    other = live & ~np.isin(tid, (_POLYGON, _MULTIPOLYGON)) & ~coll
    if other.any():
        names = np.array([_TYPE_NAMES.get(t, "unknown type") for t in range(8)] + ["unknown type"], dtype=object)
        reason[other] = "not a polygon (" + names[np.clip(tid[other], 0, 8)] + ")"
    poly = live & np.isin(tid, (_POLYGON, _MULTIPOLYGON))
    bad = np.flatnonzero(poly & ~shapely.is_valid(g))
    if bad.size:
        why = np.array([r.split("[")[0].strip() for r in shapely.is_valid_reason(g[bad])], dtype=object)
        fixed = _polygonal_parts(shapely.make_valid(g[bad]))
        got = ~shapely.is_missing(fixed)
        g[bad[got]] = fixed[got]
        note[bad[got]] = "repaired invalid geometry (" + why[got] + ")"
        reason[bad[~got]] = "invalid geometry with no polygonal area left after repair (" + why[~got] + ")"
    return g, reason, note


def _canonical_frame(raw, source_row, mapping, stem, invalid_wkb, warn) -> gpd.GeoDataFrame:
    n = len(raw)

    def col(field):
        c = mapping[field]
        return None if c is None else raw[c].reset_index(drop=True)

    def text(field):
        s = col(field)
        return pd.Series(pd.NA, index=range(n), dtype="str") if s is None else _text(s)

    na_int = pd.Series(pd.NA, index=range(n), dtype="Int64")
    geom, reason, note = _clean_geometry(np.asarray(raw.geometry.values), invalid_wkb, warn)
    data = {
        "building_id": _building_ids(col("building_id"), source_row, stem, warn, mapping["building_id"]),
        "source_row": pd.Series(source_row, dtype="int64"),
        "name": text("name"),
        "use": text("use"),
        "storeys": na_int if col("storeys") is None else _storeys(col("storeys"), warn, mapping["storeys"]),
        "height_m": (pd.Series(pd.NA, index=range(n), dtype="Float64") if col("height_m") is None
                     else _height(col("height_m"), warn, mapping["height_m"])),
        "year_built": na_int if col("year_built") is None else _year(col("year_built"), warn, mapping["year_built"]),
        "roof_type": (pd.Series("unknown", index=range(n), dtype="str") if col("roof_type") is None
                      else _roof_type(col("roof_type"), warn, mapping["roof_type"])),
        "street": text("street"),
        "reject_reason": pd.Series(reason, dtype="str"),
        "geometry_note": pd.Series(note, dtype="str"),
    }
    frame = pd.DataFrame({k: v.reset_index(drop=True) for k, v in data.items()})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geom, crs=raw.crs), crs=raw.crs)
