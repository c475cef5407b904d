"""Grading of submitted notebooks: ``python -m course_utils grade``.

A submission is never run as it is. The grader copies the instructor's
reference notebook and puts in only the source of each solution cell (tagged
``solution``) from the submission, so an edited check cell or set-up cell has
no effect. Each copy runs in a fresh kernel, where every ``check()`` call from
``course_utils.exercises`` appends one line to the file named by
``COURSE_GRADING_LOG``. A line counts only when it was written while the
reference check cell of its exercise ran, and the last such line counts.
"""

import copy
import dataclasses
import json
import logging
import os
import re
import tempfile
import time
import warnings
from pathlib import Path

from course_utils import student
from course_utils.exercises import CheckResult

SOLUTION_TAG = "solution"
GRADED = "graded"
NOT_CHECKED = "Not checked: the check cell did not run."
ERROR_HINT = "Run the solution cell on its own and read the traceback."
# Course notebooks are named NN_topic.ipynb.
_PREFIX = re.compile(r"^(\d\d_)")
_CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")

logger = logging.getLogger(__name__)


class UnreadableSubmission(ValueError):
    """Raised when a submission is not a readable Jupyter notebook."""


@dataclasses.dataclass(frozen=True)
class ReferenceExercise:
    """An exercise of a reference notebook and the indices of its two cells."""

    exercise_id: str
    solution_index: int
    check_index: int


@dataclasses.dataclass(frozen=True)
class Reference:
    """An instructor's notebook with its solution cells and exercises."""

    path: Path
    notebook: object
    solution_indices: tuple
    exercises: tuple

    @property
    def name(self):
        return self.path.stem

    @property
    def prefix(self):
        match = _PREFIX.match(self.path.name)
        return match.group(1) if match else None

    @property
    def solution_ids(self):
        return {self.notebook.cells[index].get("id") for index in self.solution_indices} - {None}


@dataclasses.dataclass
class Grade:
    """The outcome for one submission.

    Attributes:
        submission: path relative to the folder given, e.g. ``alice/07_x.ipynb``.
        reference: the matched reference notebook, or None.
        status: ``graded`` or the reason the submission could not be graded.
        results: one CheckResult per exercise of the reference, in notebook order.
        seconds: wall-clock time spent on the submission.
        executed: the notebook as executed, or None when nothing ran.
    """

    submission: str
    reference: Reference | None = None
    status: str = GRADED
    results: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    executed: object = None

    @property
    def passed(self):
        return sum(result.passed for result in self.results)


def is_solution(cell):
    """Return whether ``cell`` is a code cell tagged ``solution``."""
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def load_reference(path):
    """Read a reference notebook and the exercise ids that the cell after each solution checks."""
    import nbformat

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    solution_indices = tuple(index for index, cell in enumerate(notebook.cells)
                             if is_solution(cell))
    exercises = []
    for index in solution_indices:
        following = notebook.cells[index + 1] if index + 1 < len(notebook.cells) else None
        if following is None or following.cell_type != "code":
            continue
        for exercise_id in dict.fromkeys(_CHECK_CALL.findall(following.source)):
            exercises.append(ReferenceExercise(exercise_id, index, index + 1))
    return Reference(path, notebook, solution_indices, tuple(exercises))


def read_submission(path):
    """Return the notebook in ``path``; raise UnreadableSubmission with the reason."""
    import nbformat

    try:
        text = Path(path).read_text(encoding="utf-8")
        content = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableSubmission(f"invalid JSON ({error})") from error
    if not isinstance(content, dict) or content.get("nbformat") != 4:
        raise UnreadableSubmission("not a Jupyter notebook in format version 4")
    try:
        nbformat.validate(nbformat.from_dict(content))
    except nbformat.ValidationError as error:
        raise UnreadableSubmission(f"invalid notebook ({error.message})") from error
    # Validated first, so reads() has nothing to log; it joins each source's lines.
    return nbformat.reads(text, as_version=4)


def match_reference(notebook, file_name, references):
    """Return the reference that ``notebook`` was made from, or None.

    The ids of the solution cells decide first (a student edition keeps them),
    then the ``NN_`` prefix of ``file_name``.
    """
    submitted_ids = {cell.get("id") for cell in notebook.cells if is_solution(cell)} - {None}
    overlaps = [(len(reference.solution_ids & submitted_ids), reference)
                for reference in references]
    best_overlap, best = max(overlaps, key=lambda pair: pair[0], default=(0, None))
    if best_overlap:
        return best

    match = _PREFIX.match(file_name)
    prefix = match.group(1) if match else None
    return next((reference for reference in references
                 if prefix and reference.prefix == prefix), None)


def build_graded_notebook(reference, submission):
    """Return a copy of the reference with the submission's solution cells put in.

    A reference solution cell takes the submitted solution cell with the same
    cell id, else the one at the same position among the submitted solution
    cells. When there is none, it becomes the student stub, so its check reports
    "not filled in".
    """
    graded = copy.deepcopy(reference.notebook)
    submitted = [cell for cell in submission.cells if is_solution(cell)]
    by_id = {cell.get("id"): cell for cell in submitted if cell.get("id")}
    reference_ids = reference.solution_ids

    for position, index in enumerate(reference.solution_indices):
        cell = graded.cells[index]
        if cell.get("id") in by_id:
            cell.source = by_id[cell.get("id")].source
        elif position < len(submitted) and submitted[position].get("id") not in reference_ids:
            cell.source = submitted[position].source
        else:
            cell.source = student.stub_source(cell.source)

    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return graded


