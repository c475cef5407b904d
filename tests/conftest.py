"""Shared fixtures. Importing course_utils here selects Keras 2 for every test."""

import pytest

import course_utils  # noqa: F401  (must come before any TensorFlow import)


@pytest.fixture
def isolated_folders(tmp_path, monkeypatch):
    """Point the data, log and build folders at a temporary folder."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_LOG_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path
