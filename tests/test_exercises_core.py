import json

import pytest

from course_utils import exercises
from course_utils.exercises import ExerciseFailed, checker


@checker("test.1", title="return the number 3")
def _check_three(answer):
    if answer != 3:
        raise ExerciseFailed(f"The value {answer!r} is not the number of sides.", "Count the sides of a triangle.")


def test_passing_answer_prints_pass(capsys):
    assert exercises.check("test.1", 3) is None
    assert capsys.readouterr().out == "[PASS] Exercise test.1. Correct: return the number 3.\n"


def test_wrong_answer_prints_message_and_hint(capsys):
    assert exercises.check("test.1", 4) is None
    assert capsys.readouterr().out == (
        "[NOT YET] Exercise test.1. The value 4 is not the number of sides.\n"
        "  Hint: Count the sides of a triangle.\n")


def test_crashing_answer_reported_not_raised():
    def broken(answer):
        return answer / 0

    @checker("test.2", title="divide")
    def _check_divide(function):
        function(1)

    result = exercises.run_check("test.2", broken)
    assert result.passed is False
    assert result.message == "Your code raised an error: ZeroDivisionError: division by zero"


def test_stub_reported_as_not_filled_in():
    @checker("test.3", title="stub")
    def _check_stub(function):
        function()

    def stub():
        raise NotImplementedError

    result = exercises.run_check("test.3", stub)
    assert result.message == "The solution cell is not filled in yet."


def test_unknown_exercise_id_lists_known_ids():
    with pytest.raises(KeyError, match=r"Unknown exercise id 'nope'. Known ids: .*test.1"):
        exercises.run_check("nope", 1)


def test_duplicate_registration_rejected():
    with pytest.raises(ValueError, match=r"Exercise id 'test.1' is registered twice."):
        checker("test.1", title="again")(lambda answer: None)


def test_results_recorded_for_grading(tmp_path, monkeypatch):
    log = tmp_path / "grades.jsonl"
    monkeypatch.setenv("COURSE_GRADING_LOG", str(log))
    exercises.check("test.1", 3)
    exercises.check("test.1", 5)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [row["passed"] for row in rows] == [True, False]
    assert rows[1]["hint"] == "Count the sides of a triangle."


def test_none_answer_before_data_unfilled():
    # As in check("07.3", smallest, image_table) in a student edition.
    result = exercises.run_check("test.1", None, {"table": [1, 2]})
    assert result.passed is False
    assert result.message == "The solution cell is not filled in yet."


def test_none_answer_reported_as_not_filled_in():
    result = exercises.run_check("test.1", None)
    assert result.passed is False
    assert result.message == "The solution cell is not filled in yet."
    assert result.hint == "Replace `None` in the solution cell with your answer."
