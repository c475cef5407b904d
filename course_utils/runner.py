"""Headless notebook execution for ``make course`` and ``python -m course_utils run``.

Each notebook runs in a fresh kernel in its own folder, as "Restart kernel and
run all" would. Notebooks call ``settings.record_result`` to leave their
headline numbers in ``build/results/``; this module prints them as one line per
notebook after the run.
"""

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from course_utils import settings


def course_notebooks():
    """Return the numbered English notebooks in course order."""
    return sorted((settings.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


# Terminal colour codes that IPython puts in tracebacks.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def format_result_line(notebook_name, seconds, record, exercises=None):
    """Return ``NN_name  ok  12.3 s  key=value ...`` for one executed notebook.

    ``exercises`` is ``(passed, total)`` from the notebook's ``check`` calls.
    """
    metrics = {key: value for key, value in (record or {}).items()
               if key not in ("notebook", "mode")}
    parts = []
    for key, value in metrics.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.4g}")
        elif any(character.isspace() for character in str(value)):
            # Quoted, so the line still splits into key=value fields.
            parts.append(f'{key}="{value}"')
        else:
            parts.append(f"{key}={value}")
    if exercises and exercises[1]:
        parts.append(f"exercises={exercises[0]}/{exercises[1]} passed")
    return f"{notebook_name:<40} ok  {seconds:7.1f} s  {' '.join(parts)}".rstrip()


def describe_failure(notebook, error):
    """Return ``cell N: ErrorName: message`` for the first cell with an error output."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = f"cell {index}: {output['ename']}: {output['evalue']}".rstrip(": ")
                return _ANSI_ESCAPE.sub("", text)
    lines = _ANSI_ESCAPE.sub("", str(error)).strip().splitlines()
    return lines[-1] if lines else repr(error)


def count_exercises(grading_log):
    """Return ``(passed, total)`` from a COURSE_GRADING_LOG file, counting each id once.

    The last check of an exercise counts, as when a learner fixes an answer and
    runs the check again.
    """
    latest = {}
    if grading_log.exists():
        for line in grading_log.read_text().splitlines():
            row = json.loads(line)
            latest[row["exercise_id"]] = row["passed"]
    return sum(latest.values()), len(latest)


def execute_notebook(path, output_dir, timeout):
    """Execute one notebook in a fresh kernel and write the executed copy."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except Exception as error:
        raise NotebookFailed(describe_failure(notebook, error)) from error
    finally:
        output = output_dir / path.name
        nbformat.write(notebook, output)


class NotebookFailed(RuntimeError):
    """Raised when a notebook cell fails; the message names the cell and the error."""


def main(args):
    """Run the notebooks named in ``args`` and return the exit status."""
    if args.mode:
        os.environ["COURSE_MODE"] = args.mode
    # Headless runs behave like CI: the %tensorboard cells skip instead of
    # starting a server that outlives the kernel, and progress bars stay quiet.
    os.environ.setdefault("CI", "1")
    mode = settings.get_mode()
    paths = [Path(name).resolve() for name in args.notebooks] or course_notebooks()
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"error: notebook not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    output_dir = Path(args.output_dir) if args.output_dir else settings.build_dir("notebooks")
    output_dir.mkdir(parents=True, exist_ok=True)

    print(f"Executing {len(paths)} notebook(s) in {mode!r} mode; copies go to {output_dir}")
    failures = 0
    for path in paths:
        result_file = settings.build_dir("results") / f"{path.stem}.json"
        result_file.unlink(missing_ok=True)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            # The kernel inherits this variable, so every check() call is recorded.
            grading_log = Path(scratch) / "checks.jsonl"
            previous_log = os.environ.get("COURSE_GRADING_LOG")
            os.environ["COURSE_GRADING_LOG"] = str(grading_log)
            try:
                execute_notebook(path, output_dir, args.timeout)
            except Exception as error:  # noqa: BLE001  (report every failing notebook, then exit 1)
                failures += 1
                reason = str(error) if isinstance(error, NotebookFailed) else repr(error)
                print(f"{path.stem:<40} FAILED after {time.perf_counter() - start:.1f} s "
                      f"at {reason}. See {output_dir / path.name}.")
                continue
            finally:
                # Restore the caller's own grading log, if it had one.
                if previous_log is None:
                    os.environ.pop("COURSE_GRADING_LOG", None)
                else:
                    os.environ["COURSE_GRADING_LOG"] = previous_log
            exercises = count_exercises(grading_log)
        record = json.loads(result_file.read_text()) if result_file.exists() else None
        print(format_result_line(path.stem, time.perf_counter() - start, record, exercises))
    return 1 if failures else 0
