"""Read building footprints into pvsite's canonical frame.

One reader, :func:`read_footprints`, turns a GeoPackage, Shapefile, GeoJSON,
FlatGeobuf, GeoParquet, Esri File Geodatabase (``.gdb`` folder), KML/KMZ,
zipped dataset (``.zip`` or a ``/vsizip/`` path), DXF, CSV with a WKT column or
OpenStreetMap ``.osm.pbf`` file into a GeoDataFrame with a fixed set of
columns (:data:`CANONICAL_COLUMNS`).  Source attribute names (Chinese survey
names such as 名称, 用途, 层数, pinyin codes such as JZMC, or OSM tags) are
renamed to pvsite's vocabulary once, here, through a field mapping: explicit
``fields=`` entries first, the rest auto-detected from
``pvsite/presets/fields.toml``.

OSM tags are read the same way whatever the format (:func:`osm_tags`): plain
columns named like OSM keys (``building``, ``amenity``, ``building:levels`` or
``building_levels`` ...; QuickOSM, overpass-turbo, osmnx exports), Geofabrik's
``fclass``/``type`` columns, and a ``tags``/``other_tags`` column holding JSON
or GDAL's hstore text all feed the canonical :data:`OSM_COLUMNS`.

Nothing is dropped: a feature whose geometry cannot be used keeps its row and
gets a ``reject_reason``; an invalid polygon that could be repaired gets a
``geometry_note``.  (The exceptions: OSM ``.osm.pbf`` input, where only
multipolygons carrying a ``building`` tag are footprints at all, and DXF, where
only closed polylines and polygonal entities (HATCH, closed LWPOLYLINE/POLYLINE)
are footprints; lines, text and blocks are drawing, counted in the warnings.)

Missing values are pandas NA (``str`` / ``Int64`` / ``Float64`` dtypes).
"""

from __future__ import annotations

import json
import logging
import re
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from pvsite.errors import ConfigError, InputError
from pvsite.geo import crs as crs_mod
from pvsite.io.checksums import sha256_of
from pvsite.io.encodings import (
    AUTO_ENCODINGS,
    RAW_CODEC,
    check_codec,
    cpg_codec,
    decode_frame,
    dxf_encoding,
    shapefile_encoding,
)
from pvsite.io.fields import (
    PVSITE_FIELDS,
    building_ids,
    clean_lower_text,
    clean_text,
    parse_height_m,
    parse_build_status,
    parse_owner_type,
    parse_roof_type,
    parse_storeys,
    parse_year,
    resolve_mapping,
)

log = logging.getLogger(__name__)

#: Columns of every frame returned by :func:`read_footprints` (then OSM extras, then ``geometry``).
CANONICAL_COLUMNS = (
    "building_id", "source_row", "name", "use", "storeys", "height_m", "year_built",
    "roof_type", "street", "owner_type", "build_status", "reject_reason", "geometry_note",
)

#: OSM keys that feed the ``[[rules.osm]]`` classification family → canonical column (lower-case
#: tag values).  Keys as documented on https://wiki.openstreetmap.org/wiki/Map_features.
OSM_RULE_TAGS = {
    "building": "osm_building", "building:use": "osm_building_use", "amenity": "osm_amenity",
    "office": "osm_office", "shop": "osm_shop", "healthcare": "osm_healthcare",
    "government": "osm_government", "landuse": "osm_landuse", "man_made": "osm_man_made",
}

#: Extra columns present for input carrying OSM tags (any format), used by classification.
OSM_COLUMNS = tuple(OSM_RULE_TAGS.values())

#: OSM keys that feed pvsite fields through the field mapping (``presets/fields.toml`` candidates):
#: taken from a ``tags``/``other_tags`` column when not a column of their own.
OSM_FIELD_TAGS = ("name", "name:zh", "building:levels", "height", "roof:shape", "start_date")

#: Every OSM key :func:`osm_tags` reads.
OSM_TAGS = (*OSM_RULE_TAGS, *OSM_FIELD_TAGS)

#: Columns holding several tags as one text: GDAL's OSM driver writes hstore (``"k"=>"v",...``) into
#: ``other_tags``; overpass-turbo / osmtogeojson / ogr2ogr exports write a JSON object into ``tags``.
OSM_TAG_BAGS = ("other_tags", "tags")

#: Which columns of the canonical frame each classification rule family reads
#: (:mod:`pvsite.buildings.classify`); the field report says what fed them.
RULE_FAMILY_INPUTS = {"use": ("use",), "use_code": ("use",), "osm": OSM_COLUMNS, "name": ("name",)}

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
    ".gdb": ("OpenFileGDB", "Esri File Geodatabase"),
    ".kml": ("LIBKML", "KML"),
    ".kmz": ("LIBKML", "KMZ (zipped KML)"),
    ".zip": (None, "zip archive"),
    ".dxf": ("DXF", "AutoCAD DXF"),
    ".csv": ("CSV", "CSV with a WKT geometry column"),
}

