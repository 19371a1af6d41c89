"""pvsite.io.fields: pick_column (the one column lookup of footprints, registries, --installed and --consumption),
the roof-type parser and match_vocabulary."""

from __future__ import annotations

import pytest

from pvsite.errors import InputError
from pvsite.io.fields import pick_column

COLS = ["ID", " 名称 ", "Capacity_kW", "年用电量 (kWh)", "name"]
MSG = dict(source="Registry a.csv", source_zh="名录 a.csv", what="name", what_zh="名称",
           fix="Name the name column of the file.", fix_zh="请指定文件中的名称列。")


def test_explicit_exact_then_case_and_blank_insensitive():
    assert pick_column(COLS, "name", ["ID"], **MSG) == "name"       # exact wins over the candidates
    assert pick_column(COLS, "capacity_kw", (), **MSG) == "Capacity_kW"
    assert pick_column(COLS, "名称", (), **MSG) == " 名称 "
    assert pick_column(COLS, "id", (), **MSG, exclude=["ID"]) == "ID"  # an explicit name may use an excluded column


def test_candidates_in_preference_order_skipping_excluded():
    assert pick_column(COLS, None, ["title", "NAME", "名称"], **MSG) == "name"
    assert pick_column(COLS, None, ["title", "NAME", "名称"], **MSG, exclude={"name"}) == " 名称 "
    assert pick_column(COLS, None, ["title"], **MSG) is None
    assert pick_column(COLS, None, ["年用电量(kWh)"], **MSG) is None
    assert pick_column(COLS, None, ["年用电量(kWh)"], **MSG, ignore_spaces=True) == "年用电量 (kWh)"


def test_first_of_two_case_variants_wins():
    assert pick_column(["Name", "NAME"], None, ["name"], **MSG) == "Name"
    assert pick_column(["Name", "NAME"], "name", (), **MSG) == "Name"


def test_missing_explicit_name_names_the_file_the_column_and_the_columns_present():
    with pytest.raises(InputError) as e:
        pick_column(COLS, "title", ["name"], **MSG)
    err = e.value
    assert "Registry a.csv has no name column 'title'" in str(err)
    assert "Columns: ID,  名称 , Capacity_kW, 年用电量 (kWh), name." in str(err)
    assert err.fix == "Name the name column of the file."
    assert "名录 a.csv 没有名称列 'title'" in err.zh and "现有列：ID" in err.zh
    assert err.fix_zh == "请指定文件中的名称列。"


def test_missing_explicit_name_in_an_empty_table():
    with pytest.raises(InputError, match=r"Columns: \(none\)"):
        pick_column([], "x", (), source="t.csv", source_zh="t.csv")


def test_consumption_reader_uses_it_with_spaces_ignored():
    from pathlib import Path

    from pvsite.io.consumption import resolve_columns

    out, factor = resolve_columns(["楼号", "年用电量 ( 万kWh )"], None, Path("c.csv"))
    assert factor == 1e4 and out["consumption_kwh"] == "年用电量 ( 万kWh )"
    out, _ = resolve_columns(["BID", "E"], {"building_id": None, "consumption_kwh": "e"}, Path("c.csv"))
    assert out == {"building_id": None, "street": None, "consumption_kwh": "E"}
    with pytest.raises(InputError) as e:
        resolve_columns(["BID", "E"], {"consumption_kwh": "kwh"}, Path("c.csv"))
    assert "--consumption file c.csv has no mapped column 'kwh'. Columns: BID, E." in str(e.value)
    assert "--consumption 文件 c.csv 没有映射的列 'kwh'" in e.value.zh and "consumption_columns" in e.value.fix_zh


def test_roof_type_is_parsed_per_distinct_value_and_counted_per_row():
    """The vocabulary is applied once per distinct spelling; the result and the warning are per row."""
    import pandas as pd

    from pvsite.io.fields import parse_roof_type

    s = pd.Series(["平屋顶", "xyz", "xyz", None, " XYZ", "彩钢瓦", "平屋顶", "abc"], index=list("abcdefgh"),
                  dtype="str")
    warn: list = []
    out = parse_roof_type(s, warn, "屋顶类型")
    assert list(out.index) == list("abcdefgh") and str(out.dtype) == "str"
    assert out.tolist() == ["flat", "unknown", "unknown", "unknown", "unknown", "metal", "flat", "unknown"]
    assert warn == ["roof_type: 4 value(s) in '屋顶类型' not recognised, set to 'unknown' ('xyz', 'abc')"]


def test_match_vocabulary_reads_a_longer_word_whole():
    import pandas as pd

    from pvsite.io.fields import match_vocabulary

    vocab = {"c": ["竣工"], "b": ["施工", "未竣工"], "a": ["施工完成"]}
    low = pd.Series(["主体施工完成", "施工中", "主体未竣工", "竣工，另一栋未竣工", "x", None], dtype="str")
    # 施工 inside 施工完成 and 竣工 inside 未竣工 do not count (keys in order would find them first);
    # an occurrence outside the longer word does, and then the key order decides
    assert match_vocabulary(low, vocab).fillna("").tolist() == ["a", "b", "b", "c", "", ""]
