"""Quantization-aware training (QAT), plain and collaborative.

QAT inserts fake-quantization ops so the model learns weights that survive
rounding to int8. The collaborative schemes keep what an earlier step produced:
``"pruning"`` keeps the zeros (PQAT), ``"clustering"`` keeps the k shared
values (CQAT) and ``"pruning_clustering"`` keeps both (PCQAT).
"""

import logging
import re

import tensorflow_model_optimization as tfmot

from course_utils import keras
from course_utils.optimization._common import fine_tune, fresh_copy, require_tf_keras

logger = logging.getLogger(__name__)

PRESERVE_OPTIONS = (None, "pruning", "clustering", "pruning_clustering")


class UnsupportedLayerError(ValueError):
    """Raised when QAT meets layers that the default 8-bit scheme cannot quantize."""


def _scheme(preserve):
    if preserve is None:
        return tfmot.quantization.keras.default_8bit.Default8BitQuantizeScheme()
    if preserve == "pruning":
        return tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme()
    if preserve in ("clustering", "pruning_clustering"):
        return tfmot.experimental.combine.Default8BitClusterPreserveQuantizeScheme(
            preserve_sparsity=preserve == "pruning_clustering")
    raise ValueError(f"Unknown preserve={preserve!r}. Valid values are: "
                     f"{', '.join(repr(option) for option in PRESERVE_OPTIONS)}.")


# TF-MOT 0.8.1 raises RuntimeError("Layer norm:<class '...LayerNormalization'> is not
# supported. ...") from quantize_apply for the first layer it cannot quantize.
_UNSUPPORTED_PATTERN = re.compile(r"Layer (\S+):<class '([^']+)'> is not supported")


def annotate_for_qat(model, skip=()):
    """Return a fresh copy of ``model`` with every layer not in ``skip`` annotated.

    Args:
        skip: names of layers to leave in float32 (not annotated).
    """
    require_tf_keras(model)
    copy = fresh_copy(model)
    if not (isinstance(copy, keras.Sequential) or getattr(copy, "_is_graph_network", False)):
        raise TypeError(f"QAT needs a Sequential or functional model, got subclassed "
                        f"model {type(model).__name__}.")

    def annotate(layer):
        # A new layer from the config, so the annotated model shares no variables.
        new_layer = layer.__class__.from_config(layer.get_config())
        if layer.name in skip or isinstance(layer, keras.layers.InputLayer):
            return new_layer
        return tfmot.quantization.keras.quantize_annotate_layer(new_layer)

    annotated = keras.models.clone_model(copy, clone_function=annotate)
    annotated.set_weights(copy.get_weights())
    return annotated


def _unsupported_layer_error(name, class_name):
    return UnsupportedLayerError(
        f"QAT cannot quantize layer {name!r} ({class_name}). Pass skip_unsupported=True to "
        "keep it in float32, or annotate it yourself with "
        "tfmot.quantization.keras.quantize_annotate_layer(layer, quantize_config=...) "
        "and a QuantizeConfig that says how to quantize its weights and outputs.")


def quantize_aware_model(model, preserve=None, skip_unsupported=False):
    """Return a QAT copy of ``model`` (not compiled, not trained).

    Layers that follow a convolution, such as BatchNormalization and ReLU, are
    folded into it by TF-MOT and need no support of their own.

    Args:
        preserve: None, ``"pruning"``, ``"clustering"`` or ``"pruning_clustering"``.
        skip_unsupported: leave layers that the 8-bit scheme cannot quantize in
            float32 instead of raising. The TFLite model then switches between
            int8 and float around them.

    Raises:
        UnsupportedLayerError: a layer cannot be quantized and skip_unsupported is False.
    """
    scheme = _scheme(preserve)
    skipped = set()
    while True:
        annotated = annotate_for_qat(model, skip=skipped)
        try:
            with tfmot.quantization.keras.quantize_scope():
                return tfmot.quantization.keras.quantize_apply(annotated, scheme)
        except RuntimeError as error:
            match = _UNSUPPORTED_PATTERN.search(str(error))
            if match is None:
                raise
            name, class_name = match.group(1), match.group(2).rsplit(".", 1)[-1]
            if not skip_unsupported or name in skipped:
                raise _unsupported_layer_error(name, class_name) from error
            logger.warning("QAT keeps layer %r (%s) in float32 because the 8-bit scheme "
                           "cannot quantize it.", name, class_name)
            skipped.add(name)


def quantize_aware_train(model, x_train, y_train, preserve=None, *, epochs=2, batch_size=32,
                         learning_rate=1e-4, skip_unsupported=False, validation_data=None):
    """Fine-tune a QAT copy of ``model`` and return it (convert it with the int8 variant).

    Args:
        model: the trained (possibly pruned or clustered and stripped) tf_keras
            model; it is not modified.
        preserve: which earlier optimization to keep, see ``PRESERVE_OPTIONS``.
    """
    qat_model = quantize_aware_model(model, preserve, skip_unsupported)
    fine_tune(qat_model, x_train, y_train, epochs=epochs, batch_size=batch_size,
              learning_rate=learning_rate, validation_data=validation_data)
    return qat_model
