"""Command line: ``python -m course_utils COMMAND``.

Commands:
    doctor   check the environment and print versions, devices and folders
    run      execute notebooks headless and print one result line per notebook
    data     list the registered data sets, or fetch one into the data cache
    predict  predict the spoken digit in audio files with a saved speech model
    student  write student editions of the notebooks, solution cells stubbed out
    grade    execute submitted notebooks and write a per-exercise score table
"""

import argparse
import sys

from course_utils import settings


def _doctor(args):
    from course_utils import doctor

    return doctor.main()


def _run(args):
    from course_utils import runner

    return runner.main(args)


def _predict(args):
    from course_utils import predict

    return predict.main(args)


def _data(args):
    from course_utils.data import cli

    return cli.main(args)


def _student(args):
    from course_utils import student

    return student.main(args)


def _grade(args):
    from course_utils import grading_command

    return grading_command.main(args)


def _positive_seconds(text):
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: expected a whole number "
                                         "of seconds, at least 1")
    return seconds


def _hop_seconds(text):
    from course_utils import predict

    try:
        return predict.validate_hop_seconds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser():
    """Return the argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="python -m course_utils",
                                     description="Tools for the deep-learning course.")
    commands = parser.add_subparsers(dest="command", required=True)

    doctor = commands.add_parser("doctor", help="check the environment")
    doctor.set_defaults(handler=_doctor)

    run = commands.add_parser("run", help="execute notebooks headless")
    run.add_argument("notebooks", nargs="*",
                     help="notebook files (default: every notebooks/NN_*.ipynb)")
    run.add_argument("--mode", choices=settings.MODES,
                     help="run mode for the notebooks (default: COURSE_MODE or 'default')")
    run.add_argument("--output-dir", default=None,
                     help="folder for executed copies (default: build/notebooks)")
    run.add_argument("--timeout", type=int, default=1800,
                     help="maximum seconds per cell (default: 1800)")
    run.set_defaults(handler=_run)

    data = commands.add_parser("data", help="list or fetch data sets")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_commands.add_parser("list", help="print the data-set registry")
    fetch = data_commands.add_parser("fetch", help="download, verify and extract a data set")
    fetch.add_argument("name", help="registry name, as printed by `data list`")
    fetch.add_argument("--allow-network", action="store_true",
                       help="download even when COURSE_MODE is smoke or default")
    fetch.add_argument("--sha256", default=None,
                       help="expected SHA-256 (hex) for a data set without a published one")
    fetch.add_argument("--allow-unverified", action="store_true",
                       help="accept a download without any known SHA-256 (prints a warning)")
    data.set_defaults(handler=_data)

    predict = commands.add_parser(
        "predict", help="predict the spoken digit in audio files",
        description="Print the predicted digit and its probability for each audio file. "
                    "Files longer than the model's window are read in sliding windows.")
    predict.add_argument("model", help="a .keras file, a .tflite file or a SavedModel folder")
    predict.add_argument("files", nargs="+", metavar="FILE",
                         help="audio files (WAV, FLAC, OGG; any sample rate, resampled)")
    predict.add_argument("--hop", type=_hop_seconds, default=0.5, metavar="SECONDS",
                         help="step between sliding windows over long files, in seconds "
                              "(default: 0.5, minimum: 0.05)")
    predict.set_defaults(handler=_predict)

    student = commands.add_parser(
        "student", help="write student editions with the solution cells stubbed out")
    student.add_argument("notebooks", nargs="*",
                         help="notebook files (default: every notebooks/NN_*.ipynb)")
    student.add_argument("--output-dir", default=None,
                         help="folder for the student editions (default: build/student)")
    student.set_defaults(handler=_student)

    grade = commands.add_parser(
        "grade", help="execute submitted notebooks and write a per-exercise score table",
        description="Run each submission's solution cells inside the reference notebook it "
                    "was made from, in a fresh kernel, and write grades.csv, feedback.csv and "
                    "the executed notebooks. Exit status 1 when a submission could not be graded "
                    "or has a note in the review column.")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="a submitted notebook, or a folder searched recursively for *.ipynb")
    grade.add_argument("--output", default=None, metavar="FILE",
                       help="score table to write (default: build/grades/grades.csv); "
                            "feedback.csv and executed/ are written beside it")
    grade.add_argument("--overwrite", action="store_true",
                       help="replace output files that already exist")
    grade.add_argument("--mode", choices=settings.MODES, default="smoke",
                       help="run mode for the graded notebooks (default: smoke; the checks "
                            "do not depend on it)")
    grade.add_argument("--timeout", type=_positive_seconds, default=600, metavar="SECONDS",
                       help="maximum seconds per cell (default: 600)")
    grade.set_defaults(handler=_grade)
    return parser


def main(argv=None):
    """Parse ``argv`` and run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except settings.SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
