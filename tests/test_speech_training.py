"""Speech training recipe: augmentation, interrupted runs, saving and reloading."""

import json

import numpy as np
import pytest
import tensorflow as tf

from course_utils import keras, speech, speech_training, training
from course_utils.data import load_dataset

SAMPLE_RATE = 8000


@pytest.fixture(scope="module")
def small_splits():
    return load_dataset("spoken_digits").subset(60, 20)


def tone(seconds=1.0, frequency=300.0):
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def test_change_speed_raises_pitch():
    faster = speech_training.change_speed(tone(), 1.25)
    spectrum = np.abs(np.fft.rfft(faster[:4000]))
    assert np.argmax(spectrum) * SAMPLE_RATE / 4000 == pytest.approx(375, abs=2)
    assert len(faster) == SAMPLE_RATE
    assert np.all(faster[-1000:] == 0)


def test_augment_waveform_noise_at_snr():
    y = tone()
    rng = np.random.default_rng(0)
    noisy = speech_training.augment_waveform(y, rng, SAMPLE_RATE, speed=(1, 1), max_shift_s=0,
                                             gain_db=(0, 0), snr_db=(20, 20))
    snr = 10 * np.log10(np.mean(y ** 2) / np.mean((noisy - y) ** 2))
    assert snr == pytest.approx(20, abs=0.3)


def test_augmenter_is_reproducible_and_varies():
    y = tf.constant(tone())

    def draws(seed):
        augment = speech_training.make_augmenter(SAMPLE_RATE, seed=seed)
        return [augment(y).numpy() for _ in range(2)]

    first, again = draws(3), draws(3)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert np.abs(first[0] - first[1]).max() > 0.01
    assert first[0].shape == (SAMPLE_RATE,)


def test_train_returns_log_mel_classifier(small_splits, isolated_folders):
    classifier, end_to_end, result = speech_training.train_speech_model(
        small_splits, epochs=2, batch_size=16, run_name="tiny")
    assert classifier.input_shape == (None, 40, 63, 1)
    assert end_to_end.input_shape == (None, 8000)
    assert result.epochs_run == 2
    assert result.train_time_s > 0
    features = speech.compute_log_mel(small_splits.x_test[:4])
    np.testing.assert_allclose(classifier(features, training=False).numpy(),
                               end_to_end(small_splits.x_test[:4], training=False).numpy(),
                               atol=1e-5)


def test_report_has_accuracy_per_speaker(small_splits, isolated_folders):
    _, end_to_end, _ = speech_training.train_speech_model(small_splits, epochs=1, batch_size=16,
                                                          run_name="report")
    report = training.evaluate_classifier(end_to_end, small_splits.x_test, small_splits.y_test,
                                          small_splits.class_names,
                                          groups=small_splits.speakers_test)
    assert set(report.accuracy_by_group) == set(small_splits.speakers_test)
    assert report.confusion.shape == (10, 10)
    assert report.confusion.sum() == len(small_splits.y_test)
    assert report.precision.shape == (10,)


