"""The ``grade`` command: find submissions, grade each, write the score tables.

Outputs, all beside ``--output`` (default ``build/grades/grades.csv``):

* ``grades.csv``: one row per submission with its status, a 1 or 0 per
  exercise of its notebook (empty for exercises of other notebooks), the
  number passed out of the total, and review notes for the instructor;
* ``feedback.csv``: one row per exercise with the checker's message and hint;
* ``executed/<submission>``: each notebook as it ran, with the feedback under
  its check cells.
"""

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

from course_utils import grading, runner, settings

FEEDBACK_NAME = "feedback.csv"


def _notebooks_in(folder):
    """Return the ``*.ipynb`` files under ``folder``, sorted, outside ``.ipynb_checkpoints``."""
    return [path for path in sorted(folder.rglob("*.ipynb"))
            if path.is_file() and ".ipynb_checkpoints" not in path.relative_to(folder).parts]


def find_submissions(paths):
    """Return ``(name, path)`` for every notebook in ``paths``, in a stable order.

    A folder is searched recursively for ``*.ipynb``, skipping
    ``.ipynb_checkpoints``. Each file found is named by its path relative to
    that folder, and a file argument by its folder and file name
    (``alice/07_x.ipynb``), so the student stays in the name.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: two submissions would get the same name.
    """
    found = {}
    for argument in map(Path, paths):
        if argument.is_dir():
            named = [(path.relative_to(argument).as_posix(), path)
                     for path in _notebooks_in(argument)]
        elif argument.is_file() or argument.is_symlink():
            parent = argument.absolute().parent.name
            named = [(f"{parent}/{argument.name}" if parent else argument.name, argument)]
        else:
            raise FileNotFoundError(f"submission not found: {argument}")
        for name, path in named:
            if name in found:
                raise ValueError(f"two submissions are both named {name}: {found[name]} and "
                                 f"{path}. Pass the folder that holds every student's folder "
                                 "(for example `grade submissions/`) instead of the files.")
            found[name] = path
    return list(found.items())


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _csv_text(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def exercise_columns(grades):
    """Return the exercise ids of the matched notebooks, in course and notebook order."""
    references = {grade.reference.path: grade.reference for grade in grades if grade.reference}
    ordered = sorted(references.values(), key=lambda reference: reference.path.name)
    return list(dict.fromkeys(exercise.exercise_id for reference in ordered
                              for exercise in reference.exercises))


def score_table(grades):
    """Return the CSV text of ``grades.csv``: one row per submission."""
    columns = exercise_columns(grades)
    rows = []
    for grade in grades:
        scores = {result.exercise_id: int(result.passed) for result in grade.results}
        totals = [grade.passed, len(grade.results)] if grade.reference else ["", ""]
        rows.append([grade.submission, grade.reference.name if grade.reference else "",
                     grade.status, *(scores.get(column, "") for column in columns), *totals,
                     "; ".join(grade.review)])
    return _csv_text(["submission", "notebook", "status", *columns, "passed", "total", "review"],
                     rows)


def feedback_table(grades):
    """Return the CSV text of ``feedback.csv``: one row per exercise of each submission."""
    rows = [[grade.submission, result.exercise_id, int(result.passed), result.message,
             result.hint]
            for grade in grades for result in grade.results]
    return _csv_text(["submission", "exercise_id", "passed", "message", "hint"], rows)


def format_grade_line(grade, width=0):
    """Return ``alice/07_x.ipynb  07_x  2/3 passed  41.2 s``, the status unless graded, and notes."""
    parts = [f"{grade.submission:<{width}}"]
    if grade.reference:
        parts += [grade.reference.name, f"{grade.passed}/{len(grade.results)} passed",
                  f"{grade.seconds:.1f} s"]
    else:
        parts.append("-")
    if grade.status != grading.GRADED:
        parts.append(grade.status)
    if grade.review:
        parts.append("review: " + "; ".join(grade.review))
    return "  ".join(parts)


def _output_error(output, names, overwrite):
    """Return why the outputs for ``names`` cannot be written to ``output``, or None."""
    if output.name == FEEDBACK_NAME:
        return (f"--output {output} would be replaced by the feedback table. "
                "Choose another file name.")
    if overwrite:
        return None
    paths = [output, output.with_name(FEEDBACK_NAME)]
    paths += [output.parent / "executed" / name for name in names]
    existing = next((path for path in paths if path.exists()), None)
    if existing:
        return (f"{existing} already exists. Pass --overwrite to replace it, "
                "or choose another --output.")
    return None


def grade_all(submissions, references, output, mode, timeout):
    """Grade each ``(name, path)``, write its executed notebook and print its line.

    Returns the Grade of each submission, in order.
    """
    import nbformat

    output.parent.mkdir(parents=True, exist_ok=True)
    width = max(len(name) for name, _ in submissions)
    grades = []
    # One work folder for the whole run, so a model that a reference notebook
    # trains for its first submission is reused for the others. It lies outside
    # the output folder, so a submission cannot reach the other students' results.
    # NOTE: a learner's code can still change the files there for later submissions.
    with tempfile.TemporaryDirectory(prefix="course-grading-") as work:
        environment = {"COURSE_MODE": mode, "CI": "1", "COURSE_BUILD_DIR": work,
                       "COURSE_LOG_DIR": str(Path(work) / "runs")}
        for name, path in submissions:
            grade = grading.grade_submission(name, path, references, environment=environment,
                                             timeout=timeout)
            if grade.executed is not None:
                write_atomically(output.parent / "executed" / name,
                                 nbformat.writes(grade.executed))
            grades.append(grade)
            print(format_grade_line(grade, width), flush=True)
    return grades


def main(args, reference_paths=None):
    """Grade ``args.submissions`` and write the tables; return the exit status.

    Returns 0 when every submission was graded with nothing to review, 1 when
    any could not be graded (unreadable, not a course notebook, timed out,
    kernel died) or has a review note, and 2 for a usage error. ``reference_paths`` replaces the course notebooks as the
    reference notebooks.
    """
    try:
        submissions = find_submissions(args.submissions)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not submissions:
        print(f"error: no submission (*.ipynb) found in {', '.join(args.submissions)}",
              file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else settings.build_dir("grades") / "grades.csv"
    error = _output_error(output, [name for name, _ in submissions], args.overwrite)
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    paths = reference_paths if reference_paths is not None else runner.course_notebooks()
    references = [grading.load_reference(path) for path in paths]
    print(f"Grading {len(submissions)} submission(s) in {args.mode!r} mode")
    grades = grade_all(submissions, references, output, args.mode, args.timeout)

    feedback = output.with_name(FEEDBACK_NAME)
    write_atomically(output, score_table(grades))
    write_atomically(feedback, feedback_table(grades))
    print(f"wrote {output}\nwrote {feedback}")
    if any(grade.executed is not None for grade in grades):
        print(f"wrote executed notebooks under {output.parent / 'executed'}")
    return 0 if all(grade.status == grading.GRADED and not grade.review
                    for grade in grades) else 1
