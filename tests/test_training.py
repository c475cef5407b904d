"""Training helpers: class weights, callbacks, augmentation, fit and evaluation."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.utils.class_weight import compute_class_weight

from course_utils import keras, settings, training


class FixedOutputs:
    """A stand-in model whose ``predict`` returns fixed outputs."""

    def __init__(self, outputs):
        self.outputs = np.asarray(outputs, dtype=np.float32)

    def predict(self, x, batch_size=None, verbose=0):
        return self.outputs[:len(x)]


def tiny_classifier(n_features=4, n_classes=3, learning_rate=0.05):
    model = keras.Sequential([keras.Input((n_features,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(n_classes, activation="softmax")])
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy",
                  ["accuracy"])
    return model


def blobs(n_per_class=20, n_classes=3, n_features=4, seed=0):
    """Return well separated Gaussian blobs: x (n, n_features) float32, y (n,) int64."""
    rng = np.random.default_rng(seed)
    centers = np.eye(n_classes, n_features) * 4
    x = np.concatenate([center + rng.normal(size=(n_per_class, n_features))
                        for center in centers]).astype(np.float32)
    y = np.repeat(np.arange(n_classes), n_per_class).astype(np.int64)
    return x, y


def test_class_weights_match_sklearn():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
    weights = training.class_weights(y)
    assert list(weights) == [0, 1, 2]
    np.testing.assert_allclose(list(weights.values()), expected)


def test_class_weights_balanced_set_is_ones():
    assert training.class_weights([3, 1, 3, 1]) == {1: 1.0, 3: 1.0}


def test_class_weights_empty_raises():
    with pytest.raises(ValueError, match="^y is empty; class weights need at least one label.$"):
        training.class_weights([])


def test_current_learning_rate_constant():
    optimizer = keras.optimizers.Adam(0.0125)
    assert training.current_learning_rate(optimizer) == pytest.approx(0.0125)


def test_current_learning_rate_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    optimizer = keras.optimizers.Adam(schedule)
    optimizer.iterations.assign(10)
    assert training.current_learning_rate(optimizer) == pytest.approx(0.05)


def test_standard_callbacks_settings(isolated_folders):
    early, checkpoint, backup = training.standard_callbacks("run_a", patience=3)
    assert isinstance(early, keras.callbacks.EarlyStopping)
    assert early.restore_best_weights
    assert early.patience == 3
    assert early.monitor == "val_accuracy"
    assert isinstance(checkpoint, training.AtomicModelCheckpoint)
    assert checkpoint.filepath == str(isolated_folders / "build/checkpoints/run_a/best.keras")
    assert checkpoint.save_best_only
    assert isinstance(backup, keras.callbacks.BackupAndRestore)


def test_standard_callbacks_minimise_loss(tmp_path):
    early, checkpoint, _ = training.standard_callbacks("run_b", checkpoint_dir=tmp_path,
                                                       monitor="val_loss")
    assert early.monitor_op == np.less
    assert checkpoint.monitor_op == np.less
    assert checkpoint.filepath == str(tmp_path / "best.keras")


def test_fit_writes_checkpoint_and_logs_rate(tmp_path):
    settings.seed_everything(0)
    x, y = blobs()
    model = tiny_classifier()
    callbacks = [training.LearningRateLogger(),
                 *training.standard_callbacks("fit", checkpoint_dir=tmp_path, patience=10)]
    result = training.fit(model, x, y, x, y, epochs=3, batch_size=16, callbacks=callbacks,
                          verbose=0)

    assert result.epochs_run == 3
    assert result.train_time_s > 0
    assert result.history.history["learning_rate"] == pytest.approx([0.05] * 3)
    assert (tmp_path / "best.keras").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup", "best.keras"]
    # BackupAndRestore deletes its checkpoint when fit ends normally.
    assert list((tmp_path / "backup").iterdir()) == []
    restored = keras.models.load_model(tmp_path / "best.keras")
    assert restored.output_shape == (None, 3)


class StopAtEpoch(keras.callbacks.Callback):
    """Raise at the start of ``epoch`` to simulate an interrupted run."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_fit_resumes_after_interruption(tmp_path):
    settings.seed_everything(0)
    x, y = blobs()
    model = tiny_classifier()
    callbacks = training.standard_callbacks("resume", checkpoint_dir=tmp_path, patience=10)
    with pytest.raises(KeyboardInterrupt):
        training.fit(model, x, y, x, y, epochs=5, batch_size=16,
                     callbacks=[*callbacks, StopAtEpoch(3)], verbose=0)
    assert list((tmp_path / "backup").iterdir())

    result = training.fit(model, x, y, x, y, epochs=5, batch_size=16, callbacks=callbacks,
                          verbose=0)
    assert result.history.epoch == [3, 4]


def test_fit_same_seed_same_history():
    x, y = blobs()
    histories = []
    for _ in range(2):
        settings.seed_everything(7)
        model = tiny_classifier()
        result = training.fit(model, x, y, x, y, epochs=2, batch_size=16,
                              augment=lambda example: example + 0.0, seed=7, verbose=0)
        histories.append(result.history.history)
    assert histories[0] == histories[1]


def test_fit_uncompiled_model_raises():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="raw")
    x, y = blobs(n_classes=2)
    with pytest.raises(ValueError, match=r"^Model 'raw' is not compiled; call model.compile"):
        training.fit(model, x, y, x, y, epochs=1, batch_size=8)


