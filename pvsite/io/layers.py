"""Side layers: one reader for every layer beside the footprints.

Streets (街道 polygons), district outlines, institution registries, exclusion
layers (heritage, no-go areas) and ``--within`` regions all arrive the same
ways: a GeoPackage layer, a Shapefile, GeoJSON, FlatGeobuf or GeoParquet
file — or, as lists from a bureau or a web map usually do, a CSV / TSV / Excel
table with longitude and latitude columns in WGS 84, GCJ-02 (Amap/Gaode,
Tencent) or BD-09 (Baidu).  :func:`read_layer` reads any of them in the same
steps:

1. the file exists and is not empty;
2. it is read (a Shapefile's text through the UTF-8 → GBK fallback of
   :mod:`pvsite.io.encodings`; a table's text likewise);
3. a table's lon/lat columns are found (``[registry] lonlat`` of
   ``presets/fields.toml``: lon/lat, lng/lat, 经度/纬度, lon_bd09/lat_bd09, ...)
   and the datum taken from the option or from a column suffix;
4. the name column, when one is asked for, is checked;
5. lon/lat in GCJ-02 / BD-09 are converted to WGS 84
   (:func:`pvsite.geo.datums.convert_datum`); a vector file must declare its CRS.

The result, a :class:`SideLayer`, holds the geometries *and* the attribute
table, so each caller picks its own columns.  Every problem is an
:class:`~pvsite.errors.InputError` (or :class:`~pvsite.errors.ConfigError`
for a bad option) naming the file, what was expected and found, and the fix.

The functions the pipeline calls are :func:`parse_spec` (``PATH[:datum]``),
:func:`read_street_polygons`, :func:`read_districts` and :func:`read_within`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from pvsite.errors import ConfigError, InputError
from pvsite.geo import datums
from pvsite.io.encodings import RAW_CODEC, check_codec, decode_frame, read_csv_text, shapefile_encoding
from pvsite.io.fields import load_registry_candidates

log = logging.getLogger(__name__)

#: Suffixes read as delimited text tables with lon/lat columns (``.tsv``: tab-separated).
TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
#: Suffixes read as Excel workbooks with lon/lat columns (``layer`` = sheet).
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Suffixes read as GeoParquet (``geopandas.read_parquet``).
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
#: Suffixes of multi-layer files that ``all_layers=True`` reads layer by layer (GeoPackage, SpatiaLite).
MULTI_LAYER_SUFFIXES = (".gpkg", ".sqlite")
#: Layers of a GeoPackage never read as side layers (QGIS styles).
SKIPPED_LAYERS = frozenset({"layer_styles"})
#: Column-name suffixes that state a datum (``lon_bd09``, ``lat_gcj02``).
DATUM_SUFFIXES = ("bd09", "gcj02", "wgs84")

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]$")


@dataclass
class SideLayer:
    """A side layer as read: geometries and attributes, with where they came from.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        Source attributes (tables: every cell ``str``, blanks ``''``) and
        geometry, one row per source feature in file order, RangeIndex.  In
        EPSG:4326 (true WGS 84) when a web-map datum was converted or the
        source is a table; otherwise in the file's own CRS.  Rows of a table
        without usable coordinates have no geometry.
    path : Path
        Source file.
    layer : str or None
        Layer (GeoPackage) or sheet (Excel) read; None for single-layer files
        or when every layer was read.
    datum : str or None
        Datum of the source lon/lat that was applied (``'wgs84'``,
        ``'gcj02'``, ``'bd09'``); None when none was stated (a vector file
        taken as its CRS label says).
    kind : {'vector', 'table'}
        Vector features, or points built from lon/lat columns.
    lonlat_columns : tuple of str or None
        (lon column, lat column) the points were built from.
    source_lon, source_lat : numpy.ndarray
        Coordinates as given, in ``datum`` [°]: the table's values, or the
        vertices of Point features in a geographic CRS; NaN otherwise.
    feature_layer : numpy.ndarray
        Layer name of every row (the file stem for single-layer files).
    """

    frame: gpd.GeoDataFrame
    path: Path
    layer: str | None
    datum: str | None
    kind: str
    lonlat_columns: tuple | None = None
    source_lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    source_lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    feature_layer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    @property
    def label(self) -> str:
        """File name, with the layer when one was chosen: ``'heritage.gpkg (points)'``."""
        return self.path.name + (f" ({self.layer})" if self.layer else "")

    def attributes(self) -> pd.DataFrame:
        """The attribute table as text (``''`` for missing values), column names stripped."""
        table = pd.DataFrame(self.frame.drop(columns=self.frame.geometry.name))
        table = table.astype(object).where(table.notna(), "").astype(str).reset_index(drop=True)
        table.columns = [str(c).strip() for c in table.columns]
        return table

    def names(self, candidates, default: str = "unnamed") -> pd.Series:
        """First non-empty value per feature of the ``candidates`` columns present, else ``default``."""
        name = pd.Series([None] * len(self.frame), index=self.frame.index, dtype=object)
        for col in [c for c in candidates if c in self.frame.columns]:
            vals = self.frame[col].astype("string").str.strip()
            vals = vals.where(vals.notna() & (vals != ""), None)
            name = name.where(name.notna(), vals.astype(object))
        return name.where(name.notna(), default).astype(str)


# ---------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------


def parse_spec(spec) -> tuple[Path, str | None]:
    """Split a ``PATH[:datum]`` option value.

    Parameters
    ----------
    spec : str or Path
        File path, optionally followed by ``:wgs84``, ``:gcj02`` or ``:bd09``
        (case-insensitive, ``-``/``_`` ignored: ``:GCJ-02``).  A colon not
        followed by a datum name is part of the path (``C:\\data\\schools.csv``,
        ``C:schools.csv``).

    Returns
    -------
    tuple
        (path, datum or None).
    """
    head, sep, tail = str(spec).rpartition(":")
    if sep and head and not _WINDOWS_DRIVE.match(head):
        key = tail.lower().replace("-", "").replace("_", "").replace(" ", "")
        if key in datums.DATUMS:
            return Path(head), key
    return Path(spec), None


def spatial_layers(path) -> list[str]:
    """Names of the layers with geometry of a vector file (QGIS ``layer_styles`` left out).

    Raises
    ------
    InputError
        When GDAL cannot open the file.
    """
    path = Path(path)
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"Cannot open {path}: {exc}.", fix="Check that the file is a vector dataset GDAL reads.",
                         zh=f"无法打开 {path}：{exc}。",
                         fix_zh="请检查该文件是否为 GDAL 可读的矢量数据。") from None
    return [str(n) for n, g in listed if g is not None and str(n) not in SKIPPED_LAYERS]


# ---------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------


def read_layer(path, *, datum=None, layer=None, encoding=None, name_field=None, lon_col=None, lat_col=None,
               what="--exclude", all_layers=False) -> SideLayer:
    """Read one side layer (vector file or lon/lat table) into a :class:`SideLayer`.

    Parameters
    ----------
    path : str or Path
        GeoPackage, Shapefile, GeoJSON, FlatGeobuf (any file GDAL reads),
        GeoParquet (``.parquet``), or a table with lon/lat columns: CSV /
        ``.txt`` (comma-separated), TSV (tab-separated), Excel ``.xlsx``.
    datum : {'wgs84', 'gcj02', 'bd09'}, optional
        Datum of lon/lat coordinates.  GCJ-02 / BD-09 are converted to WGS 84
        (geometry in EPSG:4326).  A table without it must name the datum in
        its coordinate columns (``lon_bd09``/``lat_bd09``); a vector file
        without it is taken as its CRS label says.
    layer : str, optional
        Layer of a multi-layer vector file, or sheet of an Excel workbook.
        Default: the first layer / sheet.
    encoding : str, optional
        Text encoding of a Shapefile (overrides its ``.cpg``) or a table;
        default UTF-8, then GBK (:mod:`pvsite.io.encodings`).
    name_field : str, optional
        Column that must exist (the caller's name column).
    lon_col, lat_col : str, optional
        Longitude / latitude columns [°] (case-insensitive).  Default: the
        first pair of ``[registry] lonlat`` in ``presets/fields.toml`` found,
        preferring one that names ``datum``.  Given for a vector file, its
        attribute columns are used instead of its geometry.
    what : str
        The option the layer comes from (``'--exclude'``, ``'--registry'``,
        ``'--streets'``, ``'--within'``, ``'--district-boundaries'``), named
        in messages.
    all_layers : bool
        Read every layer with geometry of a GeoPackage (``layer`` ignored;
        other files have one layer);
        :attr:`SideLayer.feature_layer` tells the rows apart.

    Returns
    -------
    SideLayer

    Raises
    ------
    InputError
        Missing, empty or unreadable file; unknown layer; a vector file
        without CRS; a table without recognisable lon/lat columns, with
        swapped columns or values that are not degrees; a missing
        ``name_field``.
    ConfigError
        Unknown datum or encoding; a table whose datum is neither given nor
        named by its columns, or contradicts them.
    """
    path = Path(path)
    key = None if datum is None else datums.datum_key(datum)
    if encoding is not None:
        check_codec(encoding, what="encoding")
    if not path.exists():
        raise InputError(f"{what} file {path} does not exist.", fix=f"Check the path given to {what}.",
                         zh=f"找不到{what} 文件 {path}。",
                         fix_zh=f"请检查 {what} 给出的路径。")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{what} file {path} is empty (0 bytes).",
                         fix="Export the layer again; a table needs a header row and one row per feature.",
                         zh=f"{what} 文件 {path} 是空文件（0 字节）。",
                         fix_zh="请重新导出图层；表格需要一行表头，每个要素一行。")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES + EXCEL_SUFFIXES:
        table = _read_table(path, encoding, layer, what)
        side = _points_from_table(table, path, layer if suffix in EXCEL_SUFFIXES else None, key,
                                  lon_col, lat_col, what)
    else:
        side = _read_vector(path, key, layer, encoding, lon_col, lat_col, what, all_layers)
    if len(side.frame) == 0:
        raise InputError(f"{what} file {side.label} holds no features.",
                         fix="Check the layer (ogrinfo / QGIS list them) or export the features again.",
                         zh=f"{what} 文件 {side.label} 中没有要素。",
                         fix_zh="请检查图层（ogrinfo / QGIS 可列出图层），或重新导出要素。")
    if name_field is not None and name_field not in side.frame.columns:
        cols = ", ".join(str(c) for c in side.frame.columns if c != side.frame.geometry.name)
        raise InputError(f"{what} file {side.label} has no column '{name_field}' (columns: {cols}).",
                         fix=f"Name the column of {path.name} that holds the names (one of those listed).",
                         zh=f"{what} 文件 {side.label} 没有字段 '{name_field}'（现有字段：{cols}）。",
                         fix_zh=f"请指定 {path.name} 中存放名称的字段（上列之一）。")
    log.info("%s %s: %d features (%s, datum %s)", what, side.label, len(side.frame), side.kind, side.datum)
    return side


# ---------------------------------------------------------------------------
# The layers the pipeline reads
# ---------------------------------------------------------------------------


def read_street_polygons(path, footprint_path, layer=None, name_field="name"):
    """Street / town polygons: ``path``, else the ``streets`` layer of a footprint GeoPackage.

    Parameters
    ----------
    path : str, Path or None
        Street polygon file (``[input] streets``, ``--streets``), optionally
        ``PATH:datum``; None = look in ``footprint_path``.
    footprint_path : Path
        The run's footprint file.
    layer : str, optional
        Layer of ``path`` (``[input] streets_layer``).
    name_field : str
        Column holding the street names (``[input] street_name_field``).

    Returns
    -------
    (geopandas.GeoDataFrame or None, str)
        Columns ``street_name`` (text) and ``geometry`` in the file's CRS (or
        EPSG:4326 after a datum conversion), and the source label (``'none'``
        when there are no street polygons).

    Raises
    ------
    InputError
        Missing / unreadable file, no CRS, no ``name_field`` column.
    """
    if path:
        spath, sdatum = parse_spec(path)
        side = read_layer(spath, datum=sdatum, layer=layer, what="--streets")
        source = str(spath)
    else:
        fp = Path(footprint_path)
        if fp.suffix.lower() != ".gpkg" or "streets" not in _all_layers(fp):
            return None, "none"
        side = read_layer(fp, layer="streets", what="streets layer of --footprints")
        source = f"{fp} (layer streets)"
    if name_field not in side.frame.columns:
        cols = ", ".join(str(c) for c in side.frame.columns if c != side.frame.geometry.name)
        raise InputError(f"Streets layer {source} has no column '{name_field}' (columns: {cols}).",
                         fix="Set [input] street_name_field to the column that holds the street names.",
                         zh=f"街道图层 {source} 没有字段 '{name_field}'（现有字段：{cols}）。",
                         fix_zh="请把 [input] street_name_field 设为存放街道名称的字段。")
    frame = _named_geometry(side.frame)
    gdf = frame.rename(columns={name_field: "street_name"})[["street_name", "geometry"]]
    gdf["street_name"] = gdf["street_name"].astype(str)
    return gdf, source


def read_districts(path, name_field="name", datum="wgs84", layer=None) -> gpd.GeoDataFrame:
    """District polygons of a boundary file, in WGS 84 (EPSG:4326).

    Parameters
    ----------
    path : str or Path
        Polygon file (GeoJSON, GeoPackage, Shapefile, ...).
    name_field : str
        Column holding the district names.
    datum : {'wgs84', 'gcj02', 'bd09'}
        Datum of the outlines' lon/lat.  Web-map exports (Aliyun DataV, Amap)
        are GCJ-02 although labelled EPSG:4326; they sit ~500 m off in
        Shanghai unless converted.
    layer : str, optional
        Layer of a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name`` (text), the other source columns, ``geometry``, in
        EPSG:4326; rows without a name dropped.

    Raises
    ------
    InputError
        Missing or unreadable file, no CRS, no ``name_field`` column.
    ConfigError
        Unknown datum.
    """
    side = read_layer(path, datum=datum, layer=layer, name_field=name_field, what="--district-boundaries")
    gdf = side.frame.to_crs("EPSG:4326")
    gdf = gdf[gdf[name_field].notna()].copy()
    gdf[name_field] = gdf[name_field].astype(str).str.strip()
    if name_field != "name":
        gdf = gdf.drop(columns=["name"], errors="ignore").rename(columns={name_field: "name"})
    return gdf


#: Suffixes of OpenStreetMap files: their area polygons are in GDAL's ``multipolygons`` layer.
OSM_SUFFIXES = (".pbf", ".osm")
#: Columns of the frame :func:`read_context` returns (then the ``osm_*`` tag columns found, then ``geometry``).
CONTEXT_COLUMNS = ("context_id", "context_name", "use")


def read_context(path, *, datum=None, layer=None, encoding=None, use_field=None) -> gpd.GeoDataFrame:
    """Site-context polygons (``--context``): land-use parcels or OSM areas, with the text their rules read.

    Parameters
    ----------
    path : str or Path
        Any vector file :func:`read_layer` reads, or an ``.osm.pbf`` (its
        ``multipolygons`` layer).
    datum : {'wgs84', 'gcj02', 'bd09'}, optional
        Datum of lon/lat coordinates (GCJ-02 / BD-09 are converted to WGS 84).
    layer : str, optional
        Layer of a multi-layer file; default the first (``multipolygons`` for OSM files).
    encoding : str, optional
        Shapefile text encoding; default UTF-8, then GBK.
    use_field : str, optional
        The column with the land-use code or name; default every ``[context] use``
        column of ``presets/fields.toml`` present (用地性质, 用地代码, 用地名称, …), joined by a space.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per polygonal feature that is not itself a building (OSM
        ``building=*`` polygons are left out): ``context_id``
        (``'<file>#<feature number, 1-based>'``), ``context_name`` (text or NA),
        ``use`` (land-use text or NA), the ``osm_*`` tag columns found (lower-case
        values, as :func:`pvsite.io.footprints.osm_tags` reads them from any format),
        ``geometry`` in the file's CRS (EPSG:4326 after a datum conversion).

    Raises
    ------
    InputError
        Missing, empty or unreadable file; a file without CRS; no polygons; a
        ``use_field`` not in the layer.
    """
    from pvsite.io.fields import clean_text, fields_preset
    from pvsite.io.footprints import OSM_RULE_TAGS, osm_tags

    path = Path(path)
    if layer is None and path.suffix.lower() in OSM_SUFFIXES:
        layer = "multipolygons"
    side = read_layer(path, datum=datum, layer=layer, encoding=encoding, name_field=use_field, what="--context")
    frame = side.frame
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    cand = fields_preset().get("context", {})
    lower = {str(c).strip().lower(): c for c in attrs.columns}
    use_cols = [use_field] if use_field else list(dict.fromkeys(
        lower[c.lower()] for c in cand.get("use", []) if c.lower() in lower))
    use = pd.Series(pd.NA, index=attrs.index, dtype="str")
    for c in use_cols:
        part = clean_text(attrs[c].astype("str"))
        use = (use + " " + part).where(use.notna() & part.notna(), use.fillna(part))
    name = pd.Series(pd.NA, index=attrs.index, dtype="str")
    for c in [lower[c.lower()] for c in cand.get("name", []) if c.lower() in lower]:
        name = name.fillna(clean_text(attrs[c].astype("str")))
    tags, _ = osm_tags(attrs)
    cols = {"context_id": pd.Series([f"{path.name}#{i + 1}" for i in range(len(frame))], index=attrs.index,
                                    dtype="str"),
            "context_name": name, "use": use}
    for key, col in OSM_RULE_TAGS.items():
        if key in tags.columns:
            cols[col] = tags[key].str.lower()
    out = gpd.GeoDataFrame(cols, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    polygonal = shapely.get_type_id(out.geometry.to_numpy()) == 3
    polygonal |= shapely.get_type_id(out.geometry.to_numpy()) == 6
    keep = polygonal & ~shapely.is_empty(out.geometry.to_numpy())
    if "osm_building" in out.columns:
        keep &= (out["osm_building"].isna() | (out["osm_building"] == "no")).to_numpy()
    if not keep.any():
        raise InputError(f"--context file {side.label} holds no area polygons (only points, lines or buildings).",
                         fix="Give land-use parcels or OSM area polygons (amenity=school, landuse=industrial, …).",
                         zh=f"--context 文件 {side.label} 中没有面状区域（只有点、线或建筑）。",
                         fix_zh="请提供用地地块或 OSM 面状区域（amenity=school、landuse=industrial 等）。")
    out = out.loc[keep].reset_index(drop=True)
    out["geometry"] = shapely.make_valid(out.geometry.to_numpy())
    log.info("--context %s: %d area polygon(s); land-use text from %s", side.label, len(out),
             ", ".join(map(str, use_cols)) or "(no column)")
    return out


def read_within(spec) -> gpd.GeoDataFrame:
    """The ``--within PATH[:datum]`` region: its features, in their CRS (EPSG:4326 after a datum conversion).

    Raises
    ------
    InputError
        Missing / unreadable / empty file, or no CRS.
    """
    path, datum = parse_spec(spec)
    side = read_layer(path, datum=datum, what="--within")
    return side.frame[[side.frame.geometry.name]]


# ---------------------------------------------------------------------------
# Vector files
# ---------------------------------------------------------------------------


def _all_layers(path: Path) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"Cannot open {path}: {exc}.", fix="Check that the file is a vector dataset GDAL reads.",
                         zh=f"无法打开 {path}：{exc}。",
                         fix_zh="请检查该文件是否为 GDAL 可读的矢量数据。") from None


def _read_one(path: Path, layer, encoding, what):
    """(frame, layer name) of one layer; a Shapefile's text decoded strictly (UTF-8, then GBK)."""
    where = f"{what} file {path}" + (f" (layer {layer})" if layer else "")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return gpd.read_parquet(path), None
        except Exception as exc:  # pyarrow / geopandas raise several types
            raise InputError(f"Cannot read {where} as GeoParquet: {exc}.",
                             fix="Write it with GeoDataFrame.to_parquet() (GeoParquet metadata required).",
                             zh=f"无法把 {where} 读作 GeoParquet：{exc}。",
                             fix_zh="请用 GeoDataFrame.to_parquet() 写出（需要 GeoParquet 元数据）。") from None
    if layer is not None and path.is_file() and layer not in _all_layers(path):
        raise InputError(f"{path} has no layer {layer!r}. Layers: {', '.join(_all_layers(path)) or '(none)'}.",
                         fix=f"Give one of those layers for {what}.",
                         zh=f"{path} 没有图层 {layer!r}。图层：{', '.join(_all_layers(path)) or '（无）'}。",
                         fix_zh=f"请为 {what} 指定其中一个图层。")
    shapefile = path.suffix.lower() == ".shp"
    warn: list[str] = []
    tries = basis = cpg = None
    if shapefile:
        tries, _, basis, cpg = shapefile_encoding(path, encoding, warn)
    try:
        # OSM extracts hold degenerate rings (2-point ways cut at the extract's edge): those rows get no geometry.
        invalid = {"on_invalid": "ignore"} if path.suffix.lower() in OSM_SUFFIXES else {}
        df = pyogrio.read_dataframe(path, layer=layer, encoding=RAW_CODEC if shapefile else None, **invalid)
    except Exception as exc:  # pyogrio raises several types for bad files / layers
        raise InputError(f"Cannot read {where}: {exc}.",
                         fix="Use a file GDAL reads (GeoPackage, Shapefile, GeoJSON, FlatGeobuf) or a CSV with "
                             "lon/lat columns; ogrinfo / QGIS list its layers.",
                         zh=f"无法读取 {where}：{exc}。",
                         fix_zh="请使用 GDAL 可读的文件（GeoPackage、Shapefile、GeoJSON、FlatGeobuf）或带经纬度列的 CSV；ogrinfo / QGIS 可列出其图层。") from None
    if shapefile and isinstance(df, gpd.GeoDataFrame):
        df, used = decode_frame(df, path, tries, basis, cpg)
        if basis is None and used != tries[0]:
            warn.append(f"{path.name}: no .cpg and text is not UTF-8; decoded as {used}")
    for w in warn:
        log.warning("%s: %s", what, w)
    return df, layer


