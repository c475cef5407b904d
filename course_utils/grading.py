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
from pathlib import Path

from course_utils import student
from course_utils.exercises import CheckResult

SOLUTION_TAG = "solution"
GRADED = "graded"
NOT_CHECKED = "Not checked: the check cell did not run."
ERROR_HINT = "Run the solution cell on its own and read the traceback."
TIMEOUT_HINT = ("Look for a loop that never ends, or a step far slower than the reference "
                "solution.")
RESUBMIT = "ask the student to save it again in Jupyter and resubmit it"
# Text kept per cell in the executed notebook. Without a limit, a cell that
# prints without end makes the grader hold and write hundreds of megabytes.
# A displayed value, such as a figure's PNG, is kept up to MAX_DISPLAY_CHARS.
MAX_STREAM_CHARS = 100_000
MAX_DISPLAY_CHARS = 2_000_000
# Solution code that reaches for the grading machinery. Such a submission is
# still graded, with a note in its review column for the instructor.
SUSPICIOUS_CODE = {
    "COURSE_GRADING_LOG": re.compile(r"COURSE_GRADING_LOG"),
    "get_ipython": re.compile(r"\bget_ipython\b"),
    "course_utils.exercises": re.compile(r"course_utils\.exercises|import exercises\b"),
    "run_check": re.compile(r"\b(run_check|_record|_REGISTRY)\b"),
    "sys.modules": re.compile(r"\bsys\.modules\b"),
    "builtins": re.compile(r"\b__builtins__\b|\bimport builtins\b"),
}
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
        review: notes for the instructor, such as solution code that touches
            the grading machinery; the submission is graded all the same.
    """

    submission: str
    reference: Reference | None = None
    status: str = GRADED
    results: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    executed: object = None
    review: list = dataclasses.field(default_factory=list)

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
    """Return the notebook in ``path``; raise UnreadableSubmission with the reason.

    A notebook in format 3 is converted to format 4, as Jupyter does.
    """
    import nbformat

    path = Path(path)
    if path.is_symlink():
        raise UnreadableSubmission("a symbolic link, which the grader does not follow; copy "
                                   "the notebook itself into the submissions folder")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableSubmission(f"cannot be read ({error.strerror}); check its "
                                   "permissions") from error
    if not data.strip():
        raise UnreadableSubmission(f"an empty file; {RESUBMIT}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableSubmission(f"not UTF-8 text ({error}); {RESUBMIT}") from error
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableSubmission(f"invalid JSON ({error}); {RESUBMIT}") from error
    if not isinstance(content, dict) or content.get("nbformat") not in (3, 4):
        raise UnreadableSubmission(f"not a Jupyter notebook (no nbformat 3 or 4); {RESUBMIT}")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except (nbformat.ValidationError, KeyError, TypeError, AttributeError) as error:
        detail = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        raise UnreadableSubmission(f"invalid notebook ({detail}); {RESUBMIT}") from error
    return notebook


def suspicious_code(submission):
    """Return review notes for solution cells that reach for the grading machinery."""
    notes = []
    for position, cell in enumerate(cell for cell in submission.cells if is_solution(cell)):
        found = [name for name, pattern in SUSPICIOUS_CODE.items()
                 if pattern.search(cell.source)]
        if found:
            notes.append(f"solution cell {position + 1} uses {', '.join(found)}; read it")
    return notes


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
    """Return a copy of the reference with the submission's solution cells put in, and notes.

    A reference solution cell takes the submitted solution cell with the same
    cell id, else the one at the same position among the submitted solution
    cells. When there is none, it becomes the student stub, so its check reports
    "not filled in".

    Returns:
        ``(notebook, notes)``: the notebook to execute and review notes (cells
        matched by position).
    """
    graded = copy.deepcopy(reference.notebook)
    submitted = [cell for cell in submission.cells if is_solution(cell)]
    by_id = {cell.get("id"): cell for cell in submitted if cell.get("id")}
    reference_ids = reference.solution_ids

    by_position = 0
    for position, index in enumerate(reference.solution_indices):
        cell = graded.cells[index]
        if cell.get("id") in by_id:
            cell.source = by_id[cell.get("id")].source
        elif position < len(submitted) and submitted[position].get("id") not in reference_ids:
            cell.source = submitted[position].source
            by_position += 1
        else:
            cell.source = student.stub_source(cell.source)

    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notes = [f"{by_position} solution cell(s) matched by position, not by cell id; check "
             "that each answer is under the right exercise"] if by_position else []
    return graded, notes


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


def describe_cell(reference, index):
    """Return which cell ``index`` of the reference is, for a status or a message."""
    for exercise in reference.exercises:
        if index == exercise.solution_index:
            return f"the solution cell of {exercise.exercise_id}"
        if index == exercise.check_index:
            return f"the check cell of {exercise.exercise_id}"
    return f"cell {index} (from 0) of the reference notebook, not a solution cell"


def _bounded_client(notebook, **options):
    """Return an nbclient NotebookClient that keeps at most MAX_STREAM_CHARS of text per cell.

    Printed text past the allowance is cut, and a displayed value (a cell's
    last expression, ``display()``) larger than MAX_DISPLAY_CHARS is replaced
    by the start of its plain text. ``truncated_cells`` names the cells cut.
    """
    from nbclient import NotebookClient

    class BoundedClient(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                used = self.text_chars.get(cell_index, 0)
                allowance = MAX_STREAM_CHARS - used
                text = content.get("text", "")
                if len(text) > allowance:
                    self.truncated_cells.add(cell_index)
                    if allowance <= 0:
                        return None
                    content["text"] = text[:allowance]
                self.text_chars[cell_index] = used + len(content["text"])
            elif msg["msg_type"] in ("execute_result", "display_data"):
                data = content.get("data", {})
                if any(len(str(value)) > MAX_DISPLAY_CHARS for value in data.values()):
                    self.truncated_cells.add(cell_index)
                    plain = str(data.get("text/plain", ""))[:MAX_STREAM_CHARS]
                    content["data"] = {"text/plain": plain}
            return super().output(outs, msg, display_id, cell_index)

    client = BoundedClient(notebook, **options)
    client.text_chars = {}
    client.truncated_cells = set()
    return client


def execute_graded_notebook(notebook, reference, environment, timeout):
    """Execute ``notebook`` in a fresh kernel in the reference's folder.

    Args:
        notebook: the notebook from ``build_graded_notebook``; changed in place.
        reference: its Reference, whose folder is the working folder.
        environment: variables for the kernel, on top of this process's.
        timeout: maximum seconds per cell.

    Returns:
        ``(status, rows_by_cell, stopped_at, notes)``: ``graded`` or why the run
        stopped (``timed out in ...``, ``kernel died in ...``), the check rows
        written by each cell, the index of the cell where the run stopped (None
        when it did not) and review notes (cut outputs). The cell where a run
        stopped gets an error output with the reason.
    """
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    with tempfile.TemporaryDirectory() as scratch:
        recorder = _CheckRecorder(Path(scratch) / "checks.jsonl")
        # The kernel gets its own environment, so the caller's stays as it was.
        kernel_environment = {**os.environ, **environment,
                              "COURSE_GRADING_LOG": str(recorder.log_path)}
        client = _bounded_client(
            notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
            resources={"metadata": {"path": str(reference.path.parent)}},
            on_cell_start=recorder.cell_started, on_cell_executed=recorder.cell_executed)
        status, stopped_at = GRADED, None
        # NOTE: the learner's code runs in this kernel and can still patch the checkers
        # or the log. suspicious_code flags the usual ways of doing so.
        try:
            client.execute(env=kernel_environment)
        except CellTimeoutError:
            stopped_at = recorder.current_cell
            where = describe_cell(reference, stopped_at)
            status = f"timed out in {where}"
            if "not a solution" in where:
                status += f"; raise --timeout above {timeout} s if the reference needs longer"
            reason = ("CellTimeoutError", f"the cell ran longer than the {timeout} s limit per cell")
        except DeadKernelError:
            stopped_at = recorder.current_cell
            status = f"kernel died in {describe_cell(reference, stopped_at)}"
            reason = ("DeadKernelError", "the kernel died while this cell ran")
    if stopped_at is not None:
        notebook.cells[stopped_at].outputs.append(nbformat.v4.new_output(
            "error", ename=reason[0], evalue=reason[1], traceback=[": ".join(reason)]))
    notes = []
    for index in sorted(client.truncated_cells):
        notebook.cells[index].outputs.append(nbformat.v4.new_output(
            "stream", name="stderr",
            text=f"[grader] Output beyond {MAX_STREAM_CHARS:,} characters was cut.\n"))
        notes.append(f"the output of {describe_cell(reference, index)} passed "
                     f"{MAX_STREAM_CHARS:,} characters and was cut")
    return status, recorder.rows_by_cell, stopped_at, notes


def _error_output(cell):
    """Return ``ErrorName: message`` for the last error output of ``cell``, or None.

    The last one, because a timed-out cell shows the KeyboardInterrupt of the
    kernel's shutdown before the reason that ``execute_graded_notebook`` adds.
    """
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if not errors:
        return None
    return f"{errors[-1]['ename']}: {errors[-1]['evalue']}".rstrip(": ")


def score_exercises(reference, executed, rows_by_cell, stopped_at=None, status=GRADED):
    """Return one CheckResult per exercise of ``reference``.

    Only rows that the exercise's own check cell wrote count, and the last of
    them wins. An exercise without one fails. Its message names the error that
    stopped its solution or check cell, if any, or the stop (``status``) at cell
    ``stopped_at`` before its solution cell.
    """
    results = []
    for exercise in reference.exercises:
        if stopped_at is not None and stopped_at < exercise.solution_index:
            results.append(CheckResult(exercise.exercise_id, False,
                                       f"Not checked: the run stopped earlier ({status}).",
                                       "Grade the other exercises by hand, or fix the cause "
                                       "and grade again."))
            continue
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
                hint = TIMEOUT_HINT if error.startswith("CellTimeoutError") else ERROR_HINT
                message = f"Not checked: the {name} cell stopped with {error}."
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
        return grade

    grade.reference = match_reference(submission, Path(name).name, references)
    if grade.reference is None:
        prefixes = ", ".join(reference.prefix for reference in references if reference.prefix)
        grade.status = ("not a course notebook: no solution cell id matches, and the file name "
                        f"starts with none of the known prefixes {prefixes}")
        return grade

    grade.executed, notes = build_graded_notebook(grade.reference, submission)
    grade.review = suspicious_code(submission) + notes
    rows_by_cell, stopped_at = {}, None
    try:
        grade.status, rows_by_cell, stopped_at, notes = execute_graded_notebook(
            grade.executed, grade.reference, environment, timeout)
        grade.review += notes
    except Exception as error:  # noqa: BLE001  (report it in the table, grade the others)
        logger.exception("Executing %s failed", path)
        first_line = (str(error).strip().splitlines() or [""])[0]
        grade.status = f"execution failed: {type(error).__name__}: {first_line}".rstrip(": ")
    grade.results = score_exercises(grade.reference, grade.executed, rows_by_cell, stopped_at,
                                    grade.status)
    grade.seconds = time.perf_counter() - start
    return grade
