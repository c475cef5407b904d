"""Student editions of the notebooks: ``python -m course_utils student``.

The notebooks in ``notebooks/`` carry a reference answer in every cell tagged
``solution``. A student edition keeps every other cell and replaces each
solution cell with a stub that still defines the same names, so the check cell
after it runs and reports "not filled in yet" instead of failing with a
NameError:

* a top-level function keeps its decorators, signature and docstring, and its
  body becomes ``raise NotImplementedError``;
* a top-level assignment ``name = ...`` becomes ``name = None``;
* imports are kept; any other statement is dropped.
"""

import ast
import copy
import sys
from pathlib import Path

STUB_HEADER = "# Exercise: replace the stub below with your own code.\n"
STUB_BODY = 'raise NotImplementedError("Write your solution here.")'


def _function_stub(node):
    """Return ``node`` with its decorators, signature and docstring and a stub body."""
    stub = copy.copy(node)
    docstring = [node.body[0]] if ast.get_docstring(node) is not None else []
    stub.body = docstring + ast.parse(STUB_BODY).body
    return ast.unparse(stub)


def stub_source(source):
    """Return the student stub for the source of one solution cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return STUB_HEADER + STUB_BODY + "\n"

    parts = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            parts.append(ast.get_source_segment(source, node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts.append(_function_stub(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [ast.unparse(target) for target in targets]
            parts.append(" = ".join(names) + " = None  # your answer")
    if not parts:
        parts.append(STUB_BODY)
    return STUB_HEADER + "\n\n".join(parts) + "\n"


def student_notebook(notebook):
    """Return a copy of ``notebook`` with every solution cell replaced by its stub."""
    student = copy.deepcopy(notebook)
    for cell in student.cells:
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            cell.source = stub_source(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return student


def write_student_editions(paths, output_dir):
    """Write the student edition of each notebook to ``output_dir``; return the paths."""
    import nbformat

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        target = output_dir / Path(path).name
        nbformat.write(student_notebook(notebook), target)
        written.append(target)
    return written


def main(args):
    """Write student editions for ``args.notebooks`` (default: the course); return the status."""
    from course_utils import runner, settings

    paths = [Path(name) for name in args.notebooks] or runner.course_notebooks()
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"error: notebook not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    output_dir = Path(args.output_dir) if args.output_dir else settings.build_dir("student")
    for target in write_student_editions(paths, output_dir):
        print(f"wrote {target}")
    return 0
