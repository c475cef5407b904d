"""TensorBoard event files of the image CNN contain scalars, images, histograms and a graph.

The run uses notebook 05's training helper and callbacks on a small subset of
the digits, so it checks what the notebook writes without executing it again.
"""

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import plugin_event_accumulator

from course_utils import doctor, models, settings, training
from course_utils.digits import load_digits_splits


def load_events(folder):
    accumulator = plugin_event_accumulator.EventAccumulator(str(folder), size_guidance={
        plugin_event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return accumulator


def plugin_tags(accumulator, plugin):
    return set(accumulator.PluginTagToContent(plugin))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("tensorboard")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_LOG_DIR", str(root / "runs"))
        patch.setenv("COURSE_BUILD_DIR", str(root / "build"))
        splits = load_digits_splits().subset(200, 60)
        callbacks = training.tensorboard_callbacks(
            "image_cnn", splits.x_val, splits.y_val, splits.class_names)
        models.train_image_cnn(splits, epochs=2, batch_size=64, callbacks=callbacks)
        return settings.log_dir("image_cnn")


def test_run_has_three_writers(run_dir):
    assert sorted(path.name for path in run_dir.iterdir()) == ["images", "train", "validation"]


def test_train_scalars(run_dir):
    tags = plugin_tags(load_events(run_dir / "train"), "scalars")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= tags


def test_validation_scalars(run_dir):
    tags = plugin_tags(load_events(run_dir / "validation"), "scalars")
    assert {"epoch_loss", "epoch_accuracy"} <= tags


def test_scalars_one_per_epoch(run_dir):
    events = load_events(run_dir / "train").Tensors("epoch_learning_rate")
    assert [event.step for event in events] == [0, 1]
    assert [float(tf.make_ndarray(event.tensor_proto)) for event in events] == pytest.approx(
        [1e-3, 1e-3])


def test_weight_histograms(run_dir):
    tags = plugin_tags(load_events(run_dir / "train"), "histograms")
    assert any(tag.startswith("block1a_conv/kernel") for tag in tags)
    assert any(tag.startswith("probabilities/bias") for tag in tags)


def test_graph_written(run_dir):
    accumulator = load_events(run_dir / "train")
    assert accumulator.Tags()["graph"]
    assert len(accumulator.Graph().node) > 10
    assert plugin_tags(accumulator, "graph_keras_model") == {"keras"}


def test_sample_and_confusion_images(run_dir):
    accumulator = load_events(run_dir / "images")
    assert plugin_tags(accumulator, "images") == {"sample_inputs", "confusion_matrix"}
    assert [event.step for event in accumulator.Tensors("sample_inputs")] == [0]
    assert [event.step for event in accumulator.Tensors("confusion_matrix")] == [0, 1]


def test_confusion_image_is_png(run_dir):
    event = load_events(run_dir / "images").Tensors("confusion_matrix")[-1]
    # An image summary stores width, height and the encoded image as strings.
    width, height, encoded = event.tensor_proto.string_val
    assert int(width) > 100
    assert int(height) > 100
    assert encoded.startswith(b"\x89PNG")


def test_rerun_clears_old_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_LOG_DIR", str(tmp_path))
    old_file = tmp_path / "image_cnn" / "train" / "events.out.tfevents.old"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(b"")
    training.tensorboard_callbacks("image_cnn")
    assert not old_file.exists()


def test_keep_old_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_LOG_DIR", str(tmp_path))
    old_file = tmp_path / "image_cnn" / "events.out.tfevents.old"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(b"")
    training.tensorboard_callbacks("image_cnn", clear=False)
    assert old_file.exists()


def test_missing_tensorboard_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(doctor, "tensorboard_installed", lambda: False)
    with pytest.raises(doctor.EnvironmentProblem, match="^TensorBoard is not installed"):
        training.tensorboard_callbacks("image_cnn")


def test_sample_images_through_image_fn(tmp_path):
    waveforms = np.random.default_rng(0).normal(size=(3, 100)).astype(np.float32)
    writer = tf.summary.create_file_writer(str(tmp_path))
    logger = training.SampleImageLogger(writer, waveforms, [0, 1, 1], ["no", "yes"],
                                        image_fn=lambda x: x.reshape(len(x), 10, 10, 1))
    logger.on_train_begin()
    events = load_events(tmp_path).Tensors("sample_inputs")
    assert [event.step for event in events] == [0]


def test_sample_images_need_image_fn(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    logger = training.SampleImageLogger(writer, np.zeros((3, 100)))
    with pytest.raises(ValueError, match=r"^Sample images must have shape \(n, height, width, "
                                         r"channels\), got \(3, 100\). Pass image_fn"):
        logger.on_train_begin()
