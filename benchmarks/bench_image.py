"""Measure notebook 05's targets: accuracy, training time, smoke time and repeatability.

Usage (from the project root):
    python benchmarks/bench_image.py [--skip-default] [--output-dir DIR]

Runs, each in a fresh kernel and with fresh build and log folders:
  1. notebooks 00 and 05 in smoke mode, twice;
  2. notebook 05 in default mode, once (unless --skip-default).
Then prints each figure next to its target, as a ratio, and a Markdown section
for docs/benchmarks.md. Targets: default test accuracy >= 0.985 with training
<= 90 s; smoke 00 + 05 <= 90 s in total; two smoke runs give the same accuracy.
The CI variable is set so that notebook 05 does not start a TensorBoard server.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from course_utils import runner  # noqa: E402  (after the path set-up above)

NOTEBOOKS = PROJECT_ROOT / "notebooks"
SETUP = NOTEBOOKS / "00_setup_and_course_map.ipynb"
IMAGE = NOTEBOOKS / "05_image_recognition.ipynb"

TARGET_ACCURACY = 0.985
TARGET_TRAIN_S = 90.0
TARGET_SMOKE_S = 90.0


def run_notebook(path, mode, folder, timeout=1800):
    """Execute one notebook with its own folders; return (seconds, result record)."""
    os.environ.update({
        "COURSE_MODE": mode,
        "COURSE_BUILD_DIR": str(folder / "build"),
        "COURSE_LOG_DIR": str(folder / "runs"),
        "CI": "1",
    })
    output_dir = folder / "notebooks"
    output_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    runner.execute_notebook(path, output_dir, timeout)
    seconds = time.perf_counter() - start
    result_file = folder / "build" / "results" / f"{path.stem}.json"
    record = json.loads(result_file.read_text()) if result_file.exists() else {}
    print(f"  {mode:<8} {path.stem:<28} {seconds:6.1f} s  {record}", flush=True)
    return seconds, record


def load_average():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def measure(work_dir, skip_default):
    """Run the notebooks and return a dict of figures."""
    figures = {"load_before": load_average()}
    smoke_totals, smoke_accuracies = [], []
    for repeat in (1, 2):
        folder = work_dir / f"smoke{repeat}"
        setup_s, _ = run_notebook(SETUP, "smoke", folder)
        image_s, record = run_notebook(IMAGE, "smoke", folder)
        smoke_totals.append(setup_s + image_s)
        smoke_accuracies.append(record.get("test_accuracy"))
    figures.update(smoke_totals=smoke_totals, smoke_accuracies=smoke_accuracies)

    if not skip_default:
        default_s, record = run_notebook(IMAGE, "default", work_dir / "default")
        figures.update(default_notebook_s=default_s,
                       default_accuracy=record.get("test_accuracy"),
                       default_train_s=record.get("train_time_s"),
                       default_epochs=record.get("epochs"))
    figures["load_after"] = load_average()
    return figures


def report_lines(figures):
    """Return the Markdown lines of the results, with each figure against its target."""
    smoke = figures["smoke_totals"]
    accuracies = figures["smoke_accuracies"]
    lines = [
        f"- machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}; load average before {figures['load_before']}, "
        f"after {figures['load_after']}",
        f"- smoke, notebooks 00 + 05: {smoke[0]:.1f} s and {smoke[1]:.1f} s "
        f"(target <= {TARGET_SMOKE_S:.0f} s; ratio {max(smoke) / TARGET_SMOKE_S:.2f} of budget)",
        f"- smoke test accuracy, two runs with seed 42: {accuracies[0]} and {accuracies[1]} "
        f"({'identical' if accuracies[0] == accuracies[1] else 'DIFFERENT'})",
    ]
    if "default_accuracy" in figures:
        accuracy, train_s = figures["default_accuracy"], figures["default_train_s"]
        lines += [
            f"- default test accuracy: {accuracy:.4f} (target >= {TARGET_ACCURACY}; "
            f"{'met' if accuracy >= TARGET_ACCURACY else 'NOT met'})",
            f"- default training time: {train_s:.1f} s for {figures['default_epochs']} epochs "
            f"(target <= {TARGET_TRAIN_S:.0f} s; ratio {train_s / TARGET_TRAIN_S:.2f}); whole "
            f"notebook {figures['default_notebook_s']:.1f} s including kernel start",
        ]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-default", action="store_true",
                        help="skip the default-mode run of notebook 05")
    parser.add_argument("--output-dir", default=None,
                        help="folder for builds, logs and executed copies "
                             "(default: a temporary folder, deleted afterwards)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_image_") as temporary:
        work_dir = Path(args.output_dir or temporary)
        print(f"Executing notebooks; work folder {work_dir}")
        figures = measure(work_dir, args.skip_default)

    print("\n".join(["", "## Image notebooks (00, 05)", "",
                     "Command: `python benchmarks/bench_image.py`", "", *report_lines(figures)]))
    ok = figures["smoke_accuracies"][0] == figures["smoke_accuracies"][1]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
