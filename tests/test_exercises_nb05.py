"""Checkers of notebook 05 accept right answers and name what is wrong."""

import numpy as np

from course_utils import keras
from course_utils.exercises import run_check


def precision_recall(confusion):
    correct = np.diag(confusion).astype(float)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)
    recall = np.divide(correct, actual, out=np.zeros_like(correct), where=actual > 0)
    return precision, recall


def test_precision_recall_right():
    result = run_check("05.1", precision_recall)
    assert result.passed
    assert result.message == "Correct: precision and recall from a confusion matrix."


def test_precision_recall_swapped_axes():
    def swapped(confusion):
        precision, recall = precision_recall(confusion)
        return recall, precision

    result = run_check("05.1", swapped)
    assert not result.passed
    assert result.message == ("precision for class 0 is 0.833 for the confusion matrix "
                              "[[5, 1, 0], [2, 7, 0], [1, 1, 0]], which is not right.")
    assert result.hint.startswith("Rows are true classes and columns predicted classes.")


def test_precision_recall_nan_for_unpredicted_class():
    def unguarded(confusion):
        with np.errstate(invalid="ignore"):
            correct = np.diag(confusion)
            return correct / confusion.sum(axis=0), correct / confusion.sum(axis=1)

    result = run_check("05.1", unguarded)
    assert result.message == ("precision contains NaN for the confusion matrix "
                              "[[5, 1, 0], [2, 7, 0], [1, 1, 0]].")


def test_precision_recall_not_a_tuple():
    result = run_check("05.1", lambda confusion: np.diag(confusion))
    assert result.message == "The function returned ndarray, expected a tuple (precision, recall)."


def test_precision_recall_wrong_shape():
    result = run_check("05.1", lambda confusion: (np.zeros(2), np.zeros(3)))
    assert result.message == ("precision has shape (2,) for a 3-class confusion matrix; "
                              "expected one value per class, shape (3,).")


def test_precision_recall_unfilled():
    def unfilled(confusion):
        raise NotImplementedError

    assert run_check("05.1", unfilled).message == "The solution cell is not filled in yet."


def compact_cnn(filters=8, activation="softmax", compile=True, input_shape=(8, 8, 1),
                units=10):
    model = keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(filters, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(units, activation=activation),
    ])
    if compile:
        model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    return model


def test_compact_cnn_right():
    result = run_check("05.2", compact_cnn())
    assert result.passed
    assert result.message == "Correct: a CNN with fewer than 20,000 parameters."


def test_compact_cnn_too_many_parameters():
    result = run_check("05.2", compact_cnn(filters=128))
    assert result.message == "The model has 21,770 parameters; the budget is fewer than 20,000."


def test_compact_cnn_logits_output():
    result = run_check("05.2", compact_cnn(activation=None))
    assert result.message == ("The model's outputs do not sum to 1 for each example, so they "
                              "are not class probabilities.")
    assert result.hint == "Use activation='softmax' in the last layer."


def test_compact_cnn_not_compiled():
    assert run_check("05.2", compact_cnn(compile=False)).message == "The model is not compiled."


def test_compact_cnn_wrong_input():
    result = run_check("05.2", compact_cnn(input_shape=(28, 28, 1)))
    assert result.message == ("The model's input shape is (None, 28, 28, 1), expected "
                              "(None, 8, 8, 1).")


def test_compact_cnn_wrong_output():
    result = run_check("05.2", compact_cnn(units=9))
    assert result.message == "The model's output shape is (None, 9), expected (None, 10)."


def shift_image(image, dy, dx):
    height, width = image.shape[:2]
    padded = np.pad(image, ((height, height), (width, width), (0, 0)))
    return padded[height - dy:2 * height - dy, width - dx:2 * width - dx].copy()


def test_shift_image_right():
    result = run_check("05.3", shift_image)
    assert result.passed
    assert result.message == "Correct: shift an image with zero fill."


def test_shift_image_roll_wraps_around():
    result = run_check("05.3", lambda image, dy, dx: np.roll(image, (dy, dx), axis=(0, 1)))
    assert result.message == "For dy=1, dx=0 the shifted image is not right."
    assert "np.roll" in result.hint


def test_shift_image_wrong_direction():
    result = run_check("05.3", lambda image, dy, dx: shift_image(image, -dy, -dx))
    assert result.message == "For dy=1, dx=0 the shifted image is not right."


def test_shift_image_changes_size():
    result = run_check("05.3", lambda image, dy, dx: image[abs(dy):, abs(dx):])
    assert result.message == ("For dy=1, dx=0 the result has shape (5, 5, 1), expected the "
                              "input's shape (6, 5, 1).")


def test_shift_image_in_place():
    def in_place(image, dy, dx):
        image[:] = shift_image(image, dy, dx)
        return image

    result = run_check("05.3", in_place)
    assert result.message == "The function changed the input image in place."
