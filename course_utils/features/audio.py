"""Audio features written from scratch in NumPy: frames, STFT, log-mel and MFCC.

Each function takes librosa's parameter names (``sr``, ``n_fft``, ``hop_length``,
``win_length``, ``n_mels``, ``fmin``, ``fmax``, ``center``) and returns what the
librosa 0.11 function of the same job returns for the same arguments, within
float32 rounding. The tests in ``tests/test_features_audio.py`` check that.

Every function accepts a batch: ``y`` has shape (..., n_samples) and the leading
axes are kept. Frames are strided views (``sliding_window_view``) and the FFT,
mel projection and DCT run once over the whole batch, with no Python loop over
frames or clips.

References: Slaney, "Auditory Toolbox" (1998) for the mel scale and filter
areas; Davis and Mermelstein (1980) for MFCC; Furui (1986) for delta features.
"""

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_utils.features._checks import (
    check_finite,
    check_positive_int,
    check_signal,
)
from course_utils.features.mel import hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz
from course_utils.features.temporal import deltas, normalize_utterance

__all__ = [
    "frame", "get_window", "stft", "power_spectrogram", "magnitude_spectrogram",
    "hz_to_mel", "mel_to_hz", "mel_frequencies", "mel_filterbank", "power_to_db",
    "mel_spectrogram", "log_mel_spectrogram", "dct_matrix", "mfcc", "deltas",
    "normalize_utterance",
]

WINDOWS = ("hann", "hamming")
PAD_MODES = ("constant", "reflect", "edge")


def frame(y, frame_length, hop_length):
    """Slice the last axis of ``y`` into overlapping frames, without copying.

    Args:
        y: array (..., n_samples).
        frame_length: samples per frame.
        hop_length: samples between the starts of consecutive frames.

    Returns:
        Read-only view (..., frame_length, n_frames) with
        ``n_frames = 1 + (n_samples - frame_length) // hop_length``, like
        ``librosa.util.frame(y, frame_length=..., hop_length=...)``.
    """
    return _frames_last(y, frame_length, hop_length).swapaxes(-1, -2)


def _frames_last(y, frame_length, hop_length):
    """Return the frames as a view (..., n_frames, frame_length)."""
    frame_length = check_positive_int(frame_length, "frame_length")
    hop_length = check_positive_int(hop_length, "hop_length")
    n_samples = y.shape[-1]
    if frame_length > n_samples:
        raise ValueError(
            f"frame_length={frame_length} is larger than the signal (n_samples={n_samples}); "
            f"frame_length must be in [1, {n_samples}]."
        )
    # All windows with step 1, then every hop_length-th one: still a view.
    return sliding_window_view(y, frame_length, axis=-1)[..., ::hop_length, :]


@functools.lru_cache(maxsize=32)
def _cached_window(window, win_length, n_fft):
    # Periodic (DFT-even) windows, as scipy.signal.get_window(..., fftbins=True)
    # builds them for spectral analysis: the period is win_length, not win_length - 1.
    phase = 2.0 * np.pi * np.arange(win_length) / win_length
    alpha = 0.5 if window == "hann" else 0.54
    values = alpha - (1.0 - alpha) * np.cos(phase)
    if win_length == 1:
        values = np.ones(1)  # scipy's convention; a one-sample taper would be all zero
    # A window shorter than the FFT sits in the middle of n_fft zeros.
    padded = np.zeros(n_fft)
    start = (n_fft - win_length) // 2
    padded[start:start + win_length] = values
    padded.flags.writeable = False
    return padded