class _CheckRecorder:
    """nbclient hooks that sort the grading log's new lines by the cell that ran."""

    def __init__(self, log_path):
        self.log_path = log_path
        self.current_cell = None
        self.rows_by_cell = {}
        self._lines_read = 0

    def cell_started(self, cell, cell_index, **_):
        self.current_cell = cell_index

    def cell_executed(self, cell, cell_index, **_):
        if not self.log_path.exists():
            return
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        rows = self.rows_by_cell.setdefault(cell_index, [])
        for line in lines[self._lines_read:]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "exercise_id" in row:
                rows.append(row)
        self._lines_read = len(lines)


def execute_graded_notebook(notebook, reference, environment, timeout):
    """Execute ``notebook`` in a fresh kernel in the reference's folder.

    Args:
        notebook: the notebook from ``build_graded_notebook``; changed in place.
        reference: its Reference, whose folder is the working folder.
        environment: variables for the kernel, on top of this process's.
        timeout: maximum seconds per cell.

    Returns:
        ``(status, rows_by_cell)``: ``graded``, ``timed out at cell N`` or
        ``kernel died at cell N``, and the check rows written by each cell.
        The cell where a run stopped gets an error output with the reason.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    with tempfile.TemporaryDirectory() as scratch:
        recorder = _CheckRecorder(Path(scratch) / "checks.jsonl")
        # The kernel gets its own environment, so the caller's stays as it was.
        kernel_environment = {**os.environ, **environment,
                              "COURSE_GRADING_LOG": str(recorder.log_path)}
        client = NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
            resources={"metadata": {"path": str(reference.path.parent)}},
            on_cell_start=recorder.cell_started, on_cell_executed=recorder.cell_executed)
        status = GRADED
        # NOTE: the learner's code runs in this kernel and can still patch the checkers.
        try:
            client.execute(env=kernel_environment)
        except CellTimeoutError:
            status = f"timed out at cell {recorder.current_cell}"
            reason = ("CellTimeoutError", f"the cell ran longer than the {timeout} s limit per cell")
        except DeadKernelError:
            status = f"kernel died at cell {recorder.current_cell}"
            reason = ("DeadKernelError", "the kernel died while this cell ran")
    if status != GRADED:
        stopped = notebook.cells[recorder.current_cell]
        stopped.outputs.append(nbformat.v4.new_output("error", ename=reason[0], evalue=reason[1],
                                                      traceback=[": ".join(reason)]))
    return status, recorder.rows_by_cell


def _error_output(cell):
    """Return ``ErrorName: message`` for the last error output of ``cell``, or None.

    The last one, because a timed-out cell shows the KeyboardInterrupt of the
    kernel's shutdown before the reason that ``execute_graded_notebook`` adds.
    """
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if not errors:
        return None
    return f"{errors[-1]['ename']}: {errors[-1]['evalue']}".rstrip(": ")


def score_exercises(reference, executed, rows_by_cell):
    """Return one CheckResult per exercise of ``reference``.

    Only rows that the exercise's own check cell wrote count, and the last of
    them wins. An exercise without one fails, and the message names the error
    that stopped its solution or check cell, if any.
    """
    results = []
    for exercise in reference.exercises:
        rows = [row for row in rows_by_cell.get(exercise.check_index, [])
                if row["exercise_id"] == exercise.exercise_id]
        if rows:
            last = rows[-1]
            results.append(CheckResult(exercise.exercise_id, bool(last.get("passed")),
                                       str(last.get("message", "")), str(last.get("hint", ""))))
            continue

        message, hint = NOT_CHECKED, ""
        for name, index in (("solution", exercise.solution_index),
                            ("check", exercise.check_index)):
            error = _error_output(executed.cells[index])
            if error:
                message, hint = f"Not checked: the {name} cell stopped with {error}.", ERROR_HINT
                break
        results.append(CheckResult(exercise.exercise_id, False, message, hint))
    return results


def grade_submission(name, path, references, *, environment, timeout):
    """Grade one submission against the reference it matches.

    Args:
        name: the submission's name, e.g. ``alice/07_model_optimization.ipynb``.
        path: the submitted notebook file.
        references: Reference notebooks to match against.
        environment: variables for the kernel, on top of this process's.
        timeout: maximum seconds per cell.

    Returns:
        A Grade; its ``executed`` notebook is None when nothing ran.
    """
    start = time.perf_counter()
    grade = Grade(name)
    try:
        submission = read_submission(path)
    except UnreadableSubmission as error:
        grade.status = f"unreadable: {error}"
        warnings.warn(f"Skipped {path}: {error}.", stacklevel=2)
        return grade

    grade.reference = match_reference(submission, Path(name).name, references)
    if grade.reference is None:
        prefixes = ", ".join(reference.prefix for reference in references if reference.prefix)
        grade.status = ("not a course notebook: no solution cell id matches, and the file name "
                        f"starts with none of the known prefixes {prefixes}")
        return grade

    grade.executed = build_graded_notebook(grade.reference, submission)
    rows_by_cell = {}
    try:
        grade.status, rows_by_cell = execute_graded_notebook(grade.executed, grade.reference,
                                                             environment, timeout)
    except Exception as error:  # noqa: BLE001  (report it in the table, grade the others)
        logger.exception("Executing %s failed", path)
        first_line = (str(error).strip().splitlines() or [""])[0]
        grade.status = f"execution failed: {type(error).__name__}: {first_line}".rstrip(": ")
    grade.results = score_exercises(grade.reference, grade.executed, rows_by_cell)
    grade.seconds = time.perf_counter() - start
    return grade
