"""Config: checks declared on the fields, every problem reported at once, typed tables, round trip."""

import math
from dataclasses import fields, replace

import pytest

from pvsite.config import (
    Config, ExclusionLayerConfig, Range, RegistryConfig, load_config,
)
from pvsite.errors import ConfigError


def _declared():
    """(section, field, metadata) of every setting with a declared range or choice."""
    for sec in fields(Config):
        for f in fields(getattr(Config(), sec.name)):
            if "range" in f.metadata or "choices" in f.metadata:
                yield pytest.param(sec.name, f, id=f"{sec.name}.{f.name}")


def _outside(rng: Range):
    """Values just outside a range (and NaN)."""
    out = [math.nan]
    out.append(rng.low if not rng.low_included else rng.low - 1)
    if rng.high != math.inf:
        out.append(rng.high if not rng.high_included else rng.high + 1)
    return out


@pytest.mark.parametrize("section,f", list(_declared()))
def test_every_declared_range_and_choice_is_enforced(tmp_path, section, f):
    default = getattr(getattr(Config(), section), f.name)
    path = tmp_path / "c.toml"
    if "range" in f.metadata:
        rng = f.metadata["range"]
        bad_values = _outside(rng)
        if isinstance(default, int):  # NaN is no int: a type error, tested elsewhere
            bad_values = bad_values[1:]
        text = rng.text()
    else:
        bad_values = ["no-such-" + str(default)]
        text = f.metadata["choices"][0]
    for bad in bad_values:
        if isinstance(default, int) and not isinstance(default, bool) and not isinstance(bad, float):
            value = str(int(bad))
        elif isinstance(bad, str):
            value = f'"{bad}"'
        else:
            value = "nan" if math.isnan(bad) else repr(float(bad))
        path.write_text(f"[{section}]\n{f.name} = {value}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_config(path)
        msg = str(err.value)
        assert f"{section}.{f.name}" in msg and str(path) in msg and text in msg, msg
        # the same check guards sections built in Python
        with pytest.raises(ConfigError):
            replace(getattr(Config(), section), **{f.name: float(bad) if isinstance(bad, float) else bad})
    # the default itself is valid, and the options path checks the same way
    assert getattr(getattr(load_config(None), section), f.name) == default
    with pytest.raises(ConfigError, match="options"):
        Config().with_overrides(**{section: {f.name: bad_values[-1]}})


def test_two_typos_are_both_named_with_suggestions(tmp_path):
    path = tmp_path / "typos.toml"
    path.write_text("[mounting]\nflat_tilt_dg = 15\n[sytem]\nmodule = 'generic-550w'\n"
                    "[roof]\nmin_usable_area_m2 = -3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "3 problems" in msg
    assert "'mounting.flat_tilt_dg'" in msg and "did you mean 'mounting.flat_tilt_deg'" in msg
    assert "'sytem'" in msg and "did you mean 'system'" in msg
    assert "'roof.min_usable_area_m2'" in msg and "found -3" in msg
    assert msg.count(str(path)) >= 4  # the header and every line name the file


def test_options_report_every_problem_too():
    with pytest.raises(ConfigError) as err:
        Config().with_overrides(system={"temperature_model": "faimn", "dc_ac_ratio": 0},
                                policy={"secnario": "x"})
    msg = str(err.value)
    assert "options: 'system.temperature_model'" in msg and "did you mean 'faiman'" in msg
    assert "'system.dc_ac_ratio'" in msg and "'policy.secnario'" in msg and "did you mean 'policy.scenario'" in msg


def test_wrong_type_bad_table_and_table_keys(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[mounting]\nflat_tilt_deg = "steep"\nmodules_per_row_portrait = 1.5\n'
                    "[roof.setback_m]\nflatt = 1.0\n[roof.obstruction_share]\nflat = 1.0\n"
                    "[output]\npanels = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "'mounting.flat_tilt_deg': expects float, found 'steep'" in msg
    assert "'mounting.modules_per_row_portrait': expects int" in msg
    assert "'roof.setback_m.flatt': unknown key" in msg and "did you mean 'roof.setback_m.flat'" in msg
    assert "'roof.obstruction_share'" in msg and "in [0, 1)" in msg
    assert "'output.panels': expects true or false" in msg


def test_cross_field_no_shade_window(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[mounting]\nno_shade_start_hour = 15\nno_shade_end_hour = 9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no_shade_end_hour.*empty"):
        load_config(path)
    from pvsite.config import MountingConfig

    with pytest.raises(ConfigError, match="no-shade window 12–12 h is empty"):
        MountingConfig(no_shade_start_hour=12.0, no_shade_end_hour=12.0)


def test_registry_and_exclusion_tables_are_typed_and_checked(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[[input.registries]]\npath = "reg/schools.csv"\ndatum = "gcj02"\ndefault_type = "school"\n'
        'type_map = { "1" = "school" }\ntolerance_m = 20\n'
        '[[exclusions.layers]]\npath = "/abs/heritage.gpkg"\nkind = "no-go"\n',
        encoding="utf-8",
    )
    cfg = load_config(path)
    (reg,) = cfg.input.registries
    assert isinstance(reg, RegistryConfig)
    assert reg.path == str(tmp_path / "reg" / "schools.csv") and reg.datum == "gcj02"
    assert reg.tolerance_m == 20.0 and reg.type_map == {"1": "school"}
    assert reg.default_type == "school" and reg.lon_col is None
    (layer,) = cfg.exclusions.layers
    assert layer == ExclusionLayerConfig(path="/abs/heritage.gpkg", kind="no-go")
    assert layer.datum == "wgs84" and layer.layer is None

    path.write_text(
        '[[input.registries]]\npath = "a.csv"\ndatum = "gcj"\ntolerance = 5\n'
        '[[input.registries]]\ndatum = "bd09"\n'
        '[[exclusions.layers]]\npath = "h.gpkg"\ndatum = "baidu"\nname = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "'input.registries[1].datum'" in msg and "did you mean 'gcj02'" in msg
    assert "'input.registries[1].tolerance': unknown key" in msg and "tolerance_m" in msg
    assert "'input.registries[2]': has no path" in msg
    assert "'exclusions.layers[1].datum'" in msg and "'exclusions.layers[1].name': unknown key" in msg


def test_cli_style_overrides_append_entries():
    cfg = Config().with_overrides(input={"registries": [{"path": "/a.csv", "datum": "bd09"}]})
    cfg = cfg.with_overrides(input={"registries": list(cfg.input.registries) + ["/b.csv"]},
                             exclusions={"layers": [{"path": "/h.gpkg", "datum": "gcj02"}]})
    assert [r.path for r in cfg.input.registries] == ["/a.csv", "/b.csv"]
    assert cfg.input.registries[1].datum is None
    assert cfg.exclusions.layers[0].datum == "gcj02"


def test_roundtrip_through_toml(tmp_path):
    cfg = Config().with_overrides(
        input={"footprints": str(tmp_path / "b.gpkg"), "fields": {"name": "JZMC"},
               "registries": [{"path": str(tmp_path / "r.csv"), "datum": "gcj02", "type_map": {"1": "school"}}]},
        exclusions={"layers": [{"path": str(tmp_path / "h.gpkg"), "layer": "points"}], "flag_only": True},
        mounting={"flat_tilt_deg": 15, "modules_per_row_portrait": 1},
        roof={"setback_m": {"flat": 2.0}},
        policy={"scenario": "plan-2030"},
    )
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml(), encoding="utf-8")
    assert load_config(path) == cfg
    path.write_text(Config().to_toml(), encoding="utf-8")
    assert load_config(path) == Config()


def test_override_values_and_relative_paths(tmp_path):
    (tmp_path / "c.toml").write_text(
        '[input]\nfootprints = "data/b.gpkg"\nstreets = "/abs/s.gpkg"\noverrides = "fix.csv"\n'
        '[input.fields]\nname = "JZMC"\n'
        "[mounting]\nflat_tilt_deg = 15\n[roof]\nheight_raster = \"dsm.tif\"\n[roof.setback_m]\nflat = 2.0\n"
        '[weather]\npath = "w/x.epw"\n[exclusions]\nlayers = ["h.gpkg"]\n',
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "c.toml")
    assert cfg.mounting.flat_tilt_deg == 15.0 and isinstance(cfg.mounting.flat_tilt_deg, float)
    assert cfg.input.fields == {"name": "JZMC"}
    assert cfg.input.footprints == str(tmp_path / "data" / "b.gpkg")
    assert cfg.input.streets == "/abs/s.gpkg"
    assert cfg.input.overrides == str(tmp_path / "fix.csv")
    assert cfg.roof.height_raster == str(tmp_path / "dsm.tif")
    assert cfg.weather.path == str(tmp_path / "w" / "x.epw")
    assert cfg.exclusions.layers[0].path == str(tmp_path / "h.gpkg")
    # table overrides merge into the defaults instead of replacing them
    assert cfg.roof.setback_m["flat"] == 2.0 and cfg.roof.setback_m["pitched"] == 0.5


def test_bad_toml_and_missing_file(tmp_path):
    (tmp_path / "c.toml").write_text("[mounting\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid UTF-8 TOML"):
        load_config(tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "d.toml").write_text("mounting = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'mounting': must be a table"):
        load_config(tmp_path / "d.toml")
