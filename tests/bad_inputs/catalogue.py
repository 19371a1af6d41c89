"""A catalogue of bad inputs, as data.

Each :class:`Case` builds its bad file(s) in a temporary folder at test time
(no binaries committed), gives the ``pvsite run`` arguments, the exit code
the CLI must return and substrings its message must contain: the file (or
option), the feature/row/key, and the fix.  ``tests/test_bad_inputs.py``
runs every case through the real CLI.

Exit codes (``pvsite.errors``): 0 success, 2 InputError (and click usage
errors), 3 ConfigError, 4 OutputError, 5 SelectionError, 70 internal error.

Cases whose run *succeeds* (the input is repaired or rejected row by row)
carry a ``check(out_gpkg, output)`` that inspects the written GeoPackage:
the bad row must be in ``roofs`` and, when rejected, in ``rejected`` with
its reason.

``xfail`` names a case the current code gets wrong and that is listed in the
helper's report with the proposed fix; the test is a strict xfail, so it
turns red (XPASS) the moment the fix lands and the mark must be removed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely

from pvsite.resources import DEFAULT_WEATHER

# ---------------------------------------------------------------------------
# Case record
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    id : str
        Short unique id (pytest parameter id).
    description : str
        What is wrong with the input, and what pvsite should do.
    build : callable
        ``build(tmp: Path) -> list[str]``: writes the bad file(s) into
        ``tmp`` and returns the ``pvsite run`` arguments (without ``run``;
        ``--out`` is added by the test unless the case gives one).
    exit_code : int
        Expected CLI exit code.
    expect : tuple of str
        Substrings the CLI output must contain (file, feature/option, fix).
    check : callable, optional
        ``check(out: Path, output: str)`` for successful runs: inspects the
        written GeoPackage.
    xfail : str, optional
        Reason the current code fails this case (strict xfail).
    """

    id: str
    description: str
    build: Callable[[Path], list[str]]
    exit_code: int
    expect: tuple[str, ...] = ()
    check: Callable[[Path, str], None] | None = None
    xfail: str | None = None


# ---------------------------------------------------------------------------
# Builders' helpers
# ---------------------------------------------------------------------------

#: South-west corner of the tiny test blocks: inside Changning (Xinhua Road area) [°].
LON0, LAT0 = 121.4200, 31.2100
#: Size of one test building in degrees (≈ 28.5 m E–W × 33.3 m N–S at 31.2° N) [°].
D = 0.0003


def box(i: int, j: int = 0, size: float = D) -> shapely.Polygon:
    """A ≈ 30 m × 30 m building, ``i`` blocks east and ``j`` north of (LON0, LAT0)."""
    x, y = LON0 + i * 0.001, LAT0 + j * 0.001
    return shapely.box(x, y, x + size, y + size)


def buildings(geoms, **extra) -> gpd.GeoDataFrame:
    """A footprint frame in EPSG:4326 with Chinese survey columns 编号/名称/用途."""
    n = len(geoms)
    data = {
        "编号": extra.pop("ids", [f"B{i:03d}" for i in range(n)]),
        "名称": extra.pop("names", [f"楼{i}" for i in range(n)]),
        "用途": extra.pop("uses", ["学校", "办公", "工厂", "住宅"] * (n // 4) + ["学校", "办公", "工厂"][: n % 4]),
        **extra,
    }
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geoms)), crs="EPSG:4326")


def good_frame() -> gpd.GeoDataFrame:
    """Four valid buildings (a school, an office, a factory, housing)."""
    return buildings([box(i) for i in range(4)])


def write(gdf: gpd.GeoDataFrame, path: Path, layer: str = "buildings", **kw) -> Path:
    pyogrio.write_dataframe(gdf, path, layer=layer, **kw)
    return path


def good_gpkg(tmp: Path, name: str = "ok.gpkg") -> Path:
    return write(good_frame(), tmp / name)


def fp(path: Path) -> list[str]:
    return ["--footprints", str(path)]


def random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def streets_frame() -> gpd.GeoDataFrame:
    """Two street polygons: 甲街道 covers blocks 0–4, 乙街道 blocks 5–9 (row j = 0)."""
    a = shapely.box(LON0 - 0.0005, LAT0 - 0.0005, LON0 + 0.0045, LAT0 + 0.0008)
    b = shapely.box(LON0 + 0.0045, LAT0 - 0.0005, LON0 + 0.0095, LAT0 + 0.0008)
    return gpd.GeoDataFrame({"name": ["甲街道", "乙街道"]}, geometry=[a, b], crs="EPSG:4326")


