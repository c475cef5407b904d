"""Time load_audio_folder against a plain librosa.load loop, and the embedded set load.

Both loaders read the same 500 generated WAV files in one run and resample to
8000 Hz with soxr's high-quality filter. The ratio therefore compares only the
loading strategy: a thread pool over soundfile and soxr versus a loop of
``librosa.load``. Each measurement is the median of ``--repeats`` runs, taken
alternately with the other loader, after one warm-up run that pays librosa's
and soxr's first-call costs.

Usage (from the project root):

    python benchmarks/bench_audio_loading.py [--files 500] [--repeats 9]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def write_clips(folder, n_files, sample_rate, seed=0):
    """Write ``n_files`` 16-bit mono clips of 0.5 to 1.0 s of noisy tones."""
    rng = np.random.default_rng(seed)
    for index in range(n_files):
        n_samples = int(rng.uniform(0.5, 1.0) * sample_rate)
        t = np.arange(n_samples) / sample_rate
        clip = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 1000) * t) + 0.01 * rng.normal(size=n_samples)
        sf.write(folder / f"{index:04d}.wav", clip, sample_rate, subtype="PCM_16")


def interleaved_medians(first, second, repeats):
    """Time two functions alternately and return the median seconds of each.

    Alternating the runs spreads the other processes' CPU load evenly over
    both, which matters on a shared 2-core machine.
    """
    first()
    second()
    times = ([], [])
    for _ in range(repeats):
        for function, record in zip((first, second), times):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def compare_folder_loads(n_files, file_rate, repeats):
    import librosa

    from course_utils.data import load_audio_folder

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_clips(folder, n_files, file_rate)
        paths = sorted(folder.glob("*.wav"))

        def librosa_loop():
            return [librosa.load(path, sr=8000)[0] for path in paths]

        def course_loader():
            return load_audio_folder(folder, sample_rate=8000, progress=False).waveforms

        # Same number of samples from both, so the comparison is like for like.
        assert sum(map(len, librosa_loop())) == sum(map(len, course_loader()))
        return interleaved_medians(librosa_loop, course_loader, repeats)


def time_embedded_load():
    """Return the seconds of the first ``load_dataset("spoken_digits")`` call."""
    from course_utils.data import load_dataset

    start = time.perf_counter()
    data = load_dataset("spoken_digits")
    seconds = time.perf_counter() - start
    total = len(data.y_train) + len(data.y_val) + len(data.y_test)
    return seconds, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500, help="number of WAV files")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per loader")
    args = parser.parse_args()
    os.environ.setdefault("CI", "1")

    # Run the embedded load first, so that it pays the import and first-call costs.
    import_start = time.perf_counter()
    import course_utils.data  # noqa: F401
    import_seconds = time.perf_counter() - import_start
    embedded_seconds, n_clips = time_embedded_load()
    print(f"import course_utils.data: {import_seconds:.2f} s")
    print(f"load_dataset('spoken_digits'), first call: {embedded_seconds:.2f} s "
          f"for {n_clips} clips (target <= 5 s)")

    print(f"\n{'files at':>10} {'librosa.load loop':>18} {'load_audio_folder':>18} {'speed-up':>9}")
    for file_rate in (8000, 16000, 44100):
        librosa_seconds, course_seconds = compare_folder_loads(args.files, file_rate, args.repeats)
        print(f"{file_rate:>7} Hz {librosa_seconds:>16.2f} s {course_seconds:>16.2f} s "
              f"{librosa_seconds / course_seconds:>8.2f}x")
    print(f"\n{args.files} files per row, median of {args.repeats} runs; "
          f"os.cpu_count() = {os.cpu_count()}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
