"""Shared fixtures. Facts from outside the project live here and in the tests, each with
its source named; nothing reads ../shared at test time."""

import pytest

import symcost as sc

from . import profiles  # noqa: F401  (registers and loads the hypothesis profile)


@pytest.fixture
def seed_dims():
    """The symbols of the seed article's notation."""
    return sc.dims("C_in C_out K H W")


# scripts that produced the fixtures run in their own environment (torch), never under pytest
collect_ignore_glob = ["fixtures/*.py"]
