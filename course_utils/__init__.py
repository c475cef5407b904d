"""Companion package for the course notebooks.

Import this package before TensorFlow. It selects Keras 2 (the ``tf_keras``
package) by setting ``TF_USE_LEGACY_KERAS=1`` while TensorFlow has not yet
resolved ``tf.keras``. TensorFlow Model Optimization 0.8 rejects Keras 3 models,
so every model in the course is built with the ``keras`` object exported here.
"""

import os
import sys

__version__ = "0.1.0"

os.environ["TF_USE_LEGACY_KERAS"] = "1"
# Keep TensorFlow's C++ log lines out of notebooks and CI logs. Level 3 also hides
# its harmless ERROR lines on a CPU-only machine ("failed call to cuInit"); real
# failures still reach Python as exceptions. Set TF_CPP_MIN_LOG_LEVEL=0 before
# importing course_utils to see every line.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class KerasVersionError(RuntimeError):
    """Raised when TensorFlow already resolved ``tf.keras`` to Keras 3."""


KERAS3_ACTIVE_MESSAGE = (
    "TensorFlow was imported before course_utils and tf.keras is already Keras 3 "
    "({module}). TensorFlow Model Optimization needs Keras 2 (tf_keras). "
    "Restart the kernel (or the Python process) and put `import course_utils` "
    "before `import tensorflow`."
)


def _tf_keras_module_name():
    """Return the module that ``tf.keras`` resolves to, or None if TF is not loaded."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    # Accessing an attribute makes TensorFlow's lazy loader pick a Keras now. It
    # reads TF_USE_LEGACY_KERAS at that moment, so the variable set above still
    # counts unless something already touched tf.keras.
    return tf.keras.Sequential.__module__


def check_keras_version():
    """Raise KerasVersionError if ``tf.keras`` is Keras 3 in this process."""
    module = _tf_keras_module_name()
    if module is not None and not module.startswith("tf_keras"):
        raise KerasVersionError(KERAS3_ACTIVE_MESSAGE.format(module=module))


check_keras_version()

import tf_keras as keras  # noqa: E402  (must follow the environment set-up above)

from course_utils import settings  # noqa: E402

__all__ = ["keras", "settings", "check_keras_version", "KerasVersionError", "__version__"]
