import ast

import nbformat
import pytest

from course_utils import exercises, runner, student
from course_utils.__main__ import main

SOLUTION = '''import numpy as np


@np.vectorize
def hz_to_mel(frequency, *, htk=True):
    """Convert Hz to mel."""
    return 2595.0 * np.log10(1.0 + frequency / 700.0)


def double(x): return 2 * x


n_components = int(np.searchsorted([0.5, 0.9], 0.9)) + 1
print(n_components)
'''


def test_stub_keeps_names_and_drops_answer():
    stub = student.stub_source(SOLUTION)
    assert stub.startswith("# Exercise: replace the stub below with your own code.\n")
    assert "import numpy as np" in stub
    assert "@np.vectorize\ndef hz_to_mel(frequency, *, htk=True):" in stub
    assert '    """Convert Hz to mel."""' in stub
    assert "def double(x):" in stub
    assert "n_components = None  # your answer" in stub
    assert "2595" not in stub
    assert "2 * x" not in stub
    assert "print(" not in stub
    assert "searchsorted" not in stub


def test_stub_runs_and_check_says_not_filled_in():
    namespace = {}
    exec(student.stub_source(SOLUTION), namespace)
    assert namespace["n_components"] is None
    with pytest.raises(NotImplementedError, match="Write your solution here."):
        namespace["double"](1)


def test_one_line_annotated_function_stubbed():
    stub = student.stub_source("def scale(x: float, factor: float = 2.0) -> float: return x * factor\n")
    assert "def scale(x: float, factor: float=2.0) -> float:" in stub
    assert "x * factor" not in stub
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError):
        namespace["scale"](1.0)


def test_unparsable_cell_becomes_plain_stub():
    assert student.stub_source("def broken(:\n") == (
        "# Exercise: replace the stub below with your own code.\n"
        'raise NotImplementedError("Write your solution here.")\n')


@pytest.mark.parametrize("path", runner.course_notebooks(), ids=lambda path: path.name)
def test_course_solutions_become_valid_stubs(path):
    original = nbformat.read(path, as_version=4)
    edition = student.student_notebook(original)
    assert len(edition.cells) == len(original.cells)
    for before, after in zip(original.cells, edition.cells):
        if "solution" in before.metadata.get("tags", []):
            assert after.source.startswith("# Exercise:")
            assert after.source != before.source
            ast.parse(after.source)
        else:
            assert after.source == before.source


def test_stubbed_exercise_reports_not_filled_in():
    path = runner.settings.PROJECT_ROOT / "notebooks" / "03_feature_extraction_with_numpy.ipynb"
    notebook = student.student_notebook(nbformat.read(path, as_version=4))
    cells = notebook.cells
    index = next(i for i, cell in enumerate(cells) if "solution" in cell.metadata.get("tags", []))
    namespace = {}
    exec(cells[index].source, namespace)
    check_call = cells[index + 1].source
    exercise_id = check_call.split('check("', 1)[1].split('"', 1)[0]
    answer_name = check_call.split(", ", 1)[1].split(")", 1)[0]
    result = exercises.run_check(exercise_id, namespace[answer_name])
    assert result.passed is False
    assert result.message == "The solution cell is not filled in yet."


def test_command_writes_editions(tmp_path, capsys):
    source = runner.course_notebooks()[1]
    assert main(["student", str(source), "--output-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / source.name}\n"
    assert (tmp_path / source.name).is_file()


def test_command_rejects_missing_notebook(tmp_path, capsys):
    assert main(["student", str(tmp_path / "nope.ipynb")]) == 2
    assert "error: notebook not found:" in capsys.readouterr().err


def test_student_edition_runs_with_no_check_passing(isolated_folders, capsys):
    """Stubs keep "Run all" going: every check reports, none passes, no cell fails."""
    import types

    source = runner.settings.PROJECT_ROOT / "notebooks" / "03_feature_extraction_with_numpy.ipynb"
    [edition] = student.write_student_editions([source], isolated_folders / "student")
    args = types.SimpleNamespace(notebooks=[str(edition)], mode="smoke",
                                 output_dir=str(isolated_folders / "executed"), timeout=300)
    assert runner.main(args) == 0
    assert "exercises=0/3 passed" in capsys.readouterr().out
