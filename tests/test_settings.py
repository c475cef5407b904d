import json
import os
import subprocess
import sys

import numpy as np
import pytest

from course_utils import settings


@pytest.mark.parametrize("value, expected", [("smoke", "smoke"), ("default", "default"),
                                              ("FULL", "full"), (" smoke ", "smoke")])
def test_mode_accepts_valid_values(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_MODE", value)
    assert settings.get_mode() == expected
    assert settings.COURSE_MODE == expected


def test_mode_defaults_to_default(monkeypatch):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    assert settings.COURSE_MODE == "default"


def test_invalid_mode_lists_valid_values(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(settings.SettingsError) as error:
        settings.get_mode()
    assert str(error.value) == (
        "Invalid COURSE_MODE='fast'. Valid values are: smoke, default, full. "
        "Set it with, for example, `export COURSE_MODE=smoke`."
    )


def test_sizes_follow_mode(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    smoke = settings.sizes()
    monkeypatch.setenv("COURSE_MODE", "default")
    default = settings.sizes()
    assert smoke.epochs < default.epochs
    assert smoke.max_train_examples == 256
    assert default.max_train_examples is None


def test_pick_returns_value_for_mode(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    assert settings.pick(smoke=1, default=2, full=3) == 1
    monkeypatch.setenv("COURSE_MODE", "full")
    assert settings.pick(smoke=1, default=2) == 2
    assert settings.pick(smoke=1, default=2, full=3) == 3


def test_data_dir_created_from_env(isolated_folders):
    path = settings.data_dir()
    assert path == isolated_folders / "data"
    assert path.is_dir()


def test_data_dir_defaults_to_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert settings.data_dir() == tmp_path / "cache" / "dl-course"


def test_unwritable_data_dir_names_value_and_fix(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(target))
    with pytest.raises(settings.SettingsError) as error:
        settings.data_dir()
    message = str(error.value)
    assert message.startswith(f"COURSE_DATA_DIR={str(target)!r} is not a writable folder")
    assert "Point COURSE_DATA_DIR at a folder you can write to, for example " \
        "`export COURSE_DATA_DIR=$HOME/dl-course/data`" in message


def test_unwritable_build_dir_suggests_build_folder(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_BUILD_DIR", str(blocker))
    with pytest.raises(settings.SettingsError) as error:
        settings.models_dir()
    assert "`export COURSE_BUILD_DIR=$HOME/dl-course/build`" in str(error.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_data_dir_rejected(monkeypatch, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    with pytest.raises(settings.SettingsError, match="is not a writable folder"):
        settings.data_dir()


def test_log_dir_run_name(isolated_folders):
    assert settings.log_dir("image") == isolated_folders / "runs" / "image"


def test_record_result_writes_json(isolated_folders, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    path = settings.record_result("05_image_recognition", test_accuracy=0.5)
    assert path == isolated_folders / "build" / "results" / "05_image_recognition.json"
    assert json.loads(path.read_text()) == {
        "notebook": "05_image_recognition", "mode": "smoke", "test_accuracy": 0.5}


def test_seed_everything_repeats_numbers():
    import tensorflow as tf

    settings.seed_everything(7)
    first = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    settings.seed_everything(7)
    second = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


TRAIN_SCRIPT = """
import course_utils
from course_utils import settings, keras
import numpy as np
settings.seed_everything(3)
x = np.random.rand(64, 8).astype("float32")
y = (x.sum(axis=1) > 4).astype("int32")
model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.2), keras.layers.Dense(2, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=True)
print(repr(history.history["loss"][-1]), repr(model.evaluate(x, y, verbose=0)[1]))
"""


def test_two_seeded_runs_give_same_metrics():
    env = {**os.environ, "COURSE_MODE": "smoke"}
    runs = [subprocess.run([sys.executable, "-c", TRAIN_SCRIPT], capture_output=True,
                           text=True, env=env, check=True).stdout.strip() for _ in range(2)]
    assert runs[0] != ""
    assert runs[0] == runs[1]
