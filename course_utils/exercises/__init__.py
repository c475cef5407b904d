"""Exercise checkers that give feedback without revealing the answer.

The convention in every notebook: the learner's solution goes in a code cell
tagged ``solution``, and the next cell calls ``check(exercise_id, answer)``.
A checker is a function registered with ``@checker``. It returns None when the
answer is right and raises ``ExerciseFailed(message, hint)`` when it is wrong.
``check`` prints the outcome and records it for grading. It never raises, so
"Run all" carries on past a wrong answer.

Checkers for each notebook live in a module of this package named after the
notebook (for example ``nb05_image_recognition``). They are imported when this
package is imported.
"""

import dataclasses
import importlib
import json
import os
import pkgutil
import traceback


class ExerciseFailed(Exception):
    """Raised by a checker: ``message`` says what is wrong, ``hint`` how to look."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A registered checker and the title shown to the learner."""

    exercise_id: str
    title: str
    function: object


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: whether it passed and the feedback shown."""

    exercise_id: str
    passed: bool
    message: str
    hint: str = ""


_REGISTRY = {}


def checker(exercise_id, title):
    """Register the decorated function as the checker for ``exercise_id``."""

    def register(function):
        if exercise_id in _REGISTRY:
            raise ValueError(f"Exercise id {exercise_id!r} is registered twice.")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, function)
        return function

    return register


def require_function(answer):
    """Raise ExerciseFailed unless the learner passed a function (not its result)."""
    if not callable(answer):
        raise ExerciseFailed(f"Expected a function, got {type(answer).__name__}.",
                             "Pass the function itself, without calling it.")


def exercise_ids():
    """Return the registered exercise ids in sorted order."""
    return sorted(_REGISTRY)


def run_check(exercise_id, *answer, **options):
    """Run a checker and return a CheckResult without printing anything."""
    if exercise_id not in _REGISTRY:
        raise KeyError(
            f"Unknown exercise id {exercise_id!r}. Known ids: {', '.join(exercise_ids())}."
        )
    exercise = _REGISTRY[exercise_id]
    # A student edition stubs a value answer as ``name = None``. The answer comes
    # first; later arguments are data from the notebook, such as a results table.
    if answer and answer[0] is None:
        return CheckResult(exercise_id, False, "The solution cell is not filled in yet.",
                           "Replace `None` in the solution cell with your answer.")
    try:
        exercise.function(*answer, **options)
    except ExerciseFailed as failure:
        return CheckResult(exercise_id, False, failure.message, failure.hint)
    except NotImplementedError:
        return CheckResult(exercise_id, False, "The solution cell is not filled in yet.",
                           "Replace `raise NotImplementedError` with your code.")
    except Exception as error:  # noqa: BLE001  (the learner's code may raise anything)
        where = traceback.format_exception_only(type(error), error)[-1].strip()
        return CheckResult(exercise_id, False, f"Your code raised an error: {where}",
                           "Run your solution cell on its own and read the traceback.")
    return CheckResult(exercise_id, True, f"Correct: {exercise.title}.")


def _record(result):
    """Append the result to ``COURSE_GRADING_LOG`` (JSON lines) when it is set."""
    path = os.environ.get("COURSE_GRADING_LOG")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(dataclasses.asdict(result)) + "\n")


def format_result(result):
    """Return the feedback text for a CheckResult."""
    if result.passed:
        return f"[PASS] Exercise {result.exercise_id}. {result.message}"
    text = f"[NOT YET] Exercise {result.exercise_id}. {result.message}"
    if result.hint:
        text += f"\n  Hint: {result.hint}"
    return text


def check(exercise_id, *answer, **options):
    """Check an answer and print the feedback.

    Returns None, so that a notebook shows only the feedback under the cell; use
    ``run_check`` to get the result as a value.
    """
    result = run_check(exercise_id, *answer, **options)
    _record(result)
    print(format_result(result))


def _import_checker_modules():
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("nb"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_checker_modules()

__all__ = ["check", "checker", "require_function", "run_check", "format_result", "ExerciseFailed",
           "CheckResult", "exercise_ids"]
