"""Checkers of notebook 02: right answers pass, typical wrong answers get a precise message."""

import numpy as np

from course_utils.data import add_noise, pad_or_trim
from course_utils.data.audio import resample
from course_utils.exercises import run_check


def prepare_right(y, sample_rate):
    mono = y.mean(axis=0)
    if sample_rate != 8000:
        mono = resample(mono, sample_rate, 8000)
    return pad_or_trim(mono, 8000)


def prepare_first_channel(y, sample_rate):
    return prepare_right(y[:1], sample_rate)


def prepare_summed(y, sample_rate):
    return prepare_right(y * y.shape[0], sample_rate)


def prepare_without_resampling(y, sample_rate):
    return pad_or_trim(y.mean(axis=0), 8000)


def test_prepare_clip_right_answer_passes():
    result = run_check("02.1", prepare_right)
    assert result.passed, result.message


def test_prepare_clip_first_channel_rejected():
    result = run_check("02.1", prepare_first_channel)
    assert result.message == ("For a 0.5 s stereo clip at 44100 Hz the result is 1.49 times "
                              "as loud as expected.")


def test_prepare_clip_sum_rejected():
    result = run_check("02.1", prepare_summed)
    assert result.message == ("For a 0.5 s stereo clip at 44100 Hz the result is 2.00 times "
                              "as loud as expected.")


def test_prepare_clip_no_resampling_rejected():
    result = run_check("02.1", prepare_without_resampling)
    assert result.message == ("For a 0.5 s stereo clip at 44100 Hz the sound ends at sample "
                              "8000; expected about 4000.")


def test_prepare_clip_wrong_length_rejected():
    result = run_check("02.1", lambda y, sample_rate: y.mean(axis=0))
    assert result.message == ("For a 0.5 s stereo clip at 44100 Hz the result has shape "
                              "(22050,); expected (8000,).")


def test_prepare_clip_centered_rejected():
    def centered(y, sample_rate):
        return pad_or_trim(prepare_right(y, sample_rate)[:4000], 8000, mode="center")

    result = run_check("02.1", centered)
    assert result.message.startswith("For a 0.5 s stereo clip at 44100 Hz the sound ends at "
                                     "sample 6000")


def test_prepare_clip_float64_rejected():
    result = run_check("02.1", lambda y, sample_rate: prepare_right(y, sample_rate).astype(float))
    assert result.message == ("For a 0.5 s stereo clip at 44100 Hz the result has dtype "
                              "float64; expected float32.")


def noise_right(y, snr_db, seed):
    return add_noise(y, snr_db, seed=seed)


def noise_amplitude_ratio(y, snr_db, seed):
    # A common mistake: dividing the RMS instead of the power, so 20 log10 is used.
    rms = np.sqrt(np.mean(y ** 2))
    rng = np.random.default_rng(seed)
    return y + rng.normal(0, rms / 10 ** (snr_db / 10), size=y.shape)


def noise_in_place(y, snr_db, seed):
    y += add_noise(y, snr_db, seed=seed) - y
    return y


def test_noise_right_answer_passes():
    result = run_check("02.2", noise_right)
    assert result.passed, result.message


def test_noise_amplitude_ratio_rejected():
    result = run_check("02.2", noise_amplitude_ratio)
    assert result.message == "At snr_db=10 the measured SNR is 20.0 dB."


def test_noise_in_place_rejected():
    result = run_check("02.2", noise_in_place)
    assert result.message == "The function changed its input array in place."


def test_noise_unseeded_rejected():
    result = run_check("02.2", lambda y, snr_db, seed: add_noise(y, snr_db, seed=None))
    assert result.message == "Two calls with the same seed gave different noise."


def test_noise_silence_nan_rejected():
    def normalize_first(y, snr_db, seed):
        # Scaling to unit RMS first divides a silent clip by 0.
        rms = np.sqrt(np.mean(y.astype(np.float64) ** 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = y / rms
        noise = np.random.default_rng(seed).normal(0, 10 ** (-snr_db / 20), size=y.shape)
        return (unit + noise) * rms

    result = run_check("02.2", normalize_first)
    assert result.message == "For a silent input the result is not all zeros."


def split_right(speakers, test_fraction, seed):
    names = np.random.default_rng(seed).permutation(np.unique(speakers))
    test_names = names[:round(test_fraction * len(names))]
    in_test = np.isin(speakers, test_names)
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def split_random_clips(speakers, test_fraction, seed):
    order = np.random.default_rng(seed).permutation(len(speakers))
    n_test = int(test_fraction * len(speakers))
    return order[n_test:], order[:n_test]


def test_split_right_answer_passes():
    result = run_check("02.3", split_right)
    assert result.passed, result.message


def test_split_random_clips_rejected():
    result = run_check("02.3", split_random_clips)
    assert result.message == "11 speaker(s) appear in both the training and the test set."


def test_split_missing_clips_rejected():
    result = run_check("02.3", lambda s, f, seed: (split_right(s, f, seed)[0][1:],
                                                   split_right(s, f, seed)[1]))
    assert result.message == ("The two index arrays together do not list every clip exactly "
                              "once.")


def test_split_fraction_of_clips_rejected():
    def too_few_speakers(speakers, test_fraction, seed):
        return split_right(speakers, test_fraction / 3, seed)

    result = run_check("02.3", too_few_speakers)
    assert result.message == ("The test set has 1 of 12 speakers; with test_fraction=0.25 "
                              "expected about 3.")


def test_split_unseeded_rejected():
    result = run_check("02.3", lambda s, f, seed: split_right(s, f, None))
    assert result.message == "Two calls with the same seed chose different test speakers."


def test_checker_rejects_non_function():
    result = run_check("02.3", np.arange(3))
    assert result.message == "Expected a function, got ndarray."
