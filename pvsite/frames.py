"""DataFrame helpers shared by the stages (no physics, no files).

:func:`own_copy` is how a stage returns a new frame from its input without
writing into the caller's: the pipeline keeps one prepared roofs table for
every scenario (:func:`pvsite.pipeline.size` must leave it untouched), and
that table is wide (~130 MB per 100,000 roofs), so the copy must cost nothing
when pandas allows it.
"""

from __future__ import annotations

import pandas as pd

#: pandas copies on write (always from pandas 3, by option in 2.x): a shallow copy is then as safe as a deep one.
COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def own_copy(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy the caller's frame never sees changes through; shallow (no data copied) under copy-on-write.

    A deep copy duplicates the frame: the roofs frame alone holds ~130 MB per 100,000 roofs.  Adding or
    replacing a column of the result then copies no other column.
    """
    return frame.copy(deep=not COPY_ON_WRITE)
