"""Edit and augment waveforms: padding, trimming, noise, time shift and gain.

Every function takes a float waveform ``y`` of shape ``(..., n_samples)`` and
returns a new float32 array; the input is never changed in place. Lengths and
shifts given in samples say so in their names; levels are in decibels (dB).
"""

import librosa
import numpy as np


def pad_or_trim(y, length, mode="end"):
    """Zero-pad or cut ``y`` along its last axis to exactly ``length`` samples.

    Args:
        y: waveform ``(..., n_samples)``.
        length: the output length in samples (for example 8000 for 1 s at 8 kHz).
        mode: ``"end"`` pads or cuts at the end; ``"center"`` splits the
            padding or the cut between both ends, with the odd sample at the end.

    Returns:
        float32 array ``(..., length)``.
    """
    if int(length) != length or length < 0:
        raise ValueError(f"length must be a non-negative number of samples, got {length!r}.")
    if mode not in ("end", "center"):
        raise ValueError(f"mode must be 'end' or 'center', got {mode!r}.")
    y = np.asarray(y, dtype=np.float32)
    length = int(length)
    difference = length - y.shape[-1]

    if difference >= 0:
        before = difference // 2 if mode == "center" else 0
        widths = [(0, 0)] * (y.ndim - 1) + [(before, difference - before)]
        return np.pad(y, widths)
    start = -difference // 2 if mode == "center" else 0
    return np.ascontiguousarray(y[..., start:start + length])


def trim_silence(y, top_db=40.0, margin_samples=0, frame_length=512, hop_length=128):
    """Cut leading and trailing parts quieter than ``top_db`` below the peak.

    Uses ``librosa.effects.trim`` (frame RMS compared with the loudest frame).
    A clip that is all silence (every sample 0) comes back unchanged rather
    than empty, so later feature code never sees a zero-length clip.

    Args:
        y: mono waveform ``(n_samples,)``.
        top_db: threshold in dB below the loudest frame.
        margin_samples: samples of context kept on each side of the cut.
        frame_length: analysis frame in samples.
        hop_length: step between frames in samples.

    Returns:
        float32 array ``(n_kept,)``.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"trim_silence expects a mono waveform (n_samples,), got shape {y.shape}.")
    if not np.any(y):
        return y.copy()
    _, (start, end) = librosa.effects.trim(y, top_db=top_db, frame_length=frame_length,
                                           hop_length=hop_length)
    start = max(0, start - int(margin_samples))
    end = min(len(y), end + int(margin_samples))
    return y[start:end].copy()


def add_noise(y, snr_db, seed=None):
    """Add white Gaussian noise at a signal-to-noise ratio of ``snr_db`` decibels.

    The noise power is the mean power of ``y`` divided by ``10 ** (snr_db / 10)``.
    A silent ``y`` (power 0) is returned unchanged, because no SNR is defined.

    Args:
        y: waveform ``(..., n_samples)``.
        snr_db: signal-to-noise ratio in dB; lower means noisier (20 dB is light).
        seed: an int or ``np.random.Generator``, for reproducible noise.

    Returns:
        float32 array with the shape of ``y``.
    """
    y = np.asarray(y, dtype=np.float32)
    signal_power = float(np.mean(np.square(y, dtype=np.float64))) if y.size else 0.0
    if signal_power == 0.0:
        return y.copy()
    rng = np.random.default_rng(seed)
    noise_power = signal_power / 10 ** (snr_db / 10)
    noise = rng.normal(0.0, np.sqrt(noise_power), size=y.shape)
    return (y + noise).astype(np.float32)


def time_shift(y, shift_seconds, sample_rate, wrap=False):
    """Delay (positive) or advance (negative) ``y`` by ``shift_seconds``.

    Args:
        y: waveform ``(..., n_samples)``.
        shift_seconds: the shift in seconds; it is rounded to whole samples.
        sample_rate: the sample rate of ``y`` in Hz.
        wrap: if True, samples pushed off one end re-enter at the other
            (``np.roll``); if False, the gap is filled with zeros.

    Returns:
        float32 array with the shape of ``y``.
    """
    y = np.asarray(y, dtype=np.float32)
    shift = int(round(shift_seconds * sample_rate))
    if wrap:
        return np.roll(y, shift, axis=-1)

    shifted = np.zeros_like(y)
    n_samples = y.shape[-1]
    if abs(shift) >= n_samples:
        return shifted
    if shift >= 0:
        shifted[..., shift:] = y[..., :n_samples - shift]
    else:
        shifted[..., :shift] = y[..., -shift:]
    return shifted


def apply_gain(y, gain_db, clip=True):
    """Scale ``y`` by ``gain_db`` decibels (+6 dB roughly doubles the amplitude).

    Args:
        y: waveform ``(..., n_samples)``.
        gain_db: gain in dB; the amplitude factor is ``10 ** (gain_db / 20)``.
        clip: if True, limit the result to [-1, 1] as a 16-bit file would.

    Returns:
        float32 array with the shape of ``y``.
    """
    scaled = np.asarray(y, dtype=np.float32) * np.float32(10 ** (gain_db / 20))
    return np.clip(scaled, -1.0, 1.0) if clip else scaled
