"""Checkers for the exercises of notebook 01 (image data with Pillow).

Each checker calls the learner's function on inputs the learner has not seen,
so a solution that only fits the notebook's example does not pass.
"""

import numpy as np

from course_utils.exercises import ExerciseFailed, checker, require_function


@checker("01.1", title="scale 16-bit pixels to [0, 1] without clipping")
def check_sixteen_bit_scaling(to_unit_range):
    """Check a function that maps a uint16 image to float32 values in [0, 1]."""
    require_function(to_unit_range)
    raw = np.array([[0, 255, 4096], [30000, 60000, 65535]], dtype=np.uint16)
    result = np.asarray(to_unit_range(raw.copy()))

    if result.shape != raw.shape:
        raise ExerciseFailed(f"The result has shape {result.shape}; expected {raw.shape}.",
                             "Scale the values; do not reshape or drop pixels.")
    if result.dtype != np.float32:
        raise ExerciseFailed(f"The result has dtype {result.dtype}; expected float32.",
                             "Convert with .astype(np.float32).")
    if result.max() > 1.0 + 1e-6 or result.min() < 0.0:
        raise ExerciseFailed(
            f"The values span {result.min():.4g}..{result.max():.4g}, outside [0, 1].",
            "Which number is the brightest possible 16-bit value?")
    if np.isclose(result[0, 1], result[1, 2]):
        raise ExerciseFailed("A pixel of 255 and a pixel of 65535 came out equal, so the "
                             "image was clipped instead of scaled.",
                             "Divide by the maximum of the 16-bit range instead of clipping.")
    error = np.max(np.abs(result - raw / 65535.0))
    if error > 1e-6:
        raise ExerciseFailed(f"The values differ from a linear scaling by up to {error:.3g}.",
                             "Black must stay 0 and the brightest 16-bit value must become 1.")


def _padding_cases():
    rng = np.random.default_rng(101)
    return [rng.random((3, 7, 1), dtype=np.float32), rng.random((6, 2, 3), dtype=np.float32)]


@checker("01.2", title="centre an image on a square canvas")
def check_pad_to_square(pad_to_square):
    """Check ``pad_to_square(image, fill)`` on a wide and a tall image."""
    require_function(pad_to_square)
    fill = 0.5
    for image in _padding_cases():
        height, width, channels = image.shape
        side = max(height, width)
        result = np.asarray(pad_to_square(image.copy(), fill))
        if result.shape != (side, side, channels):
            raise ExerciseFailed(
                f"For an input of shape {image.shape} the result has shape {result.shape}; "
                f"expected a square of side {side} with {channels} channel(s).",
                "The longer side decides the size of the square.")
        top, left = (side - height) // 2, (side - width) // 2
        if not np.allclose(result[top:top + height, left:left + width], image):
            raise ExerciseFailed(
                f"For an input of shape {image.shape} the original pixels are not centred.",
                "Put the extra rows or columns half before and half after the image; "
                "with an odd number, the extra one goes after.")
        mask = np.ones(result.shape[:2], dtype=bool)
        mask[top:top + height, left:left + width] = False
        if not np.allclose(result[mask], fill):
            raise ExerciseFailed(
                f"For an input of shape {image.shape} the padding is not the fill value {fill}.",
                "Start from a canvas filled with `fill`, then copy the image into it.")


def _imbalanced_labels():
    labels = np.repeat(np.arange(4), [80, 60, 40, 20])
    return np.random.default_rng(7).permutation(labels)


@checker("01.3", title="split indices so that every class keeps its share")
def check_stratified_split(split_indices):
    """Check ``split_indices(y, test_fraction, seed) -> (train_idx, test_idx)``."""
    require_function(split_indices)
    y = _imbalanced_labels()
    test_fraction = 0.25
    train_idx, test_idx = (np.asarray(part) for part in split_indices(y, test_fraction, 3))

    if np.intersect1d(train_idx, test_idx).size:
        raise ExerciseFailed("Some indices are in both the training and the test part.",
                             "Each example belongs to exactly one part.")
    if not np.array_equal(np.union1d(train_idx, test_idx), np.arange(len(y))):
        raise ExerciseFailed(
            f"The two parts together hold {len(np.union1d(train_idx, test_idx))} distinct "
            f"indices; expected all {len(y)}.",
            "Return positions 0..n-1 into y, not the labels themselves.")
    for label, count in zip(*np.unique(y, return_counts=True)):
        in_test = int(np.sum(y[test_idx] == label))
        if abs(in_test - count * test_fraction) > 1:
            raise ExerciseFailed(
                f"Class {label} has {in_test} of its {count} examples in the test part; "
                f"expected about {count * test_fraction:.0f}.",
                "Split each class separately, or pass stratify=y to train_test_split.")
