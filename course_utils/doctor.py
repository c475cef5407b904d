"""Environment check: ``python -m course_utils doctor``.

Prints the versions and settings a learner needs to report when asking for
help, and fails with a fix for each problem that would break the course later.
"""

import importlib.metadata
import importlib.util
import platform
import sys

import course_utils
from course_utils import settings

SUPPORTED_PYTHON = (3, 11)

# Distribution names on PyPI, keyed by the label that doctor prints.
PACKAGES = {
    "TensorFlow": "tensorflow",
    "tf_keras": "tf-keras",
    "TF-MOT": "tensorflow-model-optimization",
    "TensorBoard": "tensorboard",
    "librosa": "librosa",
    "scikit-learn": "scikit-learn",
    "Pillow": "pillow",
    "NumPy": "numpy",
}

TENSORBOARD_MISSING_MESSAGE = (
    "TensorBoard is not installed. TensorFlow 2.21 no longer installs it. "
    "Run `pip install -r requirements.txt` (or `pip install tensorboard==2.21.0`) "
    "in the course environment, then restart the kernel."
)


class EnvironmentProblem(RuntimeError):
    """Raised when a required part of the environment is missing."""


def package_version(distribution):
    """Return the installed version of a distribution, or None if it is missing."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def tensorboard_installed():
    """Return True if the ``tensorboard`` package can be imported."""
    return importlib.util.find_spec("tensorboard") is not None


def require_tensorboard():
    """Raise EnvironmentProblem with the fix if TensorBoard is not installed."""
    if not tensorboard_installed():
        raise EnvironmentProblem(TENSORBOARD_MISSING_MESSAGE)


def keras_module_name():
    """Return the module ``tf.keras`` resolves to in this process."""
    import tensorflow as tf

    return tf.keras.Sequential.__module__


def find_problems(python_version=None, keras_module=None, has_tensorboard=None):
    """Return a list of problem messages, each with its fix; empty when all is well.

    The arguments default to the live environment; tests pass other values.
    """
    python_version = python_version or tuple(sys.version_info[:2])
    keras_module = keras_module or keras_module_name()
    has_tensorboard = tensorboard_installed() if has_tensorboard is None else has_tensorboard

    problems = []
    if tuple(python_version) != SUPPORTED_PYTHON:
        problems.append(
            f"Python {'.'.join(map(str, python_version))} is not supported; the pinned "
            "TensorFlow 2.21 stack is tested on Python 3.11. Create the environment with "
            "`python3.11 -m venv .venv` or `conda env create -f environment.yml`."
        )
    if not keras_module.startswith("tf_keras"):
        problems.append(course_utils.KERAS3_ACTIVE_MESSAGE.format(module=keras_module))
    if not has_tensorboard:
        problems.append(TENSORBOARD_MISSING_MESSAGE)
    try:
        settings.get_mode()
    except settings.SettingsError as error:
        problems.append(str(error))
    for folder in (settings.data_dir, settings.log_dir, settings.build_dir):
        try:
            folder()
        except settings.SettingsError as error:
            problems.append(str(error))
    return problems


def _setting_or_error(function):
    try:
        return str(function())
    except settings.SettingsError as error:
        return f"INVALID ({error})"


def report_lines():
    """Return the ``label: value`` lines that doctor prints."""
    import tensorflow as tf

    lines = [f"Python: {platform.python_version()} ({sys.executable})"]
    for label, distribution in PACKAGES.items():
        lines.append(f"{label}: {package_version(distribution) or 'NOT INSTALLED'}")
    keras_module = keras_module_name()
    lines.append(f"Keras 2 active: {'yes' if keras_module.startswith('tf_keras') else 'NO'} "
                 f"(tf.keras is {keras_module.split('.')[0]})")
    for kind in ("CPU", "GPU"):
        devices = [device.name for device in tf.config.list_physical_devices(kind)]
        lines.append(f"{kind} devices: {', '.join(devices) or 'none'}")
    lines.append(f"Run mode: {_setting_or_error(settings.get_mode)}")
    lines.append(f"Data folder: {_setting_or_error(settings.data_dir)}")
    lines.append(f"Log folder: {_setting_or_error(settings.log_dir)}")
    lines.append(f"Build folder: {_setting_or_error(settings.build_dir)}")
    return lines


def main():
    """Print the report and the problems; return the process exit status."""
    print("\n".join(report_lines()))
    problems = find_problems()
    if not problems:
        print("All checks passed.")
        return 0
    print(f"\n{len(problems)} problem(s) found:", file=sys.stderr)
    for problem in problems:
        print(f"- {problem}", file=sys.stderr)
    return 1
