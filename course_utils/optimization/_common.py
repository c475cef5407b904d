"""Checks and fine-tuning steps shared by pruning, clustering and QAT.

TF-MOT wrappers reuse the layer objects of the model they are given, so pruning
or clustering a model in place changes the baseline. Every experiment here works
on ``fresh_copy(baseline)`` instead.
"""

import logging

from course_utils import keras

logger = logging.getLogger(__name__)


class Keras3ModelError(TypeError):
    """Raised when a Keras 3 model reaches a TF-MOT helper, which needs tf_keras."""


def require_tf_keras(model, argument="model"):
    """Raise unless ``model`` is a tf_keras (Keras 2) model.

    Raises:
        Keras3ModelError: ``model`` is a Keras 3 model.
        TypeError: ``model`` is not a Keras model at all.
    """
    if isinstance(model, keras.Model):
        return
    module = type(model).__module__
    if module.split(".")[0] == "keras":
        raise Keras3ModelError(
            f"{argument} is a Keras 3 model ({module}.{type(model).__name__}). "
            "TensorFlow Model Optimization 0.8 works only with Keras 2 (tf_keras). "
            "Rebuild the model with `from course_utils import keras` (or `import tf_keras "
            "as keras`) and copy the weights over with `new_model.set_weights("
            "old_model.get_weights())`, or restart the kernel with `import course_utils` "
            "before `import tensorflow`."
        )
    raise TypeError(f"{argument} must be a tf_keras Model, got {type(model).__name__}.")


def fresh_copy(model):
    """Return a new model with the same architecture and weights as ``model``.

    The copy shares no layer or variable with ``model``, so TF-MOT wrappers
    applied to it leave ``model`` unchanged. The copy is not compiled.
    """
    require_tf_keras(model)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def outputs_probabilities(model):
    """Return True if the model's last layer applies a softmax."""
    last = model.layers[-1]
    while hasattr(last, "layer"):  # a TF-MOT wrapper around the real layer
        last = last.layer
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = getattr(last, "activation", None)
    # QAT replaces a layer's activation with a QuantizeAwareActivation that keeps
    # the original function in its own ``activation`` attribute.
    while activation is not None and not hasattr(activation, "__name__") \
            and hasattr(activation, "activation"):
        activation = activation.activation
    return getattr(activation, "__name__", "") == "softmax"


def compile_classifier(model, learning_rate, from_logits=None):
    """Compile with Adam, sparse categorical cross-entropy and accuracy.

    Args:
        from_logits: None detects it from the last layer (softmax or not).
    """
    if from_logits is None:
        from_logits = not outputs_probabilities(model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=["accuracy"],
    )
    return model


def fine_tune(model, x_train, y_train, *, epochs, batch_size, learning_rate,
              callbacks=(), validation_data=None, from_logits=None):
    """Compile ``model`` and fit it quietly; return the Keras History."""
    compile_classifier(model, learning_rate, from_logits)
    logger.info("Fine-tuning %s for %d epochs on %d examples.", model.name, epochs,
                len(x_train))
    return model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                     validation_data=validation_data, callbacks=list(callbacks),
                     verbose=0, shuffle=True)


def steps_per_epoch(num_examples, batch_size):
    """Return the number of training steps in one epoch (the last batch may be short)."""
    return -(-num_examples // batch_size)
