"""Shared fixtures: the frame and the study's 11 cases, loaded once per test session; the
property tests' settings (seeded, so that a run is repeatable; FUZZ_RANDOM=1 for fresh
examples)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from analysis import inventories, load_frame

settings.register_profile("seeded", derandomize=True, database=None)
settings.register_profile("random", derandomize=False)
settings.load_profile("random" if os.environ.get("FUZZ_RANDOM") else "seeded")


@pytest.fixture(scope="session")
def frame():
    return load_frame()


@pytest.fixture(scope="session")
def study_result(frame):
    return inventories.load("study", frame)


@pytest.fixture()
def study(study_result):
    return study_result.cases.copy()


@pytest.fixture()
def output_dir(tmp_path, monkeypatch):
    """Redirect every generated file to a temporary folder."""
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path))
    return tmp_path


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (the whole regeneration) run first: with one test worker per
    core (``pytest -n auto``) the other tests then run alongside them, not after."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
