"""TensorBoard callbacks: Keras' own logging plus images and the learning rate.

``keras.callbacks.TensorBoard`` writes the epoch scalars, weight histograms and
the training graph. The callbacks here add what a learner also wants to see
while a model trains: a grid of labelled input examples (written once), a
confusion matrix of the validation set after each epoch, and the optimizer's
learning rate. They work for any classifier whose inputs can be drawn as
images; the speech notebook passes ``image_fn`` to draw spectrograms.

Layout of one run folder, ``settings.log_dir(run_name)``:
    train/        Keras: epoch_* scalars of the training set, histograms, graph
    validation/   Keras: epoch_* scalars of the validation set
    images/       sample_inputs (step 0) and confusion_matrix (step = epoch)
"""

import logging
import shutil

import numpy as np
import tensorflow as tf
from sklearn.metrics import confusion_matrix

from course_utils import doctor, keras, plotting, settings

logger = logging.getLogger(__name__)

# Examples per forward pass when the confusion-matrix callback predicts.
_PREDICT_BATCH = 512


def current_learning_rate(optimizer):
    """Return the optimizer's learning rate at its current step, as a float."""
    rate = getattr(optimizer, "_learning_rate", None)
    if rate is None:
        rate = optimizer.learning_rate
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        rate = rate(optimizer.iterations)
    return float(keras.backend.get_value(rate))


