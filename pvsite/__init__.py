"""pvsite — find, size and total rooftop solar PV for a city district.

Pipeline (one module per stage, GeoDataFrames flow one way)::

    footprints → crs → classify → roofs → sizing → energy → rollup → output

See README.md for the commands, the outputs and the assumptions with their sources.
"""

__version__ = "0.1.0"