#: Column names GDAL's CSV driver takes the geometry from (WKT text), case-insensitive.
CSV_GEOMETRY_COLUMNS = ("WKT", "geometry", "geom", "the_geom", "wkt_geom", "shape", "几何")

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
        ``.parquet`` (GeoParquet), ``.gdb`` (Esri File Geodatabase folder),
        ``.kml``/``.kmz``, ``.zip`` (a zipped Shapefile or other dataset) or a
        GDAL ``/vsizip/archive.zip[/member.shp]`` path, ``.dxf`` (closed
        polylines and hatches; no CRS in the file, give ``crs``), ``.csv`` with
        a WKT geometry column (:data:`CSV_GEOMETRY_COLUMNS`; give ``crs``) or
        ``.osm.pbf``/``.osm``.
    layer : str, optional
        Layer of a multi-layer source (must have geometry).  Default: the
        only layer with geometry, else ``buildings``, else the only polygon
        or generic-typed (mixed types: 'Unknown') layer not named as a
        non-building layer (:data:`NON_BUILDING_LAYERS`: streets, district,
        sample_info, roofs, ...); otherwise an error lists the layers.
        KML/KMZ: every folder is read (GDAL's LIBKML driver makes each
        ``<Folder>`` a layer) unless ``layer`` names one.
    encoding : str, optional
        Attribute encoding of a Shapefile (e.g. ``'gbk'``); overrides its
        ``.cpg`` (with a warning).  Without either, UTF-8 is tried and GBK
        used when UTF-8 fails to decode.  Text is decoded strictly: a byte
        sequence invalid in the encoding is an error, never dropped.  For a
        DXF it overrides the drawing's ``$DWGCODEPAGE``
        (:func:`pvsite.io.encodings.dxf_encoding`); for a CSV it is the
        file's encoding.
    crs : str, optional
        CRS to assume when the source declares none, e.g. ``'EPSG:4490'``
        (CGCS2000 lon/lat [°]) or ``'EPSG:4549'`` (CGCS2000 / 3-degree
        Gauss-Kruger CM 120E [m]).  A CRS declared by the file wins, unless
        the coordinates do not fit it (:func:`pvsite.geo.crs.check_lonlat_plausible`,
        :func:`pvsite.geo.crs.check_projected_plausible`) but fit ``crs``.
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
        [m] Float64, ``year_built`` [year] Int64), for input carrying OSM
        tags in any format (:func:`osm_tags`) also :data:`OSM_COLUMNS`
        (lower-case tag values), for KML/KMZ also ``kml_folder`` (the
        folder each placemark was read from), then ``geometry`` in the
        source CRS.  One row per
        source feature (OSM: per multipolygon with a ``building`` tag other
        than ``no``), in source order, RangeIndex.  ``source_row`` is the
        0-based position in the source layer (OSM: in GDAL's
        ``multipolygons`` layer).  Rows whose geometry cannot be used keep
        their source geometry (or None) and say why in ``reject_reason``;
        downstream stages use ``reject_reason.isna()`` rows only.
    meta : dict
        ``path, layer, driver, format, crs, n_features, n_source_features,
        n_rejected, n_repaired, sha256, encoding, encoding_basis,
        field_mapping, unmapped_source_columns, osm_tags, rule_inputs,
        kml_folders, warnings``.  ``kml_folders`` maps each KML folder read
        to its number of placemarks (empty for other formats); ``layer``
        then says ``'N KML folders: name (n), ...'``.  ``field_mapping`` maps each pvsite field, and each
        :data:`OSM_COLUMNS` column that got values, to its source (``'building:levels
        from other_tags (hstore)'``, ``'tags (JSON)'``); ``osm_tags`` gives
        every OSM key found with its sources and count of values;
        ``rule_inputs`` names, per classification rule family
        (:data:`RULE_FAMILY_INPUTS`), what fed it.

    Raises
    ------
    InputError
        Missing/unknown file, unknown layer or a layer without geometry, no
        CRS, coordinates that do not fit the CRS (not lon/lat, swapped
        lat/lon, degrees under a projected CRS, outside its area of use),
        mapped column missing, undecodable text (names field and row),
        truncated ``.shp``.
    ConfigError
        Unknown pvsite field in ``fields``, unknown ``engine``, bad ``crs``
        or unknown ``encoding``.
    """
    path = Path(path)
    if engine not in ("pyogrio", "fiona"):
        raise ConfigError(f"Unknown I/O engine {engine!r}.", fix="Use engine='pyogrio' (default) or 'fiona'.",
                          zh=f"未知的读写引擎 {engine!r}。",
                          fix_zh="请使用 engine='pyogrio'（默认）或 'fiona'。")
    src, file = _gdal_path(path)
    if not file.exists():
        raise InputError(f"Footprint file {file} does not exist.", fix="Check the path (--footprints).",
                         zh=f"找不到建筑轮廓文件 {file}。",
                         fix_zh="请检查路径（--footprints）。")
    suffix, driver, fmt = _detect_format(path)
    if file.is_dir() and suffix != ".gdb":
        raise InputError(f"Footprint path {path} is a directory (a folder), not a file.",
                         fix="Give --footprints a footprint file, or an Esri File Geodatabase folder ending in .gdb.",
                         zh=f"建筑轮廓路径 {path} 是文件夹，不是文件。",
                         fix_zh="请给 --footprints 一个建筑轮廓文件，或以 .gdb 结尾的 Esri File Geodatabase 文件夹。")
    if encoding is not None:
        check_codec(encoding)
    warn: list[str] = []
    meta = {
        "path": str(path), "layer": None, "driver": driver, "format": fmt, "crs": None,
        "n_features": 0, "n_source_features": 0, "n_rejected": 0, "n_repaired": 0,
        "sha256": sha256_of(_hashed_files(file, suffix)), "encoding": None, "encoding_basis": None,
        "field_mapping": {}, "unmapped_source_columns": [], "osm_tags": {}, "rule_inputs": {}, "kml_folders": {},
        "warnings": warn,
    }
    open_kw = _open_options(suffix)

    invalid_wkb = None
    if fmt == "GeoParquet":
        if layer is not None:
            warn.append(f"layer={layer!r} ignored: GeoParquet has a single table")
        try:
            raw = gpd.read_parquet(path)
        except Exception as exc:  # pyarrow / geopandas raise several types
            raise InputError(f"Cannot read {path} as GeoParquet: {exc}.",
                             fix="Write it with GeoDataFrame.to_parquet() (GeoParquet metadata required).",
                             zh=f"无法把 {path} 读作 GeoParquet：{exc}。",
                             fix_zh="请用 GeoDataFrame.to_parquet() 写出（需要 GeoParquet 元数据）。") from None
        source_row = np.arange(len(raw))
    elif driver == "OSM":
        if layer not in (None, "multipolygons"):
            warn.append(f"layer={layer!r} ignored: building footprints are read from the OSM 'multipolygons' layer")
        meta["layer"] = "multipolygons"
        raw, source_row, invalid_wkb, n_src = _read_osm(path, engine, warn)
        meta["n_source_features"] = n_src
    elif driver == "LIBKML":
        raw, meta["layer"], meta["kml_folders"], invalid_wkb = _read_kml(src, layer, engine, warn)
        source_row = np.arange(len(raw))
    else:
        meta["layer"] = _pick_layer(src, layer, open_kw)
        tries = basis = cpg = None
        gdal_config = {}
        inner = _zip_driver(src, meta["layer"]) if suffix == ".zip" else None
        if inner is not None:
            meta["driver"], meta["format"] = inner, f"{inner} in a zip archive"
        if driver == "ESRI Shapefile":
            tries, meta["encoding"], basis, cpg = shapefile_encoding(path, encoding, warn)
            meta["encoding_basis"] = basis
            _check_shapefile_index(path)
        elif inner == "ESRI Shapefile":
            tries, meta["encoding"], basis = _zip_shapefile_encoding(file, encoding)
            meta["encoding_basis"] = basis
        elif driver == "DXF":
            codec, meta["encoding_basis"] = dxf_encoding(file, encoding, warn)
            meta["encoding"] = codec
            gdal_config["DXF_ENCODING"] = codec.upper()  # GDAL recodes DXF text itself (iconv names)
        elif encoding is not None and driver != "CSV":
            warn.append(f"encoding={encoding!r} ignored: {fmt} text is always UTF-8")
        with gdal_options(gdal_config):
            raw, used = _read_ogr(src, meta["layer"], engine, warn, tries, basis, cpg,
                                  encoding=encoding if driver == "CSV" else None, **open_kw)
        if tries and basis is None:
            meta["encoding"] = used
            meta["encoding_basis"] = "UTF-8 decoded" if used == "UTF-8" else "UTF-8 failed to decode; fell back to GBK"
            if used != "UTF-8":
                warn.append(f"{path.name}: no .cpg and text is not UTF-8; decoded as GBK (pass --encoding to choose)")
        source_row = np.arange(len(raw))
        if engine == "pyogrio" and not open_kw:
            invalid_wkb = _diagnose_null_geometry(src, meta["layer"], raw)
        if driver == "DXF":
            raw, source_row, n_src = _dxf_footprints(raw, path, warn)
            meta["n_source_features"] = n_src
    if not meta["n_source_features"]:
        meta["n_source_features"] = int(len(raw))

    raw = _ensure_crs(raw, path, crs, warn)
    meta["crs"] = raw.crs.to_string()

    folder = raw.pop("kml_folder") if "kml_folder" in raw.columns else None
    source_cols = [c for c in raw.columns if c != raw.geometry.name]
    tags, tag_sources = osm_tags(raw.drop(columns=raw.geometry.name))
    made = [k for k in OSM_FIELD_TAGS if k in tags.columns and _column_for(source_cols, k) is None]
    for k in made:  # field tags found only inside a tag bag: offered to the field mapping under their key
        raw[k] = tags[k].to_numpy()
    mapping = resolve_mapping([*source_cols, *made], fields, path)
    used_cols = {c for c in mapping.values() if c is not None}
    hidden = {"osm_way_id"} if driver == "OSM" else set()
    hidden |= {label.split(" (")[0] for srcs in tag_sources.values() for label in srcs}  # read as OSM tags
    meta["unmapped_source_columns"] = [c for c in source_cols if c not in used_cols and c not in hidden]

    gdf = _canonical_frame(raw, source_row, mapping, path.name.split(".")[0], invalid_wkb, warn)
    shown = {f: (None if c is None else (f"{c} from {', '.join(tag_sources[c])}" if c in made else c))
             for f, c in mapping.items()}
    name_auto = not (fields and "name" in fields)
    if name_auto and "name:zh" in tags.columns and mapping["name"] not in (None, "name:zh"):
        zh = clean_text(tags["name:zh"]).reset_index(drop=True)
        fill = gdf["name"].isna() & zh.notna()
        if fill.any():
            gdf.loc[fill.to_numpy(), "name"] = zh[fill].to_numpy()
            shown["name"] = f"{shown['name']} (name:zh where empty: {int(fill.sum())})"
    rule_tags = [k for k in OSM_RULE_TAGS if k in tags.columns]
    if rule_tags:
        for key, col in OSM_RULE_TAGS.items():
            vals = clean_lower_text(tags[key]) if key in tags.columns else pd.Series(pd.NA, index=tags.index, dtype="str")
            gdf.insert(len(gdf.columns) - 1, col, vals.to_numpy())
            if key in tags.columns:
                shown[col] = ", ".join(tag_sources[key])
    if folder is not None:
        gdf.insert(len(gdf.columns) - 1, "kml_folder", pd.Series(folder.to_numpy(), dtype="str"))
    meta["field_mapping"] = shown
    meta["osm_tags"] = {k: {"sources": list(tag_sources[k]), "n_values": int(clean_text(tags[k]).notna().sum())}
                        for k in tags.columns}
    meta["rule_inputs"] = _rule_inputs(gdf, mapping, tag_sources, rule_tags)
    meta["n_features"] = int(len(gdf))
    meta["n_rejected"] = int(gdf["reject_reason"].notna().sum())
    meta["n_repaired"] = int(gdf["geometry_note"].notna().sum())
    log.info("read %d footprints from %s (%d rejected, %d repaired)",
             meta["n_features"], path, meta["n_rejected"], meta["n_repaired"])
    return gdf, meta


#: Attribute table of pvsite's synthetic sample GeoPackage (``key``/``value``; ``synthetic = true``),
#: written by :mod:`pvsite.datagen.sample_district`.
SAMPLE_INFO_LAYER = "sample_info"


def is_synthetic_sample(path: str | Path) -> bool:
    """Whether a footprint file is pvsite's synthetic sample.

    True only when the file has a ``sample_info`` table whose ``synthetic``
    key is ``true``; False for any other readable file (real survey data,
    Shapefiles, OSM extracts, ...).

    Parameters
    ----------
    path : str or Path
        Footprint file [-].

    Returns
    -------
    bool
        True for the synthetic sample.

    Raises
    ------
    InputError
        When ``path`` does not exist.
    """
    path = Path(path)
    src, file = _gdal_path(path)
    if not file.exists():
        raise InputError(f"Footprint file {file} does not exist.", fix="check the path given to --footprints",
                         zh=f"找不到建筑轮廓文件 {file}。",
                         fix_zh="请检查 --footprints 给出的路径")
    try:
        layers = pyogrio.list_layers(src)
    except Exception:  # not a vector dataset GDAL can open: certainly not our sample
        return False
    if SAMPLE_INFO_LAYER not in {str(x) for x in layers[:, 0]}:
        return False
    info = pyogrio.read_dataframe(src, layer=SAMPLE_INFO_LAYER, read_geometry=False)
    if not {"key", "value"} <= set(info.columns):
        return False
    values = info.loc[info["key"].astype(str) == "synthetic", "value"].astype(str).str.strip().str.lower()
    return bool(len(values)) and values.iloc[0] == "true"


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _gdal_path(path: Path) -> tuple[str, Path]:
    """(path handed to GDAL, file on disk) of a footprint source.

    A ``/vsizip/archive.zip[/inner]`` path is read by GDAL as given; its file on disk is the archive.  A
    plain ``.zip`` is read through ``/vsizip/``; a ``.kmz`` is read by the LIBKML driver directly.
    """
    text = str(path)
    if text.startswith("/vsizip/"):
        rest = text[len("/vsizip/"):]
        m = re.search(r"\.zip(?=/|$)", rest, flags=re.IGNORECASE)
        archive, inner = (rest[: m.end()], rest[m.end():]) if m else (rest, "")
        file = Path(archive)
        if not file.is_absolute() and not file.exists() and Path("/" + archive).exists():
            file = Path("/" + archive)  # '/vsizip//abs/a.zip' came through Path(), which folds '//' into '/'
        return "/vsizip/" + str(file.resolve()) + inner, file
    if path.name.lower().endswith(".zip"):
        return "/vsizip/" + str(path.resolve()), path
    return text, path


def _detect_format(path: Path):
    name = path.name.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return (suffix, *_FORMATS[suffix])
    if str(path).startswith("/vsizip/"):
        return (".zip", *_FORMATS[".zip"])
    raise InputError(
        f"Footprint file {path} has an unsupported format (suffix {path.suffix!r}).",
        fix="Use a GeoPackage (.gpkg), Shapefile (.shp), GeoJSON (.geojson), FlatGeobuf (.fgb), "
            "GeoParquet (.parquet), File Geodatabase folder (.gdb), KML/KMZ, a zipped Shapefile (.zip), "
            "DXF (.dxf), CSV with a WKT column (.csv) or OpenStreetMap (.osm.pbf) file.",
        zh=f"建筑轮廓文件 {path} 的格式不受支持（后缀 {path.suffix!r}）。",
        fix_zh="请使用 GeoPackage (.gpkg)、Shapefile (.shp)、GeoJSON (.geojson)、FlatGeobuf (.fgb)、GeoParquet (.parquet)、File Geodatabase 文件夹 (.gdb)、KML/KMZ、压缩的 Shapefile (.zip)、DXF (.dxf)、带 WKT 列的 CSV (.csv) 或 OpenStreetMap (.osm.pbf) 文件。",
    )


def _open_options(suffix: str) -> dict:
    """GDAL open options by format: a CSV's geometry is read from its WKT column."""
    if suffix == ".csv":
        return {"GEOM_POSSIBLE_NAMES": ",".join(CSV_GEOMETRY_COLUMNS), "KEEP_GEOM_COLUMNS": "NO"}
    return {}


class gdal_options:
    """Set GDAL configuration options for a ``with`` block, then restore the previous values.

    GDAL's options are process-wide; pvsite sets them only around its own reads (e.g. ``DXF_ENCODING``,
    ``LIBKML_LAUNDER_FIELD_NAMES``).
    """

    def __init__(self, options: dict):
        self.options = {k: v for k, v in options.items() if v is not None}

    def __enter__(self):
        self.saved = {k: pyogrio.get_gdal_config_option(k) for k in self.options}
        if self.options:
            pyogrio.set_gdal_config_options(self.options)
        return self

    def __exit__(self, *exc):
        if self.saved:
            pyogrio.set_gdal_config_options({k: (None if v is None else str(v)) for k, v in self.saved.items()})
        return False


#: GDAL options for reading KML/KMZ: keep ExtendedData names as written (GDAL's LIBKML driver turns
#: every non-ASCII byte of a ``<Data name>`` into ``_`` by default, so 层数 would become ``______``;
#: ``LIBKML_LAUNDER_FIELD_NAMES``, default YES, in GDAL's ogr/ogrsf_frmts/libkml reader).
KML_GDAL_OPTIONS = {"LIBKML_LAUNDER_FIELD_NAMES": "NO"}


def _read_kml(src: str, layer, engine, warn):
    """Read a KML/KMZ: every folder (GDAL's LIBKML layers), or the one ``layer`` names, as one frame.

    GDAL's LIBKML driver exposes each ``<Folder>`` (nested ones too, by their own name; a repeated name
    gets `` (#2)``) and the placemarks directly under ``<Document>`` as layers.  Without ``layer`` all of
    them are read and concatenated in file order, each row keeping its folder in ``kml_folder``; points
    and lines stay rows, rejected later as "not a polygon" like any non-polygon feature.

    Returns
    -------
    (GeoDataFrame, str, dict, dict)
        Rows with a ``kml_folder`` column, the layer text for the run info (one folder, or
        ``'N KML folders: …'``), {folder: features read}, and {row: reason} for undecodable geometry.
    """
    with gdal_options(KML_GDAL_OPTIONS):
        folders = [layer] if layer is not None else None
        if folders is None:
            try:
                listed = pyogrio.list_layers(src)
            except Exception as exc:
                raise InputError(f"Cannot open {src}: {exc}.", fix="Check that the file is valid KML/KMZ.",
                                 zh=f"无法打开 {src}：{exc}。",
                                 fix_zh="请检查该文件是否为有效的 KML/KMZ。") from None
            folders = [str(n) for n, t in listed if t is not None]
            if not folders:
                raise InputError(f"{src} has no folder with placemarks.",
                                 fix="Give a KML/KMZ whose placemarks are the building outlines (polygons).",
                                 zh=f"{src} 没有含地标（placemark）的文件夹。",
                                 fix_zh="请提供以建筑轮廓（面）为地标的 KML/KMZ。")
        else:
            _pick_layer(src, layer)  # names the folders when ``layer`` is not one of them
        frames, counts, invalid, offset = [], {}, {}, 0
        for name in folders:
            df, _ = _read_ogr(src, name, engine, warn)
            counts[name] = int(len(df))
            if not len(df):
                continue
            if engine == "pyogrio":
                invalid.update({offset + k: v for k, v in _diagnose_null_geometry(src, name, df).items()})
            df["kml_folder"] = name
            frames.append(df)
            offset += len(df)
    if not frames:
        raise InputError(f"{src}: no placemarks in its folders ({', '.join(folders)}).",
                         fix="Give a KML/KMZ whose placemarks are the building outlines (polygons).",
                         zh=f"{src}：其文件夹（{', '.join(folders)}）中没有地标（placemark）。",
                         fix_zh="请提供以建筑轮廓（面）为地标的 KML/KMZ。")
    crs = next((f.crs for f in frames if f.crs is not None), None)
    raw = gpd.GeoDataFrame(pd.concat([f.set_crs(crs, allow_override=True) if f.crs != crs else f for f in frames],
                                     ignore_index=True), geometry=frames[0].geometry.name, crs=crs)
    if len(folders) == 1:
        return raw, folders[0], counts, invalid
    listing = ", ".join(f"{n} ({c})" for n, c in counts.items())
    return raw, f"{len(folders)} KML folders: {listing}", counts, invalid


def _zip_driver(src: str, layer) -> str | None:
    """GDAL driver of the dataset inside a zip archive (None when GDAL cannot tell)."""
    try:
        return str(pyogrio.read_info(src, layer=layer)["driver"])
    except Exception:
        return None


def _zip_shapefile_encoding(archive: Path, encoding):
    """(codecs to try, encoding reported, basis) of a Shapefile inside a zip archive.

    Like :func:`pvsite.io.encodings.shapefile_encoding`: ``encoding=`` wins, then a ``.cpg`` member of the
    archive, then UTF-8 and GBK in turn.
    """
    if encoding is not None:
        return [check_codec(encoding)], encoding, "argument"
    with zipfile.ZipFile(archive) as z:
        cpgs = [n for n in z.namelist() if n.lower().endswith(".cpg")]
        declared = z.read(cpgs[0]).decode("ascii", errors="replace").strip() if len(cpgs) == 1 else None
    if declared:
        name = cpg_codec(declared)
        if name is not None:
            return [name], declared, ".cpg in the archive"
    return list(AUTO_ENCODINGS), None, None


def _dxf_footprints(raw, path: Path, warn):
    """Footprints of a DXF drawing: polygonal entities, and closed polylines turned into polygons.

    GDAL's DXF driver reads HATCH and solid entities as polygons and LWPOLYLINE / POLYLINE as line strings
    whether closed or not; a closed line string with at least 4 coordinates (a ring) becomes a polygon
    here.  Open lines, points (TEXT, INSERT) and other entities are drawing, not buildings: they are left
    out, and counted in the warnings.  The CAD layer name stays in the ``Layer`` column.

    Returns
    -------
    (GeoDataFrame, ndarray, int)
        Footprint rows, their 0-based row in the DXF ``entities`` layer, and the number of entities.
    """
    g = np.asarray(raw.geometry.values, dtype=object)
    tid = shapely.get_type_id(g)
    ring = (tid == 1) & shapely.is_closed(g) & (shapely.get_num_coordinates(g) >= 4)
    if ring.any():
        g = g.copy()
        g[ring] = shapely.polygons(shapely.linearrings(shapely.get_coordinates(g[ring], include_z=False),
                                                       indices=np.repeat(np.arange(int(ring.sum())),
                                                                         shapely.get_num_coordinates(g[ring]))))
    keep = np.isin(tid, (_POLYGON, _MULTIPOLYGON)) | ring
    n_src = len(raw)
    skipped = n_src - int(keep.sum())
    if skipped:
        kinds = pd.Series([_TYPE_NAMES.get(t, "unknown") for t in tid[~keep]]).value_counts()
        warn.append(f"{path.name}: {skipped} DXF entit(ies) that are not closed outlines were skipped "
                    f"({', '.join(f'{k} ×{v}' for k, v in kinds.items())}); closed polylines and hatches "
                    f"are the footprints")
    if ring.any():
        warn.append(f"{path.name}: {int(ring.sum())} closed polyline(s) read as polygons")
    out = raw.copy()
    out[out.geometry.name] = gpd.GeoSeries(g, crs=raw.crs)
    return out.loc[keep].reset_index(drop=True), np.flatnonzero(keep), n_src


def _hashed_files(path: Path, suffix: str) -> list[Path]:
    if path.is_dir():  # a File Geodatabase folder: its files, in name order
        return sorted(p for p in path.rglob("*") if p.is_file())
    if suffix != ".shp" or path.suffix.lower() == ".zip":  # a /vsizip/ member is hashed as its archive
        return [path]
    files = []
    for ext in (".shp", ".dbf", ".prj", ".cpg"):
        for cand in (path.with_suffix(ext), path.with_suffix(ext.upper())):
            if cand.is_file():
                files.append(cand)
                break
    return files


#: Layer names that never hold the buildings: pvsite's own street/district/sample layers, QGIS styles, and
#: the layers of a pvsite output GeoPackage (``roofs`` holds results, not source footprints).  Never picked
#: automatically; ``--layer`` still reads them.
NON_BUILDING_LAYERS = frozenset({
    "streets", "street", "district", "districts", "boundary", "boundaries", "sample_info", "layer_styles",
    "roofs", "rejected", "run_info", "街道", "行政区", "边界",
})

#: OGR geometry types of layers that may hold footprints: polygons, and generic types (a layer with mixed
#: Polygon/MultiPolygon features, or written without a declared type, reports 'Unknown'/'Geometry').
_CANDIDATE_TYPES = ("POLYGON", "UNKNOWN", "GEOMETRY")


def _pick_layer(path, layer, open_kw=None):
    """The layer to read: ``layer`` when given, else ``buildings``, else the only candidate.

    Candidates are layers with geometry whose type is polygonal or generic
    (:data:`_CANDIDATE_TYPES`) and whose name is not in :data:`NON_BUILDING_LAYERS`.
    A file with a single geometry layer uses it whatever its name or type.
    """
    try:
        layers = pyogrio.list_layers(path) if not open_kw else _layers_with_options(path, open_kw)
    except Exception as exc:
        raise InputError(f"Cannot open {path}: {exc}.", fix="Check that the file is a valid vector dataset.",
                         zh=f"无法打开 {path}：{exc}。",
                         fix_zh="请检查该文件是否为有效的矢量数据。") from None
    names = [str(n) for n, _ in layers]
    listing = ", ".join(f"{n} ({t if t is not None else 'table, no geometry'})" for n, t in layers)
    spatial = [(str(n), str(t)) for n, t in layers if t is not None]
    spatial_listing = ", ".join(f"{n} ({t})" for n, t in spatial) or "(none)"
    if layer is not None:
        if layer not in names:
            raise InputError(f"{path} has no layer {layer!r}. Layers: {listing}.", fix="Pass --layer with one of these.",
                             zh=f"{path} 没有图层 {layer!r}。图层：{listing}。",
                             fix_zh="请用 --layer 指定其中之一。")
        if layer not in dict(spatial):
            raise InputError(
                f"{path}: layer {layer!r} is an attribute table without geometry, so it holds no footprints. "
                f"Layers with geometry: {spatial_listing}.",
                fix="Pass --layer with one of the layers with geometry (or [input] layer = \"NAME\").",
                zh=f"{path}：图层 {layer!r} 是没有几何的属性表，不含建筑轮廓。含几何的图层：{spatial_listing}。",
                fix_zh="请用 --layer 指定含几何的图层之一（或配置 [input] layer = \"NAME\"）。",
            )
        return layer
    if not spatial:
        raise InputError(f"{path} has no layer with geometry. Layers: {listing or '(none)'}.",
                         fix="Give a footprint file with building polygons (--footprints).",
                         zh=f"{path} 没有含几何的图层。图层：{listing or '（无）'}。",
                         fix_zh="请提供含建筑面要素的建筑轮廓文件（--footprints）。")
    if len(spatial) == 1:
        return spatial[0][0]
    by_name = [n for n, _ in spatial if n.lower() == "buildings"]
    if by_name:
        return "buildings" if "buildings" in by_name else by_name[0]
    candidates = [n for n, t in spatial if n.lower() not in NON_BUILDING_LAYERS
                  and any(k in t.upper() for k in _CANDIDATE_TYPES)]
    if len(candidates) == 1:
        return candidates[0]
    raise InputError(
        f"{path} has several layers and pvsite cannot tell which holds the buildings. "
        f"Layers with geometry: {spatial_listing}.",
        fix="Pass --layer NAME (or [input] layer = \"NAME\").",
        zh=f"{path} 有多个图层，pvsite 无法判断哪个是建筑图层。含几何的图层：{spatial_listing}。",
        fix_zh="请加 --layer NAME（或配置 [input] layer = \"NAME\"）。",
    )


def _layers_with_options(path, open_kw) -> list:
    """[(name, geometry type or None)] of a source opened with GDAL open options (a CSV with WKT)."""
    out = []
    for name, _ in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=name, **open_kw)
        gt = info.get("geometry_type")
        out.append((name, gt if info.get("geometry_name") is not None or gt not in (None, "None") else None))
    return out


