"""Keep TensorFlow's Python logger quiet during steps that log once per file."""

import contextlib
import logging


@contextlib.contextmanager
def quiet_tensorflow_logger(level=logging.ERROR):
    """Raise the ``tensorflow`` logger to ``level`` inside the block, then restore it.

    Exporting a SavedModel logs "Assets written to: ..." at INFO level, and
    saving a compiled tf_keras model warns that its metrics are not built yet.
    Notebook 07 exports dozens of models, so these lines would bury its output.
    """
    logger = logging.getLogger("tensorflow")
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)
