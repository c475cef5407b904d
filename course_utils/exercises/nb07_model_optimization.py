"""Checkers for notebook 07 (model optimization)."""

import numpy as np

from course_utils.exercises import ExerciseFailed, checker


def _require_callable(function, name):
    if not callable(function):
        raise ExerciseFailed(f"Expected a function {name}(...), got {type(function).__name__}.",
                             "Pass the function itself, without calling it.")


@checker("07.1", title="the sparsity of a kernel")
def check_kernel_sparsity(kernel_sparsity):
    """``kernel_sparsity(kernel) -> float``: the fraction of weights exactly equal to 0."""
    _require_callable(kernel_sparsity, "kernel_sparsity")
    rng = np.random.default_rng(7)
    dense = rng.normal(size=(3, 3, 4, 8)).astype(np.float32)
    half = dense.copy()
    half.reshape(-1)[::2] = 0.0
    tiny = np.full((10, 10), 1e-8, dtype=np.float32)
    cases = [("a dense kernel", dense, 0.0), ("a kernel with every other weight zero", half, 0.5),
             ("a kernel of tiny but nonzero weights", tiny, 0.0),
             ("an all-zero kernel", np.zeros((4, 4), np.float32), 1.0)]
    for description, kernel, expected in cases:
        value = kernel_sparsity(kernel.copy())
        if not np.isscalar(value) and np.ndim(value) != 0:
            raise ExerciseFailed(f"kernel_sparsity returned an array of shape "
                                 f"{np.shape(value)} for {description}, expected one number.",
                                 "Average over every weight of the kernel.")
        if abs(float(value) - expected) > 1e-6:
            raise ExerciseFailed(f"kernel_sparsity gives {float(value):.4f} for {description}.",
                                 "Count only weights exactly equal to zero and divide by the "
                                 "number of weights.")


@checker("07.2", title="quantizing float input for an int8 model")
def check_quantize_input(quantize):
    """``quantize(x, scale, zero_point) -> int8 array``: round(x / scale) + zero_point, clipped."""
    _require_callable(quantize, "quantize")
    x = np.array([[0.0, 0.25, 0.5, 1.0, -0.3, 3.0]], dtype=np.float32)
    scale, zero_point = 1.0 / 255.0, -128
    expected = np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)
    result = np.asarray(quantize(x, scale, zero_point))
    if result.dtype != np.int8:
        raise ExerciseFailed(f"quantize returned dtype {result.dtype}, expected int8.",
                             "The interpreter rejects any other dtype for an int8 input.")
    if result.shape != x.shape:
        raise ExerciseFailed(f"quantize returned shape {result.shape}, expected {x.shape}.")
    if not np.array_equal(result, expected):
        wrong = int(np.argmax(result != expected))
        raise ExerciseFailed(f"quantize gives {int(result.flat[wrong])} for x = "
                             f"{float(x.flat[wrong]):g}.",
                             "Divide by the scale, round, add the zero point and clip to the "
                             "int8 range before casting.")


@checker("07.3", title="the smallest model within one point of float32")
def check_smallest_variant(variant, table):
    """``variant``: the row of ``table`` with the smallest gzip size among those whose
    accuracy is at most 1.0 percentage point below the reference."""
    if "variant" not in getattr(table, "columns", ()):
        raise ExerciseFailed("table must be the DataFrame that opt.compare returned.")
    if variant not in set(table["variant"]):
        raise ExerciseFailed(f"{variant!r} is not a variant in the table.",
                             f"Pick one of: {', '.join(table['variant'])}.")
    eligible = table[table["accuracy_change_pp"] >= -1.0]
    best = eligible.loc[eligible["gzip_bytes"].idxmin(), "variant"]
    row = table.set_index("variant").loc[variant]
    if row["accuracy_change_pp"] < -1.0:
        raise ExerciseFailed(f"{variant!r} loses {-row['accuracy_change_pp']:.2f} points of "
                             "accuracy, more than the 1.0 allowed.",
                             "Filter on accuracy_change_pp first.")
    if variant != best:
        raise ExerciseFailed(f"{variant!r} is within one point, but a smaller variant is too.",
                             "Among the rows that pass the filter, take the smallest gzip_bytes.")