def _read_ogr(path, layer, engine, warn, tries=None, basis=None, cpg=None, encoding=None, **kw):
    """Read one OGR layer; a Shapefile (``tries`` given) is read as raw bytes and decoded by :func:`decode_frame`.

    Returns
    -------
    (GeoDataFrame, str or None)
        Frame and the codec used (None when not a Shapefile).
    """
    try:
        df = _read_layer(path, layer, RAW_CODEC if tries else encoding, engine, warn, **kw)
    except UnicodeDecodeError as exc:
        raise InputError(f"Text attributes or field names of {path} are not valid UTF-8 ({exc}).",
                         fix=f"Re-export the file with UTF-8 text (the {path.suffix} format requires it).",
                         zh=f"{path} 的文本属性或字段名不是有效的 UTF-8（{exc}）。",
                         fix_zh=f"请以 UTF-8 文本重新导出文件（{path.suffix} 格式要求 UTF-8）。") from None
    except Exception as exc:
        raise InputError(f"Cannot read layer {layer!r} of {path}: {exc}.",
                         zh=f"无法读取 {path} 的图层 {layer!r}：{exc}。") from None
    if not isinstance(df, gpd.GeoDataFrame):
        raise InputError(f"{path}: layer {layer!r} has no geometry column.", fix="Pass --layer with a geometry layer.",
                         zh=f"{path}：图层 {layer!r} 没有几何列。",
                         fix_zh="请用 --layer 指定含几何的图层。")
    if not tries:
        return df, None
    return decode_frame(df, path, tries, basis, cpg)


