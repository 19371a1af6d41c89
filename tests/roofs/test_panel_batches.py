"""The lazy panels layer (ModulePanels): its batches equal the eager layout, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

import pvsite
from pvsite import pipeline
from pvsite.roofs import layout


@pytest.fixture(scope="module")
def prepared():
    cfg = pvsite.configure(scenario="technical-max")
    return pipeline.prepare(cfg, pipeline.Selection(street="程家桥街道"))


def _eager(p):
    planes = p.planes[["roof_index", "plane", "mounting", "tilt_deg", "azimuth_deg"]]
    # in the run's frame: grid north of the whole input (a street run lays out as the district run does)
    _, panels = layout.layout_roofs(p.usable_roofs(), planes, p.module, p.config.mounting, p.located.site_lat_deg,
                                    panels=True, north_deg=p.located.north_deg)
    return panels


def _same(a, b):
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    for c in a.columns:
        if c != "geometry":
            assert (a[c].to_numpy() == b[c].to_numpy()).all(), c
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 0.0).all()
    assert a.crs == b.crs


def test_prepared_panels_are_lazy_and_equal_the_eager_layout(prepared):
    lazy = prepared.panels
    assert isinstance(lazy, layout.ModulePanels)
    eager = _eager(prepared)
    # every module that physically fits, also on planes left out for low yield (roof.min_yield_share_pct):
    # a scenario selects from them by n_modules, which is 0 on those planes
    fit = prepared.planes["modules_fit"] + prepared.planes.get("modules_low_yield", 0)
    assert len(lazy) == len(eager) == int(fit.sum())
    _same(lazy.to_geodataframe(), eager)
    # small batches: many of them, none larger than a batch plus one plane, same rows in the same order
    parts = list(lazy.batches(max_modules=500))
    assert len(parts) > 3
    assert max(len(b) for b in parts) <= 500 + int(fit.max())
    _same(pd.concat(parts, ignore_index=True).set_geometry("geometry").set_crs(eager.crs, allow_override=True),
          eager)


@pytest.mark.parametrize("scenario", ["plan-2025", "technical-max"])
def test_installed_subset_equals_select_panels(prepared, scenario):
    sized = pipeline.size(prepared, scenario)
    lazy = sized.panels
    assert isinstance(lazy, layout.ModulePanels)
    eager = layout.select_panels(_eager(prepared), sized.planes)
    assert len(lazy) == len(eager) == int(sized.planes["n_modules"].sum())
    parts = list(lazy.batches(max_modules=700))
    _same(pd.concat(parts, ignore_index=True).set_geometry("geometry"), eager)


def test_no_modules_gives_an_empty_layer(prepared):
    none = prepared.panels.installed(prepared.planes.assign(n_modules=0))
    assert len(none) == 0 and list(none.batches()) == []
    assert len(none.to_geodataframe()) == 0
