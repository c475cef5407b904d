"""The mel scale and the triangular mel filterbank, in NumPy.

Two mel scales are in common use, and both are implemented:

* Slaney's (the default in librosa and in the Auditory Toolbox, Slaney 1998):
  linear below 1 kHz at 3 mel per 200 Hz, logarithmic above.
* HTK's (Young et al., The HTK Book): ``mel = 2595 * log10(1 + f / 700)``.

``mel_filterbank`` gives the same matrix as ``librosa.filters.mel`` with the same
arguments, except that a filter that covers no FFT bin is an error here (librosa
only warns) because such a band is always zero and hides a bad setting.
"""

import functools

import numpy as np

from course_utils.features._checks import check_frequency_range, check_positive_int

# Slaney's scale: linear part slope and the start of the logarithmic part.
_SLANEY_HZ_PER_MEL = 200.0 / 3.0
_SLANEY_LOG_START_HZ = 1000.0
_SLANEY_LOG_START_MEL = _SLANEY_LOG_START_HZ / _SLANEY_HZ_PER_MEL
_SLANEY_LOG_STEP = np.log(6.4) / 27.0  # natural-log step per mel above 1 kHz


def hz_to_mel(frequencies, htk=False):
    """Convert frequencies in Hz to mel (Slaney's scale, or HTK's when ``htk``)."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + frequencies / 700.0)

    linear = frequencies / _SLANEY_HZ_PER_MEL
    # np.maximum keeps log() away from 0 Hz; those entries take the linear branch.
    logarithmic = _SLANEY_LOG_START_MEL + np.log(
        np.maximum(frequencies, _SLANEY_LOG_START_HZ) / _SLANEY_LOG_START_HZ
    ) / _SLANEY_LOG_STEP
    return np.where(frequencies >= _SLANEY_LOG_START_HZ, logarithmic, linear)


def mel_to_hz(mels, htk=False):
    """Convert mel values to Hz; the inverse of ``hz_to_mel`` with the same ``htk``."""
    mels = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)

    linear = mels * _SLANEY_HZ_PER_MEL
    logarithmic = _SLANEY_LOG_START_HZ * np.exp(_SLANEY_LOG_STEP * (mels - _SLANEY_LOG_START_MEL))
    return np.where(mels >= _SLANEY_LOG_START_MEL, logarithmic, linear)


def mel_frequencies(n_mels=128, fmin=0.0, fmax=11025.0, htk=False):
    """Return ``n_mels`` frequencies in Hz, evenly spaced on the mel scale from fmin to fmax."""
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def _triangles(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    """Return the (n_mels, 1 + n_fft // 2) float64 filterbank and the band edges in Hz."""
    fft_frequencies = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    # n_mels triangles need n_mels + 2 edges: filter i rises from edge i to i + 1
    # and falls to edge i + 2.
    edges = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    widths = np.diff(edges)
    distance = edges[:, np.newaxis] - fft_frequencies[np.newaxis, :]
    rising = -distance[:-2] / widths[:-1, np.newaxis]
    falling = distance[2:] / widths[1:, np.newaxis]
    weights = np.maximum(0.0, np.minimum(rising, falling))

    if norm == "slaney":
        # Divide each triangle by its width in Hz / 2, so every band has unit area
        # and a flat spectrum gives roughly equal energy in every band.
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, np.newaxis]
    return weights, edges


def _largest_valid_n_mels(sr, n_fft, n_mels, fmin, fmax, htk):
    """Return the largest count below ``n_mels`` whose filters all cover an FFT bin."""
    for candidate in range(n_mels - 1, 0, -1):
        weights, _ = _triangles(sr, n_fft, candidate, fmin, fmax, htk, None)
        if (weights.max(axis=1) > 0).all():
            return candidate
    return 0


@functools.lru_cache(maxsize=32)
def _cached_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype):
    weights, _ = _triangles(sr, n_fft, n_mels, fmin, fmax, htk, norm)
    empty = np.flatnonzero(weights.max(axis=1) <= 0)
    if empty.size:
        largest = _largest_valid_n_mels(sr, n_fft, n_mels, fmin, fmax, htk)
        listed_indices = ", ".join(str(i) for i in empty[:5]) + (", ..." if empty.size > 5 else "")
        raise ValueError(
            f"n_mels={n_mels} is too large for n_fft={n_fft} at sr={sr:g} between "
            f"fmin={fmin:g} and fmax={fmax:g} Hz: {empty.size} mel filter(s) ({listed_indices}) "
            f"contain no FFT bin. n_mels must be in [1, {largest}] for these settings; "
            "alternatively raise n_fft or widen the fmin..fmax range."
        )
    weights = weights.astype(dtype)
    weights.flags.writeable = False
    return weights


def mel_filterbank(sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney",
                   dtype=np.float32):
    """Build the triangular mel filterbank that maps an FFT power spectrum to mel bands.

    Args:
        sr: sample rate in Hz.
        n_fft: FFT length in samples; the spectrum has ``1 + n_fft // 2`` bins.
        n_mels: number of mel bands.
        fmin: lowest band edge in Hz.
        fmax: highest band edge in Hz, at most ``sr / 2``; None means ``sr / 2``.
        htk: use the HTK mel scale instead of Slaney's.
        norm: ``"slaney"`` scales each triangle to unit area (divides by half its
            width in Hz); None keeps a peak height of 1.
        dtype: floating dtype of the result.

    Returns:
        Array (n_mels, 1 + n_fft // 2): row ``m`` contains the weights of band ``m``.
        Equal to ``librosa.filters.mel`` with the same arguments.

    Raises:
        ValueError: for an invalid argument, or when a filter covers no FFT bin
            (the message gives the largest n_mels that works).
    """
    n_fft = check_positive_int(n_fft, "n_fft")
    n_mels = check_positive_int(n_mels, "n_mels")
    fmax = check_frequency_range(sr, fmin, fmax)
    if norm not in ("slaney", None):
        raise ValueError(f"norm={norm!r} is invalid; norm must be 'slaney' or None.")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype={dtype} is invalid; dtype must be float32 or float64.")

    weights = _cached_filterbank(float(sr), n_fft, n_mels, float(fmin), fmax, bool(htk),
                                 norm, dtype)
    return weights.copy()
