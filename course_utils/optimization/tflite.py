"""TFLite conversion through a SavedModel, in five variants.

Variants:
    ``float32``: no quantization, the reference.
    ``dynamic_range``: int8 weights, float activations (no calibration data).
    ``float16``: float16 weights, computed in float32 on a CPU.
    ``int8``: full integer: int8 weights and activations, int8 input and output.
        It needs a representative dataset (about 100 training examples) to
        calibrate the activation ranges. Weights get one scale per output
        channel (per-channel, or per-axis, quantization).
    ``int8_per_tensor``: the same, but each weight tensor shares one scale and
        zero point (converter option ``_experimental_disable_per_channel``).
        Per-channel quantization stores a float32 scale and an int64 zero point
        for every output channel of every weight and bias tensor: 12 bytes per
        channel, which on a small model with few weights per channel is a large
        part of the file. One scale per tensor saves those bytes but fits the
        int8 grid to the widest channel, so channels with small weights keep
        fewer distinct levels. The option is experimental (underscore prefix)
        and may change between TensorFlow releases.

Conversion goes through a SavedModel on disk, which works for plain, stripped
and QAT models alike.
"""

import logging
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from course_utils import settings
from course_utils.optimization._common import require_tf_keras
from course_utils.tf_logs import quiet_tensorflow_logger

logger = logging.getLogger(__name__)

VARIANTS = ("float32", "dynamic_range", "float16", "int8", "int8_per_tensor")

# Variants with int8 activations, which need representative data to calibrate.
FULL_INTEGER_VARIANTS = ("int8", "int8_per_tensor")


class RepresentativeDataError(ValueError):
    """Raised when int8 calibration data is missing or does not fit the model."""


def save_saved_model(model, path):
    """Export ``model``'s inference function as a SavedModel; return the path.

    Only a ``tf.Module`` with the model's variables and one serving signature
    is saved, not the Keras object. That is all the converter reads, and it
    saves about four times faster than ``tf.saved_model.save(model)``, which
    traces every layer for Keras' own loading.
    """
    require_tf_keras(model)
    path = Path(path)
    input_spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32, name="input")
    module = tf.Module()
    module.model_variables = model.variables
    module.serve = tf.function(lambda x: model(x, training=False), input_signature=[input_spec])
    with quiet_tensorflow_logger():
        tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def check_representative_data(x, input_shape):
    """Raise RepresentativeDataError unless ``x`` is float32 (n, *input_shape)."""
    if x is None:
        raise RepresentativeDataError(
            "int8 conversion needs representative_data: about 100 training examples "
            "shaped like the model input, to calibrate activation ranges. Pass for "
            "example representative_data=x_train[:100].")
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise RepresentativeDataError(
            f"representative_data has dtype {x.dtype}, expected float32 (the float "
            "model's input). Convert it with x.astype('float32') and scale it as in training.")
    expected = tuple(input_shape)
    expected_text = ", ".join(map(str, expected))
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
        raise RepresentativeDataError(
            f"representative_data has shape {x.shape}, expected (n, {expected_text}) "
            "like the model input.")
    if len(x) == 0:
        raise RepresentativeDataError("representative_data is empty; pass about 100 examples.")
    return x


def _configure(converter, variant, representative_data, input_shape):
    if variant == "float32":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif variant in FULL_INTEGER_VARIANTS:
        x = check_representative_data(representative_data, input_shape)

        def representative_dataset():
            for example in x:
                yield [example[np.newaxis]]

        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        converter._experimental_disable_per_channel = variant == "int8_per_tensor"


def convert(model, variant="float32", representative_data=None, saved_model_dir=None):
    """Convert a tf_keras model to a TFLite flatbuffer through a SavedModel.

    Args:
        model: tf_keras model (plain, stripped or QAT).
        variant: one of ``VARIANTS``.
        representative_data: float32 array (n, *input_shape); required for
            ``int8`` and ``int8_per_tensor``.
        saved_model_dir: where to keep the SavedModel; a temporary folder if None.

    Returns:
        The flatbuffer as bytes.
    """
    require_tf_keras(model)
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}. Valid values are: {', '.join(VARIANTS)}.")
    input_shape = tuple(model.input_shape[1:])
    if variant in FULL_INTEGER_VARIANTS:  # fail before the slow export
        check_representative_data(representative_data, input_shape)
    with tempfile.TemporaryDirectory(prefix="savedmodel-") as scratch:
        path = save_saved_model(model, saved_model_dir or Path(scratch) / "model")
        converter = tf.lite.TFLiteConverter.from_saved_model(str(path))
        _configure(converter, variant, representative_data, input_shape)
        flatbuffer = converter.convert()
    logger.info("Converted %s to TFLite %s: %d bytes.", model.name, variant, len(flatbuffer))
    return flatbuffer


def write_tflite(flatbuffer, name, folder=None):
    """Write ``flatbuffer`` to ``folder/name.tflite`` (default build/models); return the path."""
    folder = Path(folder) if folder is not None else settings.models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.tflite"
    temporary = path.with_suffix(".tflite.tmp")
    temporary.write_bytes(flatbuffer)
    temporary.replace(path)
    return path
