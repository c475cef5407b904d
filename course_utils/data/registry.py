"""The registry of every data set the course uses: where to get it and how to check it.

Each downloadable file carries its SHA-256 and size as published by a source
named beside it, so ``fetch`` can reject a corrupt or tampered transfer. A
checksum that no source published is None, and ``fetch`` then refuses the file
unless the caller supplies a hash or accepts an unverified download.

``COURSE_DATA_MIRROR`` replaces every default host: the file ``F`` of data set
``D`` is then fetched from ``$COURSE_DATA_MIRROR/D/F`` only.
"""

import dataclasses
import os

MIRROR_VARIABLE = "COURSE_DATA_MIRROR"


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One file to download.

    Attributes:
        filename: name of the file in the cache folder.
        urls: mirrors tried in order.
        sha256: hex SHA-256 of the file, or None when no source publishes it.
        size_bytes: expected size in bytes, or None when unknown.
        archive: ``"zip"`` or ``"tar.gz"`` to extract after download, or None to
            keep the file as it is.
    """

    filename: str
    urls: tuple
    sha256: str | None
    size_bytes: int | None = None
    archive: str | None = None


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A data set: its files, licence, citation and what the cache folder contains.

    Attributes:
        name: registry key, also the cache subfolder name.
        title: human-readable name.
        files: the files to download; empty for embedded data sets.
        licence: licence of the data.
        citation: how to cite it.
        contents: what the cache folder contains after ``fetch``.
        homepage: where the data set is described.
        embedded: True when it ships with the course or its dependencies and
            needs no download.
        fallback: the embedded data set to use when this one cannot be fetched.
    """

    name: str
    title: str
    files: tuple
    licence: str
    citation: str
    contents: str
    homepage: str = ""
    embedded: bool = False
    fallback: str | None = None

    @property
    def size_bytes(self):
        """Total download size in bytes, or None if any file's size is unknown."""
        sizes = [remote.size_bytes for remote in self.files]
        return None if None in sizes else sum(sizes)

    @property
    def verified(self):
        """True when every file has a published SHA-256."""
        return all(remote.sha256 for remote in self.files)

    def urls_for(self, remote):
        """Return the URLs to try for ``remote``, honouring ``COURSE_DATA_MIRROR``."""
        base = os.environ.get(MIRROR_VARIABLE, "").strip()
        if base:
            return (f"{base.rstrip('/')}/{self.name}/{remote.filename}",)
        return tuple(remote.urls)


_KERAS_BUCKET = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_ZALANDO_BUCKET = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"


def _fashion_file(filename, sha256, size_bytes):
    return RemoteFile(filename, (_KERAS_BUCKET + filename, _ZALANDO_BUCKET + filename),
                      sha256, size_bytes)


