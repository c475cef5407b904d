"""Image CNN builder and saved-model helpers."""

import numpy as np
import pytest

from course_utils import keras, models, settings
from course_utils.data import load_dataset


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

    splits = load_dataset("digits")
    accuracy = np.mean(model.predict(splits.x_test, verbose=0).argmax(axis=1) == splits.y_test)
    # Smoke mode trains 10 epochs of 256 images: far from the full model's 0.99,
    # far above chance (0.1).
    assert accuracy > 0.6


def test_image_cnn_epochs_minimum(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    assert models.image_cnn_epochs() == 10
    monkeypatch.setenv("COURSE_MODE", "default")
    assert models.image_cnn_epochs() == 30


def test_cosine_learning_rate_decays_to_zero():
    # 3 epochs of ceil(100 / 32) = 4 steps: 12 steps in all.
    schedule = models.cosine_learning_rate(3, n_train=100, batch_size=32, peak=0.01)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(6)) == pytest.approx(0.005)
    assert float(schedule(12)) == pytest.approx(0.0)


def test_image_cnn_compiles_with_schedule():
    schedule = models.cosine_learning_rate(2, n_train=64, batch_size=32)
    model = models.build_image_cnn(learning_rate=schedule)
    assert model.optimizer._learning_rate is schedule
