"""Checkers for the exercises of notebook 03 (feature extraction with NumPy).

Each checker calls the learner's function on inputs the notebook never shows,
and compares it with the package's own implementation.
"""

import numpy as np
import scipy.signal

from course_utils.exercises import ExerciseFailed, checker, require_function
from course_utils.features import audio


@checker("03.1", title="convert Hz to mel on the HTK scale")
def check_hz_to_mel(hz_to_mel_htk):
    """Check a function that maps frequencies in Hz to HTK mel, element-wise."""
    require_function(hz_to_mel_htk)
    frequencies = np.array([0.0, 125.0, 700.0, 1000.0, 3333.0, 8000.0])
    result = np.asarray(hz_to_mel_htk(frequencies.copy()), dtype=np.float64)
    if result.shape != frequencies.shape:
        raise ExerciseFailed(f"The result has shape {result.shape}; expected "
                             f"{frequencies.shape}, one mel value per frequency.",
                             "Use NumPy functions so the formula works on a whole array.")
    if abs(result[0]) > 1e-9:
        raise ExerciseFailed(f"0 Hz gave {result[0]:.4g} mel; it should give 0 mel.",
                             "Check the constant added inside the logarithm.")
    if not np.all(np.diff(result) > 0):
        raise ExerciseFailed("The mel values do not grow with the frequency.",
                             "The mel scale is increasing: a higher pitch has more mel.")
    expected = audio.hz_to_mel(frequencies, htk=True)
    worst = int(np.argmax(np.abs(result - expected)))
    if not np.allclose(result, expected, rtol=1e-6, atol=1e-6):
        raise ExerciseFailed(
            f"At {frequencies[worst]:g} Hz the result is {result[worst]:.6g} mel, off by "
            f"{result[worst] - expected[worst]:+.4g} mel.",
            "Is the logarithm base 10? And which break frequency in Hz does HTK use?")


@checker("03.2", title="compute a power spectrogram from frames")
def check_power_spectrogram(power_from_frames):
    """Check ``power_from_frames(y, n_fft, hop_length)`` (Hann window, no centring)."""
    require_function(power_from_frames)
    rng = np.random.default_rng(303)
    for n_samples, n_fft, hop_length in ((1000, 128, 32), (777, 64, 50)):
        y = rng.standard_normal(n_samples)
        expected = audio.power_spectrogram(y, n_fft=n_fft, hop_length=hop_length, center=False)
        result = np.asarray(power_from_frames(y.copy(), n_fft, hop_length))
        if result.shape != expected.shape:
            raise ExerciseFailed(
                f"For {n_samples} samples with n_fft={n_fft} and hop_length={hop_length} the "
                f"result has shape {result.shape}; expected {expected.shape} "
                "(frequency bins, frames).",
                "rfft gives 1 + n_fft // 2 bins; transpose if the frames come first.")
        if np.iscomplexobj(result):
            raise ExerciseFailed("The result is complex; a power spectrogram is real.",
                                 "Take the squared magnitude of each FFT value.")
        unwindowed = np.abs(np.fft.rfft(audio.frame(y, n_fft, hop_length), axis=0)) ** 2
        if np.allclose(result, unwindowed, rtol=1e-6):
            raise ExerciseFailed("The frames were not multiplied by the Hann window.",
                                 "Multiply every frame by audio.get_window('hann', n_fft).")
        error = np.max(np.abs(result - expected)) / np.max(expected)
        if error > 1e-6:
            raise ExerciseFailed(f"The result differs from the reference by up to "
                                 f"{error:.3g} of its maximum.",
                                 "Square the magnitude (power), do not just take it.")


@checker("03.3", title="cross-correlate an image with sliding_window_view")
def check_correlate_valid(correlate_valid):
    """Check ``correlate_valid(picture, kernel)``: 'valid' 2-D cross-correlation."""
    require_function(correlate_valid)
    rng = np.random.default_rng(333)
    picture = rng.random((7, 9))
    kernel = rng.random((3, 2))
    expected = scipy.signal.correlate2d(picture, kernel, mode="valid")
    result = np.asarray(correlate_valid(picture.copy(), kernel.copy()))
    if result.shape != expected.shape:
        raise ExerciseFailed(f"A 7x9 image and a 3x2 kernel gave shape {result.shape}; "
                             f"expected {expected.shape}.",
                             "'valid' keeps only the positions where the whole kernel fits.")
    if np.allclose(result, scipy.signal.convolve2d(picture, kernel, mode="valid")):
        raise ExerciseFailed("The kernel was flipped: that is a convolution.",
                             "Cross-correlation multiplies kernel[a, b] with the window "
                             "element at the same place.")
    if not np.allclose(result, expected):
        raise ExerciseFailed(f"The values differ from the reference by up to "
                             f"{np.max(np.abs(result - expected)):.3g}.",
                             "Sum window * kernel over the last two axes of the view.")
