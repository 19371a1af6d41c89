"""pvsite — find, size and total rooftop solar PV for a city district.

The pipeline, one subpackage per stage (GeoDataFrames flow one way)::

    io → buildings → roofs → solar → planning → outputs

Python API (see README.md, "From Python")::

    import pvsite
    result = pvsite.run(footprints="survey.gpkg", scenario="plan-2030")
    pvsite.write(result, "outputs/district.gpkg")

``pvsite.prepare`` / ``pvsite.size`` run every scenario of a preset from one
preparation; ``pvsite.configure`` builds a validated :class:`pvsite.config.Config`.
The names are imported lazily, so ``import pvsite`` (and ``pvsite --help``) stays fast.
"""

__version__ = "0.1.0"

_API = {"run": "pvsite.api", "write": "pvsite.api", "prepare": "pvsite.api", "size": "pvsite.api",
        "configure": "pvsite.api", "selection": "pvsite.api", "Config": "pvsite.config",
        "load_config": "pvsite.config", "RunResult": "pvsite.pipeline", "Selection": "pvsite.pipeline"}

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'pvsite' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
