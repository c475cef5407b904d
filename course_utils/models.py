"""Keras model builders for the image and speech tasks, and saved-model helpers.

Every model is built with ``course_utils.keras`` (tf_keras, Keras 2) so that
TensorFlow Model Optimization can prune, cluster and quantize it later.
"""

import logging
import os
import shutil
from pathlib import Path

from course_utils import keras, settings

logger = logging.getLogger(__name__)

IMAGE_CNN_FILE = "image_cnn.keras"
IMAGE_CNN_SAVEDMODEL = "image_cnn_savedmodel"


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
    dropout and a softmax layer. Flattening keeps where a stroke is, which
    matters for 8x8 digits; global average pooling lost about one test
    accuracy point in our runs. Every layer is one that TF-MOT can prune,
    cluster and quantize.

    Args:
        input_shape: (height, width, channels) of one image.
        num_classes: number of output classes.
        filters: filters of the first and the second stage.
        dropout: dropout rate before the softmax layer.
        learning_rate: Adam's learning rate when compiling.
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
    model.save(partial_file)
    os.replace(partial_file, keras_path)

    partial_folder = folder / f".{stem}_savedmodel.partial"
    if partial_folder.exists():
        shutil.rmtree(partial_folder)
    model.save(str(partial_folder), save_format="tf")
    _replace_folder(partial_folder, savedmodel_path)
    logger.info("Saved %s and %s", keras_path, savedmodel_path)
    return keras_path, savedmodel_path


def train_image_cnn(splits, epochs, batch_size, callbacks=(), seed=settings.DEFAULT_SEED,
                    verbose=0):
    """Build and train the image CNN with the course's recipe.

    The recipe: ``build_image_cnn`` for the shape of ``splits.x_train``,
    random shifts of up to one pixel, the learning rate halved when the
    validation loss stalls for 4 epochs, and early stopping on validation
    accuracy (patience 10) with the best weights restored.

    Args:
        splits: an object with x_train, y_train, x_val, y_val and class_names.
        epochs: maximum epochs.
        batch_size: examples per step.
        callbacks: extra callbacks, for example TensorBoard ones.
        seed: seed for the weights, the shuffle and the shifts.
        verbose: Keras' verbosity.

    Returns:
        (model, FitResult).
    """
    from course_utils import training

    settings.seed_everything(seed)
    model = build_image_cnn(splits.x_train.shape[1:], len(splits.class_names))
    recipe = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=4,
                                          min_lr=1e-5),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=10,
                                      restore_best_weights=True),
    ]
    result = training.fit(model, splits.x_train, splits.y_train, splits.x_val, splits.y_val,
                          epochs=epochs, batch_size=batch_size,
                          callbacks=[*recipe, *callbacks],
                          augment=training.random_shift(1, seed=seed), seed=seed,
                          verbose=verbose)
    return model, result


def load_or_train_image_cnn(folder=None, seed=settings.DEFAULT_SEED):
    """Load ``image_cnn.keras`` from the models folder, or train and save it first.

    Notebook 05 saves the model; later notebooks call this so that they also
    run when notebook 05 has not run. Training uses the digits and the sizes
    of the current run mode, and saves both the ``.keras`` file and the
    SavedModel.
    """
    folder = Path(folder) if folder else settings.models_dir()
    path = folder / IMAGE_CNN_FILE
    if path.exists():
        logger.info("Loading %s", path)
        return keras.models.load_model(path)

    from course_utils.digits import load_digits_splits

    logger.info("%s not found; training the image CNN", path)
    sizes = settings.sizes()
    splits = load_digits_splits(seed).subset(sizes.max_train_examples, sizes.max_eval_examples,
                                             seed=seed)
    model, _ = train_image_cnn(splits, sizes.epochs, sizes.batch_size, seed=seed)
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


def build_speech_cnn(input_shape=(40, 63, 1), num_classes=10, dropout=0.2):
    """Build a compact CNN for log-mel spectrograms; returned uncompiled.

    Three convolution blocks (16, 32, 64 filters of 3 x 3, batch norm, ReLU, the
    first two followed by 2 x 2 max pooling), global average pooling, dropout
    and a softmax layer. With the default shapes it has 24,282 parameters
    (24,058 trainable).

    Args:
        input_shape: one log-mel example ``(n_mels, n_frames, 1)``, in dB.
        num_classes: output classes.
        dropout: dropout rate before the softmax layer.
    """
    inputs = keras.Input(shape=input_shape, name="log_mel")
    x = _conv_bn_relu(inputs, 16, 3, name="block1")
    x = keras.layers.MaxPooling2D(2, name="block1_pool")(x)
    x = _conv_bn_relu(x, 32, 3, name="block2")
    x = keras.layers.MaxPooling2D(2, name="block2_pool")(x)
    x = _conv_bn_relu(x, 64, 3, name="block3")
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

    Every layer is one that TensorFlow Model Optimization 0.8 can prune,
    cluster and quantize: ``DepthwiseConv2D`` plus a 1 x 1 ``Conv2D`` stand in
    for ``SeparableConv2D``, which its quantization registry does not support,
    and the log-mel front end stays outside the model.

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
    """Load the saved speech DS-CNN, or train and save it first; return ``(model, info)``.

    See ``course_utils.speech_training.load_or_train_speech_model``, which this calls.
    """
    from course_utils import speech_training  # imported here because it imports this module

    return speech_training.load_or_train_speech_model(folder)
