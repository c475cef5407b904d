"""Image features written from scratch in NumPy: filtering, gradients, HOG, histograms.

``correlate2d`` and ``conv2d`` build every output pixel from a strided view of
the input (``sliding_window_view``), which is what a convolution layer computes
before it learns its kernels. ``sobel`` matches ``scipy.ndimage.sobel`` and
``correlate2d``/``convolve2d`` match ``scipy.ndimage.correlate``/``convolve``
for odd kernel sizes.

Images are laid out (height, width) or (..., height, width) for one channel
and (..., height, width, channels) for colour, as Keras expects.

Reference: Dalal and Triggs, "Histograms of Oriented Gradients for Human
Detection" (CVPR 2005), for the HOG descriptor.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_utils.features._checks import check_finite, check_positive_int

__all__ = [
    "channel_statistics", "normalize_channels", "correlate2d", "convolve2d", "conv2d",
    "sobel", "gradient_magnitude_orientation", "hog", "intensity_histogram",
    "colour_histogram",
]

# scipy.ndimage boundary modes and the np.pad mode that gives the same border.
BOUNDARY_MODES = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge",
                  "wrap": "wrap", "constant": "constant"}
HOG_BLOCK_NORMS = ("L1", "L2", "L2-Hys")


def _check_image(image, name="image", min_ndim=2):
    image = np.asarray(image)
    if image.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape "
                         f"{image.shape}.")
    if not (np.issubdtype(image.dtype, np.floating) or np.issubdtype(image.dtype, np.integer)):
        raise ValueError(f"{name} must be a numeric array, got dtype {image.dtype}.")
    image = image.astype(np.result_type(image.dtype, np.float32), copy=False)
    check_finite(image, name)
    return image


def channel_statistics(images):
    """Return the per-channel mean and standard deviation of (..., height, width, channels)."""
    images = _check_image(images, "images", min_ndim=3)
    axes = tuple(range(images.ndim - 1))
    return images.mean(axis=axes), images.std(axis=axes)


def normalize_channels(images, mean=None, std=None, eps=1e-7):
    """Subtract each channel's mean and divide by its standard deviation.

    Args:
        images: array (..., height, width, channels).
        mean, std: per-channel statistics (channels,). None computes them from
            ``images``; pass the training set's statistics to normalise test data.
        eps: lower bound on ``std``, so a constant channel maps to 0.

    Returns:
        float array of the same shape, with mean 0 and standard deviation 1 per
        channel when the statistics come from ``images`` itself.
    """
    images = _check_image(images, "images", min_ndim=3)
    if mean is None or std is None:
        mean, std = channel_statistics(images)
    mean = np.asarray(mean, dtype=images.dtype)
    std = np.asarray(std, dtype=images.dtype)
    channels = images.shape[-1]
    for name, value in (("mean", mean), ("std", std)):
        if value.shape not in ((channels,), ()):
            raise ValueError(f"{name} has shape {value.shape}; it must have shape (channels,) "
                             f"= ({channels},) or be a scalar.")
    return (images - mean) / np.maximum(std, images.dtype.type(eps))


def _pad(image, before, after, mode, cval):
    if mode not in BOUNDARY_MODES:
        raise ValueError(f"mode={mode!r} is invalid; mode must be one of "
                         f"{tuple(BOUNDARY_MODES)} (scipy.ndimage's names).")
    padding = [(0, 0)] * (image.ndim - 2) + [(before[0], after[0]), (before[1], after[1])]
    if mode == "constant":
        return np.pad(image, padding, mode="constant", constant_values=cval)
    return np.pad(image, padding, mode=BOUNDARY_MODES[mode])


def correlate2d(image, kernel, mode="reflect", cval=0.0):
    """Cross-correlate the last two axes of ``image`` with ``kernel``, keeping the size.

    ``out[i, j] = sum over (a, b) of kernel[a, b] * image[i + a - kh // 2, j + b - kw // 2]``,
    with the border extended by ``mode`` (scipy.ndimage's names: ``"reflect"``,
    ``"mirror"``, ``"nearest"``, ``"wrap"``, ``"constant"``).

    Args:
        image: array (..., height, width).
        kernel: array (kh, kw).
        mode: how to extend the image beyond its border.
        cval: fill value for ``mode="constant"``.

    Returns:
        Array (..., height, width); equal to ``scipy.ndimage.correlate`` on each
        image with the same mode.
    """
    image = _check_image(image)
    kernel = np.asarray(kernel, dtype=image.dtype)
    if kernel.ndim != 2 or 0 in kernel.shape:
        raise ValueError(f"kernel must have shape (kh, kw) with kh, kw >= 1, got shape "
                         f"{kernel.shape}.")
    before = (kernel.shape[0] // 2, kernel.shape[1] // 2)
    after = (kernel.shape[0] - 1 - before[0], kernel.shape[1] - 1 - before[1])
    padded = _pad(image, before, after, mode, cval)
    # windows[..., i, j, a, b] is padded[..., i + a, j + b]: a view, no copy.
    windows = sliding_window_view(padded, kernel.shape, axis=(-2, -1))
    return np.einsum("...ijab,ab->...ij", windows, kernel)


def convolve2d(image, kernel, mode="reflect", cval=0.0):
    """Convolve: correlate with the kernel flipped in both axes (odd kernel sizes).

    Equal to ``scipy.ndimage.convolve`` for odd kernel sizes. For an even size,
    scipy shifts the centre by one pixel, so the results differ.
    """
    kernel = np.asarray(kernel)
    return correlate2d(image, kernel[::-1, ::-1], mode=mode, cval=cval)


def _same_padding(size, kernel_size, stride):
    """Return (before, after) padding for TensorFlow's ``padding="same"``."""
    output = -(-size // stride)
    total = max((output - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


def conv2d(inputs, kernels, bias=None, strides=1, padding="valid"):
    """Compute what a Keras ``Conv2D`` layer computes (before its activation).

    Args:
        inputs: array (batch, height, width, in_channels).
        kernels: array (kh, kw, in_channels, filters), Keras' kernel layout.
        bias: array (filters,) or None.
        strides: step between windows in pixels, an int or (step_y, step_x).
        padding: ``"valid"`` (no padding) or ``"same"`` (zero padding so the
            output has ``ceil(size / stride)`` pixels, split as TensorFlow does).

    Returns:
        Array (batch, out_height, out_width, filters), equal to
        ``tf.nn.conv2d(inputs, kernels, strides, padding.upper()) + bias``.
    """
    inputs = _check_image(inputs, "inputs", min_ndim=4)
    kernels = np.asarray(kernels, dtype=inputs.dtype)
    if kernels.ndim != 4 or kernels.shape[2] != inputs.shape[-1]:
        raise ValueError(f"kernels has shape {kernels.shape}; it must be (kh, kw, in_channels, "
                         f"filters) with in_channels = {inputs.shape[-1]}.")
    step_y, step_x = (strides, strides) if np.isscalar(strides) else strides
    step_y = check_positive_int(step_y, "strides")
    step_x = check_positive_int(step_x, "strides")
    kh, kw = kernels.shape[:2]

    if padding == "same":
        top, bottom = _same_padding(inputs.shape[1], kh, step_y)
        left, right = _same_padding(inputs.shape[2], kw, step_x)
        inputs = np.pad(inputs, [(0, 0), (top, bottom), (left, right), (0, 0)])
    elif padding != "valid":
        raise ValueError(f"padding={padding!r} is invalid; padding must be 'valid' or 'same'.")
    if inputs.shape[1] < kh or inputs.shape[2] < kw:
        raise ValueError(f"inputs of {inputs.shape[1]}x{inputs.shape[2]} pixels are smaller "
                         f"than the {kh}x{kw} kernel; use padding='same' or a smaller kernel.")

    # (batch, out_y, out_x, in_channels, kh, kw): one window per output pixel.
    windows = sliding_window_view(inputs, (kh, kw), axis=(1, 2))[:, ::step_y, ::step_x]
    outputs = np.einsum("byxcij,ijcf->byxf", windows, kernels, optimize=True)
    if bias is not None:
        outputs = outputs + np.asarray(bias, dtype=outputs.dtype)
    return outputs


def sobel(image, mode="reflect"):
    """Return the Sobel derivatives (gx, gy) of the last two axes of ``image``.

    ``gx`` is the derivative along the width (x, columns) and is positive where
    the image gets brighter to the right. ``gy`` is the derivative along the
    height (y, rows) and is positive where it gets brighter downwards. Each is a
    [-1, 0, 1] difference smoothed by [1, 2, 1] across it, and equals
    ``scipy.ndimage.sobel`` along that axis.
    """
    difference = np.array([-1.0, 0.0, 1.0])
    smoothing = np.array([1.0, 2.0, 1.0])
    gx = correlate2d(image, np.outer(smoothing, difference), mode=mode)
    gy = correlate2d(image, np.outer(difference, smoothing), mode=mode)
    return gx, gy


def gradient_magnitude_orientation(gx, gy, signed=False):
    """Return the gradient magnitude and orientation in degrees.

    Orientation is measured from the x axis towards the y axis, which points
    down the rows. It lies in [0, 360) when ``signed``. Otherwise it lies in
    [0, 180), because a gradient and its opposite then count as one direction:
    an edge from dark to light looks like one from light to dark.
    """
    magnitude = np.hypot(gx, gy)
    orientation = np.degrees(np.arctan2(gy, gx)) % (360.0 if signed else 180.0)
    return magnitude, orientation


def _orientation_votes(magnitude, orientation, orientations, signed):
    """Split each pixel's magnitude between its two nearest orientation bins.

    Returns:
        Array (..., height, width, orientations): bin centres sit at
        ``(k + 0.5) * span / orientations`` degrees, and a pixel between two
        centres gives each a share proportional to its closeness (linear
        interpolation, wrapping around at ``span``).
    """
    span = 360.0 if signed else 180.0
    position = orientation / (span / orientations) - 0.5
    lower = np.floor(position)
    upper_share = position - lower
    lower_bin = lower.astype(np.int64) % orientations
    upper_bin = (lower_bin + 1) % orientations

    bins = np.arange(orientations)
    votes = (magnitude * (1.0 - upper_share))[..., np.newaxis] * (lower_bin[..., np.newaxis] == bins)
    votes += (magnitude * upper_share)[..., np.newaxis] * (upper_bin[..., np.newaxis] == bins)
    return votes


def _normalize_blocks(blocks, block_norm, eps):
    """Normalise each block vector (last axis); L2-Hys clips at 0.2 and renormalises."""
    if block_norm == "L1":
        return blocks / (np.abs(blocks).sum(axis=-1, keepdims=True) + eps)
    normalized = blocks / np.sqrt((blocks ** 2).sum(axis=-1, keepdims=True) + eps ** 2)
    if block_norm == "L2-Hys":
        normalized = np.minimum(normalized, 0.2)
        normalized = normalized / np.sqrt((normalized ** 2).sum(axis=-1, keepdims=True) + eps ** 2)
    return normalized


def hog(image, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
        block_norm="L2-Hys", signed=False, gradient="central", eps=1e-5):
    """Compute a histogram-of-oriented-gradients descriptor (Dalal and Triggs, 2005).

    Steps: gradients, then per cell a histogram of orientations weighted by
    magnitude, then blocks of neighbouring cells (stride one cell) normalised
    together, so the descriptor ignores local contrast.

    Args:
        image: grey image (height, width) or batch (..., height, width); a last
            axis of size 1 is dropped.
        orientations: number of orientation bins over 180 degrees (360 if signed).
        pixels_per_cell: cell size (cell_height, cell_width) in pixels. Pixels
            that do not fill a whole cell at the bottom and right are ignored.
        cells_per_block: block size in cells.
        block_norm: ``"L2-Hys"`` (L2, clip at 0.2, L2 again), ``"L2"`` or ``"L1"``.
        signed: use signed orientations over 360 degrees.
        gradient: ``"central"`` ([-1, 0, 1] differences, Dalal and Triggs' best)
            or ``"sobel"``.
        eps: small constant that keeps the block norm of a flat block finite.

    Returns:
        Array (..., n_blocks_y * n_blocks_x * block_cells * orientations).
    """
    image = _check_image(image)
    if image.ndim >= 3 and image.shape[-1] == 1:
        image = image[..., 0]
    orientations = check_positive_int(orientations, "orientations")
    cell_h, cell_w = (check_positive_int(v, "pixels_per_cell") for v in pixels_per_cell)
    block_h, block_w = (check_positive_int(v, "cells_per_block") for v in cells_per_block)
    if block_norm not in HOG_BLOCK_NORMS:
        raise ValueError(f"block_norm={block_norm!r} is invalid; block_norm must be one of "
                         f"{HOG_BLOCK_NORMS}.")
    n_cells_y, n_cells_x = image.shape[-2] // cell_h, image.shape[-1] // cell_w
    if n_cells_y < block_h or n_cells_x < block_w:
        raise ValueError(
            f"image of {image.shape[-2]}x{image.shape[-1]} pixels has {n_cells_y}x{n_cells_x} "
            f"cells of {cell_h}x{cell_w} pixels, fewer than one {block_h}x{block_w}-cell "
            "block; use smaller pixels_per_cell or cells_per_block.")

    if gradient == "sobel":
        gx, gy = sobel(image, mode="nearest")
    elif gradient == "central":
        gx = correlate2d(image, [[-1.0, 0.0, 1.0]], mode="nearest")
        gy = correlate2d(image, [[-1.0], [0.0], [1.0]], mode="nearest")
    else:
        raise ValueError(f"gradient={gradient!r} is invalid; gradient must be 'central' "
                         "or 'sobel'.")
    magnitude, orientation = gradient_magnitude_orientation(gx, gy, signed=signed)
    votes = _orientation_votes(magnitude, orientation, orientations, signed)

    # Sum the votes inside each cell: split each image axis into (cells, pixels).
    votes = votes[..., :n_cells_y * cell_h, :n_cells_x * cell_w, :]
    lead = votes.shape[:-3]
    cells = votes.reshape(*lead, n_cells_y, cell_h, n_cells_x, cell_w, orientations)
    cells = cells.sum(axis=(-4, -2))

    # (..., blocks_y, blocks_x, orientations, block_h, block_w) as a view.
    blocks = sliding_window_view(cells, (block_h, block_w), axis=(-3, -2))
    blocks = blocks.reshape(*blocks.shape[:-3], -1)
    return _normalize_blocks(blocks, block_norm, eps).reshape(*lead, -1)


def intensity_histogram(images, bins=16, value_range=(0.0, 1.0), normalize=False):
    """Return the histogram of pixel values of each image.

    Args:
        images: array (..., height, width) or (..., height, width, 1).
        bins: number of equal-width bins over ``value_range``.
        value_range: (low, high); values outside it are not counted, as in
            ``np.histogram`` (``high`` itself falls in the last bin).
        normalize: divide by the pixel count, so each histogram sums to 1 (unlike
            np.histogram's density, which also divides by the bin width).

    Returns:
        Array (..., bins), equal to ``np.histogram`` on each image.
    """
    images = _check_image(images)
    if images.ndim >= 3 and images.shape[-1] == 1:
        images = images[..., 0]
    pixels = images.reshape(*images.shape[:-2], -1)
    return _histogram_last_axis(pixels, bins, value_range, normalize)


def colour_histogram(images, bins=8, value_range=(0.0, 1.0), normalize=False):
    """Return one histogram per colour channel, concatenated.

    Args:
        images: array (..., height, width, channels).
        bins, value_range, normalize: as in ``intensity_histogram``, per channel.

    Returns:
        Array (..., channels * bins): the red bins, then the green, then the blue.
    """
    images = _check_image(images, "images", min_ndim=3)
    pixels = np.moveaxis(images, -1, -3).reshape(*images.shape[:-3], images.shape[-1], -1)
    histograms = _histogram_last_axis(pixels, bins, value_range, normalize)
    return histograms.reshape(*histograms.shape[:-2], -1)


def _histogram_last_axis(values, bins, value_range, normalize):
    """Count ``values`` (..., n) into ``bins`` equal bins: one bincount for the batch."""
    bins = check_positive_int(bins, "bins")
    low, high = value_range
    if not low < high:
        raise ValueError(f"value_range={value_range!r} is invalid; it must be (low, high) "
                         "with low < high.")
    index = np.floor((values - low) / (high - low) * bins).astype(np.int64)
    index[values == high] = bins - 1  # np.histogram closes the last bin on the right
    inside = (values >= low) & (values <= high)

    # Give each histogram its own range of bincount slots.
    rows = np.arange(int(np.prod(values.shape[:-1], dtype=np.int64))).reshape(values.shape[:-1])
    slots = (rows[..., np.newaxis] * bins + index)[inside]
    counts = np.bincount(slots, minlength=rows.size * bins)
    histograms = counts.reshape(*values.shape[:-1], bins).astype(np.float64)
    if normalize:
        histograms /= values.shape[-1]
    return histograms
