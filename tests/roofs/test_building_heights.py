"""A height for every building (pvsite.roofs.building_heights): order of the sources, class tables, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsite.config import Config, HeightsConfig
from pvsite.errors import ConfigError
from pvsite.roofs.building_heights import HEIGHT_SOURCES, building_heights


def test_sources_in_order_attribute_storeys_raster_class_default():
    roofs = pd.DataFrame({
        "height_m": pd.array([21.5, None, None, None, None, 0.0], dtype="Float64"),
        "storeys": pd.array([7, 5, None, None, 4, None], dtype="Int64"),
        "building_class": ["residential", "public_institution", "factory", "residential", "unknown_class", "other"],
    })
    raster = pd.Series([99.0, 99.0, 12.25, np.nan, 99.0, np.nan])
    out = building_heights(roofs, HeightsConfig(), raster)
    assert out["height_source"].tolist() == ["attribute", "storeys", "raster", "class_default", "storeys",
                                             "class_default"]
    # 5 storeys × 3.6 m (public_institution); 6 × 3.0 (residential default); an unlisted class takes 'other'
    np.testing.assert_allclose(out["height_m"].to_numpy(dtype=float), [21.5, 18.0, 12.25, 18.0, 12.0, 9.0])
    assert out["height_m"].notna().all()


def test_configurable_per_class_and_other_is_required():
    cfg = Config().with_overrides(heights={"storey_height_m": {"residential": 2.8}})
    assert cfg.heights.storey_height_m["residential"] == 2.8 and cfg.heights.storey_height_m["other"] == 3.0
    roofs = pd.DataFrame({"height_m": [np.nan], "storeys": [10], "building_class": ["residential"]})
    assert float(building_heights(roofs, cfg.heights)["height_m"].iloc[0]) == pytest.approx(28.0)
    with pytest.raises(ConfigError, match="other"):
        HeightsConfig(storey_height_m={"residential": 3.0})
    with pytest.raises(ConfigError, match="storey_height_m"):
        Config().with_overrides(heights={"storey_height_m": {"residential": -3.0}})


def test_every_roof_of_the_sample_has_a_height_and_its_source():
    from pvsite import pipeline

    roofs = pipeline.prepare(Config()).roofs
    counts = roofs["height_source"].value_counts()
    print("\nsample height_source:", counts.to_dict())
    assert roofs["height_m"].notna().all() and (roofs["height_m"] > 0).all()
    assert set(counts.index) <= set(HEIGHT_SOURCES)
    assert counts.get("storeys", 0) == len(roofs)  # the sample gives storeys, no heights


@pytest.mark.slow
def test_every_bund_roof_has_a_height_and_its_source(shared_data):
    from pvsite import pipeline

    src = shared_data / "footprints" / "shanghai_bund_buildings.gpkg"
    roofs = pipeline.prepare(Config().with_overrides(input={"footprints": str(src)}, output={"panels": False})).roofs
    counts = roofs["height_source"].value_counts()
    print("\nBund height_source:", counts.to_dict())
    assert len(roofs) == 10613 and roofs["height_m"].notna().all()
    # height_est_m (= Floor × 3 in the source) is the mapped height attribute of every outline
    assert counts.to_dict() == {"attribute": 10613}
    assert float(roofs["height_m"].max()) == 354.0
