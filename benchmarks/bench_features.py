"""Time the NumPy log-mel and MFCC against librosa on the embedded spoken digits.

Both sides get the same parameters and the whole set as one (n_clips, n_samples)
float32 array, and the two are timed in turn ``--repeats`` times in the same process; the
best time of each is reported with the ratio NumPy / librosa (below 1.0 means
the NumPy version is faster). The outputs are compared too, so a fast but wrong
result shows up.

Usage:
    PYTHONPATH=. python benchmarks/bench_features.py [--repeats 7]
"""

import argparse
import os
import time

import numpy as np

import course_utils  # noqa: F401  (selects Keras 2 before anything imports TensorFlow)
from course_utils.data import load_dataset
from course_utils.features import audio

PARAMETERS = dict(sr=8000, n_fft=256, hop_length=80, n_mels=40)
N_MFCC = 13


def best_times(first, second, repeats):
    """Call the two functions in turn ``repeats`` times; return each best time and result.

    Alternating the calls spreads any change in the machine's load over both.
    """
    times = ([], [])
    results = [None, None]
    for _ in range(repeats):
        for index, function in enumerate((first, second)):
            start = time.perf_counter()
            results[index] = function()
            times[index].append(time.perf_counter() - start)
    return min(times[0]), min(times[1]), results


def numpy_log_mel(waveforms):
    return audio.log_mel_spectrogram(waveforms, top_db=None, **PARAMETERS)


def librosa_log_mel(waveforms):
    import librosa

    power = librosa.feature.melspectrogram(y=waveforms, **PARAMETERS)
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)


def numpy_mfcc(waveforms):
    # top_db=None on both sides: librosa applies top_db over the whole batch,
    # this package per clip, so only an unlimited range gives the same numbers.
    return audio.mfcc(waveforms, n_mfcc=N_MFCC, top_db=None, **PARAMETERS)


def librosa_mfcc(waveforms):
    import librosa

    # librosa.feature.mfcc has no top_db argument, so the log-mel goes in as S.
    return librosa.feature.mfcc(S=librosa_log_mel(waveforms), n_mfcc=N_MFCC)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per function")
    arguments = parser.parse_args()

    splits = load_dataset("spoken_digits")
    waveforms = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    print(f"{waveforms.shape[0]} clips of {waveforms.shape[1]} samples, {PARAMETERS}, "
          f"n_mfcc={N_MFCC}, best of {arguments.repeats}")
    print(f"load average before: {os.getloadavg()}")

    print(f"{'feature':10} {'numpy s':>9} {'librosa s':>10} {'ratio':>6} {'max rel. error':>15}")
    for name, ours, theirs in (("log-mel", numpy_log_mel, librosa_log_mel),
                               ("mfcc", numpy_mfcc, librosa_mfcc)):
        # One untimed call each warms caches (mel matrix, window, FFT plans).
        ours(waveforms[:2])
        theirs(waveforms[:2])
        ours_time, theirs_time, (ours_result, theirs_result) = best_times(
            lambda: ours(waveforms), lambda: theirs(waveforms), arguments.repeats)
        error = np.max(np.abs(ours_result - theirs_result)) / np.max(np.abs(theirs_result))
        print(f"{name:10} {ours_time:9.3f} {theirs_time:10.3f} {ours_time / theirs_time:6.2f} "
              f"{error:15.2e}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
