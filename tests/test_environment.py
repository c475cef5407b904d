import os
import subprocess
import sys

import pytest

import course_utils
from course_utils import doctor
from course_utils.__main__ import main


def run_python(code):
    env = {key: value for key, value in os.environ.items() if key != "TF_USE_LEGACY_KERAS"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_keras_is_tf_keras():
    import tensorflow as tf

    assert course_utils.keras.__name__ == "tf_keras"
    assert tf.keras.Sequential.__module__.startswith("tf_keras")


def test_tensorflow_imported_first_raises_clear_error():
    result = run_python("import tensorflow as tf; tf.keras.layers; import course_utils")
    assert result.returncode == 1
    assert "course_utils.KerasVersionError: TensorFlow was imported before course_utils" in result.stderr
    assert "Restart the kernel" in result.stderr
    assert "put `import course_utils` before `import tensorflow`" in result.stderr


def test_tensorflow_imported_first_but_keras_untouched_is_fixed():
    result = run_python("import tensorflow as tf; import course_utils; "
                        "print(tf.keras.Sequential.__module__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("tf_keras")


def test_doctor_reports_versions_and_folders(isolated_folders, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    assert main(["doctor"]) == 0
    output = capsys.readouterr().out
    for label in ["Python: 3.11", "TensorFlow: 2.21.0", "tf_keras: 2.21.0", "TF-MOT: 0.8.1",
                  "TensorBoard: 2.", "librosa: ", "scikit-learn: ", "Pillow: ", "NumPy: ",
                  "Keras 2 active: yes", "CPU devices: /physical_device:CPU:0",
                  "GPU devices: ", "Run mode: smoke",
                  f"Data folder: {isolated_folders / 'data'}",
                  f"Log folder: {isolated_folders / 'runs'}",
                  f"Build folder: {isolated_folders / 'build'}", "All checks passed."]:
        assert label in output


def test_doctor_finds_keras3():
    problems = doctor.find_problems(python_version=(3, 11),
                                    keras_module="keras.src.models.sequential",
                                    has_tensorboard=True)
    assert len(problems) == 1
    assert problems[0].startswith("TensorFlow was imported before course_utils")


def test_doctor_finds_missing_tensorboard():
    problems = doctor.find_problems(python_version=(3, 11), keras_module="tf_keras.src",
                                    has_tensorboard=False)
    assert problems == [doctor.TENSORBOARD_MISSING_MESSAGE]
    assert "pip install tensorboard==2.21.0" in problems[0]


def test_doctor_finds_unsupported_python():
    problems = doctor.find_problems(python_version=(3, 13), keras_module="tf_keras.src",
                                    has_tensorboard=True)
    assert len(problems) == 1
    assert problems[0].startswith("Python 3.13 is not supported")


def test_doctor_exits_nonzero_on_problem(monkeypatch, isolated_folders, capsys):
    monkeypatch.setattr(doctor, "tensorboard_installed", lambda: False)
    assert main(["doctor"]) == 1
    assert "1 problem(s) found:\n- TensorBoard is not installed." in capsys.readouterr().err


def test_doctor_exits_nonzero_on_invalid_mode(monkeypatch, isolated_folders, capsys):
    monkeypatch.setenv("COURSE_MODE", "turbo")
    assert main(["doctor"]) == 1
    captured = capsys.readouterr()
    assert "Run mode: INVALID (Invalid COURSE_MODE='turbo'." in captured.out
    assert "- Invalid COURSE_MODE='turbo'. Valid values are: smoke, default, full." in captured.err


def test_doctor_finds_unwritable_build_dir(monkeypatch, isolated_folders, capsys):
    blocker = isolated_folders / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_BUILD_DIR", str(blocker))
    assert main(["doctor"]) == 1
    captured = capsys.readouterr()
    assert f"Build folder: INVALID (COURSE_BUILD_DIR={str(blocker)!r} is not a writable" in captured.out
    assert f"- COURSE_BUILD_DIR={str(blocker)!r} is not a writable folder" in captured.err


def test_require_tensorboard_raises_with_fix(monkeypatch):
    monkeypatch.setattr(doctor, "tensorboard_installed", lambda: False)
    with pytest.raises(doctor.EnvironmentProblem, match=r"pip install -r requirements.txt"):
        doctor.require_tensorboard()


def test_doctor_command_line_runs():
    result = subprocess.run([sys.executable, "-m", "course_utils", "doctor"],
                            capture_output=True, text=True,
                            env={**os.environ, "COURSE_MODE": "smoke"})
    assert result.returncode == 0, result.stderr
    assert "Keras 2 active: yes" in result.stdout
