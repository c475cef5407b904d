"""Load image files into float arrays with Pillow, whatever mode they were saved in.

Real image folders mix photos taken on their side, palette PNGs with a
transparent colour, 16-bit scans, CMYK JPEGs from print workflows, truncated
downloads and ``.DS_Store`` files. This module turns each readable file into a
``float32`` array in ``[0, 1]`` with shape ``(height, width, channels)`` and
reports every file it cannot read instead of stopping or guessing silently.

Conventions used throughout:
    * ``size`` is ``(height, width)`` in pixels, the order Keras uses for
      ``image_size``. Pillow's own ``resize`` takes ``(width, height)``.
    * ``mode="RGB"`` gives 3 channels; ``mode="L"`` gives 1 channel of
      ITU-R 601-2 luma (``L = 0.299 R + 0.587 G + 0.114 B``), as Pillow computes it.
    * Transparent pixels are composited over ``background`` (white by default).
    * EXIF orientation is applied, so the array is the picture as a viewer shows it.
    * An animated file (GIF, APNG, WebP) contributes its first frame only.
    * 16-bit integer images are divided by 65535, not clipped to 255.
"""

import errno
import logging
import os
import stat
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

DEFAULT_BACKGROUND = (255, 255, 255)

# Lanczos (a windowed sinc over 3 lobes) keeps edges sharp when shrinking; its
# small overshoot is clipped back to [0, 1] after resizing.
DEFAULT_RESAMPLE = Image.Resampling.LANCZOS

# Files that operating systems drop into folders; they are never images.
SYSTEM_FILE_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "._.ds_store"}

_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N"}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}


class ImageLoadError(ValueError):
    """Raised when a file cannot be decoded into an image array; names the file and reason."""

    def __init__(self, path, reason):
        super().__init__(f"Cannot load image {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class SkippedFileWarning(UserWarning):
    """Warned once for each file that a folder load skips, with the file and the reason."""


def _normalize_size(size):
    if size is None:
        return None
    if isinstance(size, int):
        size = (size, size)
    height, width = (int(value) for value in size)
    if height < 1 or width < 1:
        raise ValueError(f"Invalid size={size!r}: height and width must be positive pixels.")
    return height, width


def _check_mode(mode):
    if mode not in ("RGB", "L"):
        raise ValueError(f"Invalid mode={mode!r}. Use 'RGB' (3 channels) or 'L' (grayscale).")


def _background_values(background, mode):
    """Return the background colour in [0, 1] units, one value per output channel."""
    red, green, blue = (channel / 255.0 for channel in background)
    if mode == "L":
        return np.array([0.299 * red + 0.587 * green + 0.114 * blue], dtype=np.float32)
    return np.array([red, green, blue], dtype=np.float32)


def link_problem(path, error):
    """Describe why ``path.stat()`` failed with ``error`` if ``path`` is an unusable symbolic link.

    Returns:
        A noun phrase ("broken symbolic link: ...", "symbolic link loop: ...")
        without a final period, or None when ``path`` is no such link.
    """
    if error.errno == errno.ELOOP:
        return "symbolic link loop: following it never reaches a file"
    if isinstance(error, FileNotFoundError) and path.is_symlink():
        return f"broken symbolic link: its target {os.readlink(path)} does not exist"
    return None


def _stat(path):
    """Return ``path.stat()``, raising ImageLoadError for broken or looping symbolic links."""
    try:
        return path.stat()
    except OSError as error:
        problem = link_problem(path, error)
        if problem is not None:
            raise ImageLoadError(path, problem) from None
        if isinstance(error, FileNotFoundError):
            raise
        raise ImageLoadError(path, f"file cannot be read ({error.strerror})") from error


def _decode(path):
    """Open ``path``, pick its first frame, decode the pixels and apply EXIF orientation."""
    path = Path(path)
    if path.name.lower() in SYSTEM_FILE_NAMES:
        raise ImageLoadError(path, "operating-system metadata file, not an image")
    status = _stat(path)
    if stat.S_ISDIR(status.st_mode):
        raise ImageLoadError(path, "it is a directory, not an image file. Use "
                                   "load_image_folder() to load a folder of images.")
    if status.st_size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)")

    try:
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treating the
        # warning as an error keeps huge images out of memory in both cases.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                n_frames = getattr(image, "n_frames", 1)
                if n_frames > 1:
                    image.seek(0)
                    logger.debug("%s has %d frames; using the first.", path, n_frames)
                image.load()
                return _apply_orientation(image, path)
    except PermissionError as error:
        raise ImageLoadError(path, f"file cannot be read ({error.strerror})") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(
            path, f"decompression-bomb guard: {error} Raise PIL.Image.MAX_IMAGE_PIXELS "
                  "only if you trust this file.") from error
    except Image.UnidentifiedImageError as error:
        raise ImageLoadError(path, "not a recognised image format") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Truncated and corrupt files fail while the pixels are decoded.
        raise ImageLoadError(path, f"corrupt or truncated image data ({error})") from error


