"""Feature extraction in NumPy: audio (STFT, mel, MFCC) and image (gradients, HOG).

``audio`` matches librosa's functions of the same job; ``image`` matches
``scipy.ndimage`` where an equivalent exists.
"""

from course_utils.features.audio import (
    dct_matrix,
    deltas,
    frame,
    get_window,
    hz_to_mel,
    log_mel_spectrogram,
    magnitude_spectrogram,
    mel_filterbank,
    mel_frequencies,
    mel_spectrogram,
    mel_to_hz,
    mfcc,
    normalize_utterance,
    power_spectrogram,
    power_to_db,
    stft,
)
from course_utils.features.image import (
    channel_statistics,
    colour_histogram,
    conv2d,
    convolve2d,
    correlate2d,
    gradient_magnitude_orientation,
    hog,
    intensity_histogram,
    normalize_channels,
    sobel,
)

__all__ = [
    "dct_matrix", "deltas", "frame", "get_window", "hz_to_mel", "log_mel_spectrogram",
    "magnitude_spectrogram", "mel_filterbank", "mel_frequencies", "mel_spectrogram",
    "mel_to_hz", "mfcc", "normalize_utterance", "power_spectrogram", "power_to_db", "stft",
    "channel_statistics", "colour_histogram", "conv2d", "convolve2d", "correlate2d",
    "gradient_magnitude_orientation", "hog", "intensity_histogram", "normalize_channels",
    "sobel",
]
