"""Load audio files into float32 NumPy arrays at a stated sample rate.

soundfile (libsndfile) decodes WAV (8-bit unsigned, 16-, 24- and 32-bit
integer, 32- and 64-bit float), FLAC, OGG Vorbis and, with libsndfile 1.1 or
later, MP3. Integer samples are scaled to [-1, 1). Float files are returned as
stored, so their samples may exceed 1.0. Resampling uses soxr's high-quality
filter through ``librosa.resample``, and only when the file's rate differs from
the requested one. No function here falls back to librosa's 22,050 Hz default:
the caller states the rate, or passes ``sample_rate=None`` to keep the file's.

A single-file load raises ``AudioLoadError`` for an empty, corrupt or
undecodable file. A folder load warns once per such file, naming the file and
the reason, skips it and reports the counts.
"""

import concurrent.futures
import dataclasses
import logging
import os
import warnings
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from course_utils.data.audio_ops import pad_or_trim
from course_utils.data.images import SkippedFileWarning

logger = logging.getLogger(__name__)

RESAMPLE_TYPE = "soxr_hq"
# A folder load with more files than this shows a progress bar.
PROGRESS_MIN_FILES = 200

MP3_INSTALL_HINT = (
    "soundfile decodes MP3 only with libsndfile 1.1.0 or later. "
    "Install a recent wheel with `pip install --upgrade \"soundfile>=0.12\"` (it bundles "
    "libsndfile with MP3 support), or with conda `conda install -c conda-forge "
    "\"libsndfile>=1.1\"`, or convert the file: `ffmpeg -i input.mp3 output.wav`."
)


class AudioLoadError(ValueError):
    """Raised when a file cannot be loaded; the message names the file and the reason."""


@dataclasses.dataclass
class AudioFolder:
    """Result of ``load_audio_folder``.

    Attributes:
        waveforms: a list of float32 arrays, one per loaded file, or one float32
            array ``(n_files, length)`` when the load was given a ``length``.
        paths: the loaded files, in sorted order, aligned with ``waveforms``.
        sample_rate: the sample rate of every waveform, in Hz.
        skipped: ``(path, reason)`` for every file that was not loaded.
    """

    waveforms: object
    paths: list
    sample_rate: int
    skipped: list

    def __len__(self):
        return len(self.paths)

    def summary(self):
        """Return a one-line summary with the loaded and skipped counts."""
        text = f"loaded {len(self.paths)} files at {self.sample_rate} Hz, skipped {len(self.skipped)}"
        if self.skipped:
            names = ", ".join(Path(path).name for path, _ in self.skipped[:5])
            more = ", ..." if len(self.skipped) > 5 else ""
            text += f" ({names}{more})"
        return text


def decodable_formats():
    """Return the major formats this libsndfile build can read, as upper-case names."""
    return set(sf.available_formats())


def _check_decodable(path):
    """Raise AudioLoadError for files that libsndfile here cannot open at all."""
    if not path.exists():
        raise FileNotFoundError(f"Audio file not found: {path}")
    if path.is_dir():
        raise AudioLoadError(f"{path} is a folder, not an audio file. "
                             "Use load_audio_folder() to load a folder.")
    if path.stat().st_size == 0:
        raise AudioLoadError(f"{path} is empty (0 bytes). Re-copy or re-record the file.")
    if path.suffix.lower() == ".mp3" and "MP3" not in decodable_formats():
        raise AudioLoadError(
            f"Cannot decode {path}: this libsndfile ({sf.__libsndfile_version__}) has no "
            f"MP3 decoder. {MP3_INSTALL_HINT}")


def _wav_missing_bytes(path):
    """Return how many bytes of a WAV file's data chunk are missing (0 if complete).

    libsndfile reads a truncated WAV without complaint and returns only the
    frames present, so a cut-off download would pass as a short clip.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return 0
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return 0
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                break
            handle.seek(size + size % 2, os.SEEK_CUR)
        # Streaming writers leave the size as 0 or 0xFFFFFFFF; nothing to compare then.
        if size in (0, 0xFFFFFFFF):
            return 0
        present = path.stat().st_size - handle.tell()
    return max(0, size - present)


def _read(path):
    """Read every frame as float32 ``(n_channels, n_samples)`` and the file's rate."""
    try:
        data, file_rate = sf.read(path, dtype="float32", always_2d=True)
    except sf.LibsndfileError as error:
        hint = "The file is corrupt or not an audio format that soundfile reads."
        if path.suffix.lower() in {".m4a", ".aac", ".wma", ".opus", ".webm"}:
            hint = f"soundfile cannot decode {path.suffix} files. Convert it to WAV or FLAC " \
                   f"with `ffmpeg -i {path.name} {path.stem}.wav`."
        reason = error.error_string.rstrip(".")
        raise AudioLoadError(f"Cannot decode {path}: {reason}. {hint}") from error
    except RuntimeError as error:
        # libsndfile reports some truncated files only when it reads the frames.
        raise AudioLoadError(f"Cannot decode {path}: {error}. The file is corrupt "
                             "or truncated.") from error

    missing = _wav_missing_bytes(path) if path.suffix.lower() == ".wav" else 0
    if missing:
        raise AudioLoadError(f"{path} is truncated: its data chunk lacks {missing} bytes "
                             f"({data.shape[0]} frames are present). Download or copy it again.")
    if data.shape[0] == 0:
        raise AudioLoadError(f"{path} contains no audio samples (0 frames). "
                             "Re-export or re-record the file.")
    return data.T, file_rate