def test_fit_length_mismatch_raises():
    x, y = blobs()
    with pytest.raises(ValueError, match="x_train 60, y_train 59, x_val 60, y_val 60"):
        training.fit(tiny_classifier(), x, y[:-1], x, y, epochs=1, batch_size=8)


def test_random_shift_moves_pixel_by_at_most_one():
    image = np.zeros((5, 5, 1), np.float32)
    image[2, 2, 0] = 1.0
    shift = training.random_shift(1, seed=3)
    positions = set()
    for _ in range(40):
        shifted = shift(tf.constant(image)).numpy()
        assert shifted.shape == (5, 5, 1)
        assert shifted.sum() == 1.0
        row, column = np.argwhere(shifted[..., 0])[0]
        assert abs(row - 2) <= 1
        assert abs(column - 2) <= 1
        positions.add((row, column))
    assert len(positions) == 9


def test_random_shift_same_seed_same_shifts():
    image = tf.random.stateless_uniform((6, 6, 1), seed=(1, 2))
    first, second = training.random_shift(1, seed=5), training.random_shift(1, seed=5)
    for _ in range(5):
        np.testing.assert_array_equal(first(image).numpy(), second(image).numpy())


def test_make_dataset_batches_and_reshuffles():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    dataset = training.make_dataset(x, y, batch_size=4, seed=1)
    epoch_one = np.concatenate([labels.numpy() for _, labels in dataset])
    epoch_two = np.concatenate([labels.numpy() for _, labels in dataset])
    assert [len(labels) for _, labels in dataset] == [4, 4, 2]
    assert sorted(epoch_one) == list(range(10))
    assert not np.array_equal(epoch_one, epoch_two)


PROBABILITIES = [[0.9, 0.1, 0.0],
                 [0.2, 0.7, 0.1],
                 [0.1, 0.6, 0.3],   # true 2, predicted 1 with 0.6
                 [0.05, 0.05, 0.9],
                 [0.1, 0.8, 0.1],   # true 0, predicted 1 with 0.8
                 [0.3, 0.3, 0.4]]
LABELS = [0, 1, 2, 2, 0, 2]


def test_evaluate_classifier_metrics():
    report = training.evaluate_classifier(FixedOutputs(PROBABILITIES), np.zeros((6, 2)),
                                          LABELS, ["zero", "one", "two"])
    assert report.accuracy == pytest.approx(4 / 6)
    np.testing.assert_array_equal(report.predictions, [0, 1, 1, 2, 1, 2])
    np.testing.assert_allclose(report.precision, [1.0, 1 / 3, 1.0])
    np.testing.assert_allclose(report.recall, [0.5, 1.0, 2 / 3])
    np.testing.assert_array_equal(report.support, [2, 1, 3])
    np.testing.assert_array_equal(report.confusion, [[1, 1, 0], [0, 1, 0], [0, 1, 2]])
    np.testing.assert_allclose(report.confidence, [0.9, 0.7, 0.6, 0.9, 0.8, 0.4], rtol=1e-6)
    assert report.accuracy_by_group is None


def test_evaluate_classifier_worst_misclassified_order():
    report = training.evaluate_classifier(FixedOutputs(PROBABILITIES), np.zeros((6, 2)),
                                          LABELS, ["zero", "one", "two"])
    np.testing.assert_array_equal(report.worst_misclassified(), [4, 2])
    np.testing.assert_array_equal(report.worst_misclassified(k=1), [4])


def test_evaluate_classifier_table():
    report = training.evaluate_classifier(FixedOutputs(PROBABILITIES), np.zeros((6, 2)),
                                          LABELS, ["zero", "one", "two"])
    table = report.table()
    assert list(table.columns) == ["precision", "recall", "support"]
    assert list(table.index) == ["zero", "one", "two"]
    assert table.loc["one", "precision"] == pytest.approx(0.333)


def test_evaluate_classifier_groups():
    groups = np.array(["ann", "ann", "bob", "bob", "bob", "cy"])
    report = training.evaluate_classifier(FixedOutputs(PROBABILITIES), np.zeros((6, 2)),
                                          LABELS, ["a", "b", "c"], groups=groups)
    assert report.accuracy_by_group == pytest.approx({"ann": 1.0, "bob": 1 / 3, "cy": 1.0})


def test_evaluate_classifier_applies_softmax_to_logits():
    logits = np.log(np.asarray(PROBABILITIES) + 1e-3) - 2.0
    report = training.evaluate_classifier(FixedOutputs(logits), np.zeros((6, 2)), LABELS,
                                          ["a", "b", "c"])
    np.testing.assert_allclose(report.probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(report.predictions, [0, 1, 1, 2, 1, 2])


def test_evaluate_classifier_wrong_class_count_raises():
    with pytest.raises(ValueError, match=r"^The model outputs shape \(6, 3\) but class_names "
                                         r"has 2 names; expected \(n, 2\).$"):
        training.evaluate_classifier(FixedOutputs(PROBABILITIES), np.zeros((6, 2)), LABELS,
                                     ["a", "b"])


def test_evaluate_classifier_label_count_raises():
    with pytest.raises(ValueError, match="^x has 6 examples but y has 5 labels; pass one label "
                                         "per example.$"):
        training.evaluate_classifier(FixedOutputs(PROBABILITIES), np.zeros((6, 2)), LABELS[:5],
                                     ["a", "b", "c"])
