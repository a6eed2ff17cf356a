"""The package's own tests (ctest -L python): the real nt35e-sim ($NT35E_SIM or the build
tree's), pytester for running the plugin on tests of its own."""

import os

import pytest

pytest_plugins = ["pytester"]

TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def tree():
    return TREE
