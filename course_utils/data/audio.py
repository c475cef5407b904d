"""Load audio files into float32 NumPy arrays at a stated sample rate.

soundfile (libsndfile) decodes WAV (8-bit unsigned, 16-, 24- and 32-bit
integer, 32- and 64-bit float), FLAC, OGG Vorbis and, with libsndfile 1.1 or
later, MP3. Integer samples are scaled to [-1, 1). Float files are returned as
stored, so their samples may exceed 1.0. Resampling uses soxr's high-quality
filter (as ``librosa.load`` does by default), and only when the file's rate
differs from the requested one. No function here falls back to librosa's 22,050 Hz default:
the caller states the rate, or passes ``sample_rate=None`` to keep the file's.

A single-file load raises ``AudioLoadError`` for an empty, corrupt or
undecodable file. A folder load warns once per such file, naming the file and
the reason, skips it and reports the counts.
"""

import concurrent.futures
import dataclasses
import logging
import os
import stat
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from course_utils.data import wav
from course_utils.data.audio_ops import pad_or_trim
from course_utils.data.images import SkippedFileWarning

logger = logging.getLogger(__name__)

# A folder load with more files than this shows a progress bar.
PROGRESS_MIN_FILES = 200
LOAD_BATCH_FILES = 32

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
    """Reject paths that cannot hold decodable audio and return the file size in bytes."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"Audio file not found: {path}") from None
    if stat.S_ISDIR(status.st_mode):
        raise AudioLoadError(f"{path} is a folder, not an audio file. "
                             "Use load_audio_folder() to load a folder.")
    if status.st_size == 0:
        raise AudioLoadError(f"{path} is empty (0 bytes). Re-copy or re-record the file.")
    if path.suffix.lower() == ".mp3" and "MP3" not in decodable_formats():
        raise AudioLoadError(
            f"Cannot decode {path}: this libsndfile ({sf.__libsndfile_version__}) has no "
            f"MP3 decoder. {MP3_INSTALL_HINT}")
    return status.st_size


def _read_with_soundfile(path):
    """Read every frame as float32 ``(n_samples, n_channels)`` with the file's rate and subtype."""
    try:
        with sf.SoundFile(path) as audio_file:
            data = audio_file.read(dtype="float32", always_2d=True)
            return data, audio_file.samplerate, audio_file.subtype
    except sf.LibsndfileError as error:
        hint = "The file is corrupt or not an audio format that soundfile reads."
        if path.suffix.lower() in {".m4a", ".aac", ".wma", ".webm"}:
            hint = f"soundfile cannot decode {path.suffix} files. Convert it to WAV or FLAC " \
                   f"with `ffmpeg -i {path.name} {path.stem}.wav`."
        reason = error.error_string.rstrip(".")
        raise AudioLoadError(f"Cannot decode {path}: {reason}. {hint}") from error


def _read(path, file_size):
    """Read every frame as float32 ``(n_samples, n_channels)`` with the file's rate and subtype.

    Complete 16-bit PCM WAV files are decoded with NumPy (see ``wav``) and
    everything else with soundfile. Truncated WAV files raise AudioLoadError.
    """
    layout = wav.read_layout(path, file_size) if path.suffix.lower() == ".wav" else None
    if layout is not None and layout.missing_bytes:
        raise AudioLoadError(f"{path} is truncated: its data chunk lacks {layout.missing_bytes} "
                             f"bytes ({layout.present_frames} frames are present). Download or "
                             "copy it again.")
    if wav.is_plain_pcm16(layout):
        data, file_rate, subtype = wav.read_pcm16(path, layout), layout.sample_rate, "PCM_16"
    else:
        data, file_rate, subtype = _read_with_soundfile(path)

    if data.shape[0] == 0:
        raise AudioLoadError(f"{path} contains no audio samples (0 frames). "
                             "Re-export or re-record the file.")
    return data, file_rate, subtype


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
    file_size = _check_decodable(path)
    data, file_rate, subtype = _read(path, file_size)

    notes = []
    # Only float files can hold NaN or infinity; integer PCM cannot.
    if subtype in ("FLOAT", "DOUBLE") and not np.all(np.isfinite(data)):
        bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
        notes.append(f"{path}: replaced {bad} NaN or infinite samples with 0.")
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)

    if mono:
        data = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    if sample_rate is not None and int(sample_rate) != file_rate:
        data = resample(data, file_rate, int(sample_rate))
    waveform = data if mono else data.T
    return np.ascontiguousarray(waveform, dtype=np.float32), notes


def resample(data, orig_sr, target_sr):
    """Resample ``(n_samples,)`` or ``(n_samples, n_channels)`` with soxr's HQ filter.

    This is what ``librosa.resample(res_type="soxr_hq")`` computes, including
    its output length of ``ceil(n_samples * target_sr / orig_sr)``, without the
    per-call checks that cost more than the resampling on short clips.
    """
    n_samples = int(np.ceil(data.shape[0] * target_sr / orig_sr))
    resampled = soxr.resample(data, orig_sr, target_sr, quality="HQ")
    if resampled.shape[0] < n_samples:
        padding = [(0, n_samples - resampled.shape[0])] + [(0, 0)] * (data.ndim - 1)
        resampled = np.pad(resampled, padding)
    return resampled[:n_samples]


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
    undecodable) gets one ``SkippedFileWarning`` that names it and the reason, and is listed in
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
    # Each task loads a batch of files, because one task per short file costs
    # more in thread hand-offs than the loading itself.
    batches = [paths[start:start + LOAD_BATCH_FILES]
               for start in range(0, len(paths), LOAD_BATCH_FILES)]
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(paths), desc=f"Loading {Path(root).name}", unit="file",
                 disable=_progress_disabled(len(paths), progress)) as bar:
        load_batch = lambda batch: [_load_one(path, sample_rate, mono) for path in batch]  # noqa: E731
        for batch_results in pool.map(load_batch, batches):
            results.extend(batch_results)
            bar.update(len(batch_results))

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
