"""Tests of load_dataset, the embedded spoken-digit set and the split helpers."""

import warnings

import numpy as np
import pytest

from course_utils.data import datasets, load_dataset, load_spoken_digit_folder
from course_utils.data.splits import speaker_split, stratified_split, stratified_subset

N_SPEAKERS = 25
N_TAKES = 3


@pytest.fixture(scope="module")
def spoken_digits():
    return load_dataset("spoken_digits")


def test_embedded_files_count_and_size():
    files = sorted(datasets.SPOKEN_DIGITS_DIR.glob("*.wav"))
    assert len(files) == N_SPEAKERS * 10 * N_TAKES
    assert sum(path.stat().st_size for path in files) <= 8_000_000
    speakers = {datasets.parse_spoken_digit_name(path)[1] for path in files}
    assert len(speakers) == N_SPEAKERS


def test_spoken_digits_shapes(spoken_digits):
    data = spoken_digits
    assert data.sample_rate == 8000
    assert data.x_train.shape[1:] == (8000,)
    assert data.x_train.dtype == np.float32
    assert data.y_train.dtype == np.int64
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 750
    assert data.class_names == [str(digit) for digit in range(10)]
    assert np.all(np.isfinite(data.x_train))
    assert 0.05 < np.abs(data.x_train).max() <= 1.0


def test_spoken_digits_speakers_disjoint(spoken_digits):
    train = set(spoken_digits.speakers_train)
    val = set(spoken_digits.speakers_val)
    test = set(spoken_digits.speakers_test)
    assert (len(train), len(val), len(test)) == (17, 4, 4)
    assert not train & test
    assert not train & val
    assert not val & test
    # Every speaker speaks every digit, so each split contains all ten classes.
    assert np.bincount(spoken_digits.y_test).tolist() == [len(test) * N_TAKES] * 10


def test_spoken_digits_split_is_seeded():
    first = load_dataset("spoken_digits", seed=7)
    second = load_dataset("spoken_digits", seed=7)
    other = load_dataset("spoken_digits", seed=8)
    assert np.array_equal(first.speakers_test, second.speakers_test)
    assert np.array_equal(first.x_test, second.x_test)
    assert set(first.speakers_test) != set(other.speakers_test)


def test_spoken_digits_random_split_shares_speakers():
    data = load_dataset("spoken_digits", split="random")
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (525, 112, 113)
    assert set(data.speakers_test) <= set(data.speakers_train)
    assert np.bincount(data.y_train).min() >= 52


def test_digits_shapes_and_range():
    data = load_dataset("digits")
    assert data.x_train.shape[1:] == (8, 8, 1)
    assert data.x_train.dtype == np.float32
    assert data.y_train.dtype == np.int64
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (1257, 270, 270)
    assert data.x_train.min() == 0.0
    assert data.x_train.max() == 1.0
    assert data.speakers_train is None
    assert data.sample_rate is None


def test_digits_rejects_speaker_split():
    with pytest.raises(ValueError, match="'digits' has no speakers"):
        load_dataset("digits", split="speaker")


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="Unknown data set 'cifar10'. Known names: digits, "):
        load_dataset("cifar10")


def test_subset_keeps_class_shares(spoken_digits):
    small = spoken_digits.subset(max_train=100, max_eval=40, seed=1)
    assert len(small.y_train) == 100
    assert len(small.y_val) == 40
    assert len(small.y_test) == 40
    assert np.bincount(small.y_train, minlength=10).tolist() == [10] * 10
    assert len(small.speakers_train) == 100
    assert set(small.speakers_test) <= set(spoken_digits.speakers_test)
    assert small.sample_rate == 8000


def test_subset_none_keeps_everything(spoken_digits):
    same = spoken_digits.subset()
    assert np.array_equal(same.x_train, spoken_digits.x_train)
    assert np.array_equal(same.y_test, spoken_digits.y_test)


def test_speaker_split_needs_three_speakers():
    with pytest.raises(ValueError, match="needs at least 3 speakers, got 2 \\(a, b\\)"):
        speaker_split(["a", "b", "a", "b"])


def test_speaker_split_small_set():
    speakers = np.repeat(["george", "jackson", "lucas", "nicolas", "theo", "yweweler"], 5)
    train, val, test = speaker_split(speakers, seed=0)
    assert len(np.unique(speakers[val])) == 1
    assert len(np.unique(speakers[test])) == 1
    assert len(np.unique(speakers[train])) == 4
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(30))


def test_stratified_split_fractions():
    y = np.repeat(np.arange(4), 50)
    train, val, test = stratified_split(y, seed=0)
    assert (len(train), len(val), len(test)) == (140, 30, 30)
    assert set(np.bincount(y[test]).tolist()) <= {7, 8}
    assert set(np.bincount(y[train]).tolist()) == {35}


def test_stratified_subset_smaller_than_classes():
    y = np.repeat(np.arange(10), 5)
    chosen = stratified_subset(y, 3, seed=0)
    assert len(chosen) == 3
    assert len(np.unique(chosen)) == 3