def _check_shapefile_index(path: Path) -> None:
    """Refuse a ``.shp`` shorter than its ``.shx`` index says (a cut-off copy or download).

    The ``.shx`` is a 100-byte header then one 8-byte record per feature: offset and content length of
    the feature in the ``.shp``, both in 16-bit words, big-endian int32 (ESRI Shapefile Technical
    Description, July 1998, "Organization of the Index File").  A record ends at byte
    2 × (offset + 4 + length) (the 8-byte record header is 4 words).  GDAL reads records past the end of
    the file as null geometries, which would turn missing buildings into "no geometry" rows.
    """
    shx = next((c for c in (path.with_suffix(".shx"), path.with_suffix(".SHX")) if c.is_file()), None)
    if shx is None:
        return
    data = shx.read_bytes()
    n = max(len(data) - 100, 0) // 8
    if n == 0:
        return
    rec = np.frombuffer(data, dtype=">i4", count=2 * n, offset=100).reshape(n, 2).astype(np.int64)
    end = 2 * (rec[:, 0] + 4 + rec[:, 1])
    size = path.stat().st_size
    missing = int((end > size).sum())
    if missing:
        raise InputError(
            f"{path} is truncated ({missing} of {n} records missing): it holds {size} bytes but its index "
            f"{shx.name} places the last record's end at byte {int(end.max())}.",
            fix="Re-export the file (or copy it again completely, with its .shx, .dbf, .prj and .cpg); "
                "a GeoPackage avoids the multi-file problem.",
            zh=f"{path} 不完整（{n} 条记录缺 {missing} 条）：文件只有 {size} 字节，但其索引 {shx.name} 中最后一条记录结束于第 {int(end.max())} 字节。",
            fix_zh="请重新导出文件（或完整地重新复制，连同 .shx、.dbf、.prj 和 .cpg）；GeoPackage 没有多文件问题。",
        )


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
    # Only the reader's own warnings: a ResourceWarning (unclosed file) emitted by the
    # garbage collector of unrelated objects may land here at random and must not
    # make two runs differ.
    own = (w for w in caught if not issubclass(w.category, (ResourceWarning, DeprecationWarning)))
    for msg in dict.fromkeys(str(w.message) for w in own):
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
    building = clean_lower_text(df["building"]) if "building" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    keep = (building.notna() & (building != "no")).to_numpy()
    n_no = int((building == "no").sum())
    if n_no:
        warn.append(f"{n_no} multipolygon(s) tagged building=no were skipped")
    source_row = np.flatnonzero(keep)
    df = df.loc[keep].reset_index(drop=True)
    # Stable OSM ids: way/<id> for closed ways, relation/<id> for multipolygon relations.
    way = clean_text(df["osm_way_id"]) if "osm_way_id" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    rel = clean_text(df["osm_id"]) if "osm_id" in df.columns else pd.Series(pd.NA, index=df.index, dtype="str")
    df["osm_id"] = ("way/" + way).fillna("relation/" + rel)
    df["building"] = building.loc[keep].to_numpy()
    invalid = {int(np.searchsorted(source_row, k)): v for k, v in invalid.items() if keep[k]}
    return df, source_row, invalid, n_src


