"""Keras model builders for the image and speech tasks, and saved-model helpers.

Every model is built with ``course_utils.keras`` (tf_keras, Keras 2) so that
TensorFlow Model Optimization can prune, cluster and quantize it later.
"""

import logging
import math
import os
import shutil
from pathlib import Path

from course_utils import keras, settings
from course_utils.tf_logs import quiet_tensorflow_logger

logger = logging.getLogger(__name__)

IMAGE_CNN_FILE = "image_cnn.keras"
IMAGE_CNN_SAVEDMODEL = "image_cnn_savedmodel"

# With fewer epochs a smoke run (256 images, batch 64) takes too few steps for the
# batch-normalisation statistics to settle, and test accuracy stays near chance.
IMAGE_CNN_MIN_EPOCHS = 10


def image_cnn_epochs():
    """Return the epochs for the image CNN: the run mode's, but at least 10."""
    return max(settings.sizes().epochs, IMAGE_CNN_MIN_EPOCHS)


def _conv_block(filters, name):
    """Conv 3x3 without bias, batch normalisation, ReLU (BN supplies the offset)."""
    # Momentum 0.9 instead of Keras' 0.99: a small data set gives few steps, and
    # the moving statistics used at inference must still settle.
    return [
        keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv"),
        keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn"),
        keras.layers.ReLU(name=f"{name}_relu"),
    ]