def get_window(window, win_length, n_fft=None):
    """Return a periodic analysis window, zero-padded to ``n_fft`` samples.

    Args:
        window: ``"hann"``, ``"hamming"`` or an array of ``win_length`` values.
        win_length: window length in samples.
        n_fft: total length; the window is centred in it. None means ``win_length``.

    Returns:
        float64 array (n_fft,). For a name, equal to
        ``scipy.signal.get_window(window, win_length, fftbins=True)`` padded.
    """
    win_length = check_positive_int(win_length, "win_length")
    n_fft = win_length if n_fft is None else check_positive_int(n_fft, "n_fft")
    if win_length > n_fft:
        raise ValueError(
            f"win_length={win_length} is larger than n_fft={n_fft}; win_length must be "
            f"in [1, {n_fft}]."
        )
    if isinstance(window, str):
        if window not in WINDOWS:
            raise ValueError(f"window={window!r} is invalid; window must be one of {WINDOWS} "
                             "or an array of win_length values.")
        return _cached_window(window, win_length, n_fft).copy()

    values = np.asarray(window, dtype=np.float64)
    if values.shape != (win_length,):
        raise ValueError(f"window has shape {values.shape}; an array window must have shape "
                         f"(win_length,) = ({win_length},).")
    padded = np.zeros(n_fft)
    start = (n_fft - win_length) // 2
    padded[start:start + win_length] = values
    return padded


def _window_for(window, win_length, n_fft):
    # The cached array is shared and read-only; get_window returns a fresh copy.
    if isinstance(window, str) and window in WINDOWS and 0 < win_length <= n_fft:
        return _cached_window(window, check_positive_int(win_length, "win_length"), n_fft)
    return get_window(window, win_length, n_fft)


def _spectrum_frames_last(y, n_fft, hop_length, win_length, window, center, pad_mode):
    """Return the complex STFT laid out (..., n_frames, 1 + n_fft // 2)."""
    y = check_signal(y)
    n_fft = check_positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else win_length
    hop_length = (check_positive_int(win_length, "win_length") // 4 if hop_length is None
                  else hop_length)
    hop_length = check_positive_int(hop_length, "hop_length")
    fft_window = _window_for(window, win_length, n_fft).astype(y.dtype)

    if center:
        if pad_mode not in PAD_MODES:
            raise ValueError(f"pad_mode={pad_mode!r} is invalid; pad_mode must be one of "
                             f"{PAD_MODES}.")
        # Pad n_fft // 2 on both sides so frame t is centred on sample t * hop_length.
        padding = [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        if pad_mode == "reflect" and y.shape[-1] <= n_fft // 2:
            raise ValueError(
                f"pad_mode='reflect' needs n_samples > n_fft // 2 = {n_fft // 2}, got "
                f"n_samples={y.shape[-1]}; use pad_mode='constant' or a smaller n_fft."
            )
        y = np.pad(y, padding, mode=pad_mode)
    elif n_fft > y.shape[-1]:
        raise ValueError(
            f"n_fft={n_fft} is larger than the signal (n_samples={y.shape[-1]}) with "
            f"center=False; n_fft must be in [1, {y.shape[-1]}]. Pass center=True to pad "
            "the signal, or use a smaller n_fft."
        )

    frames = _frames_last(y, n_fft, hop_length)
    # The product makes one contiguous (..., n_frames, n_fft) copy, so rfft reads
    # memory in order along its own axis.
    return np.fft.rfft(frames * fft_window, axis=-1)


def stft(y, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True,
         pad_mode="constant"):
    """Compute the short-time Fourier transform of ``y``.

    Args:
        y: float32 or float64 signal (..., n_samples).
        n_fft: FFT length in samples.
        hop_length: samples between frames; None means ``win_length // 4``.
        win_length: window length in samples (<= n_fft); None means ``n_fft``.
        window: ``"hann"``, ``"hamming"`` or an array of ``win_length`` values.
        center: pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred
            on sample ``t * hop_length``.
        pad_mode: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``, used when center.

    Returns:
        complex64 (for float32 input) or complex128 array
        (..., 1 + n_fft // 2, n_frames), equal to ``librosa.stft`` with the same
        arguments.

    Raises:
        ValueError: for a bad signal (dtype, shape, NaN) or parameter.
    """
    spectrum = _spectrum_frames_last(y, n_fft, hop_length, win_length, window, center,
                                     pad_mode)
    return spectrum.swapaxes(-1, -2)


def power_spectrogram(y, n_fft=2048, hop_length=None, win_length=None, window="hann",
                      center=True, pad_mode="constant"):
    """Return ``|stft(y)|**2``, shape (..., 1 + n_fft // 2, n_frames), real."""
    spectrum = stft(y, n_fft, hop_length, win_length, window, center, pad_mode)
    return spectrum.real ** 2 + spectrum.imag ** 2


def magnitude_spectrogram(y, n_fft=2048, hop_length=None, win_length=None, window="hann",
                          center=True, pad_mode="constant"):
    """Return ``|stft(y)|``, shape (..., 1 + n_fft // 2, n_frames), real."""
    return np.abs(stft(y, n_fft, hop_length, win_length, window, center, pad_mode))


def power_to_db(power, amin=1e-10, top_db=None):
    """Convert a power spectrogram to decibels: ``10 * log10(max(power, amin))``.

    Args:
        power: non-negative array (..., n_bins, n_frames).
        amin: floor on the power, so silence gives ``10 * log10(amin)`` dB and not
            ``-inf``; must be > 0.
        top_db: if set, values more than ``top_db`` dB below the utterance's
            maximum are raised to that level. The maximum is taken per utterance,
            over the last two axes. For one utterance this equals librosa's
            ``power_to_db``, but on a batch librosa takes one maximum over all of it.

    Returns:
        Array like ``power`` in dB relative to a power of 1.0.
    """
    if not amin > 0:
        raise ValueError(f"amin={amin!r} is invalid; amin must be > 0.")
    log_power = 10.0 * np.log10(np.maximum(power, power.dtype.type(amin)))
    if top_db is not None:
        if not top_db >= 0:
            raise ValueError(f"top_db={top_db!r} is invalid; top_db must be >= 0 or None.")
        peak = log_power.max(axis=(-2, -1), keepdims=True)
        log_power = np.maximum(log_power, peak - top_db)
    return log_power


def _mel_frames_last(y, sr, n_fft, hop_length, n_mels, fmin, fmax, center, win_length,
                     window, pad_mode, htk, norm):
    """Return the mel power spectrogram laid out (..., n_frames, n_mels)."""
    spectrum = _spectrum_frames_last(y, n_fft, hop_length, win_length, window, center,
                                     pad_mode)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    weights = mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype=power.dtype)
    # One matrix product for every frame of every clip: (..., T, F) @ (F, n_mels).
    return power @ weights.T


