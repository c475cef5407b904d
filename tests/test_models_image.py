"""Image CNN builder, saved-model helpers and the digits splits."""

import numpy as np
import pytest

from course_utils import keras, models, settings
from course_utils.digits import load_digits_splits


@pytest.fixture(scope="module")
def digits():
    return load_digits_splits()


def test_image_cnn_shapes_and_size():
    model = models.build_image_cnn()
    assert model.name == "image_cnn"
    assert model.input_shape == (None, 8, 8, 1)
    assert model.output_shape == (None, 10)
    assert model.count_params() == 75818


def test_image_cnn_outputs_probabilities():
    settings.seed_everything(0)
    model = models.build_image_cnn(input_shape=(28, 28, 1), num_classes=4)
    outputs = model.predict(np.random.default_rng(0).random((3, 28, 28, 1)), verbose=0)
    assert outputs.shape == (3, 4)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)


def test_image_cnn_compiled_by_default():
    model = models.build_image_cnn(learning_rate=0.002)
    assert model.loss == "sparse_categorical_crossentropy"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.002)


def test_image_cnn_uncompiled():
    assert models.build_image_cnn(compile=False).optimizer is None


def test_image_cnn_bad_shape_raises():
    with pytest.raises(ValueError, match=r"^input_shape must be \(height, width, channels\), "
                                         r"got \(8, 8\).$"):
        models.build_image_cnn(input_shape=(8, 8))


def test_save_model_files_round_trip(tmp_path):
    settings.seed_everything(0)
    model = models.build_image_cnn()
    keras_path, savedmodel_path = models.save_model_files(model, "cnn", tmp_path)
    assert keras_path == tmp_path / "cnn.keras"
    assert savedmodel_path == tmp_path / "cnn_savedmodel"
    assert (savedmodel_path / "saved_model.pb").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cnn.keras", "cnn_savedmodel"]

    x = np.random.default_rng(1).random((4, 8, 8, 1)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(keras.models.load_model(keras_path).predict(x, verbose=0),
                               expected, rtol=1e-5, atol=1e-6)
    reloaded = keras.models.load_model(savedmodel_path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_save_model_files_overwrites(tmp_path):
    first = models.build_image_cnn(num_classes=3)
    second = models.build_image_cnn(num_classes=5)
    models.save_model_files(first, "cnn", tmp_path)
    models.save_model_files(second, "cnn", tmp_path)
    assert keras.models.load_model(tmp_path / "cnn.keras").output_shape == (None, 5)
    assert keras.models.load_model(tmp_path / "cnn_savedmodel").output_shape == (None, 5)


def test_load_or_train_loads_existing(tmp_path):
    settings.seed_everything(0)
    saved = models.build_image_cnn()
    models.save_model_files(saved, "image_cnn", tmp_path)
    loaded = models.load_or_train_image_cnn(tmp_path)
    for expected, actual in zip(saved.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(expected, actual)


def test_load_or_train_trains_when_missing(tmp_path, monkeypatch, isolated_folders):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    model = models.load_or_train_image_cnn(tmp_path)
    assert (tmp_path / "image_cnn.keras").is_file()
    assert (tmp_path / "image_cnn_savedmodel" / "saved_model.pb").is_file()

    splits = load_digits_splits()
    accuracy = np.mean(model.predict(splits.x_test, verbose=0).argmax(axis=1) == splits.y_test)
    # Smoke mode trains 8 steps (2 epochs of 256 images): enough to beat chance
    # (0.1), far from the trained model.
    assert accuracy > 0.2


def test_digits_split_sizes_and_ranges(digits):
    assert digits.x_train.shape == (1257, 8, 8, 1)
    assert digits.x_val.shape == (270, 8, 8, 1)
    assert digits.x_test.shape == (270, 8, 8, 1)
    assert digits.x_train.dtype == np.float32
    assert digits.y_train.dtype == np.int64
    assert digits.x_train.min() == 0.0
    assert digits.x_train.max() == 1.0
    assert digits.class_names == [str(label) for label in range(10)]


def test_digits_split_is_stratified(digits):
    for y in (digits.y_train, digits.y_val, digits.y_test):
        fractions = np.bincount(y, minlength=10) / len(y)
        np.testing.assert_allclose(fractions, 0.1, atol=0.01)


def test_digits_splits_are_disjoint(digits):
    def keys(x):
        return {row.tobytes() for row in x.reshape(len(x), -1)}

    # The digits set has a few duplicate images, so compare against a tolerance.
    assert len(keys(digits.x_train) & keys(digits.x_test)) <= 3
    assert len(keys(digits.x_val) & keys(digits.x_test)) <= 3


def test_digits_subset_is_stratified_and_repeatable(digits):
    small = digits.subset(100, 50)
    again = digits.subset(100, 50)
    assert small.x_train.shape == (100, 8, 8, 1)
    assert small.x_val.shape == (50, 8, 8, 1)
    assert small.x_test.shape == (50, 8, 8, 1)
    assert np.bincount(small.y_train, minlength=10).tolist() == [10] * 10
    np.testing.assert_array_equal(small.x_train, again.x_train)
    assert digits.subset(None, None).x_train.shape == digits.x_train.shape
