"""Reading --installed lists: units, statuses, dates, datums; bad rows refused together with row, field and fix."""

import pandas as pd
import pytest

from pvsite.config import InstalledConfig
from pvsite.errors import ConfigError, InputError
from pvsite.io.installed import parse_capacity_kw, parse_dates, parse_installed_spec, parse_status, read_installed


def test_capacity_units_statuses_and_dates():
    cap = parse_capacity_kw(pd.Series(["350", "1,200 kWp", "0.5 MW", "1.2万千瓦", "abc", ""]))
    assert list(cap[:4]) == [350.0, 1200.0, 500.0, 12000.0] and cap[4:].isna().all()
    st = parse_status(pd.Series(["已并网", "并网", "建设中", "在建(已备案)", "已备案未开工", "Under construction",
                                 "built", "拟建", "报废"]))
    assert list(st[:8]) == ["built", "built", "under_construction", "planned", "planned", "under_construction",
                            "built", "planned"] and pd.isna(st[8])
    d = parse_dates(pd.Series(["2023-06-30", "2023/6/30", "2023年6月30日", "2023年6月", "2023", "bad"]))
    assert [x.strftime("%Y-%m-%d") for x in d[:5]] == ["2023-06-30", "2023-06-30", "2023-06-30", "2023-06-15",
                                                        "2023-07-01"] and pd.isna(d[5])


def test_negated_and_finished_statuses_are_read_whole():
    # 未并网 / "not connected" contain 并网 / "connected" but are not built (they would count toward the target)
    st = parse_status(pd.Series(["未并网", "已建成未并网", "待并网", "未投运", "not connected", "unconnected",
                                 "not yet grid-connected", "未建成", "not built",
                                 "竣工", "施工完成", "construction completed", "已备案未并网"]))
    assert list(st) == ["under_construction"] * 9 + ["built"] * 3 + ["planned"]


def test_bad_rows_are_refused_together_with_row_field_and_fix(tmp_path):
    p = tmp_path / "ledger.csv"
    p.write_text("项目名称,装机容量(kW),项目状态,并网时间,建筑编号\n"
                 "a,,已并网,2023,B1\n"          # no capacity
                 "b,100,报废,2023,B1\n"         # unknown status
                 "c,100,已并网,last spring,B1\n"  # unparseable date
                 "d,100,已并网,,B1\n"           # built without a date
                 "e,100,在建,,\n",             # neither id nor coordinates
                 encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_installed(InstalledConfig(path=str(p)))
    msg = str(err.value)
    assert "ledger.csv" in msg and "5 row(s)" in msg
    for fragment in ("row 1, 装机容量(kW) = (blank)", "row 2, 项目状态 = '报废'", "row 3, 并网时间 = 'last spring'",
                     "row 4, 并网时间", "row 5, 建筑编号"):
        assert fragment in msg
    assert "已并网 / 在建 / 已备案" in msg and "Fix:" in msg


def test_missing_columns_and_undeclared_datum(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("name,status,building_id\na,built,B1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no capacity column"):
        read_installed(InstalledConfig(path=str(p)))
    p.write_text("name,capacity_kw,status,date,lon,lat\na,10,built,2023,121.4,31.2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="datum"):
        read_installed(InstalledConfig(path=str(p)))
    got = read_installed(InstalledConfig(path=str(p), datum="gcj02")).frame
    assert got.geometry.iloc[0].x == pytest.approx(121.4 - 0.0045, abs=0.002)  # GCJ-02 → WGS 84 shifts ~450 m west


def test_specs_accept_cgcs2000_as_wgs84():
    assert parse_installed_spec("a/b.csv:CGCS2000") == {"path": "a/b.csv", "datum": "wgs84"}
    assert parse_installed_spec("a/b.csv:gcj-02") == {"path": "a/b.csv", "datum": "gcj02"}
    assert parse_installed_spec("a/b.gpkg") == {"path": "a/b.gpkg"}
