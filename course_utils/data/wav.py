"""Read the RIFF header of WAV files, and 16-bit PCM samples without libsndfile.

Two jobs need the header. libsndfile reads a truncated WAV without complaint
and returns only the frames present, so a cut-off download would pass as a
short clip. Comparing the data chunk's declared size with the file size
catches it. And most speech data sets are plain 16-bit PCM WAV, which NumPy
decodes in a fraction of the time a libsndfile call takes for a short clip.
Everything else goes through soundfile.
"""

import dataclasses
import os
import struct

import numpy as np

WAVE_FORMAT_PCM = 1
# Sizes that streaming writers leave in the header when the length was unknown.
UNKNOWN_SIZES = (0, 0xFFFFFFFF)
FMT_FIELDS = struct.Struct("<HHIIHH")

# Header values outside these ranges are rejected as corrupt. 768 kHz is the
# highest rate that audio interfaces record, and 1024 channels is the most
# that libsndfile opens (its SF_MAX_CHANNELS).
MIN_SAMPLE_RATE = 1
MAX_SAMPLE_RATE = 768_000
MAX_CHANNELS = 1024


class WavHeaderError(ValueError):
    """Raised when a RIFF/WAVE header is cut short or contains impossible values."""


def check_sample_rate(sample_rate):
    """Raise WavHeaderError unless ``sample_rate`` (Hz) lies in the accepted range."""
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise WavHeaderError(
            f"invalid sample rate {sample_rate} in the header (accepted: {MIN_SAMPLE_RATE} to "
            f"{MAX_SAMPLE_RATE} Hz)")


def check_channels(n_channels):
    """Raise WavHeaderError unless ``n_channels`` lies in 1..MAX_CHANNELS."""
    if not 1 <= n_channels <= MAX_CHANNELS:
        raise WavHeaderError(
            f"invalid channel count {n_channels} in the header (accepted: 1 to {MAX_CHANNELS})")


@dataclasses.dataclass(frozen=True)
class WavLayout:
    """The position and storage format of the samples in a WAV file.

    Attributes:
        format_tag: the ``fmt `` chunk's format code (1 is integer PCM).
        n_channels: interleaved channels per frame.
        sample_rate: frames per second, in Hz.
        bits_per_sample: bits of one sample of one channel.
        data_offset: byte offset of the first sample.
        declared_bytes: size of the data chunk that the header declares.
        missing_bytes: how many declared bytes the file lacks (0 if complete).
    """

    format_tag: int
    n_channels: int
    sample_rate: int
    bits_per_sample: int
    data_offset: int
    declared_bytes: int
    missing_bytes: int

    @property
    def present_frames(self):
        """Whole frames present in the file."""
        frame_bytes = max(1, self.n_channels * self.bits_per_sample // 8)
        return (self.declared_bytes - self.missing_bytes) // frame_bytes


def read_layout(path, file_size):
    """Return the WavLayout of ``path``, or None if it is not a WAV file this can parse.

    None covers files that are not RIFF/WAVE, have no ``fmt `` chunk before
    the ``data`` chunk, or declare an unknown data size. soundfile then reads
    them and reports any error.

    Raises:
        WavHeaderError: the ``fmt `` chunk is cut short, or it declares a sample
            rate or channel count outside the accepted ranges.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        fmt = None
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"data":
                break
            if chunk_id == b"fmt " and size >= FMT_FIELDS.size:
                fields = handle.read(FMT_FIELDS.size)
                if len(fields) < FMT_FIELDS.size:
                    raise WavHeaderError(
                        f"truncated header: the fmt chunk declares {size} bytes but the file "
                        f"ends after {len(fields)} of them")
                fmt = FMT_FIELDS.unpack(fields)
                size -= FMT_FIELDS.size
            # Chunks are padded to an even number of bytes.
            handle.seek(size + size % 2, os.SEEK_CUR)
        data_offset = handle.tell()

    if fmt is None:
        return None
    format_tag, n_channels, sample_rate, _, _, bits_per_sample = fmt
    check_sample_rate(sample_rate)
    check_channels(n_channels)
    if size in UNKNOWN_SIZES:
        return None
    missing = max(0, size - (file_size - data_offset))
    return WavLayout(format_tag, n_channels, sample_rate, bits_per_sample, data_offset,
                     size, missing)


def is_plain_pcm16(layout):
    """Return True if ``layout`` is complete 16-bit integer PCM that NumPy can decode."""
    return (layout is not None and layout.format_tag == WAVE_FORMAT_PCM
            and layout.bits_per_sample == 16 and layout.n_channels >= 1
            and layout.missing_bytes == 0)


def read_pcm16(path, layout):
    """Return the samples of a plain 16-bit PCM WAV as float32 ``(n_frames, n_channels)``.

    Samples are divided by 32768, the same scaling soundfile applies, so the
    values equal ``soundfile.read(path, dtype="float32")`` exactly.
    """
    n_frames = layout.present_frames
    with open(path, "rb") as handle:
        handle.seek(layout.data_offset)
        raw = handle.read(n_frames * layout.n_channels * 2)
    samples = np.frombuffer(raw, dtype="<i2").reshape(n_frames, layout.n_channels)
    return samples.astype(np.float32) * np.float32(1 / 32768)
