"""Committed notebooks carry no outputs and follow the exercise convention."""

import ast

import nbformat
import pytest

from course_utils import runner

NOTEBOOKS = runner.course_notebooks()
IDS = [path.name for path in NOTEBOOKS]


def test_course_has_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_cleared(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solution_cells_followed_by_check(path):
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    solutions = [i for i, cell in enumerate(cells) if "solution" in cell.metadata.get("tags", [])]
    if path.name != "00_setup_and_course_map.ipynb":
        assert len(solutions) >= 2, f"{path.name} has fewer than 2 exercises"
    for index in solutions:
        following = cells[index + 1]
        assert following.cell_type == "code"
        assert "check(" in following.source, f"{path.name} cell {index + 1} does not call check()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_starts_with_title(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")


def _is_check_call(statement):
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and getattr(statement.value.func, "id", None) == "check")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_check_cells_only_check(path):
    """A check cell contains only imports and check() calls, so a stub cannot make it fail."""
    cells = nbformat.read(path, as_version=4).cells
    for index, cell in enumerate(cells[:-1]):
        if "solution" not in cell.metadata.get("tags", []):
            continue
        for statement in ast.parse(cells[index + 1].source).body:
            allowed = isinstance(statement, (ast.Import, ast.ImportFrom)) or _is_check_call(statement)
            assert allowed, f"{path.name} cell {index + 1}: {ast.unparse(statement)[:60]}"
