"""Checkers of notebook 07, each with a right answer and wrong ones."""

import numpy as np
import pandas as pd

from course_utils.exercises import run_check


def right_sparsity(kernel):
    return float(np.mean(kernel == 0))


def right_quantize(x, scale, zero_point):
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


TABLE = pd.DataFrame({
    "variant": ["float32", "int8", "prune80_int8", "cluster8_int8"],
    "gzip_bytes": [280_000, 79_000, 27_000, 20_000],
    "accuracy_change_pp": [0.0, -0.3, -0.8, -2.5],
})


def test_sparsity_right():
    assert run_check("07.1", right_sparsity).passed


def test_sparsity_near_zero_counted():
    result = run_check("07.1", lambda kernel: float(np.mean(np.abs(kernel) < 1e-6)))
    assert not result.passed
    assert result.message == ("kernel_sparsity gives 1.0000 for a kernel of tiny but "
                              "nonzero weights.")


def test_sparsity_per_axis():
    result = run_check("07.1", lambda kernel: np.mean(kernel == 0, axis=0))
    assert result.message == ("kernel_sparsity returned an array of shape (3, 4, 8) for a dense "
                              "kernel, expected one number.")


def test_sparsity_not_callable():
    assert run_check("07.1", 0.5).message == "Expected a function kernel_sparsity(...), got float."


def test_quantize_right():
    assert run_check("07.2", right_quantize).passed


def test_quantize_without_clipping():
    result = run_check("07.2", lambda x, s, z: (np.round(x / s) + z).astype(np.int8))
    assert result.message == "quantize gives 52 for x = -0.3."


def test_quantize_wrong_dtype():
    result = run_check("07.2", lambda x, s, z: np.round(x / s) + z)
    assert result.message == "quantize returned dtype float32, expected int8."


def test_quantize_without_zero_point():
    result = run_check("07.2", lambda x, s, z: np.clip(np.round(x / s), -128, 127).astype(np.int8))
    assert result.message == "quantize gives 0 for x = 0."


def test_smallest_variant_right():
    assert run_check("07.3", "prune80_int8", TABLE).passed


def test_smallest_variant_too_inaccurate():
    result = run_check("07.3", "cluster8_int8", TABLE)
    assert result.message == ("'cluster8_int8' loses 2.50 points of accuracy, more than the "
                              "1.0 allowed.")


def test_smallest_variant_not_smallest():
    result = run_check("07.3", "int8", TABLE)
    assert result.message == "'int8' is within one point, but a smaller variant is too."


def test_smallest_variant_unknown():
    result = run_check("07.3", "int4", TABLE)
    assert result.message == "'int4' is not a variant in the table."
