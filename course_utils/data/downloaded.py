"""Read the downloaded data sets into splits, falling back to embedded data.

``course_utils.data.download.fetch(name)`` returns the verified, extracted
folder of a data set. This module only reads such folders. It fetches only in
``full`` mode, so that smoke and default runs never touch the network.
"""

import gzip
import logging
import warnings
from pathlib import Path

import numpy as np

from course_utils import settings
from course_utils.data import datasets, download
from course_utils.data.archives import ArchiveError
from course_utils.data.registry import get_dataset_info
from course_utils.data.splits import speaker_split, stratified_split

logger = logging.getLogger(__name__)

MNIST_CLASS_NAMES = [str(digit) for digit in range(10)]
FASHION_CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                       "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Share of the official training set held out for validation (5000 of 60,000).
IMAGE_VAL_SHARE = 1 / 12


def _fall_back(name, reason, split, seed):
    fallback = get_dataset_info(name).fallback
    message = f"Using the embedded {fallback!r} set instead of {name!r}: {reason}"
    # stacklevel 4 points the warning at the caller of load_dataset.
    warnings.warn(message, stacklevel=4)
    logger.info(message)
    if fallback == "digits":
        split = None
    return datasets.load_dataset(fallback, split=split, seed=seed)


def load_downloaded(name, split=None, seed=42):
    """Read a downloaded data set, or fall back to its embedded counterpart.

    In ``smoke`` mode nothing is fetched, so CI runs give the same numbers on
    every machine. In ``default`` mode ``fetch`` returns the set only if it is
    already in the cache, and in ``full`` mode it downloads it if needed. When
    the set cannot be had, the registry's embedded fallback is returned with a
    warning that gives the reason.
    """
    mode = settings.get_mode()
    if mode == "smoke":
        return _fall_back(name, "COURSE_MODE=smoke always uses the embedded data.", split, seed)

    # NOTE: no source publishes a checksum for mini Speech Commands, so that
    # archive is accepted unverified; fetch warns when it does so.
    unverified = not get_dataset_info(name).verified
    try:
        root = Path(download.fetch(name, allow_unverified=unverified))
    except (download.DownloadError, ArchiveError, OSError) as error:
        return _fall_back(name, f"{error}", split, seed)

    readers = {"fsdd": _read_fsdd, "mini_speech_commands": _read_speech_commands,
               "mnist": _read_mnist, "fashion_mnist": _read_mnist}
    return readers[name](root, name, split, seed)


def _read_fsdd(root, name, split, seed):
    files = sorted(root.rglob("*_*_*.wav"))
    if not files:
        raise FileNotFoundError(f"No {{digit}}_{{speaker}}_{{index}}.wav files under {root}.")
    return datasets.load_spoken_digit_folder(
        files[0].parent, split=split or "speaker", seed=seed,
        description="Free Spoken Digit Dataset (Jackson et al., CC BY-SA 4.0)")


def _read_speech_commands(root, name, split, seed):
    """Read mini Speech Commands: one folder per word of 1-s 16 kHz clips."""
    from course_utils.data.audio import load_audio_folder

    folders = sorted(path for path in root.rglob("*") if path.is_dir()
                     and not path.name.startswith(("_", ".")) and any(path.glob("*.wav")))
    if not folders:
        raise FileNotFoundError(f"No class folders with WAV files under {root}.")
    rate = datasets.SPEECH_SAMPLE_RATE
    x, y, speakers = [], [], []
    for label, folder in enumerate(folders):
        loaded = load_audio_folder(folder, "*.wav", sample_rate=rate, length=rate)
        x.append(loaded.waveforms)
        y.extend([label] * len(loaded))
        # Names are {speaker hash}_nohash_{take}.wav.
        speakers.extend(path.name.split("_nohash_")[0] for path in loaded.paths)

    x = np.concatenate(x)
    y = np.asarray(y, dtype=np.int64)
    speakers = np.asarray(speakers, dtype=str)
    split = split or "speaker"
    indices = speaker_split(speakers, seed=seed) if split == "speaker" \
        else stratified_split(y, seed=seed)
    return datasets._from_indices(
        x, y, indices, [folder.name for folder in folders], speakers, sample_rate=rate,
        description=f"mini Speech Commands (Warden 2018, CC BY 4.0), resampled to {rate} Hz, "
                    f"1 s clips, {split} split (seed {seed})")


def _read_idx(path):
    """Read one IDX file (gzipped or not), the format MNIST is published in."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def _read_mnist_arrays(root):
    """Return x_train, y_train, x_test, y_test from an .npz or from IDX files."""
    npz = sorted(root.rglob("*.npz"))
    if npz:
        with np.load(npz[0]) as arrays:
            return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]

    def find(prefix):
        matches = sorted(root.rglob(f"{prefix}*ubyte*"))
        if not matches:
            raise FileNotFoundError(f"No {prefix}*ubyte file under {root}.")
        return _read_idx(matches[0])

    return (find("train-images"), find("train-labels"), find("t10k-images"),
            find("t10k-labels"))


def _read_mnist(root, name, split, seed):
    from sklearn.model_selection import train_test_split

    if split not in (None, "random"):
        raise ValueError(f"{name!r} has no speakers; split must be None or 'random', got {split!r}.")
    x_train, y_train, x_test, y_test = _read_mnist_arrays(root)
    x_train = (x_train / 255.0).astype(np.float32)[..., np.newaxis]
    x_test = (x_test / 255.0).astype(np.float32)[..., np.newaxis]
    train, val = train_test_split(np.arange(len(y_train)), test_size=IMAGE_VAL_SHARE,
                                  stratify=y_train, random_state=seed)
    train, val = np.sort(train), np.sort(val)
    class_names = FASHION_CLASS_NAMES if name == "fashion_mnist" else MNIST_CLASS_NAMES
    return datasets.DatasetSplits(
        x_train[train], y_train[train].astype(np.int64), x_train[val],
        y_train[val].astype(np.int64), x_test, y_test.astype(np.int64), class_names,
        description=f"{name}: 28x28 grey images in [0, 1], official test set, "
                    f"validation = {len(val)} training images (stratified, seed {seed})")
