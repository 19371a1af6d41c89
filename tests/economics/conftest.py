import pytest


@pytest.fixture(scope="session")
def sample_prepared():
    from pvsite import pipeline
    from pvsite.config import Config

    return pipeline.prepare(Config())


@pytest.fixture(scope="session")
def sample_result(sample_prepared):
    from pvsite import pipeline

    return pipeline.size(sample_prepared)
