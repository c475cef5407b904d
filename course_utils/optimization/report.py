"""One table that compares TFLite variants on size, accuracy and latency."""

import numpy as np
import pandas as pd

from course_utils.optimization.measure import TFLiteModel, accuracy, gzip_size, \
    max_abs_difference, measure_latency

COLUMNS = ["variant", "size_bytes", "gzip_bytes", "size_ratio", "gzip_ratio", "accuracy",
           "accuracy_change_pp", "latency_median_ms", "latency_p90_ms", "num_threads",
           "max_abs_diff"]


def measure_variant(name, flatbuffer, x_test, y_test, keras_model=None, repeats=100,
                    num_threads=1):
    """Measure one flatbuffer and return a dict with the columns of ``compare``.

    Args:
        keras_model: the float Keras model it came from; if given, the largest
            absolute output difference on ``x_test`` is reported.
    """
    model = TFLiteModel(flatbuffer, num_threads=num_threads)
    latency = measure_latency(model, x_test[0], repeats=repeats)
    return {
        "variant": name,
        "size_bytes": len(flatbuffer),
        "gzip_bytes": gzip_size(flatbuffer),
        "accuracy": accuracy(model, x_test, y_test),
        "latency_median_ms": latency.median_ms,
        "latency_p90_ms": latency.p90_ms,
        "num_threads": latency.num_threads,
        "max_abs_diff": (max_abs_difference(keras_model, model, x_test)
                         if keras_model is not None else np.nan),
    }


def compare(variants, x_test, y_test, reference=None, keras_models=None, repeats=100,
            num_threads=1):
    """Measure every variant and return a DataFrame with one row per variant.

    Args:
        variants: {name: flatbuffer bytes}, in the order the rows should appear.
        x_test, y_test: the test split (float32 inputs as the Keras model takes them).
        reference: the variant the ratios and accuracy change are relative to
            (default: the first one, usually the float32 TFLite model).
        keras_models: optional {name: Keras model} for the ``max_abs_diff`` column.
        repeats: timed calls per latency measurement (after 10 warm-up calls).

    Returns:
        DataFrame with ``COLUMNS``: sizes in bytes, ratios to the reference,
        accuracy in [0, 1], accuracy change in percentage points, latency per
        sample in milliseconds with the thread count.
    """
    if not variants:
        raise ValueError("variants is empty; pass {name: flatbuffer bytes}.")
    reference = reference or next(iter(variants))
    if reference not in variants:
        raise ValueError(f"reference {reference!r} is not one of the variants: "
                         f"{', '.join(variants)}.")
    keras_models = keras_models or {}
    rows = [measure_variant(name, flatbuffer, x_test, y_test, keras_models.get(name),
                            repeats, num_threads)
            for name, flatbuffer in variants.items()]
    table = pd.DataFrame(rows).set_index("variant", drop=False)
    base = table.loc[reference]
    table["size_ratio"] = table["size_bytes"] / base["size_bytes"]
    table["gzip_ratio"] = table["gzip_bytes"] / base["gzip_bytes"]
    table["accuracy_change_pp"] = 100.0 * (table["accuracy"] - base["accuracy"])
    return table[COLUMNS].reset_index(drop=True)
