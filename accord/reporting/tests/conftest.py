import pytest

from accord.reporting.tests import dataset


@pytest.fixture
def data(personas):
    found = dataset.build(personas)
    found["personas"] = personas
    return found
