"""Measure notebook 07's optimization targets on the image and the speech model.

Run from the project root (default mode trains the baselines first if
build/models has none):

    COURSE_MODE=default python benchmarks/bench_optimization.py

For each model it prints the comparison table of every variant and then the
ratios the targets are about, measured side by side in this one run:
full-int8 size and accuracy drop, 80% pruning + int8 gzip size and accuracy
drop, each for per-channel (``int8``) and per-tensor (``int8_per_tensor``)
weights, and int8 latency against float32 latency (one interpreter thread).
Last, it times the speech model's float32 and int8 files with one and two
interpreter threads, with and without the XNNPACK delegate.
"""

import os
import time

import course_utils  # noqa: F401  (selects Keras 2 before TensorFlow loads)
import pandas as pd
from course_utils import models, settings, speech, speech_training
from course_utils import optimization as opt
from course_utils.data import load_dataset

def _column(variant, column):
    return lambda table: table.loc[variant, column]


# (name, "<=" or ">=", limit, how to compute it from the table indexed by variant)
TARGETS = [
    *[target for int8 in ("int8", "int8_per_tensor") for target in (
        (f"{int8} size / float32 size", "<=", 0.27, _column(int8, "size_ratio")),
        (f"{int8} accuracy change (pp)", ">=", -0.5, _column(int8, "accuracy_change_pp")),
        (f"prune80_{int8} gzip / float32 gzip", "<=", 0.10,
         _column(f"prune80_{int8}", "gzip_ratio")),
        (f"prune80_{int8} accuracy change (pp)", ">=", -1.0,
         _column(f"prune80_{int8}", "accuracy_change_pp")))],
    ("int8 latency / float32 latency", "<=", 0.5,
     lambda t: t.loc["int8", "latency_median_ms"] / t.loc["float32", "latency_median_ms"]),
]


# (label, interpreter threads, op resolver); without the default delegates
# the interpreter runs TFLite's own builtin kernels instead of XNNPACK.
LATENCY_SETTINGS = [(f"{name} threads={threads}", threads, resolver)
                    for name, resolver in (("XNNPACK", "AUTO"),
                                           ("builtin", "BUILTIN_WITHOUT_DEFAULT_DELEGATES"))
                    for threads in (1, 2)]


def image_task():
    """Return (baseline, x_train, y_train, x_test, y_test) for the digits CNN."""
    sizes = settings.sizes()
    splits = load_dataset("digits").subset(sizes.max_train_examples, sizes.max_eval_examples)
    return (models.load_or_train_image_cnn(), splits.x_train, splits.y_train,
            splits.x_test, splits.y_test)


def speech_task():
    """Return (baseline, x_train, y_train, x_test, y_test) for the speech CNN on log-mel."""
    sizes = settings.sizes()
    baseline, info = speech_training.load_or_train_speech_model()
    splits = load_dataset(speech_training.dataset_name()).subset(sizes.max_train_examples,
                                                                 sizes.max_eval_examples)
    front_end = info["front_end"]
    return (baseline, speech.compute_log_mel(splits.x_train, front_end), splits.y_train,
            speech.compute_log_mel(splits.x_test, front_end), splits.y_test)


def latency_grid(flatbuffers, example, repeats):
    """Print float32 and int8 latency (median ms) for every LATENCY_SETTINGS entry."""
    for label, threads, resolver in LATENCY_SETTINGS:
        medians = {}
        for variant in ("float32", "int8", "int8_per_tensor"):
            model = opt.TFLiteModel(flatbuffers[variant], num_threads=threads,
                                    op_resolver=resolver)
            medians[variant] = opt.measure_latency(model, example, repeats=repeats).median_ms
        ratios = "  ".join(f"{variant} {1000 * value:7.1f} us ({value / medians['float32']:.3f})"
                           for variant, value in medians.items())
        print(f"speech {label:18s} {ratios}")


def run(name, task):
    settings.seed_everything()
    baseline, x_train, y_train, x_test, y_test = task()
    start = time.perf_counter()
    result = opt.run_suite(baseline, x_train, y_train, opt.SuiteConfig.for_mode())
    table = opt.compare(result.flatbuffers, x_test, y_test, keras_models=result.keras_models,
                        repeats=settings.sizes().timing_repeats)
    print(f"\n## {name} ({len(x_test)} test examples, experiments took "
          f"{time.perf_counter() - start:.0f} s)")
    print(table.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    indexed = table.set_index("variant")
    for target, direction, limit, measure in TARGETS:
        value = measure(indexed)
        met = value <= limit if direction == "<=" else value >= limit
        print(f"{name:6s} {target:44s} {value:+8.3f}  target {direction} {limit:+5.2f}  "
              f"{'met' if met else 'MISSED'}")
    return result.flatbuffers, x_test


def main():
    pd.set_option("display.width", 200)
    print(f"mode={settings.get_mode()} cpus={os.cpu_count()} load average="
          f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    run("image", image_task)
    speech_flatbuffers, speech_x_test = run("speech", speech_task)
    print(f"\n## speech latency (median ms, ratio to float32), load average="
          f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    latency_grid(speech_flatbuffers, speech_x_test[0], repeats=3 * settings.sizes().timing_repeats)
    print(f"load average at the end={' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