def _hstore_get(tags: pd.Series, key: str) -> pd.Series:
    """Value of ``key`` in GDAL's ``other_tags`` hstore strings (``"k"=>"v",...``), vectorised."""
    pattern = r'(?:^|,)\s*"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    val = tags.astype("str").str.extract(pattern, expand=False)
    return val.str.replace(r'\\(.)', r"\1", regex=True)


def _json_tags(tags: pd.Series, keys) -> pd.DataFrame:
    """``keys`` of JSON-object tag strings (``{"building": "yes", ...}``) or dicts; NA where absent.

    Each distinct value is parsed once (``json.loads``); text that is not a JSON object gives NA.
    """
    def parse(v):
        if isinstance(v, dict):
            return v
        try:
            d = json.loads(v)
        except (TypeError, ValueError):
            return {}
        return d if isinstance(d, dict) else {}

    codes, uniques = pd.factorize(tags.astype(object).where(tags.notna(), None), use_na_sentinel=True)
    parsed = [parse(u) for u in uniques]
    out = {}
    for key in keys:
        vals = np.array([None if d.get(key) is None else str(d.get(key)) for d in parsed] + [None], dtype=object)
        out[key] = pd.Series(vals[codes], index=tags.index, dtype="str")
    return pd.DataFrame(out, index=tags.index)