def mel_spectrogram(y, sr=22050, n_fft=2048, hop_length=None, n_mels=128, fmin=0.0,
                    fmax=None, center=True, *, win_length=None, window="hann",
                    pad_mode="constant", htk=False, norm="slaney"):
    """Compute the mel power spectrogram, shape (..., n_mels, n_frames).

    Equal to ``librosa.feature.melspectrogram`` (power=2) with the same arguments.
    See ``stft`` and ``mel_filterbank`` for the arguments.
    """
    mel = _mel_frames_last(y, sr, n_fft, hop_length, n_mels, fmin, fmax, center,
                           win_length, window, pad_mode, htk, norm)
    return mel.swapaxes(-1, -2)


def log_mel_spectrogram(y, sr=22050, n_fft=2048, hop_length=None, n_mels=128, fmin=0.0,
                        fmax=None, center=True, top_db=None, amin=1e-10, *,
                        win_length=None, window="hann", pad_mode="constant", htk=False,
                        norm="slaney"):
    """Compute the log-mel spectrogram in dB, ``10 * log10(max(mel power, amin))``.

    Args:
        y: float32 or float64 signal (..., n_samples).
        sr: sample rate in Hz.
        n_fft, hop_length, win_length, window, center, pad_mode: as in ``stft``.
        n_mels, fmin, fmax, htk, norm: as in ``mel_filterbank``.
        top_db: per-utterance dynamic range limit in dB, or None for no limit.
        amin: power floor, so a silent clip gives ``10 * log10(amin)`` dB
            (-100 dB by default) and never ``-inf``.

    Returns:
        Array (..., n_mels, n_frames), float32 for float32 input. Equal to
        ``librosa.power_to_db(librosa.feature.melspectrogram(...), ref=1.0,
        amin=amin, top_db=top_db)`` for one clip.
    """
    mel = _mel_frames_last(y, sr, n_fft, hop_length, n_mels, fmin, fmax, center,
                           win_length, window, pad_mode, htk, norm)
    return power_to_db(mel, amin=amin, top_db=top_db).swapaxes(-1, -2)