class LearningRateLogger(keras.callbacks.Callback):
    """Add the learning rate used in each epoch to the epoch logs as ``learning_rate``.

    The rate is read when the epoch begins, so a callback such as
    ReduceLROnPlateau that lowers it at the end of an epoch shows up in the
    next epoch. Keras hands one logs dict to the callbacks in list order, so a
    TensorBoard callback placed after this one writes the value as the scalar
    ``epoch_learning_rate``, and the History records it too.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._rate = current_learning_rate(self.model.optimizer)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self._rate


class TensorBoard(keras.callbacks.TensorBoard):
    """Keras' TensorBoard callback that also writes the training graph without profiling.

    In tf_keras 2.21 the graph of the training step is written from a batch
    hook, and Keras calls batch hooks only while profiling or logging steps
    per second. This subclass writes the graph at the end of the first epoch
    instead, so ``profile_batch=0`` (no profiler traces) still gives a graph.
    """

    def on_epoch_end(self, epoch, logs=None):
        # NOTE: relies on private members of tf_keras 2.21's TensorBoard;
        # check them when upgrading tf_keras.
        if self._should_write_train_graph:
            self._write_keras_model_train_graph()
            self._should_write_train_graph = False
        super().on_epoch_end(epoch, logs)


def _class_names_or_indices(class_names, n_classes):
    if class_names is None:
        return [str(index) for index in range(n_classes)]
    if len(class_names) != n_classes:
        raise ValueError(f"class_names has {len(class_names)} names but the model predicts "
                         f"{n_classes} classes; pass one name per class.")
    return list(class_names)


def predict_in_batches(model, x, batch_size=_PREDICT_BATCH):
    """Return ``model(x)`` as a NumPy array, computed in inference mode by batches."""
    outputs = [model(x[start:start + batch_size], training=False).numpy()
               for start in range(0, len(x), batch_size)]
    return np.concatenate(outputs)


class SampleImageLogger(keras.callbacks.Callback):
    """Write a labelled grid of input examples to TensorBoard once, at step 0.

    Args:
        writer: a ``tf.summary`` file writer.
        x: examples, (n, ...); the first ``n_images`` are drawn.
        y: class indices of ``x``, or None for untitled images.
        class_names: label for each class index, or None to show indices.
        image_fn: maps a batch of examples to float images (n, height, width,
            channels) for drawing, for example waveforms to spectrograms.
            None draws ``x`` itself, which must then be images.
        n_images: how many examples to draw.
    """

    def __init__(self, writer, x, y=None, class_names=None, image_fn=None, n_images=16):
        super().__init__()
        self.writer = writer
        self.x = np.asarray(x[:n_images])
        self.y = None if y is None else np.asarray(y[:n_images])
        self.class_names = class_names
        self.image_fn = image_fn

    def on_train_begin(self, logs=None):
        images = np.asarray(self.image_fn(self.x) if self.image_fn else self.x)
        if images.ndim != 4:
            raise ValueError(f"Sample images must have shape (n, height, width, channels), got "
                             f"{images.shape}. Pass image_fn to turn the inputs into images.")
        titles = None
        if self.y is not None:
            names = self.class_names
            titles = [str(names[label]) if names is not None else str(label) for label in self.y]
        figure = plotting.plot_image_grid(images, titles, title="Sample inputs")
        with self.writer.as_default():
            tf.summary.image("sample_inputs", plotting.figure_to_image(figure), step=0)
        self.writer.flush()


class ConfusionMatrixLogger(keras.callbacks.Callback):
    """Write the validation confusion matrix as an image after every ``freq`` epochs.

    Args:
        writer: a ``tf.summary`` file writer.
        x: validation examples, (n, ...).
        y: their class indices, (n,).
        class_names: label for each class index, or None to show indices.
        freq: log after every ``freq``-th epoch; the step is the epoch index.
    """

    def __init__(self, writer, x, y, class_names=None, freq=1):
        super().__init__()
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} examples but y has {len(y)} labels.")
        self.writer = writer
        self.x = x
        self.y = np.asarray(y)
        self.class_names = class_names
        self.freq = freq

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.freq:
            return
        probabilities = predict_in_batches(self.model, self.x)
        n_classes = probabilities.shape[-1]
        names = _class_names_or_indices(self.class_names, n_classes)
        predictions = probabilities.argmax(axis=-1)
        confusion = confusion_matrix(self.y, predictions, labels=np.arange(n_classes))
        accuracy = float(np.mean(predictions == self.y))

        figure = plotting.plot_confusion_matrix(
            confusion, names, title=f"Epoch {epoch + 1}: validation accuracy {accuracy:.3f}")
        with self.writer.as_default():
            tf.summary.image("confusion_matrix", plotting.figure_to_image(figure), step=epoch)
        self.writer.flush()


def tensorboard_callbacks(run_name, x_val=None, y_val=None, class_names=None, image_fn=None,
                          histogram_freq=1, confusion_freq=1, n_sample_images=16, clear=True):
    """Return the callbacks that log a training run to ``settings.log_dir(run_name)``.

    The list holds, in this order: a LearningRateLogger, a TensorBoard
    callback (Keras' own, with epoch scalars, weight histograms every ``histogram_freq`` epochs
    and the graph) and, when ``x_val`` is given, a SampleImageLogger and a
    ConfusionMatrixLogger (the latter only with ``y_val``).

    Args:
        run_name: folder name of the run inside the log folder.
        x_val: validation examples used for the images, or None.
        y_val: their class indices, or None.
        class_names: label for each class index, or None.
        image_fn: turns a batch of examples into images for drawing; None
            draws ``x_val`` as it is.
        histogram_freq: epochs between weight histograms; 0 turns them off.
        confusion_freq: epochs between confusion-matrix images.
        n_sample_images: examples in the sample grid.
        clear: delete earlier logs of this run first, so that a rerun of a
            notebook shows one clean run in TensorBoard.

    Raises:
        doctor.EnvironmentProblem: TensorBoard is not installed.
    """
    doctor.require_tensorboard()
    run_dir = settings.log_dir(run_name)
    if clear and run_dir.exists():
        logger.info("Removing earlier TensorBoard logs in %s", run_dir)
        shutil.rmtree(run_dir)

    callbacks = [
        LearningRateLogger(),
        # profile_batch=0: profiling writes large traces and slows a CPU run.
        TensorBoard(log_dir=str(run_dir), histogram_freq=histogram_freq,
                                    write_graph=True, update_freq="epoch", profile_batch=0),
    ]
    if x_val is not None:
        writer = tf.summary.create_file_writer(str(run_dir / "images"))
        callbacks.append(SampleImageLogger(writer, x_val, y_val, class_names, image_fn,
                                           n_sample_images))
        if y_val is not None:
            callbacks.append(ConfusionMatrixLogger(writer, x_val, y_val, class_names,
                                                   confusion_freq))
    return callbacks
