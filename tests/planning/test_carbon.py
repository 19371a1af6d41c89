"""Standard coal, emission presets and the renewable share (PV / consumption) by street and district."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvsite import presets
from pvsite.config import Config
from pvsite.errors import ConfigError, InputError
from pvsite.io.consumption import parse_consumption, read_consumption
from pvsite.planning import carbon, rollup

CLASS_ZH = presets.load_classify("cn-default").class_names_zh


def _roofs():
    return pd.DataFrame({
        "building_id": ["a1", "a2", "b1", "b2"],
        "street": ["新华路街道", "新华路街道", "虹桥街道", "虹桥街道"],
        "building_class": ["factory", "public_institution", "factory", "other"],
        "class_confidence": "high", "responsible_department": "区机管局", "policy_exceeds_fit": False,
        "area_m2": 1000.0, "usable_area_m2": 800.0, "pv_area_m2": 500.0,
        "capacity_kw": [100.0, 50.0, 200.0, 0.0],
        "annual_kwh": [100_000.0, 50_000.0, 200_000.0, 0.0],
        "co2_t": [42.0, 21.0, 84.0, 0.0],
    })


def _table(rows):
    return parse_consumption(pd.DataFrame(rows, dtype=str), Path("use.csv"))


def _share(summary, level, key):
    row = summary[(summary["level"] == level) & (summary["key"] == key)].iloc[0]
    return row["consumption_kwh"], row["share_pv_kwh"], row["renewable_share_pct"]


def test_shipped_emission_presets_cite_their_figures():
    sh = presets.load_emission("shanghai-2022")
    assert sh.emission_factor_kg_per_kwh == 0.42 and "沪环气〔2022〕34号" in sh.source and "4.2 tCO2/10^4 kWh" in sh.source
    assert presets.load_emission("national-2022").emission_factor_kg_per_kwh == 0.5366
    assert presets.load_emission("national-2021").emission_factor_kg_per_kwh == 0.5568
    assert presets.load_emission("national-grid-ets-2022").emission_factor_kg_per_kwh == 0.5703
    for name in presets.available("emission"):
        e = presets.load_emission(name)
        ef = e.emission_factor_kg_per_kwh
        assert f"{ef:g}" in e.source or f"{ef * 10:g} tCO2/10^4 kWh" in e.source
        assert e.coal_gce_per_kwh == pytest.approx(300.7) and "供电标准煤耗" in e.coal_source


def test_policy_factor_is_the_emission_presets(tmp_path):
    for name in presets.available("policy"):
        pol = presets.load_policy(name)
        e = carbon.emission_preset(Config(), pol)
        assert e.emission_factor_kg_per_kwh == pol["emission_factor_kg_per_kwh"]
    text = (presets.PRESET_DIR / "policy" / "changning-2023.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("emission_factor_kg_per_kwh = 0.42", "emission_factor_kg_per_kwh = 0.5"),
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="emission_preset"):
        presets.load_policy(str(bad))
    cfg = Config().with_overrides(carbon={"emission_factor": "national-2022"})
    assert carbon.emission_preset(cfg, presets.load_policy("changning-2023")).emission_factor_kg_per_kwh == 0.5366


def test_tce_is_kwh_times_coal_rate():
    e = presets.load_emission("shanghai-2022")
    out = carbon.add_coal(_roofs(), e)
    np.testing.assert_allclose(out["tce_t"], _roofs()["annual_kwh"] * 300.7e-6)
    s = rollup.summarise(out, 16000, CLASS_ZH)
    assert s.loc[s["level"] == "district", "tce_t"].iloc[0] == pytest.approx(350_000 * 300.7e-6)


def test_street_rows_take_every_roof_of_the_street():
    use = _table({"街道": ["新华路", "虹桥街道"], "年用电量(kWh)": ["1,500,000", "4000000"]})
    s = rollup.summarise(_roofs(), 16000, CLASS_ZH, consumption=use)
    assert _share(s, "street", "新华路街道") == pytest.approx((1.5e6, 150_000, 10.0))
    assert _share(s, "street", "虹桥街道") == pytest.approx((4e6, 200_000, 5.0))
    assert _share(s, "district", "全区") == pytest.approx((5.5e6, 350_000, 350_000 / 5.5e6 * 100))
    assert s.loc[s["level"] == "class", "renewable_share_pct"].isna().all()


def test_building_rows_take_only_the_listed_roofs_and_report_unknown_ids():
    use = _table({"building_id": ["a1", "b1", "zz"], "年用电量(万kWh)": ["10", "40", "1"]})
    s = rollup.summarise(_roofs(), 16000, CLASS_ZH, consumption=use)
    assert _share(s, "street", "新华路街道") == pytest.approx((100_000, 100_000, 100.0))
    assert _share(s, "district", "全区") == pytest.approx((500_000, 300_000, 60.0))
    assert any("zz" in n for n in s.attrs["consumption_notes"])


def test_district_row_only_for_the_whole_district():
    use = _table({"年用电量(kWh)": ["7000000"]})
    s = rollup.summarise(_roofs(), 16000, CLASS_ZH, consumption=use)
    assert _share(s, "district", "全区") == pytest.approx((7e6, 350_000, 5.0))
    with pytest.raises(InputError, match="No entry"):
        rollup.summarise(_roofs(), 16000, CLASS_ZH, consumption=use, scope_label="新华路街道")


def test_bad_consumption_tables_name_rows_and_fix(tmp_path):
    with pytest.raises(InputError, match=r"row 3.*row 4.*a1 listed 2 times"):
        _table({"building_id": ["a1", "a2", "a3", "a1"], "consumption_kwh": ["1", "-5", "abc", "2"]})
    with pytest.raises(InputError, match="no annual energy column"):
        _table({"building_id": ["a1"], "面积": ["1"]})
    with pytest.raises(InputError, match="does not exist"):
        read_consumption(tmp_path / "missing.csv")
    with pytest.raises(ConfigError, match="did you mean 'street'"):
        Config().with_overrides(carbon={"consumption_columns": {"streets": "JD"}})
    f = tmp_path / "use.csv"
    f.write_text("编号,用电量\nx1,12\n", encoding="gbk")
    got = read_consumption(f)
    assert got.iloc[0].to_dict() == {"level": "building", "key": "x1", "consumption_kwh": 12.0, "source": "use.csv:2"}


def test_pipeline_share_equals_pv_over_consumption(tmp_path):
    from pvsite import pipeline

    f = tmp_path / "district.csv"
    f.write_text("年用电量(万kWh)\n120000\n", encoding="utf-8")
    r = pipeline.run(Config().with_overrides(carbon={"consumption": str(f)}, output={"panels": False}))
    d = r.district
    assert d["consumption_kwh"] == 1.2e9
    assert d["renewable_share_pct"] == pytest.approx(r.roofs["annual_kwh"].sum() / 1.2e9 * 100)
    assert d["tce_t"] == pytest.approx(r.roofs["annual_kwh"].sum() * 300.7e-6)
    assert r.priority is not None and set(r.department_tasks) == set(
        r.priority["responsible_department"].replace("", "(未指定)"))
    assert r.run_info["renewable_share_goals_pct"] == '{"2025": 10.0, "2030": 15.0}'
