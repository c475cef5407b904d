"""Checkers for the exercises of notebook 02 (audio data with librosa).

Each checker calls the learner's function on inputs the learner has not seen,
so a solution that only fits the notebook's example does not pass.
"""

import numpy as np

from course_utils.data.audio import resample
from course_utils.exercises import ExerciseFailed, checker, require_function


def _tone(seconds, sample_rate, frequency, n_channels):
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    channels = [0.4 / (index + 1) * np.sin(2 * np.pi * frequency * t + index)
                for index in range(n_channels)]
    return np.stack(channels).astype(np.float32)


def _clip_cases():
    """Return ``(description, y, sample_rate)`` triples with y ``(n_channels, n_samples)``."""
    return [
        ("a 0.5 s stereo clip at 44100 Hz", _tone(0.5, 44100, 300, 2), 44100),
        ("a 1.5 s mono clip at 16000 Hz", _tone(1.5, 16000, 500, 1), 16000),
        ("a 1.0 s 3-channel clip at 8000 Hz", _tone(1.0, 8000, 700, 3), 8000),
    ]


@checker("02.1", title="turn any clip into 1 s of mono audio at 8 kHz")
def check_prepare_clip(prepare_clip):
    """Check ``prepare_clip(y, sample_rate)`` for y of shape ``(n_channels, n_samples)``."""
    require_function(prepare_clip)
    for description, y, sample_rate in _clip_cases():
        result = np.asarray(prepare_clip(y.copy(), sample_rate))
        if result.shape != (8000,):
            raise ExerciseFailed(f"For {description} the result has shape {result.shape}; "
                                 "expected (8000,).",
                                 "Downmix the channels, resample to 8000 Hz, then pad or cut "
                                 "to 8000 samples.")
        if result.dtype != np.float32:
            raise ExerciseFailed(f"For {description} the result has dtype {result.dtype}; "
                                 "expected float32.", "Convert with .astype(np.float32).")

        mono = y.mean(axis=0)
        expected = resample(mono, sample_rate, 8000) if sample_rate != 8000 else mono
        expected = np.pad(expected, (0, max(0, 8000 - len(expected))))[:8000]
        sound_end = int(np.flatnonzero(np.abs(result) > 1e-4)[-1]) + 1 if np.any(result) else 0
        expected_end = int(np.flatnonzero(np.abs(expected) > 1e-4)[-1]) + 1
        if abs(sound_end - expected_end) > 40:
            raise ExerciseFailed(f"For {description} the sound ends at sample {sound_end}; "
                                 f"expected about {expected_end}.",
                                 "Resample from the clip's own rate to 8000 Hz before padding "
                                 "or cutting: 0.5 s at 8000 Hz is 4000 samples.")
        loudness = np.sqrt(np.mean(result ** 2)) / np.sqrt(np.mean(expected ** 2))
        if not 0.9 < loudness < 1.1:
            raise ExerciseFailed(f"For {description} the result is {loudness:.2f} times as "
                                 "loud as expected.",
                                 "Average the channels (np.mean over the channel axis) rather "
                                 "than adding them or keeping one.")
        correlation = np.corrcoef(result, expected)[0, 1]
        if correlation < 0.99:
            raise ExerciseFailed(f"For {description} the waveform does not line up with the "
                                 f"expected one (correlation {correlation:.2f}).",
                                 "Keep the start of the clip at sample 0: pad or cut at the "
                                 "end, and resample from the clip's own sample rate.")


@checker("02.2", title="add white noise at a given signal-to-noise ratio")
def check_add_noise(add_noise_at_snr):
    """Check ``add_noise_at_snr(y, snr_db, seed)`` by measuring the SNR it gives."""
    require_function(add_noise_at_snr)
    rng = np.random.default_rng(11)
    y = (0.3 * np.sin(np.arange(40000) * 0.07) + 0.05 * rng.normal(size=40000)).astype(np.float32)
    for snr_db in (0.0, 10.0, 25.0):
        original = y.copy()
        noisy = np.asarray(add_noise_at_snr(y, snr_db, 0))
        if not np.array_equal(y, original):
            raise ExerciseFailed("The function changed its input array in place.",
                                 "Return y + noise as a new array.")
        if noisy.shape != y.shape:
            raise ExerciseFailed(f"The result has shape {noisy.shape}; expected {y.shape}.",
                                 "Draw one noise sample per waveform sample.")
        noise = noisy.astype(np.float64) - y
        measured = 10 * np.log10(np.mean(y.astype(np.float64) ** 2) / np.mean(noise ** 2))
        if abs(measured - snr_db) > 0.3:
            raise ExerciseFailed(f"At snr_db={snr_db:g} the measured SNR is {measured:.1f} dB.",
                                 "SNR in dB is 10 * log10(signal power / noise power), and the "
                                 "noise's power is the square of its standard deviation.")
    if not np.array_equal(add_noise_at_snr(y, 10.0, 3), add_noise_at_snr(y, 10.0, 3)):
        raise ExerciseFailed("Two calls with the same seed gave different noise.",
                             "Create the generator inside the function: "
                             "np.random.default_rng(seed).")

    silent = np.asarray(add_noise_at_snr(np.zeros(100, dtype=np.float32), 10.0, 0))
    if not np.all(np.isfinite(silent)) or np.any(silent):
        raise ExerciseFailed("For a silent input the result is not all zeros.",
                             "A silent clip has no signal power, so no SNR is defined: "
                             "return it unchanged.")


def _speaker_cases():
    rng = np.random.default_rng(5)
    names = [f"speaker{index}" for index in range(12)]
    return rng.permutation(np.repeat(names, rng.integers(5, 15, size=12)))


@checker("02.3", title="split clips so that no speaker is in both sets")
def check_split_by_speaker(split_by_speaker):
    """Check ``split_by_speaker(speakers, test_fraction, seed) -> (train_idx, test_idx)``."""
    require_function(split_by_speaker)
    speakers = _speaker_cases()
    n_speakers = len(np.unique(speakers))
    train, test = (np.asarray(part) for part in split_by_speaker(speakers, 0.25, 0))

    everything = np.sort(np.concatenate([train, test]))
    if not np.array_equal(everything, np.arange(len(speakers))):
        raise ExerciseFailed("The two index arrays together do not list every clip exactly "
                             "once.", "Return integer positions into `speakers`, and put each "
                             "clip into exactly one of the two sets.")
    shared = set(speakers[train]) & set(speakers[test])
    if shared:
        raise ExerciseFailed(f"{len(shared)} speaker(s) appear in both the training and the "
                             "test set.", "Shuffle the unique speaker names, not the clips, "
                             "and choose the test speakers from them.")
    n_test = len(np.unique(speakers[test]))
    if abs(n_test - 0.25 * n_speakers) > 1:
        raise ExerciseFailed(f"The test set has {n_test} of {n_speakers} speakers; with "
                             f"test_fraction=0.25 expected about {0.25 * n_speakers:g}.",
                             "test_fraction is a share of the speakers, not of the clips.")
    again = split_by_speaker(speakers, 0.25, 0)[1]
    if not np.array_equal(np.sort(again), np.sort(test)):
        raise ExerciseFailed("Two calls with the same seed chose different test speakers.",
                             "Use np.random.default_rng(seed) inside the function.")