def _named_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` with its geometry column called ``geometry`` (GeoPackage layers may call it ``geom``)."""
    return gdf if gdf.geometry.name == "geometry" else gdf.rename_geometry("geometry")


def _has_geometry(df) -> bool:
    return isinstance(df, gpd.GeoDataFrame) and not shapely.is_missing(np.asarray(df.geometry.values)).all()


def _read_vector(path, key, layer, encoding, lon_col, lat_col, what, all_layers) -> SideLayer:
    if all_layers and path.suffix.lower() in MULTI_LAYER_SUFFIXES:
        names = spatial_layers(path)
        if len(names) > 1:
            parts = [_read_vector(path, key, n, encoding, lon_col, lat_col, what, False) for n in names]
            crs = parts[0].frame.crs  # every part has one (checked per layer); the first layer's wins
            frames = [_named_geometry(p.frame).to_crs(crs) for p in parts]
            frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
            return SideLayer(frame, path, None, parts[0].datum, "vector", None,
                             np.concatenate([p.source_lon for p in parts]),
                             np.concatenate([p.source_lat for p in parts]),
                             np.concatenate([p.feature_layer for p in parts]))
        layer = names[0] if names else layer
    df, layer = _read_one(path, layer, encoding, what)
    if lon_col is not None or lat_col is not None or not _has_geometry(df):
        table = pd.DataFrame(df.drop(columns=df.geometry.name) if isinstance(df, gpd.GeoDataFrame) else df)
        table = table.astype(object).where(table.notna(), "").astype(str)
        return _points_from_table(table, path, layer, key, lon_col, lat_col, what)
    if df.crs is None:
        raise InputError(
            f"{what} file {path}" + (f" (layer {layer})" if layer else "") + " declares no coordinate reference "
            "system (CRS), so its features cannot be placed on the footprints.",
            fix="Give the file a CRS (a .prj beside a Shapefile; in QGIS: Layer ▸ Set CRS, then export), "
                "e.g. EPSG:4326 for lon/lat.",
            zh=f"{what} 文件 {path}" + (f"（图层 {layer}）" if layer else "") + " 未声明坐标系（CRS），其要素无法与建筑轮廓对齐。",
            fix_zh="请为文件设置坐标系（Shapefile 旁加 .prj；QGIS：图层 ▸ 设置坐标系，再导出），如经纬度用 EPSG:4326。",
        )
    g = np.asarray(df.geometry.values)
    n = len(g)
    src_lon, src_lat = np.full(n, np.nan), np.full(n, np.nan)
    if df.crs.is_geographic:
        pts = ~shapely.is_missing(g) & (shapely.get_type_id(g) == 0)
        src_lon[pts] = shapely.get_x(g[pts])
        src_lat[pts] = shapely.get_y(g[pts])
    frame = df.reset_index(drop=True)
    if key in ("gcj02", "bd09"):
        frame = datums.convert_datum(frame, key)
    names = np.full(n, layer or path.stem, dtype=object)
    return SideLayer(frame, path, layer, key, "vector", None, src_lon, src_lat, names)


# ---------------------------------------------------------------------------
# Tables with lon/lat columns
# ---------------------------------------------------------------------------


def read_table(path, *, encoding=None, sheet=None, what="table") -> pd.DataFrame:
    """An attribute table without geometry (CSV / TSV / XLSX), every cell as text.

    Parameters
    ----------
    path : str or Path
        ``.csv`` / ``.txt`` (comma-separated), ``.tsv`` (tab-separated) or
        ``.xlsx`` / ``.xlsm``.
    encoding : str, optional
        Text encoding; default UTF-8 (BOM allowed), then GBK.
    sheet : str, optional
        Sheet of a workbook; default the first.
    what : str
        What the table is (``'--overrides'``), named in messages.

    Returns
    -------
    pandas.DataFrame
        Cells as ``str`` (blanks ``''``), column names stripped, RangeIndex.

    Raises
    ------
    InputError
        Missing, empty, undecodable or unparsable file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} file {path} does not exist.", fix=f"Check the path given to {what}.",
                         zh=f"找不到{what} 文件 {path}。",
                         fix_zh=f"请检查 {what} 给出的路径。")
    if path.stat().st_size == 0:
        raise InputError(f"{what} file {path} is empty (0 bytes).", fix="Write a header row, then one row per entry.",
                         zh=f"{what} 文件 {path} 是空文件（0 字节）。",
                         fix_zh="请先写表头行，再每条记录一行。")
    return _read_table(path, encoding, sheet, what)


def _read_table(path: Path, encoding, sheet, what) -> pd.DataFrame:
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            table = pd.read_excel(path, sheet_name=sheet or 0, dtype=str).fillna("")
        except Exception as exc:  # openpyxl / pandas raise several types
            raise InputError(f"Cannot read {what} workbook {path}" + (f" (sheet {sheet})" if sheet else "")
                             + f": {exc}.", fix="Check the sheet name, or save the sheet as CSV (UTF-8).",
                             zh=f"无法读取{what} 工作簿 {path}" + (f"（工作表 {sheet}）" if sheet else "") + f"：{exc}。",
                             fix_zh="请检查工作表名称，或将该工作表另存为 CSV（UTF-8）。") from None
    else:
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        table, _ = read_csv_text(path, encoding, sep=sep, what=f"{what} file")
    table.columns = [str(c).strip() for c in table.columns]
    return table.reset_index(drop=True)


def column_datum(name) -> str | None:
    """Datum a coordinate column's name states (``'lon_bd09'`` → ``'bd09'``), None when it states none."""
    low = str(name).lower().replace("-", "").replace("_", "")
    return next((d for d in DATUM_SUFFIXES if low.endswith(d)), None)


def _datum_hint(what: str) -> str:
    return "--exclude-datum gcj02" if what == "--exclude" else f"{what} PATH:gcj02"


def pick_lonlat(columns, lon_col, lat_col, datum, path, what="--registry"):
    """The lon/lat columns of a table: (lon column, lat column, datum the columns name or None).

    Explicit ``lon_col``/``lat_col`` win (case-insensitive); otherwise the
    first pair of ``[registry] lonlat`` (``presets/fields.toml``) found,
    preferring a pair that names ``datum``.

    Raises
    ------
    InputError
        No recognisable pair, or a named column that is missing.
    ConfigError
        Only one of ``lon_col``/``lat_col``; ``datum`` not given and not
        named by the columns (or named differently by two pairs); ``datum``
        contradicting every pair.
    """
    lower = {}
    for c in columns:
        lower.setdefault(str(c).strip().lower(), c)
    listing = ", ".join(map(str, columns))
    if lon_col is not None or lat_col is not None:
        if lon_col is None or lat_col is None:
            raise ConfigError(f"{what} file {path}: give both the longitude and the latitude column.",
                              fix="Pass lon_col and lat_col together.",
                              zh=f"{what} 文件 {path}：经度列和纬度列须同时给出。",
                              fix_zh="请同时传入 lon_col 和 lat_col。")
        got = [c if c in columns else lower.get(str(c).strip().lower()) for c in (lon_col, lat_col)]
        if None in got:
            raise InputError(f"{what} file {path} has no column {lon_col if got[0] is None else lat_col!r}. "
                             f"Columns: {listing}.", fix="Name the coordinate columns of the file.",
                             zh=f"{what} 文件 {path} 没有列 {lon_col if got[0] is None else lat_col!r}。现有列：{listing}。",
                             fix_zh="请指定文件中的坐标列。")
        return got[0], got[1], column_datum(got[0]) or column_datum(got[1])
    found = []
    for lon, lat in load_registry_candidates()["lonlat"]:
        a, b = lower.get(lon.lower()), lower.get(lat.lower())
        if a is not None and b is not None and (a, b) not in [(f[0], f[1]) for f in found]:
            found.append((a, b, column_datum(a) or column_datum(b)))
    if not found:
        raise InputError(
            f"{what} file {path} has neither geometry nor longitude/latitude columns pvsite recognises. "
            f"Columns: {listing}.",
            fix="Name the columns lon/lat (or lng/lat, longitude/latitude, 经度/纬度, lon_bd09/lat_bd09), pass "
                "lon_col / lat_col, or add the pair to [registry] lonlat in presets/fields.toml.",
            zh=f"{what} 文件 {path} 既没有几何，也没有 pvsite 能识别的经纬度列。现有列：{listing}。",
            fix_zh="请将列命名为 lon/lat（或 lng/lat、longitude/latitude、经度/纬度、lon_bd09/lat_bd09），传入 lon_col / lat_col，或在 presets/fields.toml 的 [registry] lonlat 中添加该列对。",
        )
    if datum is not None:
        same = [f for f in found if f[2] == datum]
        generic = [f for f in found if f[2] is None]
        if same or generic:
            return (same or generic)[0]
        names = "; ".join(f"{a}/{b} ({d})" for a, b, d in found)
        raise ConfigError(
            f"{what} file {path}: datum {datum} declared, but its coordinate columns are {names}.",
            fix="Declare the datum the columns hold, or name the columns with lon_col / lat_col.",
            zh=f"{what} 文件 {path}：声明的坐标系为 {datum}，但其坐标列为 {names}。",
            fix_zh="请声明坐标列实际所用的坐标系，或用 lon_col / lat_col 指定坐标列。",
        )
    named = [f for f in found if f[2] is not None]
    if len({f[2] for f in named}) == 1 and len(named) == len(found):
        return named[0]
    names = "; ".join(f"{a}/{b}" + (f" ({d})" if d else "") for a, b, d in found)
    raise ConfigError(
        f"{what} file {path}: the datum of its coordinates ({names}) is not declared.",
        fix=f"State it: wgs84 (GPS, OpenStreetMap), gcj02 (Amap/Gaode, Tencent) or bd09 (Baidu), e.g. "
            f"{_datum_hint(what)}.  Web-map points taken as WGS 84 land ~500 m off in Shanghai.",
        zh=f"{what} 文件 {path}：未声明其坐标（{names}）的坐标系（datum）。",
        fix_zh=f"请注明：wgs84（GPS、OpenStreetMap）、gcj02（高德、腾讯）或 bd09（百度），如 {_datum_hint(what)}。把网络地图坐标当作 WGS 84，在上海会偏约 500 m。",
    )


def _points_from_table(table: pd.DataFrame, path: Path, layer, key, lon_col, lat_col, what) -> SideLayer:
    table = table.reset_index(drop=True)
    table.columns = [str(c).strip() for c in table.columns]
    lon_name, lat_name, col_datum = pick_lonlat(list(table.columns), lon_col, lat_col, key, path, what)
    if key is not None and col_datum is not None and col_datum != key:
        raise ConfigError(f"{what} file {path}: datum {key} declared but columns {lon_name}/{lat_name} "
                          f"say {col_datum}.", fix="Declare the datum the columns hold.",
                          zh=f"{what} 文件 {path}：声明的坐标系为 {key}，但列 {lon_name}/{lat_name} 表明是 {col_datum}。",
                          fix_zh="请声明坐标列实际所用的坐标系。")
    key = key or col_datum
    lon = pd.to_numeric(table[lon_name].astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(table[lat_name].astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any() and ((lat[ok] > 60) & (lat[ok] <= 180) & (np.abs(lon[ok]) < 60)).all():
        raise InputError(f"{what} file {path}: {lon_name} holds values like latitudes and {lat_name} like "
                         f"longitudes ({lon[ok][0]:g}, {lat[ok][0]:g}).",
                         fix="Swap the columns (lon_col / lat_col).",
                         zh=f"{what} 文件 {path}：{lon_name} 的值像纬度，{lat_name} 的值像经度（{lon[ok][0]:g}, {lat[ok][0]:g}）。",
                         fix_zh="请对调这两列（lon_col / lat_col）。")
    bad = ok & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:10])
        raise InputError(
            f"{what} file {path}: columns {lon_name}/{lat_name} hold values that are not lon/lat degrees "
            f"(rows {rows}).", fix="Give lon/lat columns in degrees (projected coordinates are not supported "
                                   "in a table: convert them, or use a vector file with its CRS).",
            zh=f"{what} 文件 {path}：列 {lon_name}/{lat_name} 的值不是经纬度（度）（行 {rows}）。",
            fix_zh="请提供以度为单位的经纬度列（表格不支持投影坐标：请先转换，或使用带坐标系的矢量文件）。")
    wlon, wlat = datums.to_wgs84(lon, lat, key)
    geoms = np.full(len(table), None, dtype=object)
    geoms[ok] = shapely.points(np.asarray(wlon)[ok], np.asarray(wlat)[ok])
    frame = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    names = np.full(len(table), layer or path.stem, dtype=object)
    return SideLayer(frame, path, layer, key, "table", (lon_name, lat_name), lon, lat, names)
