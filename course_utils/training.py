"""Fitting Keras classifiers: callbacks, class weights, augmentation and timing.

The helpers are generic: the image and the speech notebooks both train with
them. The TensorBoard callbacks and the evaluation report live in their own
modules and are re-exported here, so a notebook needs only this import.
"""

import dataclasses
import logging
import os
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from course_utils import keras, settings
from course_utils.evaluation import EvaluationReport, evaluate_classifier
from course_utils.tensorboard_logging import (ConfusionMatrixLogger, LearningRateLogger,
                                              SampleImageLogger, current_learning_rate,
                                              tensorboard_callbacks)

logger = logging.getLogger(__name__)


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """ModelCheckpoint that writes to a temporary file and renames it into place.

    Keras writes a ``.keras`` archive in place, so an interrupted save leaves a
    broken file. Here the file at ``filepath`` is always either the previous
    checkpoint or the new one. ``filepath`` must name a file (``.keras`` or
    ``.h5``), not a SavedModel folder.
    """

    def _save_handler(self, filepath):
        # NOTE: _save_handler is a private hook of tf_keras 2.21's ModelCheckpoint;
        # check it when upgrading tf_keras.
        path = Path(filepath)
        temporary = path.with_name(f".{path.stem}.partial{path.suffix}")
        super()._save_handler(str(temporary))
        os.replace(temporary, path)


def standard_callbacks(run_name, checkpoint_dir=None, patience=5, monitor="val_accuracy"):
    """Return EarlyStopping, an atomic ModelCheckpoint and BackupAndRestore.

    Args:
        run_name: names the default checkpoint folder,
            ``settings.build_dir("checkpoints", run_name)``.
        checkpoint_dir: folder for ``best.keras`` and the ``backup/`` of
            BackupAndRestore; the default above when None.
        patience: epochs without improvement of ``monitor`` before stopping.
        monitor: the logged metric to watch; names containing "loss" are
            minimised, others such as "val_accuracy" maximised.

    EarlyStopping restores the weights of the best epoch when it stops.
    BackupAndRestore saves the training state after every epoch and deletes
    it when ``fit`` ends normally; if ``fit`` is interrupted, the next ``fit``
    with the same callbacks resumes at the saved epoch. The model must then
    have the same architecture, so delete ``backup/`` after changing it.
    """
    folder = Path(checkpoint_dir) if checkpoint_dir else settings.build_dir("checkpoints",
                                                                            run_name)
    folder.mkdir(parents=True, exist_ok=True)
    mode = "min" if "loss" in monitor else "max"
    return [
        keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience,
                                      restore_best_weights=True),
        AtomicModelCheckpoint(str(folder / "best.keras"), monitor=monitor, mode=mode,
                              save_best_only=True),
        keras.callbacks.BackupAndRestore(backup_dir=str(folder / "backup")),
    ]


def class_weights(y):
    """Return balanced class weights ``n_examples / (n_classes * count)`` per class.

    The same values as ``sklearn.utils.class_weight.compute_class_weight
    ("balanced", ...)``, as the dict that ``model.fit(class_weight=...)`` takes.
    """
    y = np.asarray(y).ravel()
    if y.size == 0:
        raise ValueError("y is empty; class weights need at least one label.")
    classes, counts = np.unique(y, return_counts=True)
    weights = len(y) / (len(classes) * counts)
    return {int(label): float(weight) for label, weight in zip(classes, weights)}


def random_shift(max_shift=1, seed=settings.DEFAULT_SEED):
    """Return a function that shifts each image by up to ``max_shift`` pixels.

    The returned function takes one image (height, width, channels) and pads it
    with zeros by ``max_shift`` on each side, then crops a random window of the
    original size, so the content moves by -max_shift..max_shift pixels in each
    direction. The random stream comes from a ``tf.random.Generator`` seeded with
    ``seed``: two runs give the same shifts, and each epoch gets new ones.
    """
    generator = tf.random.Generator.from_seed(seed)

    def shift(image):
        padded = tf.pad(image, [[max_shift, max_shift], [max_shift, max_shift], [0, 0]])
        return tf.image.stateless_random_crop(padded, tf.shape(image),
                                              seed=generator.make_seeds(1)[:, 0])

    return shift


def make_dataset(x, y, batch_size, augment=None, shuffle=True, seed=settings.DEFAULT_SEED):
    """Return a batched ``tf.data.Dataset`` of ``(x, y)``.

    Args:
        x: examples, (n, ...).
        y: labels, (n,).
        batch_size: examples per batch.
        augment: function applied to each single example, or None.
        shuffle: reshuffle the examples every epoch (with ``seed``).
        seed: seed of the shuffle.
    """
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if augment is not None:
        # Sequential map: the augmentation generator's stream stays in one order.
        dataset = dataset.map(lambda example, label: (augment(example), label))
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@dataclasses.dataclass
class FitResult:
    """What ``fit`` returns.

    Attributes:
        history: the Keras History (``history.history`` maps metric -> values).
        train_time_s: wall-clock time of ``model.fit``, in seconds.
        epochs_run: epochs completed, fewer than requested after early stopping.
    """

    history: keras.callbacks.History
    train_time_s: float
    epochs_run: int


def fit(model, x_train, y_train, x_val, y_val, epochs, batch_size, callbacks=None,
        class_weight=None, augment=None, seed=settings.DEFAULT_SEED, verbose=2):
    """Train a compiled model and time it.

    Args:
        model: a compiled Keras model.
        x_train, y_train: training examples (n, ...) and labels (n,).
        x_val, y_val: validation examples and labels, evaluated every epoch.
        epochs: maximum epochs.
        batch_size: examples per step.
        callbacks: Keras callbacks, for example ``standard_callbacks(...) +
            tensorboard_callbacks(...)``.
        class_weight: dict class -> weight, for example ``class_weights(y_train)``.
        augment: per-example augmentation such as ``random_shift()``; training
            data then goes through ``make_dataset``.
        seed: seed of the shuffle when ``augment`` is given.
        verbose: Keras' verbosity; 2 prints one line per epoch.

    Returns:
        A FitResult with the History and the training time in seconds.
    """
    if not model.optimizer or not getattr(model, "compiled_loss", None):
        raise ValueError(f"Model {model.name!r} is not compiled; call model.compile(...) first.")
    if len(x_train) != len(y_train) or len(x_val) != len(y_val):
        raise ValueError(f"Examples and labels differ in number: x_train {len(x_train)}, "
                         f"y_train {len(y_train)}, x_val {len(x_val)}, y_val {len(y_val)}.")

    if augment is None:
        inputs = {"x": x_train, "y": y_train, "batch_size": batch_size, "shuffle": True}
    else:
        inputs = {"x": make_dataset(x_train, y_train, batch_size, augment, seed=seed)}

    start = time.perf_counter()
    history = model.fit(**inputs, validation_data=(x_val, y_val), epochs=epochs,
                        callbacks=callbacks or [], class_weight=class_weight, verbose=verbose)
    train_time_s = time.perf_counter() - start
    logger.info("Trained %s for %d epochs in %.1f s", model.name, len(history.epoch),
                train_time_s)
    return FitResult(history=history, train_time_s=train_time_s, epochs_run=len(history.epoch))


__all__ = ["AtomicModelCheckpoint", "ConfusionMatrixLogger", "EvaluationReport", "FitResult",
           "LearningRateLogger", "SampleImageLogger", "class_weights", "current_learning_rate",
           "evaluate_classifier", "fit", "make_dataset", "random_shift", "standard_callbacks",
           "tensorboard_callbacks"]