def with_streets(tmp: Path, gdf: gpd.GeoDataFrame, name: str = "district.gpkg") -> Path:
    path = write(gdf, tmp / name)
    write(streets_frame(), path, layer="streets")
    return path


# --- weather -----------------------------------------------------------------

N_COMMENT_LINES = sum(1 for line in DEFAULT_WEATHER.read_text(encoding="utf-8").splitlines()
                      if line.startswith("#"))
#: File line of data row 0 (comment lines, then the column header).
FIRST_DATA_LINE = N_COMMENT_LINES + 2


def weather_csv(tmp: Path, name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    """Copy the default weather year with ``edit`` applied to its table."""
    lines = DEFAULT_WEATHER.read_text(encoding="utf-8").splitlines(keepends=True)
    header = "".join(lines[:N_COMMENT_LINES])
    table = pd.read_csv(io.StringIO("".join(lines[N_COMMENT_LINES:])))
    table = edit(table.copy())
    path = tmp / name
    path.write_text(header + table.to_csv(index=False), encoding="utf-8")
    return path


def line(row: int) -> str:
    """'line N' of data row ``row`` in a weather_csv file."""
    return f"line {FIRST_DATA_LINE + row}"


def with_weather(tmp: Path, name: str, edit) -> list[str]:
    return fp(good_gpkg(tmp)) + ["--weather", str(weather_csv(tmp, name, edit))]


def set_value(col: str, row: int, value: float):
    def edit(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[row, col] = value
        return t
    return edit


def with_config(tmp: Path, text: str, name: str = "pvsite.toml") -> list[str]:
    cfg = tmp / name
    cfg.write_text(text, encoding="utf-8")
    return fp(good_gpkg(tmp)) + ["--config", str(cfg)]


# --- output checks --------------------------------------------------------------


def roofs_of(out: Path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(out, layer="roofs")


def rejected_of(out: Path) -> gpd.GeoDataFrame:
    layers = [str(n) for n, _ in pyogrio.list_layers(out)]
    assert "rejected" in layers, f"{out} has no 'rejected' layer (layers: {layers})"
    return pyogrio.read_dataframe(out, layer="rejected")


def run_info_of(out: Path) -> dict:
    info = pyogrio.read_dataframe(out, layer="run_info")
    return dict(zip(info["key"], info["value"]))


def expect_rejected(n_input: int, rejected_rows: dict[int, str]):
    """A check: every input row is in roofs; ``rejected_rows`` (source_row → reason part) rejected."""

    def check(out: Path, output: str) -> None:
        roofs = roofs_of(out)
        assert sorted(roofs["source_row"]) == list(range(n_input))
        status = dict(zip(roofs["source_row"], roofs["status"]))
        for row, why in rejected_rows.items():
            assert status[row] == "rejected", (row, status[row])
        assert sum(s == "rejected" for s in status.values()) == len(rejected_rows)
        if rejected_rows:
            rej = rejected_of(out)
            reasons = dict(zip(rej["source_row"], rej["reject_reason"]))
            assert set(reasons) == set(rejected_rows)
            for row, why in rejected_rows.items():
                assert why in reasons[row], (row, reasons[row])
        info = run_info_of(out)
        assert info["n_input_features"] == str(n_input)
        assert info["n_rejected"] == str(len(rejected_rows))

    return check


# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------

# --- footprint files ------------------------------------------------------------


def b_missing_footprints(tmp):
    return fp(tmp / "nosuch_buildings.gpkg")


def b_corrupt_gpkg(tmp):
    p = tmp / "garbage.gpkg"
    p.write_bytes(random_bytes(4096, seed=1))
    return fp(p)


def b_truncated_shp(tmp):
    p = tmp / "cut.shp"
    write(buildings([box(i) for i in range(6)]), p, layer="cut", encoding="UTF-8")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])  # .shx and .dbf still list all 6 features
    return fp(p)


def b_corrupt_geojson(tmp):
    p = tmp / "broken.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polyg',
                 encoding="utf-8")
    return fp(p)


def b_unsupported_suffix(tmp):
    p = tmp / "buildings.txt"
    p.write_text("id,wkt\n1,POLYGON((0 0,1 0,1 1,0 0))\n", encoding="utf-8")
    return fp(p)


