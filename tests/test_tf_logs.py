"""quiet_tensorflow_logger: the tensorflow logger's level inside and after the block."""

import logging

import pytest

from course_utils.tf_logs import quiet_tensorflow_logger


@pytest.fixture(autouse=True)
def keep_tensorflow_level():
    """Put the logger back as other tests expect it."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    yield
    logger.setLevel(level)


def test_level_raised_then_restored():
    logger = logging.getLogger("tensorflow")
    logger.setLevel(logging.INFO)
    with quiet_tensorflow_logger():
        assert logger.level == logging.ERROR
    assert logger.level == logging.INFO


def test_level_restored_after_error():
    logger = logging.getLogger("tensorflow")
    logger.setLevel(logging.WARNING)
    with pytest.raises(RuntimeError, match="export failed"):
        with quiet_tensorflow_logger():
            raise RuntimeError("export failed")
    assert logger.level == logging.WARNING
