"""scikit-learn transformers, pipelines and classical baselines for notebook 04.

The transformers wrap the NumPy features of ``course_utils.features`` in the
``fit``/``transform`` protocol, so they chain in a ``Pipeline`` and anything
they learn comes from the data passed to ``fit`` only (the training split).
The baselines are the numbers that the deep models in notebooks 05 and 06
must beat.
"""

import dataclasses
import logging
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted, validate_data

from course_utils.features import audio, image

logger = logging.getLogger(__name__)

CLASSIFIERS = ("logistic_regression", "linear_svm", "knn")
FEATURES = ("hog", "mfcc_statistics")


class FlattenTransformer(TransformerMixin, BaseEstimator):
    """Reshape each example (feature map, image, spectrogram) into one row."""

    def fit(self, X, y=None):
        # validate_data records n_features_in_ (the size of axis 1) as sklearn expects.
        X = validate_data(self, X, allow_nd=True)
        self.input_shape_ = X.shape[1:]
        return self

    def transform(self, X):
        check_is_fitted(self, "input_shape_")
        X = validate_data(self, X, allow_nd=True, reset=False)
        if X.shape[1:] != self.input_shape_:
            raise ValueError(f"X has examples of shape {X.shape[1:]}, but fit saw "
                             f"{self.input_shape_}; pass examples of the same shape.")
        return X.reshape(len(X), -1)


class LogMelNormalizer(TransformerMixin, BaseEstimator):
    """Standardise each mel band with a mean and std learned from the training clips.

    Input and output are log-mel spectrograms (n_clips, n_mels, n_frames). ``fit``
    averages over clips and frames, so test clips are scaled with training
    statistics only.
    """

    def __init__(self, eps=1e-6):
        self.eps = eps

    def fit(self, X, y=None):
        X = self._check(X)
        self.mean_ = X.mean(axis=(0, 2))
        self.scale_ = np.maximum(X.std(axis=(0, 2)), self.eps)
        self.n_mels_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self, "mean_")
        X = self._check(X)
        if X.shape[1] != self.n_mels_:
            raise ValueError(f"X has {X.shape[1]} mel bands, but fit saw {self.n_mels_}.")
        return (X - self.mean_[:, np.newaxis]) / self.scale_[:, np.newaxis]

    @staticmethod
    def _check(X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3:
            raise ValueError(f"X has shape {X.shape}; it must be log-mel spectrograms "
                             "(n_clips, n_mels, n_frames).")
        return X


class HOGTransformer(TransformerMixin, BaseEstimator):
    """Turn grey images into HOG descriptors (``course_utils.features.image.hog``).

    Accepts images (n, height, width), (n, height, width, 1), or rows
    (n, height * width) together with ``image_shape``. Stateless: ``fit`` only
    records the input size.
    """

    def __init__(self, orientations=9, pixels_per_cell=(2, 2), cells_per_block=(2, 2),
                 block_norm="L2-Hys", image_shape=None):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.image_shape = image_shape

    def fit(self, X, y=None):
        self.n_features_in_ = int(np.prod(np.shape(X)[1:], dtype=np.int64))
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        X = np.asarray(X)
        if X.ndim == 2:
            if self.image_shape is None:
                raise ValueError(f"X has shape {X.shape} (flat rows); set image_shape="
                                 "(height, width) so HOGTransformer can rebuild the images.")
            X = X.reshape(len(X), *self.image_shape)
        return image.hog(X, self.orientations, self.pixels_per_cell, self.cells_per_block,
                         self.block_norm)


class MFCCStatistics(TransformerMixin, BaseEstimator):
    """Summarise each waveform by statistics of its MFCCs (and their deltas) over time.

    A clip of any length becomes one fixed-size row: for each coefficient the
    mean, standard deviation, minimum and maximum over frames, then the mean and
    standard deviation of its delta. With the defaults a row has
    ``13 * (4 + 2) = 78`` values. Stateless: ``fit`` only records the input size.
    """

    def __init__(self, sr=8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40,
                 use_deltas=True):
        self.sr = sr
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.use_deltas = use_deltas

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[-1]
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        X = np.asarray(X, dtype=np.float32)
        coefficients = audio.mfcc(X, self.sr, n_mfcc=self.n_mfcc, n_fft=self.n_fft,
                                  hop_length=self.hop_length, n_mels=self.n_mels)
        parts = [coefficients.mean(-1), coefficients.std(-1), coefficients.min(-1),
                 coefficients.max(-1)]
        if self.use_deltas:
            change = audio.deltas(coefficients)
            parts += [change.mean(-1), change.std(-1)]
        return np.concatenate(parts, axis=-1)


def make_scaled_pca(n_components=None, seed=42):
    """Return a Pipeline: StandardScaler, then PCA with ``n_components``."""
    return Pipeline([("scale", StandardScaler()),
                     ("pca", PCA(n_components=n_components, random_state=seed))])


def encode_labels(y_train, *others):
    """Fit a LabelEncoder on the training labels and encode every label array.

    Returns:
        (encoder, [encoded y_train, encoded others...]).

    Raises:
        ValueError: when another array has a label that the training split lacks.
    """
    encoder = LabelEncoder().fit(y_train)
    known = set(encoder.classes_.tolist())
    for position, labels in enumerate(others, start=1):
        unseen = sorted(set(np.asarray(labels).tolist()) - known)
        if unseen:
            raise ValueError(f"label array {position} after y_train has labels {unseen} that "
                             "are not in y_train; a classifier cannot learn them. Split so that "
                             "every class is in the training split.")
    return encoder, [encoder.transform(labels) for labels in (y_train, *others)]


def make_classifier(name, seed=42):
    """Return an unfitted classifier: ``"logistic_regression"``, ``"linear_svm"`` or ``"knn"``."""
    if name == "logistic_regression":
        return LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    if name == "linear_svm":
        return LinearSVC(C=0.1, max_iter=10000, random_state=seed)
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=5)
    raise ValueError(f"classifier={name!r} is invalid; use one of {CLASSIFIERS}.")