def b_directory_as_footprints(tmp):
    d = tmp / "folder.gpkg"
    d.mkdir()
    return fp(d)


def b_wrong_layer(tmp):
    p = good_gpkg(tmp, "layers.gpkg")
    return fp(p) + ["--layer", "buldings"]


def b_ambiguous_layers(tmp):
    p = write(good_frame(), tmp / "two.gpkg", layer="blds_2019")
    write(good_frame(), p, layer="blds_2024")
    return fp(p)


def b_attribute_table_layer(tmp):
    p = good_gpkg(tmp, "withtable.gpkg")
    pyogrio.write_dataframe(pd.DataFrame({"key": ["a"], "value": ["b"]}), p, layer="notes")
    return fp(p) + ["--layer", "notes"]


def b_no_crs_shp(tmp):
    p = tmp / "noprj.shp"
    write(good_frame(), p, layer="noprj", encoding="UTF-8")
    p.with_suffix(".prj").unlink()
    return fp(p)


def _projected(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Metres (CGCS2000 / 3-degree GK CM 120E) labelled as EPSG:4326."""
    return gdf.to_crs("EPSG:4549").set_crs("EPSG:4326", allow_override=True)


def b_projected_as_4326(tmp):
    return fp(write(_projected(good_frame()), tmp / "metres.gpkg"))


def b_geojson_projected(tmp):
    p = tmp / "survey.geojson"
    write(_projected(good_frame()), p, layer="survey", driver="GeoJSON")
    return fp(p)


def b_swapped_lonlat(tmp):
    gdf = good_frame()
    gdf.geometry = shapely.transform(np.asarray(gdf.geometry.values), lambda xy: xy[:, ::-1])
    return fp(write(gdf, tmp / "latlon.gpkg"))


def b_lonlat_declared_projected(tmp):
    gdf = good_frame().set_crs("EPSG:4549", allow_override=True)  # degrees labelled as metres
    return fp(write(gdf, tmp / "degrees_as_metres.gpkg"))


def b_empty_layer(tmp):
    empty = gpd.GeoDataFrame({"名称": pd.Series([], dtype="str")}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    return fp(write(empty, tmp / "nothing.gpkg", geometry_type="Polygon"))


def b_all_points(tmp):
    gdf = buildings([shapely.Point(LON0 + i * 0.001, LAT0) for i in range(3)])
    return fp(write(gdf, tmp / "points.gpkg", geometry_type="Point"))


def b_self_intersecting(tmp):
    x, y = LON0 + 0.004, LAT0
    bowtie = shapely.Polygon([(x, y), (x + D, y + D), (x + D, y), (x, y + D), (x, y)])
    gdf = buildings([box(0), box(1), bowtie])
    return fp(write(gdf, tmp / "bowtie.gpkg", geometry_type="Unknown"))


def check_bowtie(out: Path, output: str) -> None:
    roofs = roofs_of(out)
    assert len(roofs) == 3
    row = roofs[roofs["source_row"] == 2].iloc[0]
    assert row["status"] != "rejected"
    assert "repaired invalid geometry (Self-intersection)" in row["geometry_note"]
    # the repaired bow-tie is two triangles of half the box each: area ≈ ½ × 28.5 m × 33.3 m
    assert 400 < row["area_m2"] < 550


def b_zero_area(tmp):
    x, y = LON0 + 0.004, LAT0
    flat = shapely.Polygon([(x, y), (x + D, y), (x + 2 * D, y), (x, y)])  # collinear: zero area
    gdf = buildings([box(0), flat, box(1)])
    return fp(write(gdf, tmp / "sliver.gpkg", geometry_type="Unknown"))


def b_huge_polygon(tmp):
    # a 50 km × 50 km "building" (a district/city outline pasted into the footprint layer)
    big = shapely.box(121.20, 31.00, 121.20 + 0.5254, 31.00 + 0.4505)
    return fp(write(buildings([box(0), box(1), big]), tmp / "huge.gpkg"))


def b_generic_layer_beside_streets(tmp):
    # mixed geometry types make the buildings layer 'Unknown'-typed; `streets` is the only POLYGON layer
    gdf = buildings([box(0), shapely.MultiPolygon([box(1), box(2)]), box(3)])
    path = write(gdf, tmp / "generic.gpkg", geometry_type="Unknown")
    write(streets_frame(), path, layer="streets")
    return fp(path)


def check_generic(out: Path, output: str) -> None:
    roofs = roofs_of(out)
    assert sorted(roofs["building_id"]) == ["B000", "B001", "B002"]


def b_z_geometries(tmp):
    gdf = buildings([shapely.force_3d(box(i), 12.0) for i in range(3)])
    return fp(write(gdf, tmp / "with_z.gpkg"))


def check_z(out: Path, output: str) -> None:
    roofs = roofs_of(out)
    assert len(roofs) == 3 and (roofs["status"] != "rejected").all()
    assert not shapely.has_z(np.asarray(roofs.geometry.values)).any()


def b_m_geometries(tmp):
    wkt = [f"POLYGON M (({x} {LAT0} 1, {x + D} {LAT0} 2, {x + D} {LAT0 + D} 3, {x} {LAT0 + D} 4, {x} {LAT0} 1))"
           for x in (LON0, LON0 + 0.001)]
    p = tmp / "with_m.gpkg"
    pyogrio.raw.write(p, geometry=shapely.to_wkb(shapely.from_wkt(wkt), flavor="iso"),
                      field_data=[np.array(["甲", "乙"], dtype=object), np.array(["学校", "办公"], dtype=object)],
                      fields=["名称", "用途"], layer="buildings", driver="GPKG", geometry_type="Unknown",
                      crs="EPSG:4326")
    return fp(p)


def check_m(out: Path, output: str) -> None:
    roofs = roofs_of(out)
    assert len(roofs) == 2 and (roofs["status"] != "rejected").all()
    assert (roofs["area_m2"] > 800).all()


def b_duplicate_ids(tmp):
    gdf = buildings([box(i) for i in range(4)], ids=["A1", "A1", "A2", "A2"])
    return fp(write(gdf, tmp / "dupids.gpkg"))


def check_dupids(out: Path, output: str) -> None:
    roofs = roofs_of(out)
    assert roofs["building_id"].is_unique and len(roofs) == 4
    assert sorted(roofs["building_id"]) == [f"dupids-{i}" for i in range(4)]


def b_null_empty_mixed(tmp):
    geoms = [box(0), None, shapely.Polygon(), shapely.LineString([(LON0, LAT0), (LON0 + D, LAT0)]), box(1)]
    return fp(write(buildings(geoms), tmp / "mixed.gpkg", geometry_type="Unknown"))


def b_outside_street(tmp):
    # all buildings lie in 甲街道 (blocks 0–3); the user asks for 乙街道
    return fp(with_streets(tmp, good_frame())) + ["--street", "乙街道"]


def b_outside_district(tmp):
    # two buildings inside the street polygons, one 3 km away (outside every street)
    gdf = buildings([box(0), box(6), box(3, j=30)])
    return fp(with_streets(tmp, gdf, "partly_outside.gpkg"))


def check_outside(out: Path, output: str) -> None:
    roofs = roofs_of(out)
    assert len(roofs) == 3
    street = dict(zip(roofs["source_row"], roofs["street"]))
    assert street[0] == "甲街道" and street[1] == "乙街道"
    assert street[2] not in ("甲街道", "乙街道")


def _shapefile_with_raw_text(tmp: Path, name: str, raw: bytes, cpg: str | None) -> Path:
    """A Shapefile whose 名称 values are the given raw bytes (via latin-1), .cpg as given."""
    p = tmp / f"{name}.shp"
    gdf = gpd.GeoDataFrame({"NAME": [raw.decode("latin-1")] * 2, "USE": ["school", "office"]},
                           geometry=[box(0), box(1)], crs="EPSG:4326")
    pyogrio.write_dataframe(gdf, p, layer=name, encoding="ISO-8859-1")
    cpg_path = p.with_suffix(".cpg")
    if cpg is None:
        cpg_path.unlink(missing_ok=True)
    else:
        cpg_path.write_text(cpg, encoding="ascii")
    return p


def b_undecodable_text(tmp):
    # 0xFF is not a lead byte in UTF-8 nor in GBK: no .cpg, so UTF-8 then GBK are tried and both fail
    return fp(_shapefile_with_raw_text(tmp, "garbled", b"\xff\xfe\xff school", cpg=None))


def b_wrong_cpg(tmp):
    # GBK text (教育局 = '教育局'.encode('gbk')) under a .cpg that says UTF-8
    return fp(_shapefile_with_raw_text(tmp, "wrongcpg", "区教育局".encode("gbk"), cpg="UTF-8"))


def b_unknown_encoding(tmp):
    p = _shapefile_with_raw_text(tmp, "nocpg", "区教育局".encode("gbk"), cpg=None)
    return fp(p) + ["--encoding", "gbk-typo"]


def b_mapped_field_missing(tmp):
    return with_config(tmp, '[input.fields]\nname = "JZMC"\n', "fields.toml")


def b_streets_file_missing(tmp):
    return fp(good_gpkg(tmp)) + ["--streets", str(tmp / "no_streets.gpkg")]


def b_streets_no_name(tmp):
    s = streets_frame().rename(columns={"name": "jdmc"})
    p = write(s, tmp / "streets_nc.gpkg", layer="streets")
    return fp(good_gpkg(tmp)) + ["--streets", str(p)]


def b_bad_crs(tmp):
    p = tmp / "noprj2.shp"
    write(good_frame(), p, layer="noprj2", encoding="UTF-8")
    p.with_suffix(".prj").unlink()
    return fp(p) + ["--crs", "EPSG:99999"]


# --- weather -----------------------------------------------------------------------


def b_weather_missing(tmp):
    return fp(good_gpkg(tmp)) + ["--weather", str(tmp / "nosuch.epw")]


def b_weather_gap(tmp):
    return with_weather(tmp, "gappy.csv", lambda t: t.drop(index=range(1000, 1003)).reset_index(drop=True))


def b_weather_nan(tmp):
    return with_weather(tmp, "holes.csv", set_value("ghi", 4000, np.nan))


def b_weather_negative(tmp):
    return with_weather(tmp, "negative.csv", set_value("ghi", 4100, -80.0))


def b_weather_8759(tmp):
    return with_weather(tmp, "short.csv", lambda t: t.iloc[:-1])


def b_weather_kw(tmp):
    def edit(t):
        t[["ghi", "dni", "dhi"]] = t[["ghi", "dni", "dhi"]] / 1000.0
        return t
    return with_weather(tmp, "kw.csv", edit)


def b_weather_kelvin(tmp):
    def edit(t):
        t["temp_air"] = t["temp_air"] + 273.15
        return t
    return with_weather(tmp, "kelvin.csv", edit)


def b_weather_kj(tmp):
    def edit(t):
        t[["ghi", "dni", "dhi"]] = t[["ghi", "dni", "dhi"]] * 3.6  # kJ/m² per hour, not W/m²
        return t
    return with_weather(tmp, "kj.csv", edit)


def b_weather_columns(tmp):
    # GHI_Wm2 and the EPW-style names are recognised since issue 11; G_h is no name pvsite can guess
    return with_weather(tmp, "cols.csv", lambda t: t.rename(columns={"ghi": "G_h"}))


def b_weather_corrupt(tmp):
    p = tmp / "noise.epw"
    p.write_bytes(random_bytes(20000, seed=2))
    return fp(good_gpkg(tmp)) + ["--weather", str(p)]


# --- config / options ---------------------------------------------------------------


def b_config_missing(tmp):
    return fp(good_gpkg(tmp)) + ["--config", str(tmp / "nosuch.toml")]


def b_config_typo(tmp):
    return with_config(tmp, "[mounting]\nflat_tilt_dg = 15\n", "typo.toml")


def b_config_section_typo(tmp):
    return with_config(tmp, "[mountng]\nflat_tilt_deg = 15\n", "section.toml")


def b_config_wrong_type(tmp):
    return with_config(tmp, '[mounting]\nflat_tilt_deg = "twenty"\n', "wrongtype.toml")


def b_config_syntax(tmp):
    return with_config(tmp, "[roof]\nmin_usable_area_m2 = 20 m2\n", "syntax.toml")


def b_config_out_of_range(tmp):
    return with_config(tmp, "[mounting]\nflat_tilt_deg = 120\n", "range.toml")


def b_config_negative_setback(tmp):
    return with_config(tmp, "[roof.setback_m]\nflat = -1.5\n", "setback.toml")


def b_config_zero_step(tmp):
    return with_config(tmp, "[system]\norientation_step_deg = 0\n", "step.toml")


def b_config_bad_choice(tmp):
    return with_config(tmp, '[system]\ntemperature_model = "pvsyst-typo"\n', "choice.toml")


def b_config_footprints_missing(tmp):
    cfg = tmp / "paths.toml"
    cfg.write_text('[input]\nfootprints = "survey/buildings_2024.gpkg"\n', encoding="utf-8")
    return ["--config", str(cfg)]


def b_unknown_scenario(tmp):
    return fp(good_gpkg(tmp)) + ["--scenario", "plan-2052"]


def b_unknown_policy(tmp):
    return fp(good_gpkg(tmp)) + ["--policy", "changning-2032"]


def b_policy_bad_toml(tmp):
    p = tmp / "mypolicy.toml"
    p.write_text('name = "x"\ntarget_kw = [\n', encoding="utf-8")
    return fp(good_gpkg(tmp)) + ["--policy", str(p)]


# --- selection ------------------------------------------------------------------------


def b_unknown_street(tmp):
    return fp(with_streets(tmp, good_frame())) + ["--street", "丙街道"]


# --- output -----------------------------------------------------------------------------


def b_out_under_file(tmp):
    blocker = tmp / "blocker"
    blocker.write_text("a regular file, not a folder", encoding="utf-8")
    return fp(good_gpkg(tmp)) + ["--out", str(blocker / "x.gpkg")]


def b_out_in_proc(tmp):
    return fp(good_gpkg(tmp)) + ["--out", "/proc/pvsite_no_such_dir/x.gpkg"]


def b_out_exists(tmp):
    out = tmp / "previous.gpkg"
    out.write_bytes(b"previous result")
    return fp(good_gpkg(tmp)) + ["--out", str(out)]


def b_out_qgs_exists(tmp):
    out = tmp / "report.gpkg"
    out.with_suffix(".qgs").write_text("<qgis/>", encoding="utf-8")
    return fp(good_gpkg(tmp)) + ["--out", str(out)]


def b_out_semicolon(tmp):
    return fp(good_gpkg(tmp)) + ["--out", str(tmp / "长宁;2025.gpkg")]


def b_out_suffix(tmp):
    return fp(good_gpkg(tmp)) + ["--out", str(tmp / "result.shp")]


# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------


CASES: list[Case] = [
    # --- footprint files -----------------------------------------------------------
    Case("missing-footprints", "footprint file does not exist", b_missing_footprints, 2,
         ("nosuch_buildings.gpkg", "does not exist", "--footprints")),
    Case("corrupt-gpkg", "4 KiB of random bytes named .gpkg", b_corrupt_gpkg, 2,
         ("garbage.gpkg", "Cannot open", "valid vector dataset")),
    Case("truncated-shp", "a .shp cut in half (its .shx and .dbf list all 6 features)", b_truncated_shp, 2,
         ("cut.shp", "truncated", "export")),
    Case("corrupt-geojson", "GeoJSON cut mid-text (not valid JSON)", b_corrupt_geojson, 2,
         ("broken.geojson", "Cannot open", "valid vector dataset")),
    Case("unsupported-suffix", "a .txt file given as footprints", b_unsupported_suffix, 2,
         ("buildings.txt", "unsupported format", ".gpkg")),
    Case("footprints-is-dir", "a folder that is not a File Geodatabase (.gdb) given as footprints", b_directory_as_footprints, 2,
         ("--footprints", "folder.gpkg", "is a directory")),
    Case("wrong-layer", "--layer names a layer the file lacks; the message lists the layers",
         b_wrong_layer, 2, ("layers.gpkg", "buldings", "Layers: buildings", "--layer")),
    Case("ambiguous-layers", "two polygon layers, none called 'buildings'", b_ambiguous_layers, 2,
         ("two.gpkg", "blds_2019", "blds_2024", "--layer")),
    Case("attribute-table-layer", "--layer names a table without geometry", b_attribute_table_layer, 2,
         ("withtable.gpkg", "notes", "--layer")),
    Case("no-crs-shp", "Shapefile without .prj", b_no_crs_shp, 2,
         ("noprj.shp", "no coordinate reference system", "--crs EPSG:4490")),
    Case("projected-as-4326", "metre coordinates declared EPSG:4326", b_projected_as_4326, 2,
         ("metres.gpkg", "not lon/lat", "EPSG:4549")),
    Case("geojson-projected", "GeoJSON (always lon/lat) holding metre coordinates", b_geojson_projected, 2,
         ("survey.geojson", "not lon/lat", "EPSG:4549")),
    Case("swapped-lonlat", "lat/lon order swapped (y = 121°)", b_swapped_lonlat, 2,
         ("latlon.gpkg", "not lon/lat", "swapped")),
    Case("lonlat-declared-projected", "degrees labelled EPSG:4549 (metres): buildings 0.0003 m wide",
         b_lonlat_declared_projected, 2, ("degrees_as_metres.gpkg", "EPSG:4549", "lon/lat")),
    Case("empty-layer", "a layer with 0 features", b_empty_layer, 2,
         ("nothing.gpkg", "no features", "--layer")),
    Case("all-points", "every feature is a Point (a POI layer given as footprints): nothing usable",
         b_all_points, 2, ("points.gpkg", "not a polygon (Point)", "--layer")),
    Case("self-intersecting", "a bow-tie polygon: repaired, noted, run succeeds", b_self_intersecting, 0,
         check=check_bowtie),
    Case("zero-area", "a collinear ring (zero area) among valid buildings: rejected with reason",
         b_zero_area, 0, check=expect_rejected(3, {1: "no polygonal area"})),
    Case("huge-polygon", "a 50 km × 50 km 'building': rejected as implausibly large (> 1 km²)",
         b_huge_polygon, 0, check=expect_rejected(3, {2: "implausibly large footprint"})),
    Case("generic-geometry-layer", "buildings layer typed GEOMETRY (mixed types) beside a 'streets' layer",
         b_generic_layer_beside_streets, 0, check=check_generic),
    Case("z-geometries", "3-D (Z) polygons: flattened, warned, run succeeds", b_z_geometries, 0,
         ("Z/M coordinates",), check=check_z),
    Case("m-geometries", "measured (M) polygons: flattened, run succeeds", b_m_geometries, 0,
         check=check_m),
    Case("duplicate-ids", "the id column repeats values: warned, unique ids generated", b_duplicate_ids, 0,
         ("not a unique key", "编号"), check=check_dupids),
    Case("null-empty-line", "a NULL, an EMPTY and a LineString among valid buildings", b_null_empty_mixed, 0,
         check=expect_rejected(5, {1: "no geometry", 2: "empty geometry", 3: "not a polygon (LineString)"})),
    Case("outside-street", "all buildings lie in 甲街道 but 乙街道 is selected", b_outside_street, 5,
         ("乙街道", "contains none", "Check the street name")),
    Case("outside-district", "one building outside every street polygon: kept, unassigned",
         b_outside_district, 0, check=check_outside),
    Case("undecodable-text", "Shapefile text (no .cpg) invalid in both UTF-8 and GBK", b_undecodable_text, 2,
         ("garbled.shp", "cannot be decoded", "--encoding")),
    Case("wrong-cpg", "GBK text under a .cpg that declares UTF-8", b_wrong_cpg, 2,
         ("wrongcpg.shp", "cannot be decoded", ".cpg")),
    Case("unknown-encoding", "--encoding names no codec", b_unknown_encoding, 3,
         ("gbk-typo", "--encoding", "gb18030")),
    Case("mapped-field-missing", "[input.fields] maps name to a column the file lacks", b_mapped_field_missing, 2,
         ("ok.gpkg", "JZMC", "Available columns", "field mapping")),
    Case("streets-file-missing", "--streets file does not exist", b_streets_file_missing, 2,
         ("no_streets.gpkg", "does not exist", "--streets")),
    Case("streets-no-name", "street polygons without a 'name' column", b_streets_no_name, 2,
         ("streets_nc.gpkg", "jdmc", "street_name_field")),
    Case("bad-crs", "--crs EPSG:99999", b_bad_crs, 3, ("EPSG:99999", "--crs", "EPSG:4490")),
    # --- weather ----------------------------------------------------------------------
    Case("weather-missing", "weather file does not exist", b_weather_missing, 2,
         ("nosuch.epw", "does not exist", "omit --weather")),
    Case("weather-gap", "three hours missing", b_weather_gap, 2,
         ("gappy.csv", "8757 rows", f"after {line(999)}", "fill the missing hours")),
    Case("weather-nan", "one GHI value missing", b_weather_nan, 2,
         ("holes.csv", line(4000), "missing values", "fill the missing values")),
    Case("weather-negative", "GHI of −80 W/m²", b_weather_negative, 2,
         ("negative.csv", line(4100), "below -5 W/m²", "cannot be negative")),
    Case("weather-8759", "one hour short of a year", b_weather_8759, 2,
         ("short.csv", "8759 rows", "whole year")),
    Case("weather-kw", "irradiance in kW/m²", b_weather_kw, 2,
         ("kw.csv", "kW/m²", "multiply the irradiance columns by 1000")),
    Case("weather-kelvin", "air temperature in K", b_weather_kelvin, 2,
         ("kelvin.csv", "temp_air", "kelvin", "subtract 273.15")),
    Case("weather-kj", "irradiance in kJ/m² per hour", b_weather_kj, 2,
         ("kj.csv", "above 1500 W/m²", "÷ 3.6")),
    Case("weather-columns", "GHI column named G_h", b_weather_columns, 2,
         ("cols.csv", "ghi", "G_h", "map them", "--weather-column")),
    Case("weather-corrupt", "random bytes named .epw", b_weather_corrupt, 2,
         ("noise.epw", "could not be read as epw", "really is in that format")),
    # --- config and options ---------------------------------------------------------------
    Case("config-missing", "--config file does not exist", b_config_missing, 3,
         ("nosuch.toml", "does not exist", "--config")),
    Case("config-typo", "misspelt key flat_tilt_dg", b_config_typo, 3,
         ("typo.toml", "mounting.flat_tilt_dg", "did you mean 'mounting.flat_tilt_deg'")),
    Case("config-section-typo", "misspelt section [mountng]", b_config_section_typo, 3,
         ("section.toml", "mountng", "did you mean 'mounting'")),
    Case("config-wrong-type", "a string where a number belongs", b_config_wrong_type, 3,
         ("wrongtype.toml", "mounting.flat_tilt_deg", "'twenty'", "value of that type")),
    Case("config-syntax", "not TOML (unquoted unit)", b_config_syntax, 3,
         ("syntax.toml", "not valid UTF-8 TOML", "line 2")),
    Case("config-out-of-range", "flat_tilt_deg = 120 (a tilt is 0–90°)", b_config_out_of_range, 3,
         ("range.toml", "mounting.flat_tilt_deg", "found 120", "in [0, 90)")),
    Case("config-negative-setback", "[roof.setback_m] flat = -1.5", b_config_negative_setback, 3,
         ("setback.toml", "roof.setback_m", "'flat': -1.5", "≥ 0")),
    Case("config-zero-step", "orientation_step_deg = 0", b_config_zero_step, 3,
         ("step.toml", "system.orientation_step_deg", "in (0, 90]", "found 0")),
    Case("config-bad-choice", "temperature_model = 'pvsyst-typo'", b_config_bad_choice, 3,
         ("choice.toml", "system.temperature_model", "pvsyst-typo", "faiman")),
    Case("config-footprints-missing", "[input] footprints names a missing file (relative to the config)",
         b_config_footprints_missing, 2, ("buildings_2024.gpkg", "does not exist", "--footprints")),
    Case("unknown-scenario", "--scenario plan-2052", b_unknown_scenario, 3,
         ("plan-2052", "plan-2025", "technical-max")),
    Case("unknown-policy", "--policy changning-2032", b_unknown_policy, 3,
         ("changning-2032", "changning-2023", "nea-2021-county")),
    Case("policy-bad-toml", "--policy PATH to a broken TOML file", b_policy_bad_toml, 3,
         ("mypolicy.toml", "not valid UTF-8 TOML")),
    # --- selection ----------------------------------------------------------------------------
    Case("unknown-street", "--street names no street; the valid ones are listed", b_unknown_street, 5,
         ("丙街道", "甲街道", "乙街道", "Use one of the valid names")),
    # --- output ------------------------------------------------------------------------------
    Case("out-under-file", "--out inside a path whose parent is a regular file", b_out_under_file, 4,
         ("blocker", "Cannot create output folder", "--out")),
    Case("out-in-proc", "--out under /proc (cannot create a folder there, even as root)", b_out_in_proc, 4,
         ("/proc/pvsite_no_such_dir", "Cannot create output folder", "--out")),
    Case("out-exists", "output exists and --overwrite is not given", b_out_exists, 4,
         ("previous.gpkg", "already exists", "--overwrite")),
    Case("out-qgs-exists", "the .qgs beside the output exists", b_out_qgs_exists, 4,
         ("report.qgs", "already exists", "--overwrite")),
    Case("out-semicolon", "--out with ';' (pyogrio would cut the path there and write elsewhere)",
         b_out_semicolon, 4, ("长宁;2025.gpkg", "';'", "no ';' or '!'")),
    Case("out-suffix", "--out is not a .gpkg", b_out_suffix, 4,
         ("result.shp", "GeoPackage", ".gpkg")),
]

assert len({c.id for c in CASES}) == len(CASES), "duplicate case ids"