@functools.lru_cache(maxsize=32)
def _cached_dct(n_out, n_in, dtype):
    k = np.arange(n_out)[:, np.newaxis]
    n = np.arange(n_in)[np.newaxis, :]
    basis = np.sqrt(2.0 / n_in) * np.cos(np.pi * k * (2 * n + 1) / (2 * n_in))
    # The orthonormal DCT-II scales the constant (k = 0) row by 1 / sqrt(2).
    basis[0] /= np.sqrt(2.0)
    basis = basis.astype(dtype)
    basis.flags.writeable = False
    return basis


def dct_matrix(n_out, n_in, dtype=np.float64):
    """Return the first ``n_out`` rows of the orthonormal DCT-II matrix of size ``n_in``.

    ``dct_matrix(n, n) @ x`` equals ``scipy.fft.dct(x, type=2, norm="ortho", axis=0)``.
    """
    n_in = check_positive_int(n_in, "n_in")
    n_out = check_positive_int(n_out, "n_out")
    if n_out > n_in:
        raise ValueError(f"n_out={n_out} is out of range; n_out must be in [1, {n_in}] "
                         f"(the input size n_in).")
    return _cached_dct(n_out, n_in, np.dtype(dtype)).copy()


def mfcc(y=None, sr=22050, S=None, n_mfcc=20, n_fft=2048, hop_length=None, n_mels=128,
         fmin=0.0, fmax=None, center=True, top_db=80.0, amin=1e-10, lifter=0, *,
         win_length=None, window="hann", pad_mode="constant", htk=False):
    """Compute mel-frequency cepstral coefficients, shape (..., n_mfcc, n_frames).

    The MFCCs are the orthonormal DCT-II of the log-mel spectrogram along the mel
    axis, keeping the first ``n_mfcc`` coefficients.

    Args:
        y: float32 or float64 signal (..., n_samples), or None when S is given.
        sr: sample rate in Hz.
        S: a log-mel spectrogram in dB (..., n_mels, n_frames) to use instead of y.
        n_mfcc: number of coefficients, at most n_mels.
        top_db, amin: passed to ``power_to_db``. The default top_db=80 matches
            ``librosa.feature.mfcc``.
        lifter: if > 0, scale coefficient k by ``1 + lifter / 2 * sin(pi * (k + 1) / lifter)``.
        Other arguments: as in ``log_mel_spectrogram``.

    Returns:
        Array (..., n_mfcc, n_frames), equal to ``librosa.feature.mfcc`` with the
        same arguments for one clip.
    """
    if S is None:
        if y is None:
            raise ValueError("y=None and S=None; pass a signal y or a log-mel spectrogram S.")
        log_mel = _mel_frames_last(y, sr, n_fft, hop_length, n_mels, fmin, fmax, center,
                                   win_length, window, pad_mode, htk, "slaney")
        log_mel = power_to_db(log_mel, amin=amin, top_db=top_db)
    else:
        log_mel = np.asarray(S).swapaxes(-1, -2)
        check_finite(log_mel, "S")

    n_mels = log_mel.shape[-1]
    n_mfcc = check_positive_int(n_mfcc, "n_mfcc")
    if n_mfcc > n_mels:
        raise ValueError(f"n_mfcc={n_mfcc} is out of range; n_mfcc must be in [1, {n_mels}] "
                         f"(n_mels).")
    basis = _cached_dct(n_mfcc, n_mels, np.dtype(log_mel.dtype))
    coefficients = (log_mel @ basis.T).swapaxes(-1, -2)

    if lifter > 0:
        k = np.arange(1, n_mfcc + 1)
        weights = 1.0 + (lifter / 2.0) * np.sin(np.pi * k / lifter)
        coefficients = coefficients * weights.astype(coefficients.dtype)[:, np.newaxis]
    elif lifter < 0:
        raise ValueError(f"lifter={lifter!r} is invalid; lifter must be >= 0.")
    return coefficients