def _column_for(columns, key: str):
    """The source column named like OSM ``key`` (case-insensitive; ``_`` may stand for ``:``), or None."""
    want = key.lower()
    for c in columns:
        low = str(c).strip().lower()
        if low == want or low.replace("_", ":") == want.replace("_", ":"):
            return c
    return None


def osm_tags(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """OSM tags of every row, whatever the format they came in.

    Sources, in precedence order (the first that has a value wins, per row):

    1. a column named like the OSM key (``building``, ``amenity``, ``building:levels`` or
       ``building_levels``; case-insensitive) — QuickOSM, osmnx, overpass-turbo exports;
    2. a tag bag column (:data:`OSM_TAG_BAGS`: ``other_tags``, ``tags``) holding GDAL's hstore text
       (``"building:levels"=>"5",...``) or a JSON object (``{"amenity": "school"}``);
    3. Geofabrik's free shapefiles (columns ``osm_id``, ``fclass``, ``type``): in the buildings layer
       (``fclass = building``) ``type`` is the ``building=*`` value (empty → ``yes``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Source attribute table (no geometry needed).

    Returns
    -------
    tags : pandas.DataFrame
        One column per key of :data:`OSM_TAGS` that any source gave, text (NA when absent), indexed like
        ``frame``.  Empty (no columns) for a file without OSM tags.
    sources : dict
        Key → list of the source columns that fed it (e.g. ``['amenity', 'other_tags']``).
    """
    cols = [c for c in frame.columns]
    tags: dict[str, pd.Series] = {}
    sources: dict[str, list[str]] = {}

    def add(key, values: pd.Series, label: str):
        values = clean_text(values.reset_index(drop=True)).set_axis(frame.index)
        if not values.notna().any():
            return
        if key in tags:
            before = tags[key].notna()
            tags[key] = tags[key].fillna(values)
            if (tags[key].notna() & ~before).any():
                sources[key].append(label)
        else:
            tags[key] = values
            sources[key] = [label]

    for key in OSM_TAGS:
        c = _column_for(cols, key)
        if c is not None:
            add(key, frame[c], str(c))
    for bag in OSM_TAG_BAGS:
        c = _column_for(cols, bag)
        if c is None:
            continue
        text = frame[c]
        sample = clean_text(text.astype(object).map(lambda v: json.dumps(v) if isinstance(v, dict) else v))
        if not sample.notna().any():
            continue
        first = sample.dropna().iloc[0].lstrip()
        if first.startswith("{"):
            parsed = _json_tags(sample, OSM_TAGS)
            for key in OSM_TAGS:
                add(key, parsed[key], f"{c} (JSON)")
        else:
            for key in OSM_TAGS:
                add(key, _hstore_get(sample, key), f"{c} (hstore)")
    lower = {str(c).strip().lower(): c for c in cols}
    if {"osm_id", "fclass", "type"} <= set(lower):
        fclass = clean_lower_text(frame[lower["fclass"]])
        is_building = (fclass == "building").fillna(False)
        if is_building.any():
            btype = clean_lower_text(frame[lower["type"]]).where(is_building)
            add("building", btype.mask(is_building & btype.isna(), "yes"), f"{lower['type']} (Geofabrik, fclass=building)")
    if not tags:
        return pd.DataFrame(index=frame.index), {}
    return pd.DataFrame(tags, index=frame.index), sources


def _rule_inputs(gdf, mapping: dict, tag_sources: dict, rule_tags) -> dict:
    """Classification rule family → the inputs that fed it, with their count of non-empty values.

    ``{'osm': ['building ← building (364)', 'amenity ← amenity, other_tags (hstore) (40)'], 'name': [...]}``;
    a family with no input lists nothing.
    """
    out = {}
    for fam, cols in RULE_FAMILY_INPUTS.items():
        lines = []
        for col in cols:
            if col not in gdf.columns:
                continue
            n = int(gdf[col].notna().sum())
            if fam == "osm":
                key = next(k for k, v in OSM_RULE_TAGS.items() if v == col)
                if key in rule_tags:
                    lines.append(f"{key} ← {', '.join(tag_sources[key])} ({n})")
            elif mapping.get(col) is not None:
                lines.append(f"{col} ← {mapping[col]} ({n})")
        out[fam] = lines
    return out


def _ensure_crs(raw, path: Path, crs, warn):
    """Give ``raw`` a CRS and check that its coordinates fit it.

    The file's CRS wins over ``crs``, except when the coordinates do not fit the file's CRS
    (:func:`pvsite.geo.crs.check_lonlat_plausible` / :func:`pvsite.geo.crs.check_projected_plausible` refuse it) but
    do fit ``crs``: then ``crs`` replaces the wrong label, with a warning.
    """
    user = None
    if crs is not None:
        try:
            user = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise ConfigError(f"--crs {crs!r} is not a CRS pyproj understands: {exc}.",
                              fix="Use an EPSG code such as EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84).",
                              zh=f"--crs {crs!r} 不是 pyproj 能识别的坐标系：{exc}。",
                              fix_zh="请使用 EPSG 代码，如 EPSG:4490（CGCS2000）或 EPSG:4326（WGS84）。") from None
    if raw.crs is None:
        if user is None:
            bounds = _bounds(raw)
            looks = ("they look like lon/lat, e.g. --crs EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84)"
                     if bounds is not None and crs_mod.within_lonlat(bounds)
                     else "e.g. --crs EPSG:4490 for CGCS2000 lon/lat, or a projected CRS such as EPSG:4549 "
                          "(CGCS2000 / 3-degree Gauss-Kruger CM 120E) for metres")
            raise InputError(
                f"{path} declares no coordinate reference system (CRS), so its coordinates cannot be placed.",
                fix=f"Pass --crs with the CRS the coordinates are in ({looks}), or add a .prj / CRS to the file.",
                zh=f"{path} 未声明坐标系（CRS），无法确定坐标位置。",
                fix_zh=f"请用 --crs 指定坐标所在的坐标系（{looks}），或为文件添加 .prj / 坐标系。",
            )
        raw = raw.set_crs(user)
        _check_crs_fits(raw, path)
        return raw
    if user is None or user.equals(raw.crs):
        _check_crs_fits(raw, path)
        return raw
    try:
        _check_crs_fits(raw, path)
    except InputError as declared_wrong:
        relabelled = raw.set_crs(user, allow_override=True)
        try:
            _check_crs_fits(relabelled, path)
        except InputError:
            raise declared_wrong from None
        warn.append(f"crs={crs!r} replaces the CRS {raw.crs.to_string()} declared by {path.name}: its coordinates "
                    f"do not fit the declared CRS (correct the file's CRS to silence this)")
        return relabelled
    warn.append(f"crs={crs!r} ignored: {path.name} declares {raw.crs.to_string()}")
    return raw


def _check_crs_fits(raw, path: Path) -> None:
    """InputError when the coordinates cannot be in ``raw.crs`` (see :mod:`pvsite.geo.crs`)."""
    crs_mod.check_lonlat_plausible(raw, path)
    crs_mod.check_projected_plausible(raw, path)


def _bounds(raw):
    geoms = np.asarray(raw.geometry.values)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not ok.any():
        return None
    b = shapely.bounds(geoms[ok])
    return (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))


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
        return pd.Series(pd.NA, index=range(n), dtype="str") if s is None else clean_text(s)

    na_int = pd.Series(pd.NA, index=range(n), dtype="Int64")
    geom, reason, note = _clean_geometry(np.asarray(raw.geometry.values), invalid_wkb, warn)
    data = {
        "building_id": building_ids(col("building_id"), source_row, stem, warn, mapping["building_id"]),
        "source_row": pd.Series(source_row, dtype="int64"),
        "name": text("name"),
        "use": text("use"),
        "storeys": na_int if col("storeys") is None else parse_storeys(col("storeys"), warn, mapping["storeys"]),
        "height_m": (pd.Series(pd.NA, index=range(n), dtype="Float64") if col("height_m") is None
                     else parse_height_m(col("height_m"), warn, mapping["height_m"])),
        "year_built": na_int if col("year_built") is None else parse_year(col("year_built"), warn, mapping["year_built"]),
        "roof_type": (pd.Series("unknown", index=range(n), dtype="str") if col("roof_type") is None
                      else parse_roof_type(col("roof_type"), warn, mapping["roof_type"])),
        "street": text("street"),
        "owner_type": text("owner_type") if col("owner_type") is None else parse_owner_type(col("owner_type")),
        "build_status": text("build_status") if col("build_status") is None
        else parse_build_status(col("build_status")),
        "reject_reason": pd.Series(reason, dtype="str"),
        "geometry_note": pd.Series(note, dtype="str"),
    }
    frame = pd.DataFrame({k: v.reset_index(drop=True) for k, v in data.items()})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geom, crs=raw.crs), crs=raw.crs)
