"""pvsite.frames.own_copy: the copy every stage returns instead of writing into the prepared tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvsite.frames import COPY_ON_WRITE, own_copy


def test_own_copy_never_writes_back():
    src = pd.DataFrame({"a": np.arange(4.0), "b": list("wxyz")})
    out = own_copy(src)
    out["c"] = 1.0
    out["a"] = out["a"] * 2.0
    out.loc[0, "b"] = "changed"
    assert list(src.columns) == ["a", "b"]
    assert src["a"].tolist() == [0.0, 1.0, 2.0, 3.0] and src.loc[0, "b"] == "w"


def test_own_copy_copies_no_data_under_copy_on_write():
    src = pd.DataFrame({"a": np.arange(1000.0)})
    shared = np.shares_memory(own_copy(src)["a"].to_numpy(), src["a"].to_numpy())
    assert shared == COPY_ON_WRITE  # shallow where pandas copies on write, deep otherwise
