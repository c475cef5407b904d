"""Speech classifiers on log-mel spectrograms (moved into models.py once it exists)."""

from course_utils import keras

# The embedded training set has a few hundred clips, so an epoch is only a few
# dozen steps; with Keras' default momentum of 0.99 the moving statistics that
# inference uses would lag far behind the batch statistics for many epochs.
BATCH_NORM_MOMENTUM = 0.9


def _conv_bn_relu(x, filters, kernel_size, strides=1, name=None):
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                            use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_bn")(x)
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

    The layout follows the DS-CNN of Zhang et al., "Hello Edge: Keyword
    Spotting on Microcontrollers" (2017): a 5 x 5 convolution with stride 2,
    then ``num_blocks`` blocks of a 3 x 3 depthwise convolution and a 1 x 1
    pointwise convolution, each followed by batch norm and ReLU, then global
    average pooling, dropout and a softmax layer. With the defaults it has
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
        x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_depthwise_bn")(x)
        x = keras.layers.ReLU(name=f"{name}_depthwise_relu")(x)
        x = _conv_bn_relu(x, filters, 1, name=f"{name}_pointwise")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="ds_cnn")