class StopAfterFirstEpoch(keras.callbacks.Callback):
    """Raise after the first epoch, as a crash or a closed laptop would."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt("stopped after epoch 1")


def test_interrupted_training_resumes(small_splits, isolated_folders):
    with pytest.raises(KeyboardInterrupt):
        speech_training.train_speech_model(small_splits, epochs=3, batch_size=16,
                                           run_name="resume", callbacks=[StopAfterFirstEpoch()])
    backup = isolated_folders / "build" / "checkpoints" / "resume" / "backup"
    assert any(backup.iterdir())

    _, _, result = speech_training.train_speech_model(small_splits, epochs=3, batch_size=16,
                                                      run_name="resume")
    assert result.history.epoch == [1, 2]
    # BackupAndRestore deletes its files when fit ends normally.
    assert not backup.exists() or not any(backup.iterdir())


def test_load_or_train_trains_once(isolated_folders, monkeypatch, caplog):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    classifier, info = speech_training.load_or_train_speech_model()
    folder = isolated_folders / "build" / "models"
    # TensorFlow may add its own warnings (retracing), so read only this module's.
    messages = [record.getMessage() for record in caplog.records
                if record.name == "course_utils.speech_training"]
    assert messages == [
        f"speech_cnn.keras and speech_model_info.json not found in {folder}; training the "
        "speech CNN now with notebook 06's recipe and saving it there."]
    saved = json.loads((folder / "speech_model_info.json").read_text())
    assert saved["input_kind"] == "log_mel"
    assert saved["input_shape"] == [40, 63, 1]
    assert saved["class_names"] == [str(digit) for digit in range(10)]
    assert 0.0 <= saved["test_accuracy"] <= 1.0
    assert (folder / "speech_cnn_savedmodel" / "saved_model.pb").is_file()
    assert info["front_end"] == speech.FrontEndConfig()
    assert classifier.input_shape == (None, 40, 63, 1)

    def fail(*args, **kwargs):
        raise AssertionError("trained again although the model was saved")

    monkeypatch.setattr(speech_training, "train_speech_model", fail)
    reloaded, _ = speech_training.load_or_train_speech_model()
    x = np.zeros((1, 40, 63, 1), np.float32)
    np.testing.assert_allclose(reloaded(x).numpy(), classifier(x).numpy(), atol=1e-6)


def test_load_or_train_replaces_corrupt_file(isolated_folders, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    folder = isolated_folders / "build" / "models"
    folder.mkdir(parents=True)
    (folder / "speech_cnn.keras").write_text("truncated")
    (folder / "speech_model_info.json").write_text("{}")
    with pytest.warns(UserWarning, match=f"Cannot load the speech model in {folder}"):
        classifier, info = speech_training.load_or_train_speech_model()
    assert classifier.input_shape == (None, 40, 63, 1)
    assert info["class_names"] == [str(digit) for digit in range(10)]


def logged_tags(folder):
    """Return the set of summary tags in every event file under ``folder``."""
    tags = set()
    for path in folder.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
            if event.graph_def:
                tags.add("<graph>")
    return tags


def test_training_logs_to_tensorboard(small_splits, isolated_folders):
    def image_fn(waveforms):
        return speech.spectrogram_images(speech.compute_log_mel(waveforms))

    callbacks = training.tensorboard_callbacks("speech_logs", small_splits.x_val,
                                               small_splits.y_val, small_splits.class_names,
                                               image_fn=image_fn)
    speech_training.train_speech_model(small_splits, epochs=1, batch_size=16,
                                       run_name="speech_logs", callbacks=callbacks)
    tags = logged_tags(isolated_folders / "runs" / "speech_logs")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= tags
    assert {"sample_inputs", "confusion_matrix", "<graph>"} <= tags
    assert any(tag.startswith("block1_conv") for tag in tags), "no weight histograms"


def test_baseline_read_from_notebook_04(small_splits, isolated_folders, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "default")
    path = isolated_folders / "build" / "results" / "baselines.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"mode": "default", "spoken_digits": {
        "features": "mfcc_statistics", "best_classifier": "knn", "best_accuracy": 0.9}}))
    accuracy, source = speech_training.classical_baseline(small_splits)
    assert accuracy == 0.9
    assert source == "notebook 04, mfcc_statistics + knn"


def test_baseline_fitted_for_other_mode(small_splits, isolated_folders, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    path = isolated_folders / "build" / "results" / "baselines.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"mode": "default", "spoken_digits": {
        "features": "mfcc_statistics", "best_classifier": "knn", "best_accuracy": 0.9}}))
    accuracy, source = speech_training.classical_baseline(small_splits)
    assert source == "MFCC statistics + linear SVM, fitted here on the same split"
    assert 0.3 < accuracy <= 1.0


@pytest.mark.parametrize("mode, expected", [
    ("smoke", "spoken_digits"), ("default", "spoken_digits"), ("full", "fsdd")])
def test_dataset_name_by_mode(monkeypatch, mode, expected):
    monkeypatch.setenv("COURSE_MODE", mode)
    assert speech_training.dataset_name() == expected
