"""Run mode, seeds, folders and mode-dependent sizes shared by every notebook.

Everything here reads environment variables when it is called, not when the
module is imported, so a notebook can set ``os.environ["COURSE_MODE"]`` in its
first cell and a test can change it with ``monkeypatch``.

Environment variables:
    COURSE_MODE: ``smoke`` (CI: tiny subsets, every code path), ``default``
        (a learner's offline run on a 2-core CPU) or ``full`` (downloaded data).
    COURSE_DATA_DIR: where downloaded data sets are cached. Defaults to
        ``$XDG_CACHE_HOME/dl-course`` (``~/.cache/dl-course``).
    COURSE_LOG_DIR: TensorBoard logs. Defaults to ``runs/`` in the project.
    COURSE_BUILD_DIR: saved models, executed notebooks and result files.
        Defaults to ``build/`` in the project.
"""

import dataclasses
import json
import os
import random
import tempfile
from pathlib import Path

MODES = ("smoke", "default", "full")
DEFAULT_MODE = "default"
DEFAULT_SEED = 42

# The folder that holds notebooks/, course_utils/ and build/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """Raised for an invalid setting; the message names the value and the fix."""


def get_mode():
    """Return the run mode from ``COURSE_MODE``, validated."""
    mode = os.environ.get("COURSE_MODE", DEFAULT_MODE).strip().lower()
    if mode not in MODES:
        raise SettingsError(
            f"Invalid COURSE_MODE={os.environ['COURSE_MODE']!r}. "
            f"Valid values are: {', '.join(MODES)}. "
            "Set it with, for example, `export COURSE_MODE=smoke`."
        )
    return mode


def __getattr__(name):
    # COURSE_MODE is looked up on every access so it follows the environment.
    if name == "COURSE_MODE":
        return get_mode()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pick(smoke, default, full=None):
    """Return the value for the current mode; ``full`` falls back to ``default``."""
    values = {"smoke": smoke, "default": default, "full": default if full is None else full}
    return values[get_mode()]


@dataclasses.dataclass(frozen=True)
class ModeSizes:
    """Sizes that notebooks read so that one code path serves every mode.

    Attributes:
        epochs: maximum training epochs (early stopping may end sooner).
        batch_size: examples per training step.
        max_train_examples: cap on training examples, or None for all.
        max_eval_examples: cap on validation and test examples, or None for all.
        timing_repeats: calls per latency measurement.
    """

    epochs: int
    batch_size: int
    max_train_examples: int | None
    max_eval_examples: int | None
    timing_repeats: int


_SIZES = {
    "smoke": ModeSizes(epochs=2, batch_size=64, max_train_examples=256,
                       max_eval_examples=128, timing_repeats=10),
    "default": ModeSizes(epochs=30, batch_size=32, max_train_examples=None,
                         max_eval_examples=None, timing_repeats=100),
    "full": ModeSizes(epochs=40, batch_size=64, max_train_examples=None,
                      max_eval_examples=None, timing_repeats=200),
}


def sizes():
    """Return the ModeSizes for the current mode."""
    return _SIZES[get_mode()]


def seed_everything(seed=DEFAULT_SEED):
    """Seed Python, NumPy and TensorFlow and make TensorFlow ops deterministic.

    With the same seed and mode, two runs on the same machine give the same
    weights and metrics. Deterministic ops can be slower on a GPU; on a CPU the
    cost is small.
    """
    import numpy as np

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)

    import course_utils  # noqa: F401  (selects Keras 2 before TensorFlow loads)
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return seed


def _folder_from_env(variable, default):
    return Path(os.environ.get(variable) or default).expanduser()


_EXAMPLE_FOLDERS = {"COURSE_DATA_DIR": "data", "COURSE_LOG_DIR": "runs",
                    "COURSE_BUILD_DIR": "build"}


def _ensure_writable(path, variable):
    """Create ``path`` and check that files can be written there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as error:
        raise SettingsError(
            f"{variable}={str(path)!r} is not a writable folder ({error.strerror or error}). "
            f"Point {variable} at a folder you can write to, for example "
            f"`export {variable}=$HOME/dl-course/{_EXAMPLE_FOLDERS[variable]}`, "
            "or unset it to use the default."
        ) from error
    return path


def data_dir():
    """Return the data cache folder (``COURSE_DATA_DIR``), created and writable."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    path = _folder_from_env("COURSE_DATA_DIR", Path(cache_home) / "dl-course")
    return _ensure_writable(path, "COURSE_DATA_DIR")


def log_dir(run_name=None):
    """Return the TensorBoard log folder (``COURSE_LOG_DIR``), or a run inside it."""
    path = _ensure_writable(_folder_from_env("COURSE_LOG_DIR", PROJECT_ROOT / "runs"),
                            "COURSE_LOG_DIR")
    return path / run_name if run_name else path


def build_dir(*parts):
    """Return a folder under ``COURSE_BUILD_DIR`` (default ``build/``), created."""
    root = _ensure_writable(_folder_from_env("COURSE_BUILD_DIR", PROJECT_ROOT / "build"),
                            "COURSE_BUILD_DIR")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir():
    """Return ``build/models``, where notebooks save models for later notebooks."""
    return build_dir("models")


def record_result(notebook, **metrics):
    """Write a notebook's headline metrics to ``build/results/<notebook>.json``.

    ``python -m course_utils run`` prints these as one line per notebook.
    Returns the path written.
    """
    record = {"notebook": notebook, "mode": get_mode(), **metrics}
    path = build_dir("results") / f"{notebook}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=2, default=float))
    os.replace(temporary, path)
    return path
