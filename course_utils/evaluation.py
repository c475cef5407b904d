"""Evaluation of a trained classifier: accuracy, per-class metrics, confusion matrix.

``course_utils.training`` re-exports ``evaluate_classifier`` and
``EvaluationReport``; they live here to keep each module to one concept.
"""

import dataclasses
import logging

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class EvaluationReport:
    """Metrics of one classifier on one labelled set.

    Attributes:
        class_names: label of each class index.
        y_true: true class indices, (n,).
        predictions: predicted class indices, (n,).
        probabilities: predicted class probabilities, (n, n_classes).
        accuracy: fraction of correct predictions.
        precision: per-class precision, (n_classes,); 0 for a never-predicted class.
        recall: per-class recall, (n_classes,); 0 for a class absent from y_true.
        support: examples of each class in y_true, (n_classes,).
        confusion: counts (n_classes, n_classes); rows are true classes.
        accuracy_by_group: group label -> accuracy, or None without groups.
    """

    class_names: list
    y_true: np.ndarray
    predictions: np.ndarray
    probabilities: np.ndarray
    accuracy: float
    precision: np.ndarray
    recall: np.ndarray
    support: np.ndarray
    confusion: np.ndarray
    accuracy_by_group: dict | None = None

    @property
    def confidence(self):
        """Probability of the predicted class for each example, (n,)."""
        return self.probabilities[np.arange(len(self.predictions)), self.predictions]

    def worst_misclassified(self, k=12):
        """Return indices of up to ``k`` wrong predictions, most confident first."""
        wrong = np.flatnonzero(self.predictions != self.y_true)
        # A stable sort keeps ties in example order, so the result is reproducible.
        order = np.argsort(-self.confidence[wrong], kind="stable")
        return wrong[order][:k]

    def table(self):
        """Return a pandas DataFrame with precision, recall and support per class."""
        import pandas as pd

        return pd.DataFrame({"precision": self.precision, "recall": self.recall,
                             "support": self.support},
                            index=pd.Index(self.class_names, name="class")).round(3)


def _as_probabilities(outputs, from_logits):
    """Return softmax(outputs) for logits, the outputs unchanged for probabilities."""
    if from_logits is None:
        # Rows of probabilities are non-negative and sum to one; anything else
        # is treated as logits.
        from_logits = bool(np.any(outputs < 0) or
                           not np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3))
        if from_logits:
            logger.info("Model outputs are not probabilities; applying softmax.")
    if not from_logits:
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _accuracy_by_group(correct, groups):
    groups = np.asarray(groups)
    return {str(group): float(correct[groups == group].mean()) for group in np.unique(groups)}


def evaluate_classifier(model, x, y, class_names, groups=None, batch_size=256, from_logits=None):
    """Predict ``x`` with ``model`` and compute the metrics of an EvaluationReport.

    Args:
        model: a Keras classifier with one output of shape (n, n_classes).
        x: examples, (n, ...), in the layout the model expects.
        y: true class indices, (n,).
        class_names: label of each class index; its length must match the
            model's output width.
        groups: a group label per example, (n,), such as the speaker of each
            recording, or None.
        batch_size: examples per prediction batch.
        from_logits: whether the outputs are logits; None decides from the
            outputs (probabilities are non-negative rows summing to one).

    Returns:
        An EvaluationReport.
    """
    y = np.asarray(y).astype(np.int64).ravel()
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)} labels; pass one label "
                         "per example.")
    if groups is not None and len(groups) != len(y):
        raise ValueError(f"groups has {len(groups)} entries for {len(y)} examples.")

    outputs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if outputs.ndim != 2 or outputs.shape[1] != len(class_names):
        raise ValueError(f"The model outputs shape {outputs.shape} but class_names has "
                         f"{len(class_names)} names; expected (n, {len(class_names)}).")
    probabilities = _as_probabilities(outputs, from_logits)
    predictions = probabilities.argmax(axis=-1)
    labels = np.arange(len(class_names))

    precision, recall, _, support = precision_recall_fscore_support(
        y, predictions, labels=labels, zero_division=0)
    correct = predictions == y
    return EvaluationReport(
        class_names=list(class_names), y_true=y, predictions=predictions,
        probabilities=probabilities, accuracy=float(correct.mean()), precision=precision,
        recall=recall, support=support,
        confusion=confusion_matrix(y, predictions, labels=labels),
        accuracy_by_group=None if groups is None else _accuracy_by_group(correct, groups))
