"""The grade command against two tiny reference notebooks that use real checkers.

Each graded submission starts a kernel (several seconds), so one module-scoped
run grades most of the cases at once and the tests below read its outputs.
"""

import contextlib
import csv
import io
import json
import os

import nbformat
import pytest

from course_utils import grading, grading_command, student
from course_utils.__main__ import build_parser

SPARSITY = "def kernel_sparsity(kernel):\n    return float(np.mean(np.asarray(kernel) == 0))\n"
QUANTIZE = ("def quantize(x, scale, zero_point):\n"
            "    q = np.round(np.asarray(x) / scale) + zero_point\n"
            "    return np.clip(q, -128, 127).astype(np.int8)\n")
FAKE_PASS = ('import json, os\n'
             'with open(os.environ["COURSE_GRADING_LOG"], "a") as log:\n'
             '    log.write(json.dumps({{"exercise_id": "{}", "passed": True, '
             '"message": "Correct.", "hint": ""}}) + "\\n")\n')
NOT_FILLED_IN = ("The solution cell is not filled in yet.",
                 "Replace `raise NotImplementedError` with your code.")


def solution_cell(source, cell_id):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["solution"]})
    cell.id = cell_id
    return cell


def write_notebook(path, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def write_references(folder):
    """Write the reference notebooks 06_tiny_speech (06.1) and 07_tiny_optimization (07.1, 07.2)."""
    code = nbformat.v4.new_code_cell
    speech = write_notebook(folder / "06_tiny_speech.ipynb", [
        nbformat.v4.new_markdown_cell("# Tiny speech"),
        solution_cell("shape_answer = (32, 101, 1)\n", "solution-06-1"),
        code('from course_utils.exercises import check\n\ncheck("06.1", shape_answer)'),
    ])
    optimization = write_notebook(folder / "07_tiny_optimization.ipynb", [
        nbformat.v4.new_markdown_cell("# Tiny optimization"),
        code("import numpy as np"),
        solution_cell(SPARSITY, "solution-07-1"),
        code('from course_utils.exercises import check\n\ncheck("07.1", kernel_sparsity)'),
        solution_cell(QUANTIZE, "solution-07-2"),
        code('check("07.2", quantize)'),
    ])
    return [speech, optimization]


def edit_copy(reference, target, sources):
    """Write a copy of ``reference`` with the sources of the given cells replaced."""
    notebook = nbformat.read(reference, as_version=4)
    for index, source in sources.items():
        notebook.cells[index].source = source
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def write_submissions(folder, speech, optimization):
    # alice: right solutions written her own way.
    edit_copy(optimization, folder / "alice" / "07_tiny_optimization.ipynb", {
        2: "def kernel_sparsity(kernel):\n    kernel = np.asarray(kernel)\n"
           "    return 1.0 - np.count_nonzero(kernel) / kernel.size\n",
        4: "def quantize(x, scale, zero_point):\n"
           "    return np.clip(np.rint(x / scale) + zero_point, -128, 127).astype(np.int8)\n",
    })

    # The autosave copy must be skipped.
    edit_copy(optimization, folder / "alice" / ".ipynb_checkpoints" /
              "07_tiny_optimization-checkpoint.ipynb", {})

    # carol: the first solution cell raises, the second is right.
    edit_copy(optimization, folder / "carol" / "07_tiny_optimization.ipynb",
              {2: 'raise ValueError("stuck on this one")\n'})

    # bob: the student edition, unchanged.
    edition = student.student_notebook(nbformat.read(optimization, as_version=4))
    (folder / "bob").mkdir(parents=True)
    nbformat.write(edition, folder / "bob" / "07_tiny_optimization.ipynb")

    # dave: the student edition under another name. A solution cell writes a
    # passing 07.1 line after the 07.1 check ran, and the 07.2 check cell is
    # replaced by a fake pass.
    edition.cells[4].source += FAKE_PASS.format("07.1")
    edition.cells[5].source = 'print("[PASS] Exercise 07.2. Correct.")\n' + FAKE_PASS.format("07.2")
    (folder / "dave").mkdir(parents=True)
    nbformat.write(edition, folder / "dave" / "homework.ipynb")

    # frank: new cells (new ids), matched by the file name; the kernel exits.
    write_notebook(folder / "frank" / "06_tiny_speech.ipynb", [
        solution_cell("import os\nos._exit(1)\n", "frank-1")])

    # ivan: a correct solution that prints 300,000 characters.
    edit_copy(speech, folder / "ivan" / "06_tiny_speech.ipynb", {
        1: 'for _ in range(300):\n    print("x" * 999)\nshape_answer = (32, 101, 1)\n'})

    # judy: a correct solution whose last expression is a 3-million-character string.
    edit_copy(speech, folder / "judy" / "06_tiny_speech.ipynb", {
        1: 'shape_answer = (32, 101, 1)\n"y" * 3_000_000\n'})

    # gina: a notebook that is not part of the course.
    write_notebook(folder / "gina" / "notes.ipynb", [nbformat.v4.new_code_cell("x = 1")])

    # harry: not JSON at all.
    (folder / "harry").mkdir()
    (folder / "harry" / "07_tiny_optimization.ipynb").write_text("my answers are in the email")


def run_grade(argv, references):
    """Run ``grade`` with ``argv``; return the status, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = grading_command.main(build_parser().parse_args(["grade", *argv]),
                                      reference_paths=references)
    return status, stdout.getvalue(), stderr.getvalue()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grading")
    references = write_references(folder / "reference")
    write_submissions(folder / "submissions", *references)
    environment_before = dict(os.environ)
    output = folder / "out" / "grades.csv"
    status, stdout, stderr = run_grade(
        [str(folder / "submissions"), "--output", str(output)], references)
    return {"folder": folder, "references": references, "output": output, "status": status,
            "stdout": stdout, "stderr": stderr,
            "environment_changed": dict(os.environ) != environment_before}


UNREADABLE = ("unreadable: invalid JSON (Expecting value: line 1 column 1 (char 0)); ask the "
              "student to save it again in Jupyter and resubmit it")
BY_POSITION = ("1 solution cell(s) matched by position, not by cell id; check that each answer "
               "is under the right exercise")


def test_grade_exits_1_when_any_ungraded(graded):
    assert graded["status"] == 1
    assert graded["stderr"] == ""


def test_grade_table_rows(graded):
    known = "not a course notebook: no solution cell id matches, and the file name starts " \
            "with none of the known prefixes 06_, 07_"
    assert read_csv(graded["output"]) == [
        ["submission", "notebook", "status", "06.1", "07.1", "07.2", "passed", "total",
         "review"],
        ["alice/07_tiny_optimization.ipynb", "07_tiny_optimization", "graded",
         "", "1", "1", "2", "2", ""],
        ["bob/07_tiny_optimization.ipynb", "07_tiny_optimization", "graded",
         "", "0", "0", "0", "2", ""],
        ["carol/07_tiny_optimization.ipynb", "07_tiny_optimization", "graded",
         "", "0", "1", "1", "2", ""],
        ["dave/homework.ipynb", "07_tiny_optimization", "graded", "", "0", "0", "0", "2",
         "solution cell 2 uses COURSE_GRADING_LOG; read it"],
        ["frank/06_tiny_speech.ipynb", "06_tiny_speech",
         "kernel died in the solution cell of 06.1", "0", "", "", "0", "1", BY_POSITION],
        ["gina/notes.ipynb", "", known, "", "", "", "", "", ""],
        ["harry/07_tiny_optimization.ipynb", "", UNREADABLE, "", "", "", "", "", ""],
        ["ivan/06_tiny_speech.ipynb", "06_tiny_speech", "graded", "1", "", "", "1", "1",
         "the output of the solution cell of 06.1 passed 100,000 characters and was cut"],
        ["judy/06_tiny_speech.ipynb", "06_tiny_speech", "graded", "1", "", "", "1", "1",
         "the output of the solution cell of 06.1 passed 100,000 characters and was cut"],
    ]


def test_feedback_rows(graded):
    rows = read_csv(graded["output"].with_name("feedback.csv"))
    assert rows == [
        ["submission", "exercise_id", "passed", "message", "hint"],
        ["alice/07_tiny_optimization.ipynb", "07.1", "1", "Correct: the sparsity of a kernel.", ""],
        ["alice/07_tiny_optimization.ipynb", "07.2", "1",
         "Correct: quantizing float input for an int8 model.", ""],
        ["bob/07_tiny_optimization.ipynb", "07.1", "0", *NOT_FILLED_IN],
        ["bob/07_tiny_optimization.ipynb", "07.2", "0", *NOT_FILLED_IN],
        ["carol/07_tiny_optimization.ipynb", "07.1", "0",
         "Not checked: the solution cell stopped with ValueError: stuck on this one.",
         "Run the solution cell on its own and read the traceback."],
        ["carol/07_tiny_optimization.ipynb", "07.2", "1",
         "Correct: quantizing float input for an int8 model.", ""],
        ["dave/homework.ipynb", "07.1", "0", *NOT_FILLED_IN],
        ["dave/homework.ipynb", "07.2", "0", *NOT_FILLED_IN],
        ["frank/06_tiny_speech.ipynb", "06.1", "0",
         "Not checked: the solution cell stopped with DeadKernelError: the kernel died while "
         "this cell ran.", "Run the solution cell on its own and read the traceback."],
        ["ivan/06_tiny_speech.ipynb", "06.1", "1",
         "Correct: the log-mel shape of a front end with a 10 ms hop and 32 mel bands.", ""],
        ["judy/06_tiny_speech.ipynb", "06.1", "1",
         "Correct: the log-mel shape of a front end with a 10 ms hop and 32 mel bands.", ""],
    ]


def test_grade_prints_line_per_submission(graded):
    lines = graded["stdout"].splitlines()
    assert lines[0] == "Grading 9 submission(s) in 'smoke' mode"
    assert lines[1].startswith("alice/07_tiny_optimization.ipynb  07_tiny_optimization  "
                               "2/2 passed  ")
    assert lines[1].endswith(" s")
    assert lines[4].startswith("dave/homework.ipynb               07_tiny_optimization  0/2 passed")
    assert lines[4].endswith(" s  review: solution cell 2 uses COURSE_GRADING_LOG; read it")
    assert lines[5].endswith(f" s  kernel died in the solution cell of 06.1  review: {BY_POSITION}")
    assert lines[7] == f"harry/07_tiny_optimization.ipynb  -  {UNREADABLE}"
    output = graded["output"]
    assert lines[10:] == [f"wrote {output}", f"wrote {output.with_name('feedback.csv')}",
                         f"wrote executed notebooks under {output.parent / 'executed'}"]


def test_long_output_cut_in_executed_copy(graded):
    executed = graded["output"].parent / "executed" / "ivan" / "06_tiny_speech.ipynb"
    outputs = nbformat.read(executed, as_version=4).cells[1].outputs
    stdout_chars = sum(len(output.get("text", "")) for output in outputs
                       if output["name"] == "stdout")
    # The message that crossed the limit is cut to what was left of it.
    assert stdout_chars == grading.MAX_STREAM_CHARS
    assert outputs[-1]["text"] == "[grader] Output beyond 100,000 characters was cut.\n"
    judy = graded["output"].parent / "executed" / "judy" / "06_tiny_speech.ipynb"
    result = nbformat.read(judy, as_version=4).cells[1].outputs[0]
    assert result["output_type"] == "execute_result"
    assert len(result["data"]["text/plain"]) == grading.MAX_STREAM_CHARS


def test_executed_copy_uses_reference_cells(graded):
    executed = graded["output"].parent / "executed"
    dave = nbformat.read(executed / "dave" / "homework.ipynb", as_version=4)
    reference = nbformat.read(graded["references"][1], as_version=4)
    assert dave.cells[5].source == reference.cells[5].source
    assert "[NOT YET] Exercise 07.2." in dave.cells[5].outputs[0]["text"]
    alice = nbformat.read(executed / "alice" / "07_tiny_optimization.ipynb", as_version=4)
    assert alice.cells[5].outputs[0]["text"].startswith("[PASS] Exercise 07.2.")
    assert sorted(path.name for path in executed.iterdir()) == [
        "alice", "bob", "carol", "dave", "frank", "ivan", "judy"]
    # The work folder of the run is removed at the end.
    assert sorted(path.name for path in graded["output"].parent.iterdir()) == [
        "executed", "feedback.csv", "grades.csv"]


def test_grade_leaves_environment_unchanged(graded):
    assert graded["environment_changed"] is False


def test_timeout_and_overwrite(graded, tmp_path):
    speech = graded["references"][0]
    submission = write_notebook(tmp_path / "06_tiny_speech.ipynb", [
        solution_cell("while True:\n    pass\n", "solution-06-1")])
    output = tmp_path / "grades.csv"
    output.write_text("an earlier table\n")
    status, stdout, _ = run_grade(
        [str(submission), "--output", str(output), "--timeout", "3", "--overwrite"], [speech])
    name = f"{tmp_path.name}/06_tiny_speech.ipynb"
    assert status == 1
    assert " s  timed out in the solution cell of 06.1" in stdout
    assert read_csv(output)[1] == [name, "06_tiny_speech", "timed out in the solution cell of 06.1",
                                   "0", "0", "1", ""]
    assert read_csv(output.with_name("feedback.csv"))[1] == [
        name, "06.1", "0",
        "Not checked: the solution cell stopped with CellTimeoutError: the cell ran longer "
        "than the 3 s limit per cell.",
        "Look for a loop that never ends, or a step far slower than the reference solution."]
    executed = nbformat.read(tmp_path / "executed" / name, as_version=4)
    assert executed.cells[1].outputs[-1]["ename"] == "CellTimeoutError"
    assert executed.cells[2].execution_count is None


def test_existing_output_rejected(graded, tmp_path):
    output = tmp_path / "grades.csv"
    output.write_text("an earlier table\n")
    status, stdout, stderr = run_grade(
        [str(graded["folder"] / "submissions"), "--output", str(output)], graded["references"])
    assert status == 2
    assert stderr == (f"error: {output} already exists. Pass --overwrite to replace it, "
                      "or choose another --output.\n")
    assert stdout == ""
    assert output.read_text() == "an earlier table\n"


def test_empty_folder_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    status, _, stderr = run_grade([str(tmp_path / "empty")], [])
    assert status == 2
    assert stderr == f"error: no submission (*.ipynb) found in {tmp_path / 'empty'}\n"


def test_missing_submission_exits_2(tmp_path):
    status, _, stderr = run_grade([str(tmp_path / "nope.ipynb")], [])
    assert status == 2
    assert stderr == f"error: submission not found: {tmp_path / 'nope.ipynb'}\n"


def test_same_name_twice_exits_2(tmp_path):
    for owner in ("first", "second"):
        write_notebook(tmp_path / owner / "07_x.ipynb", [])
    status, _, stderr = run_grade([str(tmp_path / "first"), str(tmp_path / "second")], [])
    assert status == 2
    assert stderr.startswith("error: two submissions are both named 07_x.ipynb: ")
    assert stderr.endswith("Pass the folder that holds every student's folder (for example "
                           "`grade submissions/`) instead of the files.\n")


def test_match_by_ids_before_prefix(tmp_path):
    speech, optimization = [grading.load_reference(path)
                            for path in write_references(tmp_path)]
    edition = student.student_notebook(optimization.notebook)
    assert grading.match_reference(edition, "06_misnamed.ipynb", [speech, optimization]) \
        is optimization
    blank = nbformat.v4.new_notebook()
    assert grading.match_reference(blank, "06_mine.ipynb", [speech, optimization]) is speech
    assert grading.match_reference(blank, "notes.ipynb", [speech, optimization]) is None


def test_reference_exercises_parsed(tmp_path):
    optimization = grading.load_reference(write_references(tmp_path)[1])
    assert optimization.exercises == (grading.ReferenceExercise("07.1", 2, 3),
                                      grading.ReferenceExercise("07.2", 4, 5))


def test_build_matches_by_order_then_stubs(tmp_path):
    optimization = grading.load_reference(write_references(tmp_path)[1])
    submission = nbformat.v4.new_notebook()
    submission.cells = [solution_cell("def kernel_sparsity(kernel):\n    return 0.5\n", "new-id")]
    built, notes = grading.build_graded_notebook(optimization, submission)
    assert notes == [BY_POSITION]
    assert built.cells[2].source == "def kernel_sparsity(kernel):\n    return 0.5\n"
    assert built.cells[4].source == student.stub_source(QUANTIZE)
    assert built.cells[5].source == 'check("07.2", quantize)'


def test_score_keeps_checks_before_timeout(tmp_path):
    optimization = grading.load_reference(write_references(tmp_path)[1])
    executed = optimization.notebook
    rows = {3: [{"exercise_id": "07.1", "passed": False, "message": "first", "hint": ""},
                {"exercise_id": "07.1", "passed": True, "message": "Correct.", "hint": ""},
                {"exercise_id": "07.2", "passed": True, "message": "wrong cell", "hint": ""}]}
    results = grading.score_exercises(optimization, executed, rows)
    assert [(result.exercise_id, result.passed, result.message) for result in results] == [
        ("07.1", True, "Correct."), ("07.2", False, "Not checked: the check cell did not run.")]


def test_parser_has_grade_options():
    args = build_parser().parse_args(["grade", "a.ipynb", "submissions/", "--output", "g.csv",
                                      "--overwrite", "--mode", "default", "--timeout", "30"])
    assert args.submissions == ["a.ipynb", "submissions/"]
    assert (args.output, args.overwrite, args.mode, args.timeout) == ("g.csv", True, "default", 30)
    defaults = build_parser().parse_args(["grade", "a.ipynb"])
    assert (defaults.output, defaults.overwrite, defaults.mode, defaults.timeout) == (
        None, False, "smoke", 600)


@pytest.mark.parametrize("value", ["0", "-5", "ten"])
def test_parser_rejects_bad_timeout(value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["grade", "a.ipynb", "--timeout", value])
    assert (f"invalid timeout {value!r}: expected a whole number of seconds, at least 1"
            in capsys.readouterr().err)


def test_later_exercises_name_the_stop(tmp_path):
    optimization = grading.load_reference(write_references(tmp_path)[1])
    status = "kernel died in the solution cell of 07.1"
    results = grading.score_exercises(optimization, optimization.notebook, {}, stopped_at=2,
                                      status=status)
    assert results[1].message == f"Not checked: the run stopped earlier ({status})."


def test_describe_cell(tmp_path):
    optimization = grading.load_reference(write_references(tmp_path)[1])
    assert grading.describe_cell(optimization, 4) == "the solution cell of 07.2"
    assert grading.describe_cell(optimization, 3) == "the check cell of 07.1"
    assert grading.describe_cell(optimization, 1) == (
        "cell 1 (from 0) of the reference notebook, not a solution cell")


def test_file_argument_keeps_student_folder(tmp_path):
    path = write_notebook(tmp_path / "alice" / "07_x.ipynb", [])
    assert grading_command.find_submissions([str(path)]) == [("alice/07_x.ipynb", path)]


@pytest.mark.parametrize("content, reason", [
    (b"", "an empty file; ask the student"),
    (b'{"nbformat": 4, "cells": "\xe9"}', "not UTF-8 text ('utf-8' codec can't decode byte 0xe9"),
    (b'{"cells": []}', "not a Jupyter notebook (no nbformat 3 or 4); ask the student"),
])
def test_unreadable_reasons(tmp_path, content, reason):
    path = tmp_path / "07_x.ipynb"
    path.write_bytes(content)
    with pytest.raises(grading.UnreadableSubmission) as raised:
        grading.read_submission(path)
    assert str(raised.value).startswith(reason)


def test_symlink_not_followed(tmp_path):
    target = write_notebook(tmp_path / "real.ipynb", [])
    link = tmp_path / "07_x.ipynb"
    link.symlink_to(target)
    with pytest.raises(grading.UnreadableSubmission,
                       match="a symbolic link, which the grader does not follow"):
        grading.read_submission(link)


def test_format_3_notebook_converted(tmp_path):
    path = tmp_path / "07_old.ipynb"
    path.write_text(json.dumps({
        "nbformat": 3, "nbformat_minor": 0, "metadata": {},
        "worksheets": [{"metadata": {}, "cells": [
            {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [],
             "metadata": {"tags": ["solution"]}}]}]}))
    notebook = grading.read_submission(path)
    assert notebook.nbformat == 4
    assert [cell.source for cell in notebook.cells] == ["x = 1"]
    assert grading.is_solution(notebook.cells[0])


def test_suspicious_solution_flagged():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        solution_cell("x = 1\n", "a"),
        solution_cell('get_ipython().events.register("post_run_cell", forge)\n', "b"),
        nbformat.v4.new_code_cell("import course_utils.exercises as e\ne.run_check = None\n"),
    ]
    assert grading.suspicious_code(notebook) == ["solution cell 2 uses get_ipython; read it"]