def make_baseline(features, classifier, seed=42, **feature_options):
    """Return a Pipeline: feature transformer, StandardScaler, classifier.

    Args:
        features: ``"hog"`` (images) or ``"mfcc_statistics"`` (waveforms).
        classifier: a name accepted by ``make_classifier``.
        seed: random state of the classifier.
        **feature_options: passed to HOGTransformer or MFCCStatistics.
    """
    if features == "hog":
        transformer = HOGTransformer(**feature_options)
    elif features == "mfcc_statistics":
        transformer = MFCCStatistics(**feature_options)
    else:
        raise ValueError(f"features={features!r} is invalid; use one of {FEATURES}.")
    return Pipeline([("features", transformer), ("scale", StandardScaler()),
                     ("classifier", make_classifier(classifier, seed))])


@dataclasses.dataclass
class BaselineResult:
    """Test-split outcome of one fitted baseline pipeline."""

    features: str
    classifier: str
    accuracy: float
    confusion: np.ndarray
    fit_seconds: float
    pipeline: Pipeline


def evaluate_baselines(splits, features, classifiers=CLASSIFIERS, seed=42):
    """Fit each baseline on the training split and score it on the test split.

    Args:
        splits: a ``course_utils.data.DatasetSplits``.
        features: ``"hog"`` or ``"mfcc_statistics"``.
        classifiers: names accepted by ``make_classifier``.

    Returns:
        list of BaselineResult, one per classifier, in the given order.
    """
    feature_options = {}
    if features == "mfcc_statistics":
        feature_options["sr"] = splits.sample_rate
    results = []
    for name in classifiers:
        pipeline = make_baseline(features, name, seed, **feature_options)
        start = time.perf_counter()
        pipeline.fit(splits.x_train, splits.y_train)
        fit_seconds = time.perf_counter() - start
        predictions = pipeline.predict(splits.x_test)
        accuracy = float(accuracy_score(splits.y_test, predictions))
        confusion = confusion_matrix(splits.y_test, predictions,
                                     labels=np.arange(len(splits.class_names)))
        logger.info("%s + %s: test accuracy %.3f, fit %.2f s", features, name, accuracy,
                    fit_seconds)
        results.append(BaselineResult(features, name, accuracy, confusion, fit_seconds,
                                      pipeline))
    return results


def scaler_leakage(x_train, y_train, x_test, y_test, classifier):
    """Score ``classifier`` with a scaler fitted on all the data and on the training split.

    Fitting the scaler on train + test lets test statistics shape the features
    the model is trained on: a leak. Inside a Pipeline the scaler only sees
    ``x_train``.

    Returns:
        dict with ``leaked_accuracy`` and ``pipeline_accuracy`` on the test split
        and ``leaked_scaler`` and ``pipeline_scaler`` (the fitted scalers).
    """
    leaked_scaler = StandardScaler().fit(np.concatenate([x_train, x_test]))
    leaked_model = clone(classifier).fit(leaked_scaler.transform(x_train), y_train)
    leaked_accuracy = accuracy_score(y_test, leaked_model.predict(leaked_scaler.transform(x_test)))

    pipeline = Pipeline([("scale", StandardScaler()), ("classifier", clone(classifier))])
    pipeline.fit(x_train, y_train)
    return {"leaked_accuracy": float(leaked_accuracy),
            "pipeline_accuracy": float(pipeline.score(x_test, y_test)),
            "leaked_scaler": leaked_scaler, "pipeline_scaler": pipeline.named_steps["scale"]}
