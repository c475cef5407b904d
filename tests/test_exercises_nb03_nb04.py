"""Checkers of notebooks 03 and 04: a right answer passes, wrong ones get the message."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from course_utils.exercises import run_check
from course_utils.features import audio


def assert_fails(result, message):
    assert result.passed is False
    assert result.message == message


def test_hz_to_mel_right_answer():
    assert run_check("03.1", lambda f: 2595.0 * np.log10(1.0 + f / 700.0)).passed


def test_hz_to_mel_natural_log():
    result = run_check("03.1", lambda f: 2595.0 * np.log(1.0 + f / 700.0))
    assert_fails(result, "At 8000 Hz the result is 6539.39 mel, off by +3699 mel.")


def test_hz_to_mel_scalar_only():
    result = run_check("03.1", lambda f: 2595.0 * np.log10(1.0 + float(f[0]) / 700.0))
    assert_fails(result, "The result has shape (); expected (6,), one mel value per frequency.")


def test_hz_to_mel_not_a_function():
    assert_fails(run_check("03.1", 1000.0), "Expected a function, got float.")


def right_power(y, n_fft, hop_length):
    frames = audio.frame(y, n_fft, hop_length) * audio.get_window("hann", n_fft)[:, None]
    return np.abs(np.fft.rfft(frames, axis=0)) ** 2


def test_power_spectrogram_right_answer():
    assert run_check("03.2", right_power).passed


def test_power_spectrogram_without_window():
    result = run_check("03.2", lambda y, n, h: np.abs(np.fft.rfft(audio.frame(y, n, h),
                                                                   axis=0)) ** 2)
    assert_fails(result, "The frames were not multiplied by the Hann window.")


def test_power_spectrogram_frames_first():
    result = run_check("03.2", lambda y, n, h: right_power(y, n, h).T)
    assert_fails(result, "For 1000 samples with n_fft=128 and hop_length=32 the result has "
                         "shape (28, 65); expected (65, 28) (frequency bins, frames).")


def test_power_spectrogram_magnitude_not_power():
    result = run_check("03.2", lambda y, n, h: np.sqrt(right_power(y, n, h)))
    assert result.passed is False
    assert result.message.startswith("The result differs from the reference by up to ")


def right_correlate(picture, kernel):
    windows = sliding_window_view(picture, kernel.shape)
    return (windows * kernel).sum(axis=(-2, -1))


def test_correlate_right_answer():
    assert run_check("03.3", right_correlate).passed


def test_correlate_flipped_kernel():
    result = run_check("03.3", lambda p, k: right_correlate(p, k[::-1, ::-1]))
    assert_fails(result, "The kernel was flipped: that is a convolution.")


def test_correlate_same_size():
    result = run_check("03.3", lambda p, k: np.zeros_like(p))
    assert_fails(result, "A 7x9 image and a 3x2 kernel gave shape (7, 9); expected (5, 8).")


def test_pipeline_right_answer():
    pipeline = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=3))
    assert run_check("04.1", pipeline).passed


def test_pipeline_with_prefitted_scaler():
    scaler = StandardScaler().fit(load_digits().data)
    result = run_check("04.1", make_pipeline(scaler, KNeighborsClassifier()))
    assert_fails(result, "The scaler in the pipeline is already fitted, so it learned "
                         "statistics from data outside each training fold.")


def test_pipeline_wrong_scaler():
    result = run_check("04.1", make_pipeline(MinMaxScaler(), KNeighborsClassifier()))
    assert_fails(result, "The first step is MinMaxScaler; expected the StandardScaler.")


def test_pipeline_not_a_pipeline():
    assert_fails(run_check("04.1", KNeighborsClassifier()),
                 "Expected a sklearn Pipeline, got KNeighborsClassifier.")


def test_components_right_answer():
    assert run_check("04.2", 31).passed


def test_components_too_few():
    assert_fails(run_check("04.2", 21), "21 components explain only 80.7% of the variance.")


def test_components_off_by_one():
    assert_fails(run_check("04.2", 32), "32 components work, but fewer already reach 90%.")


def test_components_not_int():
    assert_fails(run_check("04.2", 0.9), "Expected an int, got float.")