def build_image_cnn(input_shape=(8, 8, 1), num_classes=10, filters=(32, 64), dropout=0.3,
                    learning_rate=1e-3, compile=True):
    """Build a small CNN for digit images such as scikit-learn's 8x8 digits.

    Two stages of two conv blocks each (3x3 convolution, batch normalisation,
    ReLU), the first stage followed by 2x2 max pooling, then flattening,
    dropout and a softmax layer. Flattening, unlike global average pooling,
    keeps where a stroke is, which matters for 8x8 digits. Every layer is one
    that TF-MOT can prune, cluster and quantize.

    Args:
        input_shape: (height, width, channels) of one image.
        num_classes: number of output classes.
        filters: filters of the first and the second stage.
        dropout: dropout rate before the softmax layer.
        learning_rate: Adam's learning rate when compiling, a float or a
            schedule such as ``cosine_learning_rate(...)``.
        compile: compile with Adam, sparse categorical cross-entropy and
            accuracy; False returns the model uncompiled.

    Returns:
        A ``keras.Sequential`` named "image_cnn" whose output is class
        probabilities, (batch, num_classes).
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}.")
    layers = [keras.Input(shape=input_shape, name="image")]
    layers += _conv_block(filters[0], "block1a") + _conv_block(filters[0], "block1b")
    layers.append(keras.layers.MaxPooling2D(2, name="pool1"))
    layers += _conv_block(filters[1], "block2a") + _conv_block(filters[1], "block2b")
    layers += [
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dropout(dropout, name="dropout"),
        keras.layers.Dense(num_classes, activation="softmax", name="probabilities"),
    ]
    model = keras.Sequential(layers, name="image_cnn")
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _replace_folder(source, target):
    """Move folder ``source`` to ``target``, removing an older ``target`` first."""
    if target.exists():
        shutil.rmtree(target)
    os.replace(source, target)


def save_model_files(model, stem, folder=None):
    """Save ``model`` as ``<stem>.keras`` and as the SavedModel ``<stem>_savedmodel``.

    Both are written under a temporary name and then renamed, so a reader
    never finds a half-written file. The SavedModel is what the TFLite
    converter reads.

    Returns:
        (keras_path, savedmodel_path) as pathlib.Path objects.
    """
    folder = Path(folder) if folder else settings.models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    keras_path = folder / f"{stem}.keras"
    savedmodel_path = folder / f"{stem}_savedmodel"

    partial_file = folder / f".{stem}.partial.keras"
    partial_folder = folder / f".{stem}_savedmodel.partial"
    if partial_folder.exists():
        shutil.rmtree(partial_folder)
    with quiet_tensorflow_logger():
        model.save(partial_file)
        model.save(str(partial_folder), save_format="tf")
    os.replace(partial_file, keras_path)
    _replace_folder(partial_folder, savedmodel_path)
    logger.info("Saved %s and %s", keras_path, savedmodel_path)
    return keras_path, savedmodel_path


def cosine_learning_rate(epochs, n_train, batch_size, peak=2e-3):
    """Return a schedule that decays from ``peak`` to 0 along a cosine over the run.

    Args:
        epochs: epochs of the run.
        n_train: training examples per epoch.
        batch_size: examples per step.
        peak: learning rate of the first step.
    """
    steps = epochs * math.ceil(n_train / batch_size)
    return keras.optimizers.schedules.CosineDecay(peak, decay_steps=steps)


def fit_image_cnn(model, splits, epochs, batch_size, callbacks=(), seed=settings.DEFAULT_SEED,
                  verbose=0):
    """Train an image CNN on ``splits`` with random shifts and return the FitResult.

    Each training image is shifted by up to one pixel in each direction, with
    new shifts every epoch. There is no early stopping: with a learning rate
    that decays to 0 (``cosine_learning_rate``) the last epoch's weights are
    the ones to keep, and the validation set of 270 digits is too small to
    pick an epoch reliably.

    Args:
        model: a compiled model, such as ``build_image_cnn()``.
        splits: an object with x_train, y_train, x_val and y_val.
        epochs: epochs to train.
        batch_size: examples per step.
        callbacks: extra callbacks, for example TensorBoard ones.
        seed: seed of the shuffle and the shifts.
        verbose: Keras' verbosity.
    """
    from course_utils import training

    return training.fit(model, splits.x_train, splits.y_train, splits.x_val, splits.y_val,
                        epochs=epochs, batch_size=batch_size, callbacks=list(callbacks),
                        augment=training.random_shift(1, seed=seed), seed=seed,
                        verbose=verbose)


def train_image_cnn(splits, epochs, batch_size, callbacks=(), seed=settings.DEFAULT_SEED,
                    verbose=0):
    """Seed everything, build ``build_image_cnn`` for ``splits`` and fit it.

    The model is compiled with ``cosine_learning_rate`` for this run.

    Returns:
        (model, FitResult).
    """
    settings.seed_everything(seed)
    learning_rate = cosine_learning_rate(epochs, len(splits.y_train), batch_size)
    model = build_image_cnn(splits.x_train.shape[1:], len(splits.class_names),
                            learning_rate=learning_rate)
    result = fit_image_cnn(model, splits, epochs, batch_size, callbacks, seed, verbose)
    return model, result


def load_or_train_image_cnn(folder=None, seed=settings.DEFAULT_SEED):
    """Load ``image_cnn.keras`` from the models folder, or train and save it first.

    Notebook 05 saves the model; later notebooks call this so that they also
    run when notebook 05 has not run. Training uses the digits, the sizes
    of the current run mode and ``image_cnn_epochs()``, and saves both the
    ``.keras`` file and the SavedModel.
    """
    folder = Path(folder) if folder else settings.models_dir()
    path = folder / IMAGE_CNN_FILE
    if path.exists():
        logger.info("Loading %s", path)
        return keras.models.load_model(path)

    from course_utils.data import load_dataset

    logger.warning("%s not found; training the image CNN now with notebook 05's recipe "
                   "and saving it there.", path)
    sizes = settings.sizes()
    splits = load_dataset("digits", seed=seed).subset(sizes.max_train_examples,
                                                      sizes.max_eval_examples, seed=seed)
    model, _ = train_image_cnn(splits, image_cnn_epochs(), sizes.batch_size, seed=seed)
    save_model_files(model, Path(IMAGE_CNN_FILE).stem, folder)
    return model


# Speech classifiers. Their input is the log-mel spectrogram (n_mels, n_frames, 1)
# in dB from course_utils.speech, not the waveform: the front end stays outside
# so that TensorFlow Model Optimization can prune, cluster and quantize every
# layer. speech.build_end_to_end_model puts the front end in front for inference.
#
# The embedded training set has a few hundred clips, so an epoch is only a few
# dozen steps. With Keras' default momentum of 0.99, the moving statistics that
# inference uses would lag far behind the batch statistics for many epochs.
SPEECH_BATCH_NORM_MOMENTUM = 0.9


def _conv_bn_relu(x, filters, kernel_size, strides=1, name=None):
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                            use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=SPEECH_BATCH_NORM_MOMENTUM, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def build_speech_cnn(input_shape=(40, 63, 1), num_classes=10, filters=(16, 32, 64, 128),
                     dropout=0.2):
    """Build the course's speech CNN for log-mel spectrograms; returned uncompiled.

    One block per entry of ``filters``: a 3 x 3 convolution, batch norm and
    ReLU, followed by 2 x 2 max pooling in every block but the last. Global
    average pooling, dropout and a softmax layer come last. With the defaults
    it has 99,162 parameters (98,682 trainable) and takes 9.2 million
    multiply-adds per example, against 7.8 million for ``build_ds_cnn``'s
    14,362 parameters: the later blocks hold most of the weights but run on
    small feature maps.

    This is the model notebooks 06 and 07 train and optimize. Every layer is
    one that TensorFlow Model Optimization 0.8 prunes, clusters and quantizes,
    and its weights outweigh the TFLite file's fixed overhead (tensor names,
    shapes, the graph), so int8 makes the file close to 4x smaller.

    Args:
        input_shape: one log-mel example ``(n_mels, n_frames, 1)``, in dB.
        num_classes: output classes.
        filters: channels of each convolution block, one block per entry.
        dropout: dropout rate before the softmax layer.
    """
    if not filters:
        raise ValueError("filters is empty; give one channel count per block, "
                         "for example (16, 32, 64, 128).")
    inputs = keras.Input(shape=input_shape, name="log_mel")
    x = inputs
    for index, channels in enumerate(filters, start=1):
        x = _conv_bn_relu(x, channels, 3, name=f"block{index}")
        if index < len(filters):
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"block{index}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="speech_cnn")


def build_ds_cnn(input_shape=(40, 63, 1), num_classes=10, filters=48, num_blocks=4,
                 dropout=0.2):
    """Build a depthwise-separable CNN (DS-CNN) for keyword spotting; returned uncompiled.

    The model is in the style of the DS-CNN of Zhang et al., "Hello Edge:
    Keyword Spotting on Microcontrollers" (2017, arXiv:1711.07128). It has a
    5 x 5 convolution with stride 2, then ``num_blocks`` blocks of a 3 x 3
    depthwise convolution and a 1 x 1 pointwise convolution. Every convolution
    is followed by batch norm and ReLU. Global average pooling, dropout and a
    softmax layer come last. With the defaults it has
    14,362 parameters (13,498 trainable).

    Notebook 06 shows it beside ``build_speech_cnn`` as the frugal choice for
    a microcontroller. The course optimizes the speech CNN instead: TF-MOT 0.8.1
    neither prunes nor clusters ``DepthwiseConv2D`` kernels, and a model this
    small shrinks only about 3x under int8, because the TFLite file's fixed
    overhead is a large share of it (notebook 07 measures both).

    Every layer is one that TensorFlow Model Optimization 0.8 can quantize:
    ``DepthwiseConv2D`` plus a 1 x 1 ``Conv2D`` stand in for
    ``SeparableConv2D``, which its quantization registry does not support, and
    the log-mel front end stays outside the model.

    Args:
        input_shape: one log-mel example ``(n_mels, n_frames, 1)``, in dB.
        num_classes: output classes.
        filters: channels of every convolution.
        num_blocks: depthwise-separable blocks.
        dropout: dropout rate before the softmax layer.
    """
    inputs = keras.Input(shape=input_shape, name="log_mel")
    x = _conv_bn_relu(inputs, filters, 5, strides=2, name="stem")
    for index in range(1, num_blocks + 1):
        name = f"ds{index}"
        x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False,
                                         name=f"{name}_depthwise")(x)
        x = keras.layers.BatchNormalization(momentum=SPEECH_BATCH_NORM_MOMENTUM,
                                            name=f"{name}_depthwise_bn")(x)
        x = keras.layers.ReLU(name=f"{name}_depthwise_relu")(x)
        x = _conv_bn_relu(x, filters, 1, name=f"{name}_pointwise")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="ds_cnn")


def load_or_train_speech_model(folder=None):
    """Load the saved speech CNN, or train and save it first; return ``(model, info)``.

    See ``course_utils.speech_training.load_or_train_speech_model``, which this calls.
    """
    from course_utils import speech_training  # imported here because it imports this module

    return speech_training.load_or_train_speech_model(folder)
