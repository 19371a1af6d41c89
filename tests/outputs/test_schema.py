"""The output schema: one table of every output column, and what it drives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite.outputs import schema, xlsx

#: Unit → what the column name must say about it (CONVENTIONS.md: names carry units).
UNIT_IN_NAME = {
    "m": "_m", "m²": "_m2", "°": "_deg", "kW": "_kw", "kWh": "kwh", "MWh": "_mwh", "t/yr": "_t",
    "%": "_pct", "W/m²": "_w_per_m2", "kWh/kWp": "_kwh_per_kwp", "×": "_x_",
    "元": "_yuan", "元/yr": "_yuan", "yr": "_yr", "元/kWh": "_yuan_per_kwh",
}
#: Unit → how a Chinese title may write it.
UNIT_IN_TITLE = {
    "m": ("米", "[m]"), "m²": ("㎡", "[m²]"), "°": ("°",), "kW": ("kW",), "kWh": ("kWh",), "MWh": ("MWh",),
    "t/yr": ("吨", "[t/yr]"), "%": ("%",), "W/m²": ("W/㎡", "[W/m²]"), "kWh/kWp": ("kWh/kWp",),
    "×": ("倍", "×"),
    "元": ("元",), "元/yr": ("元",), "yr": ("年",), "元/kWh": ("元/kWh",),
}


def _frame(layer: str, n: int = 3) -> pd.DataFrame:
    """A frame with every column of ``layer`` as plain numpy/object values."""
    data = {}
    for i, c in enumerate(schema.columns(layer)):
        if c.dtype == "string":
            data[c.name] = [f"{c.name}{k}" for k in range(n)]
        elif c.dtype == "boolean":
            data[c.name] = [k % 2 == 0 for k in range(n)]
        elif c.dtype == "Int64":
            data[c.name] = np.arange(n, dtype="float64") + i  # whole floats, as a merge leaves them
        else:
            data[c.name] = np.arange(n, dtype="int64") * 0.5 + i
    return pd.DataFrame(data)


@pytest.mark.parametrize("layer", list(schema.LAYERS))
def test_conform_orders_casts_and_drops_extras(layer):
    df = _frame(layer)
    shuffled = df[list(reversed(df.columns))].assign(extra_column=1)
    gdf = gpd.GeoDataFrame(shuffled, geometry=[shapely.Point(k, k) for k in range(3)], crs=32651)
    out = schema.conform(gdf, layer)
    assert list(out.columns) == schema.column_names(layer) + ["geometry"]
    for c in schema.columns(layer):
        assert str(out[c.name].dtype) == c.dtype, c.name
    pd.testing.assert_series_equal(out[schema.column_names(layer)[0]], df[schema.column_names(layer)[0]],
                                   check_dtype=False)
    assert "extra_column" not in out.columns
    # a plain DataFrame stays without geometry
    assert "geometry" not in schema.conform(df, layer).columns


def test_conform_missing_column_is_a_key_error_naming_it():
    df = _frame("roofs").drop(columns=["capacity_kw", "status"])
    with pytest.raises(KeyError, match=r"roofs.*'capacity_kw', 'status'"):
        schema.conform(df, "roofs")


def test_conform_casts_integers_with_missing_values():
    df = _frame("classification")
    df.loc[1, "n_usable"] = np.nan
    out = schema.conform(df, "classification")
    assert out["n_usable"].isna().tolist() == [False, True, False]
    assert out["n_usable"].iloc[2] == df["n_usable"].iloc[2]


@pytest.mark.parametrize("layer", list(schema.LAYERS))
def test_every_column_has_alias_meaning_and_unit_in_its_name(layer):
    cols = schema.columns(layer)
    names = [c.name for c in cols]
    assert len(set(names)) == len(names)
    assert schema.aliases(layer) == {c.name: c.alias_zh for c in cols}
    for c in cols:
        assert c.name.isascii() and c.name == c.name.lower() and " " not in c.name, c.name
        assert c.alias_zh and not c.alias_zh.isascii(), c.name  # a Chinese title
        assert c.description.strip(), c.name
        assert c.dtype in {"string", "Int64", "Float64", "boolean"}, c.name
        if c.unit:
            assert c.dtype == "Float64", c.name
            assert UNIT_IN_NAME[c.unit] in c.name, (c.name, c.unit)
    # the workbook header of every column carries its unit
    for c in cols:
        h = xlsx.header(c)
        assert h.startswith(c.alias_zh), h
        if c.unit:
            assert any(u in h for u in UNIT_IN_TITLE[c.unit]), h


def test_markdown_table_lists_every_column_once():
    text = schema.markdown("roofs")
    lines = text.splitlines()
    assert lines[:2] == ["| column | unit | 中文名 | meaning |", "|---|---|---|---|"]
    body = lines[2:]
    assert len(body) == len(schema.columns("roofs")) - 11  # the twelve months are one row
    assert all(line.startswith("| `") and line.count("|") == 5 for line in body)
    named = [line.split("`")[1] for line in body]
    assert "kwh_m01 … kwh_m12" in named and "kwh_m05" not in named
    assert [n for n in named if not n.startswith("kwh_m")] == [
        c.name for c in schema.columns("roofs") if not c.name.startswith("kwh_m")]
    cap = next(line for line in body if line.startswith("| `capacity_kw`"))
    assert cap == "| `capacity_kw` | kW | 装机容量(kW) | DC capacity: installed modules × module watts |"


def test_label_series_as_a_per_value_map():
    """Vectorised labels equal the per-value rule: codes → Chinese, other values unchanged, booleans 是/否."""
    import numpy as np
    import pandas as pd

    from pvsite.outputs import schema

    s = pd.Series(["sized", None, np.nan, "excluded", "zzz", 3], index=[5, 6, 7, 8, 9, 10])
    got = schema.label_series("status", s)
    assert got.tolist()[0] == schema.STATUS_ZH["sized"] and got.tolist()[3] == schema.STATUS_ZH["excluded"]
    assert got.tolist()[4:] == ["zzz", 3] and got.iloc[1] is None and pd.isna(got.iloc[2])
    assert list(got.index) == list(s.index)
    b = schema.label_series("flag", pd.Series([True, None, False], dtype="boolean"))
    assert b.tolist() == ["是", None, "否"]
    extra = {"building_class": {"a": "甲", 1: "one"}}  # only text codes are labelled
    assert schema.label_series("building_class", pd.Series(["a", "b", None, 1]), extra).tolist() == \
        ["甲", "b", None, 1]
