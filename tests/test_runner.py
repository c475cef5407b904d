import json
import types

import nbformat
import pytest

from course_utils import runner


def make_notebook(path, source):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell(source)]
    nbformat.write(notebook, path)
    return path


def test_result_line_formats_metrics():
    line = runner.format_result_line("05_image_recognition", 12.34,
                                     {"notebook": "05", "mode": "smoke",
                                      "test_accuracy": 0.98765, "epochs": 3})
    assert line == ("05_image_recognition                     ok     12.3 s  "
                    "test_accuracy=0.9877 epochs=3")


def test_result_line_quotes_text_with_spaces():
    line = runner.format_result_line("02_audio", 1.0, {"dataset": "embedded spoken digits",
                                                       "files": 10})
    assert line.endswith('dataset="embedded spoken digits" files=10')


def test_course_notebooks_are_numbered():
    names = [path.name for path in runner.course_notebooks()]
    assert names == sorted(names)
    assert all(name[:2].isdigit() and name[2] == "_" for name in names)


@pytest.fixture
def run_args(isolated_folders):
    def build(*paths):
        return types.SimpleNamespace(notebooks=[str(path) for path in paths], mode="smoke",
                                     output_dir=str(isolated_folders / "executed"), timeout=120)
    return build


def test_run_executes_and_prints_result(tmp_path, run_args, capsys):
    path = make_notebook(tmp_path / "99_tiny.ipynb",
                         "from course_utils import settings\n"
                         "settings.record_result('99_tiny', answer=42)")
    assert runner.main(run_args(path)) == 0
    output = capsys.readouterr().out
    assert "Executing 1 notebook(s) in 'smoke' mode" in output
    assert "99_tiny" in output
    assert "answer=42" in output
    executed = nbformat.read(tmp_path / "executed" / "99_tiny.ipynb", as_version=4)
    assert executed.cells[1].execution_count == 1
    record = json.loads((tmp_path / "build" / "results" / "99_tiny.json").read_text())
    assert record == {"notebook": "99_tiny", "mode": "smoke", "answer": 42}


def test_run_reports_failing_notebook(tmp_path, run_args, capsys):
    path = make_notebook(tmp_path / "98_broken.ipynb", "raise ValueError('bad cell')")
    assert runner.main(run_args(path)) == 1
    output = capsys.readouterr().out
    assert "98_broken" in output
    assert "FAILED after" in output
    assert "at cell 1: ValueError: bad cell. See" in output
    assert "\x1b[" not in output
    assert (tmp_path / "executed" / "98_broken.ipynb").exists()


def test_run_rejects_missing_notebook(tmp_path, run_args, capsys):
    assert runner.main(run_args(tmp_path / "nope.ipynb")) == 2
    assert f"error: notebook not found: {tmp_path / 'nope.ipynb'}" in capsys.readouterr().err


def test_run_counts_exercise_checks(tmp_path, run_args, capsys):
    path = make_notebook(tmp_path / "97_checks.ipynb",
                         "from course_utils.exercises import check\n"
                         "from course_utils.exercises import nb05_image_recognition\n"
                         "check('05.1', None)")
    assert runner.main(run_args(path)) == 0
    assert "exercises=0/1 passed" in capsys.readouterr().out


def test_exercise_count_keeps_last_check(tmp_path):
    log = tmp_path / "checks.jsonl"
    rows = [{"exercise_id": "01.1", "passed": False}, {"exercise_id": "01.1", "passed": True},
            {"exercise_id": "01.2", "passed": False}]
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert runner.count_exercises(log) == (1, 2)


def test_run_restores_callers_grading_log(tmp_path, run_args, monkeypatch):
    own_log = tmp_path / "mine.jsonl"
    monkeypatch.setenv("COURSE_GRADING_LOG", str(own_log))
    path = make_notebook(tmp_path / "96_plain.ipynb", "x = 1")
    assert runner.main(run_args(path)) == 0
    assert runner.os.environ["COURSE_GRADING_LOG"] == str(own_log)