def _apply_orientation(image, path):
    """Return ``image`` rotated or mirrored as its EXIF Orientation tag says."""
    try:
        return ImageOps.exif_transpose(image)
    except (ValueError, TypeError, KeyError, struct.error) as error:
        # Loading the pixels unrotated could give a sideways image, so the file is rejected.
        raise ImageLoadError(path, f"unreadable EXIF orientation ({error})") from error


def _scale_wide_integers(values, path):
    """Scale 32-bit integer pixels to [0, 1]: the 16-bit range when they fit it, else min-max."""
    values = values.astype(np.float64)
    low, high = values.min(), values.max()
    if low >= 0 and high <= 65535:
        # PNG and TIFF 16-bit data often arrive as mode "I" with values in 0..65535.
        # NOTE: 8-bit data stored as 32-bit integers is scaled the same way, so it comes out dark.
        return (values / 65535.0).astype(np.float32)
    logger.info("%s: 32-bit values span %g..%g; rescaled min-max to [0, 1].", path, low, high)
    return _rescale_min_max(values)


def _rescale_min_max(values):
    low, high = values.min(), values.max()
    if high == low:
        return np.zeros(values.shape, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def _scale_floats(values, path):
    """Keep float pixels already in [0, 1]; rescale any other range min-max."""
    if not np.all(np.isfinite(values)):
        raise ImageLoadError(path, "float image contains NaN or infinite values")
    if values.min() >= 0.0 and values.max() <= 1.0:
        return values.astype(np.float32)
    logger.info("%s: float values span %g..%g; rescaled min-max to [0, 1].",
                path, values.min(), values.max())
    return _rescale_min_max(values.astype(np.float64))


def _high_depth_to_array(image, mode, path):
    """Convert a 16-bit, 32-bit integer or float image to float32 (h, w, channels)."""
    values = np.asarray(image)
    if image.mode in _SIXTEEN_BIT_MODES:
        gray = values.astype(np.float32) / 65535.0
    elif image.mode == "I":
        gray = _scale_wide_integers(values, path)
    else:
        gray = _scale_floats(values, path)
    channels = 3 if mode == "RGB" else 1
    return np.repeat(gray[..., np.newaxis], channels, axis=-1)


def _has_transparency(image):
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _eight_bit_to_array(image, mode, background, path):
    """Convert any 8-bit-per-channel mode (P, 1, CMYK, RGBA ...) to float32 (h, w, channels)."""
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        image = Image.alpha_composite(canvas, rgba).convert("RGB")
    try:
        converted = image.convert(mode)
    except ValueError as error:
        raise ImageLoadError(path, f"mode {image.mode} cannot be converted to {mode}") from error
    values = np.asarray(converted, dtype=np.float32) / 255.0
    return values.reshape(values.shape[0], values.shape[1], -1)


def _pad_to_square(values, fill):
    """Centre ``values`` on a square canvas filled with ``fill`` (one value per channel)."""
    height, width, channels = values.shape
    side = max(height, width)
    canvas = np.empty((side, side, channels), dtype=np.float32)
    canvas[...] = fill
    top, left = (side - height) // 2, (side - width) // 2
    canvas[top:top + height, left:left + width] = values
    return canvas


def _resize(values, size, resample):
    """Resize each channel as a 32-bit float image, so no precision is lost to 8 bits."""
    height, width = size
    channels = [
        np.asarray(Image.fromarray(values[..., index]).resize((width, height), resample))
        for index in range(values.shape[-1])
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0).astype(np.float32)


def load_image(path, size=None, mode="RGB", *, pad_to_square=False,
               background=DEFAULT_BACKGROUND, resample=DEFAULT_RESAMPLE):
    """Load one image file as a float32 array in [0, 1].

    Args:
        path: image file (any format Pillow reads).
        size: ``(height, width)`` in pixels, an int for a square, or None to keep
            the file's size.
        mode: ``"RGB"`` (3 channels) or ``"L"`` (1 channel, luma).
        pad_to_square: if True, centre the image on a square canvas of the
            ``background`` colour before resizing (letterboxing), so the aspect
            ratio is kept.
        background: RGB colour, 0-255 per channel, under transparent pixels and
            in the padding.
        resample: a ``PIL.Image.Resampling`` filter (Lanczos by default).

    Returns:
        np.ndarray float32 of shape ``(height, width, channels)``.

    Raises:
        ImageLoadError: the file is empty, a directory, a broken symbolic link,
            not an image, corrupt, truncated or over Pillow's decompression-bomb limit.
        FileNotFoundError: ``path`` does not exist.
    """
    _check_mode(mode)
    size = _normalize_size(size)
    image = _decode(path)

    if image.mode in _SIXTEEN_BIT_MODES or image.mode in ("I", "F"):
        values = _high_depth_to_array(image, mode, path)
    else:
        values = _eight_bit_to_array(image, mode, background, path)

    if pad_to_square:
        values = _pad_to_square(values, _background_values(background, mode))
    if size is not None and values.shape[:2] != size:
        values = _resize(values, size, resample)
    return values
