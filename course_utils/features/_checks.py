"""Input checks shared by the feature functions.

Each check raises ValueError with a message that names the parameter, the value
received and the allowed range, so a learner can fix the call from the message
alone.
"""

import numpy as np


def check_signal(y, name="y"):
    """Return ``y`` as a floating-point array of shape (..., n_samples), or raise.

    Raises:
        ValueError: for a non-floating dtype, a 0-d or empty array, or a NaN or
            infinite sample.
    """
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise ValueError(
            f"{name} must be a floating-point array (float32 or float64), got dtype "
            f"{y.dtype}. Convert integer PCM first, for example "
            f"{name}.astype(np.float32) / 32768 for 16-bit samples."
        )
    if y.ndim == 0 or y.shape[-1] == 0:
        raise ValueError(
            f"{name} must have shape (..., n_samples) with n_samples >= 1, got shape "
            f"{y.shape}."
        )
    check_finite(y, name)
    return y


def check_finite(x, name):
    """Raise ValueError if ``x`` contains a NaN or an infinite value."""
    bad = ~np.isfinite(x)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf), the "
            f"first at index {first}; every value must be finite. Clean the input, "
            f"for example with np.nan_to_num({name})."
        )


def check_positive_int(value, name):
    """Return ``value`` as an int, or raise unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} is invalid; {name} must be an integer >= 1.")
    return int(value)


def check_frequency_range(sr, fmin, fmax):
    """Return ``fmax`` (``sr / 2`` when None) after checking 0 <= fmin < fmax <= sr / 2."""
    if not np.isfinite(sr) or sr <= 0:
        raise ValueError(f"sr={sr!r} is invalid; sr must be a sample rate in Hz > 0.")
    nyquist = sr / 2.0
    if fmax is None:
        fmax = nyquist
    if not 0.0 <= fmin < nyquist:
        raise ValueError(
            f"fmin={fmin!r} is out of range; fmin must be in [0, sr/2) = [0, {nyquist:g}) Hz."
        )
    if not fmin < fmax <= nyquist:
        raise ValueError(
            f"fmax={fmax!r} is out of range; fmax must be in (fmin, sr/2] = "
            f"({fmin:g}, {nyquist:g}] Hz for sr={sr:g}."
        )
    return float(fmax)
