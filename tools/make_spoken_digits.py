"""Generate the embedded spoken-digit set with espeak-ng.

The set is laid out like the Free Spoken Digit Dataset (FSDD): one 16-bit mono
WAV per utterance at 8000 Hz, named ``{digit}_{speaker}_{index}.wav``, so one
loader reads both. Each synthetic "speaker" is an espeak-ng accent, a voice
variant, a base pitch and a base speed. Each take of a digit jitters the pitch
and speed a little, is resampled from espeak-ng's 22,050 Hz to 8000 Hz, has its
leading and trailing silence trimmed (keeping a short margin) and gets white
noise at a fixed signal-to-noise ratio. The output depends only on ``--seed``
and the installed espeak-ng version.

Usage (from the project root):

    python tools/make_spoken_digits.py --seed 2026 \
        --out course_utils/data/embedded/spoken_digits
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# espeak-ng's own English accents (the "gmw" voices; the MBROLA voices need
# extra packages). Variants are espeak-ng's voice variant files.
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "croak", "adam", "linda", "steph", "max")

ESPEAK_SAMPLE_RATE = 22050
SAMPLE_RATE = 8000
SNR_DB = 30.0
TRIM_TOP_DB = 35.0
MARGIN_SECONDS = 0.03
# espeak-ng's pitch is 0-99 (50 is the voice's default) and its speed is in
# words per minute (175 is the default).
PITCH_RANGE = (25, 75)
SPEED_RANGE = (150, 230)
PITCH_JITTER = 6
SPEED_JITTER = 12


def make_speakers(n_speakers, rng):
    """Draw distinct (accent, variant) pairs with a base pitch and speed each.

    Returns:
        A list of dicts with keys ``name``, ``accent``, ``variant``, ``pitch``
        and ``speed``; names are ``synth01``, ``synth02``, ...
    """
    pairs = [(accent, variant) for accent in ACCENTS for variant in VARIANTS]
    chosen = rng.choice(len(pairs), size=n_speakers, replace=False)
    speakers = []
    for number, index in enumerate(chosen, start=1):
        accent, variant = pairs[index]
        speakers.append({
            "name": f"synth{number:02d}",
            "accent": accent,
            "variant": variant,
            "pitch": int(rng.integers(*PITCH_RANGE)),
            "speed": int(rng.integers(*SPEED_RANGE)),
        })
    return speakers


def synthesize(word, voice, pitch, speed, workdir):
    """Run espeak-ng and return its waveform (float64, 22,050 Hz)."""
    path = Path(workdir) / "take.wav"
    command = ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed),
               "-w", str(path), word]
    subprocess.run(command, check=True, capture_output=True)
    waveform, sample_rate = sf.read(path, dtype="float64")
    if sample_rate != ESPEAK_SAMPLE_RATE:
        raise RuntimeError(f"espeak-ng wrote {sample_rate} Hz; this script expects "
                           f"{ESPEAK_SAMPLE_RATE} Hz.")
    return waveform


def post_process(waveform, rng):
    """Resample to 8 kHz, trim silence with a margin, normalise and add noise."""
    waveform = librosa.resample(waveform, orig_sr=ESPEAK_SAMPLE_RATE,
                                target_sr=SAMPLE_RATE, res_type="soxr_hq")
    _, (start, end) = librosa.effects.trim(waveform, top_db=TRIM_TOP_DB)
    margin = int(MARGIN_SECONDS * SAMPLE_RATE)
    waveform = waveform[max(0, start - margin):min(len(waveform), end + margin)]

    # Peak level varies per take, from -6 to -1 dBFS, like real recordings.
    peak_db = rng.uniform(-6.0, -1.0)
    waveform = waveform / np.max(np.abs(waveform)) * 10 ** (peak_db / 20)

    signal_power = np.mean(waveform ** 2)
    noise_power = signal_power / 10 ** (SNR_DB / 10)
    waveform = waveform + rng.normal(0.0, np.sqrt(noise_power), size=waveform.shape)
    return np.clip(waveform, -1.0, 1.0)


def generate(out_dir, seed, n_speakers, takes):
    """Write ``n_speakers * 10 * takes`` WAV files to ``out_dir``; return the speakers."""
    rng = np.random.default_rng(seed)
    speakers = make_speakers(n_speakers, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        for speaker in speakers:
            voice = f"{speaker['accent']}+{speaker['variant']}"
            for digit, word in enumerate(DIGIT_WORDS):
                for index in range(takes):
                    pitch = speaker["pitch"] + int(rng.integers(-PITCH_JITTER, PITCH_JITTER + 1))
                    speed = speaker["speed"] + int(rng.integers(-SPEED_JITTER, SPEED_JITTER + 1))
                    waveform = synthesize(word, voice, pitch, speed, workdir)
                    waveform = post_process(waveform, rng)
                    path = out_dir / f"{digit}_{speaker['name']}_{index}.wav"
                    sf.write(path, waveform, SAMPLE_RATE, subtype="PCM_16")
    return speakers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder; existing WAV files in it are deleted first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--speakers", type=int, default=25, help="number of synthetic speakers")
    parser.add_argument("--takes", type=int, default=3, help="takes per digit and speaker")
    args = parser.parse_args(argv)

    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng not found. Install it with `sudo apt-get install espeak-ng`.")
    for old in args.out.glob("*.wav"):
        old.unlink()

    speakers = generate(args.out, args.seed, args.speakers, args.takes)
    files = sorted(args.out.glob("*.wav"))
    total_bytes = sum(path.stat().st_size for path in files)
    print(f"wrote {len(files)} files, {total_bytes / 1e6:.2f} MB, to {args.out}")
    print("| speaker | espeak-ng voice | pitch (0-99) | speed (words/min) |")
    print("|---|---|---|---|")
    for speaker in speakers:
        print(f"| {speaker['name']} | {speaker['accent']}+{speaker['variant']} "
              f"| {speaker['pitch']} | {speaker['speed']} |")


if __name__ == "__main__":
    main()