def test_spoken_digit_folder_skips_bad_names(tmp_path):
    import soundfile as sf

    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(4000) / 16000)
    for speaker in ("ann", "bob", "cy"):
        for digit in range(10):
            sf.write(tmp_path / f"{digit}_{speaker}_0.wav", tone, 16000, subtype="PCM_16")
    sf.write(tmp_path / "notes.wav", tone, 16000, subtype="PCM_16")

    with pytest.warns(UserWarning, match=r"notes\.wav: the name does not match"):
        data = load_spoken_digit_folder(tmp_path, sample_rate=8000, duration=0.5)
    assert data.x_train.shape == (10, 4000)
    assert (len(data.y_val), len(data.y_test)) == (10, 10)
    # 0.25 s of tone at 16 kHz becomes 2000 samples at 8 kHz, then zero padding.
    assert np.abs(data.x_train[0, :1900]).max() > 0.25
    assert np.all(data.x_train[:, 2010:] == 0)


def write_digit_folder(root, speakers, sample_rate=8000):
    """Write one short tone per digit and speaker in the FSDD layout."""
    import soundfile as sf

    root.mkdir(parents=True, exist_ok=True)
    for speaker in speakers:
        for digit in range(10):
            t = np.arange(sample_rate // 4) / sample_rate
            wave = 0.2 * np.sin(2 * np.pi * (300 + 50 * digit) * t)
            sf.write(root / f"{digit}_{speaker}_0.wav", wave, sample_rate, subtype="PCM_16")
    return root


def test_fsdd_full_mode_reads_fetched_folder(tmp_path, monkeypatch):
    from course_utils.data import download

    recordings = write_digit_folder(tmp_path / "fsdd-1.0.9" / "recordings",
                                    ["george", "jackson", "lucas", "theo"])
    monkeypatch.setenv("COURSE_MODE", "full")
    monkeypatch.setattr(download, "fetch", lambda name, **options: tmp_path)

    data = load_dataset("fsdd")
    assert data.x_train.shape == (20, 8000)
    assert (len(data.y_val), len(data.y_test)) == (10, 10)
    assert data.sample_rate == 8000
    assert data.description.startswith("Free Spoken Digit Dataset")
    assert not set(data.speakers_train) & set(data.speakers_test)
    assert recordings.is_dir()


def test_full_mode_fetch_failure_falls_back(monkeypatch):
    from course_utils.data import download

    def fail(name, **options):
        raise download.DownloadError("every mirror failed for 'fsdd'")

    monkeypatch.setenv("COURSE_MODE", "full")
    monkeypatch.setattr(download, "fetch", fail)
    with pytest.warns(UserWarning, match="Using the embedded 'spoken_digits' set instead of "
                                         "'fsdd': every mirror failed for 'fsdd'"):
        data = load_dataset("fsdd")
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 750


def test_default_mode_without_cache_falls_back(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "default")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.warns(UserWarning, match="Using the embedded 'digits' set instead of "
                                         "'fashion_mnist': 'fashion_mnist' is not in the cache"):
        data = load_dataset("fashion_mnist")
    assert data.x_train.shape[1:] == (8, 8, 1)
    assert list(tmp_path.iterdir()) == []


def test_smoke_mode_never_fetches(monkeypatch):
    from course_utils.data import download

    def fail(name, **options):
        raise AssertionError("fetch must not run in smoke mode")

    monkeypatch.setenv("COURSE_MODE", "smoke")
    monkeypatch.setattr(download, "fetch", fail)
    with pytest.warns(UserWarning, match="COURSE_MODE=smoke always uses the embedded data"):
        load_dataset("mini_speech_commands")


def write_idx(path, array):
    import gzip

    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        size.to_bytes(4, "big") for size in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def fake_images(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28)), np.tile(np.arange(10), n // 10)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_readers(tmp_path, monkeypatch, name):
    from course_utils.data import download

    x_train, y_train = fake_images(120, 0)
    x_test, y_test = fake_images(20, 1)
    if name == "mnist":
        np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train,
                 x_test=x_test, y_test=y_test)
    else:
        write_idx(tmp_path / "train-images-idx3-ubyte.gz", x_train)
        write_idx(tmp_path / "train-labels-idx1-ubyte.gz", y_train)
        write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", x_test)
        write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y_test)
    monkeypatch.setenv("COURSE_MODE", "full")
    monkeypatch.setattr(download, "fetch", lambda name, **options: tmp_path)

    data = load_dataset(name)
    assert data.x_train.shape == (110, 28, 28, 1)
    assert data.x_val.shape == (10, 28, 28, 1)
    assert data.x_test.shape == (20, 28, 28, 1)
    assert data.x_test.dtype == np.float32
    assert data.y_test.dtype == np.int64
    assert np.allclose(data.x_test[3, :, :, 0] * 255, x_test[3])
    assert np.bincount(data.y_val).tolist() == [1] * 10
    assert len(data.class_names) == 10


def test_speech_commands_reader(tmp_path, monkeypatch):
    import soundfile as sf

    from course_utils.data import download

    for word in ("go", "no", "yes"):
        folder = tmp_path / "mini_speech_commands" / word
        folder.mkdir(parents=True)
        for speaker in ("a1b2", "c3d4", "e5f6", "a7b8"):
            sf.write(folder / f"{speaker}_nohash_0.wav", np.full(16000, 0.1), 16000)
    monkeypatch.setenv("COURSE_MODE", "full")
    monkeypatch.setattr(download, "fetch", lambda name, **options: tmp_path)

    data = load_dataset("mini_speech_commands")
    assert data.class_names == ["go", "no", "yes"]
    assert data.x_train.shape == (6, 8000)
    assert data.sample_rate == 8000
    assert set(data.speakers_test).isdisjoint(data.speakers_train)
    assert len(data.y_test) == 3
