"""Measure the spoken-digit model against its targets and print a Markdown report.

Three measurements, each printed next to its target:

1. default-mode recipe on the embedded set with a speaker split: test accuracy
   on unseen speakers (target >= 0.95) and training time (target <= 180 s);
2. the same recipe on real recordings, the Free Spoken Digit Dataset clips in
   ``--fsdd-folder`` (one speaker), with a random split stratified by digit:
   80 % for training (of which a tenth is held out for early stopping) and
   20 % for testing (target >= 0.97); skipped when the folder is missing;
3. latency of the end-to-end Keras model (waveform in, probabilities out) on
   one 1-second clip: the median of ``--repeats`` calls after one warm-up
   call, both as ``model(x, training=False)`` and inside a ``tf.function``
   (target <= 20 ms).

Usage:
    PYTHONPATH=. python benchmarks/bench_speech.py [--fsdd-folder DIR] [--repeats 100]
"""

import argparse
import os
import time
from pathlib import Path

os.environ["COURSE_MODE"] = "default"

import numpy as np  # noqa: E402

import course_utils  # noqa: E402,F401  (selects Keras 2 before TensorFlow loads)
import tensorflow as tf  # noqa: E402
from course_utils import settings, speech, speech_training, training  # noqa: E402
from course_utils.data import load_dataset, load_spoken_digit_folder, stratified_split  # noqa: E402

# The data folder next to the project folder, where the course keeps shared recordings.
DEFAULT_FSDD_FOLDER = settings.PROJECT_ROOT.parent / "shared" / "data" / "fsdd_one_speaker"


def train_and_test(splits, run_name):
    """Train with the recipe; return (test report, FitResult, end-to-end model)."""
    _, model, result = speech_training.train_speech_model(
        splits, speech_training.recipe_epochs(), settings.sizes().batch_size, run_name=run_name)
    report = training.evaluate_classifier(model, splits.x_test, splits.y_test,
                                          splits.class_names, groups=splits.speakers_test)
    return report, result, model


def split_80_20(splits):
    """Pool every clip and split it 72/8/20 (train/val/test), stratified by digit."""
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    y = np.concatenate([splits.y_train, splits.y_val, splits.y_test])
    speakers = np.concatenate([splits.speakers_train, splits.speakers_val, splits.speakers_test])
    train, val, test = stratified_split(y, fractions=(0.72, 0.08, 0.20), seed=42)
    parts = {}
    for name, index in (("train", train), ("val", val), ("test", test)):
        parts.update({f"x_{name}": x[index], f"y_{name}": y[index],
                      f"speakers_{name}": speakers[index]})
    return type(splits)(**parts, class_names=splits.class_names,
                        sample_rate=splits.sample_rate,
                        description=splits.description + "; pooled and split 72/8/20")


def median_ms(function, x, repeats):
    function(x)  # warm-up: builds the graph or traces the function
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(x)
        timings.append(time.perf_counter() - start)
    return 1000 * float(np.median(timings))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd-folder", type=Path, default=DEFAULT_FSDD_FOLDER,
                        help="folder of FSDD WAV files (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=100,
                        help="timed calls per latency figure (default: 100)")
    args = parser.parse_args()
    rows = []

    settings.seed_everything()
    splits = load_dataset("spoken_digits")
    report, result, model = train_and_test(splits, "bench_speech_embedded")
    rows.append(("embedded set, unseen speakers: test accuracy", f"{report.accuracy:.3f}",
                 ">= 0.95", report.accuracy >= 0.95))
    rows.append(("embedded set: worst test speaker accuracy",
                 f"{min(report.accuracy_by_group.values()):.3f}", "", None))
    rows.append(("embedded set: training time (s)", f"{result.train_time_s:.1f} "
                 f"({result.epochs_run} epochs)", "<= 180", result.train_time_s <= 180))

    clip = splits.x_test[:1]
    eager = median_ms(lambda x: model(x, training=False), clip, args.repeats)
    graph = median_ms(tf.function(lambda x: model(x, training=False)), clip, args.repeats)
    rows.append(("latency, model(x, training=False) (ms)", f"{eager:.2f}", "<= 20", eager <= 20))
    rows.append(("latency, tf.function (ms)", f"{graph:.2f}", "<= 20", graph <= 20))

    if args.fsdd_folder.is_dir():
        fsdd = split_80_20(load_spoken_digit_folder(args.fsdd_folder, split="random"))
        fsdd_report, fsdd_result, _ = train_and_test(fsdd, "bench_speech_fsdd")
        rows.append((f"FSDD one speaker ({len(fsdd.y_train) + len(fsdd.y_val)} train, "
                     f"{len(fsdd.y_test)} test): test accuracy", f"{fsdd_report.accuracy:.3f}",
                     ">= 0.97", fsdd_report.accuracy >= 0.97))
        rows.append(("FSDD: training time (s)", f"{fsdd_result.train_time_s:.1f} "
                     f"({fsdd_result.epochs_run} epochs)", "", None))
    else:
        rows.append((f"FSDD one speaker: skipped, {args.fsdd_folder} not found", "", "", None))

    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}\n")
    print("| measurement | value | target | met |\n|---|---|---|---|")
    for name, value, target, met in rows:
        print(f"| {name} | {value} | {target} | {'' if met is None else 'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
