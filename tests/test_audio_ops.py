"""Tests of the waveform edits: padding, trimming, noise, time shift and gain."""

import numpy as np
import pytest

from course_utils.data import add_noise, apply_gain, pad_or_trim, time_shift, trim_silence


def ramp(n_samples):
    return np.arange(1, n_samples + 1, dtype=np.float32)


def test_pad_end():
    padded = pad_or_trim(ramp(3), 6)
    assert padded.tolist() == [1, 2, 3, 0, 0, 0]
    assert padded.dtype == np.float32


def test_pad_center_odd_sample_at_end():
    assert pad_or_trim(ramp(2), 5, mode="center").tolist() == [0, 1, 2, 0, 0]


def test_trim_end_and_center():
    assert pad_or_trim(ramp(6), 3).tolist() == [1, 2, 3]
    assert pad_or_trim(ramp(6), 3, mode="center").tolist() == [2, 3, 4]


def test_pad_or_trim_batch():
    batch = np.ones((4, 10), dtype=np.float32)
    assert pad_or_trim(batch, 12).shape == (4, 12)
    assert pad_or_trim(batch, 7).shape == (4, 7)


def test_pad_or_trim_invalid_arguments():
    with pytest.raises(ValueError, match="length must be a non-negative number of samples, got -1"):
        pad_or_trim(ramp(3), -1)
    with pytest.raises(ValueError, match="mode must be 'end' or 'center', got 'left'"):
        pad_or_trim(ramp(3), 4, mode="left")


def test_trim_silence_cuts_quiet_ends():
    y = np.zeros(8000, dtype=np.float32)
    y[3000:5000] = 0.5 * np.sin(np.arange(2000) * 0.3)
    trimmed = trim_silence(y, top_db=40, frame_length=256, hop_length=64)
    # Frame-based trimming keeps up to about one frame either side of the sound.
    assert 2000 <= len(trimmed) <= 2000 + 2 * 256
    assert np.abs(trimmed).max() == pytest.approx(0.5, abs=0.01)


def test_trim_silence_margin():
    y = np.zeros(8000, dtype=np.float32)
    y[3000:5000] = 0.5
    plain = trim_silence(y, frame_length=256, hop_length=64)
    wider = trim_silence(y, margin_samples=100, frame_length=256, hop_length=64)
    assert len(wider) == len(plain) + 200


def test_trim_silence_all_silent_unchanged():
    silent = np.zeros(800, dtype=np.float32)
    assert trim_silence(silent).shape == (800,)


def test_trim_silence_rejects_stereo():
    with pytest.raises(ValueError, match=r"expects a mono waveform \(n_samples,\), got shape \(2, 10\)"):
        trim_silence(np.zeros((2, 10)))


def test_add_noise_reaches_snr():
    y = 0.5 * np.sin(np.arange(80000) * 0.05)
    noisy = add_noise(y, snr_db=10, seed=0)
    noise = noisy - y
    measured = 10 * np.log10(np.mean(y ** 2) / np.mean(noise ** 2))
    assert measured == pytest.approx(10, abs=0.1)
    assert noisy.dtype == np.float32


def test_add_noise_seeded():
    y = np.sin(np.arange(100) * 0.1)
    assert np.array_equal(add_noise(y, 20, seed=3), add_noise(y, 20, seed=3))
    assert not np.array_equal(add_noise(y, 20, seed=3), add_noise(y, 20, seed=4))


def test_add_noise_silence_unchanged():
    assert not np.any(add_noise(np.zeros(100), 20, seed=0))


def test_time_shift_delay_and_advance():
    y = ramp(5)
    assert time_shift(y, 2 / 8000, sample_rate=8000).tolist() == [0, 0, 1, 2, 3]
    assert time_shift(y, -2 / 8000, sample_rate=8000).tolist() == [3, 4, 5, 0, 0]
    assert time_shift(y, 2 / 8000, sample_rate=8000, wrap=True).tolist() == [4, 5, 1, 2, 3]


def test_time_shift_seconds_to_samples():
    shifted = time_shift(np.ones(8000), 0.1, sample_rate=8000)
    assert np.count_nonzero(shifted == 0) == 800


def test_time_shift_beyond_length_is_silence():
    assert not np.any(time_shift(ramp(5), 1.0, sample_rate=8000))


def test_apply_gain_decibels():
    y = np.full(4, 0.1, dtype=np.float32)
    assert apply_gain(y, 20)[0] == pytest.approx(1.0, rel=1e-6)
    assert apply_gain(y, -20)[0] == pytest.approx(0.01, rel=1e-6)
    assert apply_gain(y, 6.0206)[0] == pytest.approx(0.2, rel=1e-4)


def test_apply_gain_clips():
    y = np.full(4, 0.5, dtype=np.float32)
    assert apply_gain(y, 12)[0] == 1.0
    assert apply_gain(y, 12, clip=False)[0] == pytest.approx(0.5 * 10 ** 0.6, rel=1e-6)
