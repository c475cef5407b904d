"""Checkers of notebook 01: right answers pass, typical wrong answers get a precise message."""

import numpy as np
from sklearn.model_selection import train_test_split

from course_utils.exercises import run_check


def _scale_right(raw):
    return (raw / 65535.0).astype(np.float32)


def _scale_by_255(raw):
    return (raw / 255.0).astype(np.float32)


def _clip_to_255(raw):
    return (np.clip(raw, 0, 255) / 255.0).astype(np.float32)


def test_scaling_right_answer_passes():
    result = run_check("01.1", _scale_right)
    assert result.passed, result.message


def test_scaling_float64_rejected():
    result = run_check("01.1", lambda raw: raw / 65535.0)
    assert result.message == "The result has dtype float64; expected float32."


def test_scaling_by_255_rejected():
    result = run_check("01.1", _scale_by_255)
    assert not result.passed
    assert result.message == "The values span 0..257, outside [0, 1]."


def test_scaling_clipped_rejected():
    result = run_check("01.1", _clip_to_255)
    assert result.message == ("A pixel of 255 and a pixel of 65535 came out equal, so the "
                              "image was clipped instead of scaled.")


def test_scaling_not_a_function():
    result = run_check("01.1", np.zeros(3))
    assert result.message == "Expected a function, got ndarray."


def _pad_right(image, fill):
    height, width, channels = image.shape
    side = max(height, width)
    canvas = np.full((side, side, channels), fill, dtype=image.dtype)
    top, left = (side - height) // 2, (side - width) // 2
    canvas[top:top + height, left:left + width] = image
    return canvas


def _pad_top_left(image, fill):
    height, width, channels = image.shape
    side = max(height, width)
    canvas = np.full((side, side, channels), fill, dtype=image.dtype)
    canvas[:height, :width] = image
    return canvas


def _pad_with_zeros(image, fill):
    return _pad_right(image, 0.0)


def test_padding_right_answer_passes():
    result = run_check("01.2", _pad_right)
    assert result.passed, result.message


def test_padding_top_left_rejected():
    result = run_check("01.2", _pad_top_left)
    assert result.message == "For an input of shape (3, 7, 1) the original pixels are not centred."


def test_padding_wrong_fill_rejected():
    result = run_check("01.2", _pad_with_zeros)
    assert result.message == ("For an input of shape (3, 7, 1) the padding is not the fill "
                              "value 0.5.")


def test_padding_wrong_shape_rejected():
    result = run_check("01.2", lambda image, fill: image)
    assert result.message == ("For an input of shape (3, 7, 1) the result has shape (3, 7, 1); "
                              "expected a square of side 7 with 1 channel(s).")


def _split_right(y, test_fraction, seed):
    indices = np.arange(len(y))
    return train_test_split(indices, test_size=test_fraction, stratify=y, random_state=seed)


def _split_sorted_tail(y, test_fraction, seed):
    order = np.argsort(y, kind="stable")
    n_test = int(len(y) * test_fraction)
    return order[:-n_test], order[-n_test:]


def test_split_right_answer_passes():
    result = run_check("01.3", _split_right)
    assert result.passed, result.message


def test_split_by_class_order_rejected():
    result = run_check("01.3", _split_sorted_tail)
    assert result.message == ("Class 0 has 0 of its 80 examples in the test part; "
                              "expected about 20.")


def test_split_overlap_rejected():
    result = run_check("01.3", lambda y, fraction, seed: (np.arange(len(y)), np.arange(10)))
    assert result.message == "Some indices are in both the training and the test part."


def test_split_missing_indices_rejected():
    result = run_check("01.3", lambda y, fraction, seed: (np.arange(100), np.arange(100, 150)))
    assert result.message == "The two parts together hold 150 distinct indices; expected all 200."

