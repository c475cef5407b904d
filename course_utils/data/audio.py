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
import math
import numbers
import os
import stat
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from course_utils.data import wav
from course_utils.data.audio_ops import pad_or_trim
from course_utils.data.images import SkippedFileWarning, link_problem

logger = logging.getLogger(__name__)

# A folder load with more files than this shows a progress bar.
PROGRESS_MIN_FILES = 200
LOAD_BATCH_FILES = 32

# A float file whose peak magnitude exceeds this is divided by its peak, because
# no recording stores such values on purpose and squaring them (as spectrogram
# features do) overflows float32 to infinity. Full scale is 1.0.
MAX_FLOAT_PEAK = 1e3

MP3_INSTALL_HINT = (
    "soundfile decodes MP3 only with libsndfile 1.1.0 or later. "
    "Install a recent wheel with `pip install --upgrade \"soundfile>=0.12\"` (it bundles "
    "libsndfile with MP3 support), or with conda `conda install -c conda-forge "
    "\"libsndfile>=1.1\"`, or convert the file: `ffmpeg -i input.mp3 output.wav`."
)


class AudioLoadError(ValueError):
    """Raised when a file cannot be loaded; the message names the file and the reason.

    Attributes:
        path: the file that failed.
        reason: the message without the path, a predicate such as
            ``"is empty (0 bytes). ..."``.
    """

    def __init__(self, path, reason):
        super().__init__(f"{path} {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclasses.dataclass
class AudioFolder:
    """Result of ``load_audio_folder``.

    Attributes:
        waveforms: a list of float32 arrays, one per loaded file, or one float32
            array ``(n_files, length)`` when the load was given a ``length``.
        paths: the loaded files, in sorted order, aligned with ``waveforms``.
        sample_rate: the sample rate of every waveform, in Hz.
        skipped: ``(path, reason)`` for every file that was not loaded.
        n_cut: clips longer than the requested ``length`` whose end was cut off.
    """

    waveforms: object
    paths: list
    sample_rate: int
    skipped: list
    n_cut: int = 0

    def __len__(self):
        return len(self.paths)

    def summary(self):
        """Return a one-line summary with the loaded and skipped counts."""
        text = f"loaded {len(self.paths)} files at {self.sample_rate} Hz, skipped {len(self.skipped)}"
        if self.n_cut:
            text += f", cut {self.n_cut} clips longer than the requested length at the end"
        if self.skipped:
            names = ", ".join(Path(path).name for path, _ in self.skipped[:5])
            more = ", ..." if len(self.skipped) > 5 else ""
            text += f" ({names}{more})"
        return text


def decodable_formats():
    """Return the major formats this libsndfile build can read, as upper-case names."""
    return set(sf.available_formats())


def _stat(path):
    """Return ``path.stat()``, raising AudioLoadError for broken or looping symbolic links."""
    try:
        return path.stat()
    except OSError as error:
        problem = link_problem(path, error)
        if problem is not None:
            raise AudioLoadError(path, f"is a {problem}. Replace it with the file.") from None
        if isinstance(error, FileNotFoundError):
            raise FileNotFoundError(f"Audio file not found: {path}") from None
        raise AudioLoadError(path, f"cannot be read ({error.strerror}).") from error


def _check_decodable(path):
    """Reject paths that cannot hold decodable audio and return the file size in bytes."""
    status = _stat(path)
    if stat.S_ISDIR(status.st_mode):
        raise AudioLoadError(path, "is a folder, not an audio file. "
                                   "Use load_audio_folder() to load a folder.")
    if not stat.S_ISREG(status.st_mode):
        raise AudioLoadError(path, "is not a regular file (it is a pipe, socket or device).")
    if status.st_size == 0:
        raise AudioLoadError(path, "is empty (0 bytes). Re-copy or re-record the file.")
    if path.suffix.lower() == ".mp3" and "MP3" not in decodable_formats():
        raise AudioLoadError(
            path, f"cannot be decoded: this libsndfile ({sf.__libsndfile_version__}) has no "
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
        raise AudioLoadError(path, f"cannot be decoded: {reason}. {hint}") from error


def _read(path, file_size):
    """Read every frame as float32 ``(n_samples, n_channels)`` with the file's rate and subtype.

    Complete 16-bit PCM WAV files are decoded with NumPy (see ``wav``) and
    everything else with soundfile. Truncated WAV files, and files whose
    header contains an impossible sample rate or channel count, raise AudioLoadError.
    """
    is_wav = path.suffix.lower() == ".wav"
    try:
        layout = wav.read_layout(path, file_size) if is_wav else None
    except wav.WavHeaderError as error:
        raise AudioLoadError(path, f"is not a valid WAV file: {error}. Re-export or "
                                   "download it again.") from None
    if layout is not None and layout.missing_bytes:
        raise AudioLoadError(path, f"is truncated: its data chunk lacks {layout.missing_bytes} "
                                   f"bytes ({layout.present_frames} frames are present). "
                                   "Download or copy it again.")
    if wav.is_plain_pcm16(layout):
        data, file_rate, subtype = wav.read_pcm16(path, layout), layout.sample_rate, "PCM_16"
    else:
        data, file_rate, subtype = _read_with_soundfile(path)

    try:
        # soundfile's own reader also accepts rates such as 0 Hz in other formats.
        wav.check_sample_rate(file_rate)
    except wav.WavHeaderError as error:
        kind = "WAV" if is_wav else "audio"
        raise AudioLoadError(path, f"is not a valid {kind} file: {error}. Re-export or "
                                   "download it again.") from None
    if data.shape[0] == 0:
        raise AudioLoadError(path, "contains no audio samples (0 frames). "
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
        AudioLoadError: the file is empty, has no frames, is corrupt, is a
            broken symbolic link, or its format (for example MP3 without a
            decoder) cannot be decoded. Also raised when the header declares a
            sample rate outside 1 Hz to 768 kHz or more than 1024 channels.
        ValueError: ``sample_rate`` is not a positive integer or None.

    Float files may hold NaN or infinite samples, which are replaced with 0,
    and huge values: a float file whose peak magnitude exceeds
    ``MAX_FLOAT_PEAK`` (1000, where full scale is 1.0) is divided by its peak.
    Both cases warn.
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
    _check_sample_rate_argument(sample_rate)
    file_size = _check_decodable(path)
    data, file_rate, subtype = _read(path, file_size)

    notes = []
    # Only float files can hold NaN, infinity or values far above full scale;
    # integer PCM cannot.
    if subtype in ("FLOAT", "DOUBLE"):
        data = _repair_float_samples(data, path, notes)

    if mono:
        data = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    if sample_rate is not None and int(sample_rate) != file_rate:
        data = resample(data, file_rate, int(sample_rate))
    waveform = data if mono else data.T
    return np.ascontiguousarray(waveform, dtype=np.float32), notes


def _check_sample_rate_argument(sample_rate):
    if sample_rate is None:
        return
    valid = (isinstance(sample_rate, numbers.Real) and not isinstance(sample_rate, bool)
             and math.isfinite(sample_rate) and float(sample_rate).is_integer()
             and sample_rate > 0)
    if not valid:
        raise ValueError(f"sample_rate must be a positive number of Hz or None, got {sample_rate!r}.")


def _repair_float_samples(data, path, notes):
    """Replace non-finite samples with 0 and scale a peak above MAX_FLOAT_PEAK down to 1.0."""
    if not np.all(np.isfinite(data)):
        bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
        notes.append(f"{path}: replaced {bad} NaN or infinite samples with 0.")
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(data)))
    if peak > MAX_FLOAT_PEAK:
        notes.append(f"{path}: peak sample magnitude {peak:.3g} exceeds {MAX_FLOAT_PEAK:g} "
                     "(full scale is 1.0); divided every sample by the peak.")
        data = (data / np.float32(peak)).astype(np.float32)
    return data


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
    """Return ``(waveform, None, warnings)`` or ``(None, reason, [])`` for one file.

    The reason is a predicate without the path, such as ``"is empty (0 bytes)."``.
    """
    try:
        waveform, notes = _load(path, sample_rate, mono)
        return waveform, None, notes
    except AudioLoadError as error:
        return None, error.reason, []
    except OSError as error:
        return None, f"cannot be read ({error.strerror or error}).", []


def _ignore_case(pattern):
    """Rewrite a glob pattern so its letters match either case: ``*.wav`` becomes ``*.[wW][aA][vV]``.

    Letters inside an existing ``[...]`` set are kept as written.
    """
    parts, in_set = [], False
    for char in pattern:
        if in_set or not char.isalpha() or char.lower() == char.upper():
            parts.append(char)
            in_set = (in_set or char == "[") and char != "]"
        else:
            parts.append(f"[{char.lower()}{char.upper()}]")
    return "".join(parts)


def _find_files(root, pattern):
    """Return the sorted non-folder paths under ``root`` that match ``pattern`` in any case.

    Broken symbolic links are included, so that the load skips them with a
    warning instead of leaving them out unannounced.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Audio folder not found: {root}")
    paths = sorted(path for path in root.glob(_ignore_case(pattern)) if not path.is_dir())
    if not paths:
        raise ValueError(f"No file in {root} matches the pattern {pattern!r} (letters match "
                         "either case). Check the folder and the pattern; use '**/*.wav' to "
                         "search subfolders.")
    return paths


def load_audio_folder(root, pattern="*.wav", sample_rate=8000, mono=True, length=None,
                      workers=None, progress=None):
    """Load every file in ``root`` that matches ``pattern``, skipping bad files.

    Each file that cannot be loaded (empty, no frames, corrupt, truncated,
    undecodable) gets one ``SkippedFileWarning`` that names it and the reason, and is listed in
    ``skipped``. Broken symbolic links count as bad files. Files load on a thread pool, because libsndfile and soxr release
    Python's GIL. Loads of more than ``PROGRESS_MIN_FILES`` files show a tqdm
    progress bar unless the ``CI`` environment variable is set.

    Args:
        root: the folder to search.
        pattern: a glob relative to ``root``; ``"**/*.wav"`` searches subfolders.
            Letters match either case, so ``"*.wav"`` also finds ``A.WAV``.
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
        ValueError: no file matches ``pattern``, ``sample_rate`` is None or not
            a positive integer, or ``length`` is not a positive integer.
    """
    from tqdm.auto import tqdm

    if sample_rate is None:
        raise ValueError("load_audio_folder needs a sample_rate in Hz, so that every clip "
                         "shares one rate; got None.")
    if length is not None and not mono:
        raise ValueError("length= needs mono=True, because stacked clips must share a shape.")
    _check_sample_rate_argument(sample_rate)
    if length is not None and (not isinstance(length, numbers.Integral)
                               or isinstance(length, bool) or length <= 0):
        raise ValueError(f"length must be a positive number of samples or None, got {length!r}.")
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
            warnings.warn(f"Skipped {path}, which {reason}", SkippedFileWarning, stacklevel=2)
            skipped.append((path, reason))
            continue
        waveforms.append(waveform)
        loaded.append(path)

    n_cut = 0
    if length is not None:
        n_cut = sum(len(waveform) > length for waveform in waveforms)
        waveforms = np.stack([pad_or_trim(w, length) for w in waveforms]) if waveforms \
            else np.zeros((0, length), dtype=np.float32)
    folder = AudioFolder(waveforms, loaded, sample_rate, skipped, n_cut)
    logger.info("%s: %s", root, folder.summary())
    return folder