def load_audio(path, sample_rate=8000, mono=True):
    """Load an audio file as float32 samples at ``sample_rate``.

    Args:
        path: a WAV, FLAC, OGG or MP3 file (MP3 needs libsndfile 1.1 or later).
        sample_rate: the output sample rate in Hz, or None to keep the file's
            own rate. The file is resampled (soxr, high quality) only when its
            rate differs.
        mono: if True, downmix by averaging all channels with equal weight.
            NOTE: averaging cancels content that is out of phase between
            channels; such stereo files are rare in speech data.

    Returns:
        float32 array ``(n_samples,)`` when ``mono`` is True, otherwise
        ``(n_channels, n_samples)`` (channels first, also for a mono file).

    Raises:
        FileNotFoundError: the path does not exist.
        AudioLoadError: the file is empty, has no frames, is corrupt, or its
            format (for example MP3 without a decoder) cannot be decoded.
        ValueError: ``sample_rate`` is not a positive integer or None.
    """
    waveform, notes = _load(Path(path), sample_rate, mono)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return waveform


def _load(path, sample_rate, mono):
    """Do the work of ``load_audio`` and return the waveform and warning texts.

    Warnings are returned rather than raised because ``load_audio_folder``
    calls this from worker threads, where ``warnings.catch_warnings`` is not
    thread-safe.
    """
    if sample_rate is not None and (not float(sample_rate).is_integer() or sample_rate <= 0):
        raise ValueError(f"sample_rate must be a positive number of Hz or None, got {sample_rate!r}.")
    _check_decodable(path)
    waveform, file_rate = _read(path)

    notes = []
    if not np.all(np.isfinite(waveform)):
        bad = int(np.size(waveform) - np.count_nonzero(np.isfinite(waveform)))
        notes.append(f"{path}: replaced {bad} NaN or infinite samples with 0.")
        waveform = np.nan_to_num(waveform, nan=0.0, posinf=0.0, neginf=0.0)

    if mono:
        waveform = waveform.mean(axis=0)
    if sample_rate is not None and int(sample_rate) != file_rate:
        waveform = librosa.resample(waveform, orig_sr=file_rate, target_sr=int(sample_rate),
                                    res_type=RESAMPLE_TYPE, axis=-1)
    return np.ascontiguousarray(waveform, dtype=np.float32), notes


def _progress_disabled(n_files, progress):
    if progress is not None:
        return not progress
    return n_files <= PROGRESS_MIN_FILES or bool(os.environ.get("CI"))


def _load_one(path, sample_rate, mono):
    """Return ``(waveform, None, warnings)`` or ``(None, reason, [])`` for one file."""
    try:
        waveform, notes = _load(path, sample_rate, mono)
        return waveform, None, notes
    except (AudioLoadError, OSError) as error:
        return None, str(error), []


def _find_files(root, pattern):
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Audio folder not found: {root}")
    return sorted(path for path in root.glob(pattern) if path.is_file())


def load_audio_folder(root, pattern="*.wav", sample_rate=8000, mono=True, length=None,
                      workers=None, progress=None):
    """Load every file in ``root`` that matches ``pattern``, skipping bad files.

    Each file that cannot be loaded (empty, no frames, corrupt, truncated,
    undecodable) raises one ``SkippedFileWarning`` that names it and the reason, and is listed in
    ``skipped``. Files load on a thread pool, because libsndfile and soxr release
    Python's GIL. Loads of more than ``PROGRESS_MIN_FILES`` files show a tqdm
    progress bar unless the ``CI`` environment variable is set.

    Args:
        root: the folder to search.
        pattern: a glob relative to ``root``; ``"**/*.wav"`` searches subfolders.
        sample_rate: output sample rate in Hz (see ``load_audio``).
        mono: downmix to mono (see ``load_audio``). Must be True with ``length``.
        length: if given, every clip is zero-padded at the end or trimmed to this
            many samples and ``waveforms`` is one array ``(n_files, length)``.
        workers: threads to use; None uses ``min(4, os.cpu_count())``.
        progress: force the progress bar on (True) or off (False).

    Returns:
        An ``AudioFolder``; its ``summary()`` gives the loaded and skipped counts.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    from tqdm.auto import tqdm

    if sample_rate is None:
        raise ValueError("load_audio_folder needs a sample_rate in Hz, so that every clip "
                         "shares one rate; got None.")
    if length is not None and not mono:
        raise ValueError("length= needs mono=True, because stacked clips must share a shape.")
    paths = _find_files(root, pattern)
    workers = workers or min(4, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda path: _load_one(path, sample_rate, mono), paths)
        results = list(tqdm(results, total=len(paths), desc=f"Loading {Path(root).name}",
                            unit="file", disable=_progress_disabled(len(paths), progress)))

    waveforms, loaded, skipped = [], [], []
    for path, (waveform, reason, messages) in zip(paths, results):
        for message in messages:
            warnings.warn(message, stacklevel=2)
        if waveform is None:
            warnings.warn(f"Skipped {path}: {reason}", SkippedFileWarning, stacklevel=2)
            skipped.append((path, reason))
            continue
        waveforms.append(waveform)
        loaded.append(path)

    if length is not None:
        waveforms = np.stack([pad_or_trim(w, length) for w in waveforms]) if waveforms \
            else np.zeros((0, length), dtype=np.float32)
    folder = AudioFolder(waveforms, loaded, sample_rate, skipped)
    logger.info("%s: %s", root, folder.summary())
    return folder
