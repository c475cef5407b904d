"""Scikit-learn's handwritten digits as stratified train, validation and test splits.

NOTE: a stand-in for ``course_utils.data.load_dataset("digits")`` with the
same fields and split (stratified 70/15/15, float32 (n, 8, 8, 1) in [0, 1],
int64 labels); ``load_digits_splits`` uses the data package when it exists.
"""

import dataclasses

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from course_utils import settings


@dataclasses.dataclass
class DigitSplits:
    """Train, validation and test arrays with the class names.

    Images are float32 (n, 8, 8, 1) scaled to [0, 1]; labels are int64 (n,).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list
    description: str = "scikit-learn handwritten digits, 8x8 grey images, 16 grey levels"
    speakers_train: None = None
    speakers_val: None = None
    speakers_test: None = None
    sample_rate: None = None

    def subset(self, max_train=None, max_eval=None, seed=settings.DEFAULT_SEED):
        """Return a copy with at most ``max_train`` training and ``max_eval``
        validation and test examples, drawn stratified by class (None keeps all)."""

        def shrink(x, y, limit):
            if limit is None or limit >= len(y):
                return x, y
            x_kept, _, y_kept, _ = train_test_split(x, y, train_size=limit, stratify=y,
                                                    random_state=seed)
            return x_kept, y_kept

        x_train, y_train = shrink(self.x_train, self.y_train, max_train)
        x_val, y_val = shrink(self.x_val, self.y_val, max_eval)
        x_test, y_test = shrink(self.x_test, self.y_test, max_eval)
        return dataclasses.replace(self, x_train=x_train, y_train=y_train, x_val=x_val,
                                   y_val=y_val, x_test=x_test, y_test=y_test)


def _split_digits(seed):
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    y = digits.target.astype(np.int64)

    # 70 % train, then the remaining 30 % halved into validation and test.
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, test_size=0.30, stratify=y,
                                                        random_state=seed)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, test_size=0.50,
                                                    stratify=y_rest, random_state=seed)
    return DigitSplits(x_train, y_train, x_val, y_val, x_test, y_test,
                       class_names=[str(label) for label in digits.target_names])


def load_digits_splits(seed=settings.DEFAULT_SEED):
    """Return the digits split stratified 70/15/15 with ``seed``.

    Uses ``course_utils.data.load_dataset("digits")`` when the data package is
    installed, and the same split computed here otherwise.
    """
    try:
        from course_utils.data import load_dataset
    except ImportError:
        return _split_digits(seed)
    return load_dataset("digits", seed=seed)
