"""Checkers for notebook 05, image recognition with Keras."""

import numpy as np

from course_utils.exercises import ExerciseFailed, checker

# Rows are true classes, columns predicted classes. Class 2 is never predicted,
# so its precision is 0/0, which sklearn reports as 0 with zero_division=0.
_CONFUSION_CASES = [
    np.array([[5, 1, 0], [2, 7, 0], [1, 1, 0]]),
    np.array([[9, 0], [3, 1]]),
    np.array([[4, 0, 0, 1], [0, 6, 2, 0], [1, 0, 3, 0], [0, 0, 0, 8]]),
]


def _reference_precision_recall(confusion):
    confusion = confusion.astype(float)
    correct = np.diag(confusion)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)
    recall = np.divide(correct, actual, out=np.zeros_like(correct), where=actual > 0)
    return precision, recall


def _check_vector(name, values, expected, confusion):
    values = np.asarray(values, dtype=float)
    if values.shape != expected.shape:
        raise ExerciseFailed(
            f"{name} has shape {values.shape} for a {len(expected)}-class confusion matrix; "
            f"expected one value per class, shape {expected.shape}.",
            "Compute one number per class (per row or column of the matrix).")
    if np.any(np.isnan(values)):
        raise ExerciseFailed(
            f"{name} contains NaN for the confusion matrix {confusion.tolist()}.",
            "A class that is never predicted divides 0 by 0; report 0 for it, as sklearn "
            "does with zero_division=0.")
    wrong = np.flatnonzero(~np.isclose(values, expected, atol=1e-6))
    if wrong.size:
        raise ExerciseFailed(
            f"{name} for class {wrong[0]} is {values[wrong[0]]:.3f} for the confusion matrix "
            f"{confusion.tolist()}, which is not right.",
            "Rows are true classes and columns predicted classes. Precision: of the examples "
            "predicted as class k, the fraction that are class k. Recall: of the examples of "
            "class k, the fraction predicted as class k.")


@checker("05.1", title="precision and recall from a confusion matrix")
def check_precision_recall(function):
    """``function(confusion) -> (precision, recall)``, each an array (n_classes,)."""
    for confusion in _CONFUSION_CASES:
        result = function(confusion.copy())
        if not isinstance(result, tuple) or len(result) != 2:
            raise ExerciseFailed(
                f"The function returned {type(result).__name__}, expected a tuple "
                "(precision, recall).",
                "End the function with `return precision, recall`.")
        expected_precision, expected_recall = _reference_precision_recall(confusion)
        _check_vector("precision", result[0], expected_precision, confusion)
        _check_vector("recall", result[1], expected_recall, confusion)


@checker("05.2", title="a CNN with fewer than 20,000 parameters")
def check_compact_cnn(model, max_params=20_000):
    """``model``: a compiled Keras model, input (8, 8, 1), output 10 probabilities."""
    if tuple(model.input_shape[1:]) != (8, 8, 1):
        raise ExerciseFailed(f"The model's input shape is {model.input_shape}, expected "
                             "(None, 8, 8, 1).",
                             "Start the model with keras.Input(shape=(8, 8, 1)).")
    if tuple(model.output_shape[1:]) != (10,):
        raise ExerciseFailed(f"The model's output shape is {model.output_shape}, expected "
                             "(None, 10).",
                             "End with a Dense layer with one unit per digit class.")
    n_params = model.count_params()
    if n_params >= max_params:
        raise ExerciseFailed(
            f"The model has {n_params:,} parameters; the budget is fewer than {max_params:,}.",
            "model.summary() shows where the parameters are. Fewer filters or pooling "
            "before a Dense layer shrink the count most.")
    if not _has_softmax_output(model):
        raise ExerciseFailed("The model's outputs do not sum to 1 for each example, so they "
                             "are not class probabilities.",
                             "Use activation='softmax' in the last layer.")
    if model.optimizer is None:
        raise ExerciseFailed("The model is not compiled.",
                             "Call model.compile(...) with a loss for integer labels.")


def _has_softmax_output(model):
    """Return True if the model's outputs for random images sum to 1 per example."""
    images = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    outputs = np.asarray(model(images, training=False))
    return bool(np.all(outputs >= 0) and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-4))


def _reference_shift(image, dy, dx):
    shifted = np.zeros_like(image)
    height, width = image.shape[:2]
    rows_to = slice(max(dy, 0), height + min(dy, 0))
    rows_from = slice(max(-dy, 0), height + min(-dy, 0))
    columns_to = slice(max(dx, 0), width + min(dx, 0))
    columns_from = slice(max(-dx, 0), width + min(-dx, 0))
    shifted[rows_to, columns_to] = image[rows_from, columns_from]
    return shifted


_SHIFT_CASES = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, -1), (-2, 2), (0, 0)]


@checker("05.3", title="shift an image with zero fill")
def check_shift_image(function):
    """``function(image, dy, dx)`` moves a (height, width, channels) image down by
    ``dy`` and right by ``dx`` pixels, filling uncovered pixels with 0."""
    image = np.arange(1, 6 * 5 + 1, dtype=np.float32).reshape(6, 5, 1)
    for dy, dx in _SHIFT_CASES:
        original = image.copy()
        result = np.asarray(function(image, dy, dx))
        if not np.array_equal(image, original):
            raise ExerciseFailed("The function changed the input image in place.",
                                 "Build the result in a new array, such as np.zeros_like(image).")
        if result.shape != image.shape:
            raise ExerciseFailed(
                f"For dy={dy}, dx={dx} the result has shape {result.shape}, expected the "
                f"input's shape {image.shape}.",
                "A shift keeps the image size: pixels that leave the image are dropped.")
        if not np.array_equal(result, _reference_shift(image, dy, dx)):
            raise ExerciseFailed(
                f"For dy={dy}, dx={dx} the shifted image is not right.",
                "Positive dy moves the content down and positive dx moves it right. "
                "Pixels that come in from the border are 0, not wrapped around as np.roll "
                "does.")