# Sources of the checksums below:
# - mnist.npz: the file_hash in keras/src/datasets/mnist.py (keras-team/keras).
#   Its size is the total that Keras's download progress bar prints.
# - Fashion-MNIST: FILE_HASHES in keras/src/datasets/fashion_mnist.py and
#   tensorflow_datasets/url_checksums/fashion_mnist.txt, which agree; the sizes
#   come from the latter.
# - FSDD v1.0.9: tensorflow_datasets/audio/spoken_digit/checksums.tsv.
_ENTRIES = (
    DatasetInfo(
        name="mnist",
        title="MNIST handwritten digits",
        files=(RemoteFile(
            "mnist.npz", (_KERAS_BUCKET + "mnist.npz",),
            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            11490434),),
        licence="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
        citation="Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, Gradient-based learning "
                 "applied to document recognition, Proc. IEEE 86(11), 1998.",
        contents="mnist.npz with x_train (60000, 28, 28) uint8, y_train (60000,), "
                 "x_test (10000, 28, 28) and y_test (10000,).",
        homepage="http://yann.lecun.com/exdb/mnist/",
        fallback="digits",
    ),
    DatasetInfo(
        name="fashion_mnist",
        title="Fashion-MNIST clothing images",
        files=(
            _fashion_file("train-images-idx3-ubyte.gz",
                          "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                          26421880),
            _fashion_file("train-labels-idx1-ubyte.gz",
                          "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                          29515),
            _fashion_file("t10k-images-idx3-ubyte.gz",
                          "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                          4422102),
            _fashion_file("t10k-labels-idx1-ubyte.gz",
                          "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                          5148),
        ),
        licence="MIT (Zalando SE)",
        citation="H. Xiao, K. Rasul and R. Vollgraf, Fashion-MNIST: a novel image dataset "
                 "for benchmarking machine learning algorithms, arXiv:1708.07747, 2017.",
        contents="Four gzip-compressed IDX files: 60000 training and 10000 test images "
                 "(28 x 28, uint8) and their labels 0-9.",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        fallback="digits",
    ),
    DatasetInfo(
        name="fsdd",
        title="Free Spoken Digit Dataset v1.0.9",
        files=(RemoteFile(
            "free-spoken-digit-dataset-1.0.9.tar.gz",
            ("https://github.com/Jakobovski/free-spoken-digit-dataset/archive/v1.0.9.tar.gz",),
            # NOTE: GitHub builds this archive on request. If its bytes ever change,
            # the checksum rejects it and fetch names the embedded fallback.
            "8bc44cde129d505cbbb6b365c09f80c663f2aa77578afc634e6141a2f87100c0",
            11975353, archive="tar.gz"),),
        licence="CC BY-SA 4.0",
        citation="Z. Jackson et al., Free Spoken Digit Dataset, "
                 "https://github.com/Jakobovski/free-spoken-digit-dataset, 2016.",
        contents="free-spoken-digit-dataset-1.0.9/recordings/{digit}_{speaker}_{index}.wav: "
                 "real recordings, mono, 8 kHz (2,500 clips according to TensorFlow Datasets).",
        homepage="https://github.com/Jakobovski/free-spoken-digit-dataset",
        fallback="spoken_digits",
    ),
    DatasetInfo(
        name="mini_speech_commands",
        title="Mini Speech Commands (TensorFlow tutorial excerpt)",
        # NOTE: no source publishes a SHA-256 or size for this archive, so fetch
        # needs sha256= or allow_unverified=True.
        files=(RemoteFile(
            "mini_speech_commands.zip",
            ("https://storage.googleapis.com/download.tensorflow.org/data/"
             "mini_speech_commands.zip",),
            None, None, archive="zip"),),
        licence="CC BY 4.0 (Speech Commands)",
        citation="P. Warden, Speech Commands: a dataset for limited-vocabulary speech "
                 "recognition, arXiv:1804.03209, 2018.",
        contents="mini_speech_commands/<word>/*.wav for the words down, go, left, no, right, "
                 "stop, up and yes: 1-second clips at 16 kHz.",
        homepage="https://www.tensorflow.org/tutorials/audio/simple_audio",
        fallback="spoken_digits",
    ),
    DatasetInfo(
        name="digits",
        title="scikit-learn handwritten digits (8 x 8)",
        files=(),
        licence="CC BY 4.0 (UCI Optical Recognition of Handwritten Digits)",
        citation="E. Alpaydin and C. Kaynak, Optical Recognition of Handwritten Digits, "
                 "UCI Machine Learning Repository, 1998.",
        contents="1797 images of 8 x 8 pixels with values 0-16, shipped inside scikit-learn "
                 "(sklearn.datasets.load_digits).",
        homepage="https://scikit-learn.org/stable/datasets/toy_dataset.html",
        embedded=True,
    ),
    DatasetInfo(
        name="spoken_digits",
        title="Course spoken digits (synthesized, embedded)",
        files=(),
        licence="Generated by this project with espeak-ng; same licence as the course",
        citation="Generated by tools/make_spoken_digits.py in this project.",
        contents="course_utils/data/embedded/spoken_digits/{digit}_{speaker}_{index}.wav, "
                 "the Free Spoken Digit Dataset's layout, mono, 8 kHz.",
        embedded=True,
    ),
)

DATASETS = {entry.name: entry for entry in _ENTRIES}


def get_dataset_info(name):
    """Return the DatasetInfo registered as ``name``."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"Unknown data set {name!r}. Known data sets: "
                       f"{', '.join(sorted(DATASETS))}.") from None


def format_registry_table():
    """Return the registry as a fixed-width text table, one data set per line."""
    header = f"{'name':<22}{'source':<10}{'size':>10}  {'checksum':<10}{'licence'}"
    lines = [header, "-" * len(header)]
    for entry in _ENTRIES:
        if entry.embedded:
            source, size_text, checksum = "embedded", "-", "-"
        else:
            source = "download"
            size_text = "unknown" if entry.size_bytes is None else f"{entry.size_bytes / 1e6:.1f} MB"
            checksum = "sha256" if entry.verified else "none"
        lines.append(f"{entry.name:<22}{source:<10}{size_text:>10}  {checksum:<10}{entry.licence}")
    return "\n".join(lines)
