"""Frame-wise operations on feature sequences: deltas and per-utterance normalisation.

These work on any features laid out (..., n_features, n_frames), such as the
log-mel spectrogram or the MFCCs from ``course_utils.features.audio``.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_utils.features._checks import check_finite, check_positive_int


def deltas(data, width=9, order=1, axis=-1):
    """Estimate the ``order``-th time derivative of features, like ``librosa.feature.delta``.

    Each output value is the derivative of a polynomial of degree ``order`` fitted
    by least squares to the ``width`` values around it (a Savitzky-Golay filter).
    In the first and last ``width // 2`` frames the window cannot be centred, so
    they take the value of the nearest full window, which is what
    ``scipy.signal.savgol_filter(mode="interp")`` gives when the polynomial degree
    equals the derivative order.

    Args:
        data: array (..., n_frames) of features.
        width: odd window length in frames, >= 3 and <= n_frames.
        order: derivative order (1 for delta, 2 for delta-delta), < width.
        axis: the time axis.

    Returns:
        Array of the same shape as ``data``.
    """
    data = np.moveaxis(np.asarray(data), axis, -1)
    if not np.issubdtype(data.dtype, np.floating):
        data = data.astype(np.float64)
    check_finite(data, "data")
    width = check_positive_int(width, "width")
    order = check_positive_int(order, "order")
    n_frames = data.shape[-1]
    if width < 3 or width % 2 == 0 or width > n_frames:
        raise ValueError(f"width={width} is invalid; width must be an odd integer in "
                         f"[3, {n_frames}] (n_frames along axis {axis}).")
    if order >= width:
        raise ValueError(f"order={order} is out of range; order must be in [1, {width - 1}] "
                         f"for width={width}.")

    half = width // 2
    positions = np.arange(-half, half + 1, dtype=np.float64)
    vandermonde = positions[:, np.newaxis] ** np.arange(order + 1)
    # Row `order` of the pseudo-inverse gives the polynomial's order-th coefficient;
    # its derivative at 0 is that coefficient times order!.
    coefficients = np.prod(np.arange(1, order + 1)) * np.linalg.pinv(vandermonde)[order]

    windows = sliding_window_view(data, width, axis=-1)
    inner = windows @ coefficients.astype(data.dtype)
    result = np.concatenate(
        [np.repeat(inner[..., :1], half, axis=-1), inner,
         np.repeat(inner[..., -1:], half, axis=-1)], axis=-1)
    return np.moveaxis(result, -1, axis)


def normalize_utterance(features, axis=-1, variance=True, eps=1e-10):
    """Subtract each feature's mean over time and, if ``variance``, divide by its std.

    Args:
        features: array (..., n_features, n_frames) for one or more utterances.
        axis: the time axis; statistics are computed per utterance and per feature.
        variance: also scale to unit variance (cepstral mean and variance
            normalisation); False only removes the mean.
        eps: lower bound on the standard deviation, so a constant feature maps to 0.

    Returns:
        float array of the same shape.
    """
    features = np.asarray(features)
    if not np.issubdtype(features.dtype, np.floating):
        features = features.astype(np.float64)
    check_finite(features, "features")
    centred = features - features.mean(axis=axis, keepdims=True)
    if not variance:
        return centred
    std = features.std(axis=axis, keepdims=True)
    return centred / np.maximum(std, features.dtype.type(eps))
