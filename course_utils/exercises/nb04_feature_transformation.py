"""Checkers for the exercises of notebook 04 (feature transformation with scikit-learn)."""

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from course_utils.exercises import ExerciseFailed, checker


@checker("04.1", title="fix a leaking pipeline")
def check_pipeline_without_leak(pipeline):
    """Check an unfitted Pipeline whose first step is a StandardScaler."""
    if not isinstance(pipeline, Pipeline):
        raise ExerciseFailed(f"Expected a sklearn Pipeline, got {type(pipeline).__name__}.",
                             "Build it with Pipeline([...]) or make_pipeline(...).")
    first = pipeline.steps[0][1]
    if not isinstance(first, StandardScaler):
        raise ExerciseFailed(f"The first step is {type(first).__name__}; expected the "
                             "StandardScaler.",
                             "Put the scaler inside the pipeline, before the classifier.")
    try:
        check_is_fitted(first)
    except NotFittedError:
        pass
    else:
        raise ExerciseFailed("The scaler in the pipeline is already fitted, so it learned "
                             "statistics from data outside each training fold.",
                             "Pass a fresh StandardScaler(); cross-validation fits it per fold.")
    if not hasattr(pipeline.steps[-1][1], "predict"):
        raise ExerciseFailed("The last step cannot predict; a classifier must come last.",
                             "End the pipeline with the classifier.")
    digits = load_digits()
    scores = cross_val_score(clone(pipeline), digits.data[:300], digits.target[:300], cv=3)
    if scores.mean() < 0.8:
        raise ExerciseFailed(f"The pipeline reaches only {scores.mean():.2f} accuracy in "
                             "cross-validation on digits.",
                             "Keep the classifier from the leaking version.")


@checker("04.2", title="count the PCA components for 90% of the variance")
def check_components_for_variance(n_components):
    """Check the number of components that first explains >= 90% of scaled digits' variance."""
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise ExerciseFailed(f"Expected an int, got {type(n_components).__name__}.",
                             "Count components: the answer is a whole number.")
    if n_components < 1:
        raise ExerciseFailed(f"{n_components} components cannot explain any variance.",
                             "The answer is a count of at least 1.")
    scaled = StandardScaler().fit_transform(load_digits().data)
    cumulative = np.cumsum(PCA().fit(scaled).explained_variance_ratio_)
    expected = int(np.searchsorted(cumulative, 0.9) + 1)
    if n_components < expected:
        raise ExerciseFailed(f"{n_components} components explain only "
                             f"{cumulative[n_components - 1]:.1%} of the variance.",
                             "Find where the cumulative explained variance first reaches 0.9.")
    if n_components > expected:
        raise ExerciseFailed(f"{n_components} components work, but fewer already reach 90%.",
                             "Take the first index where the cumulative sum reaches 0.9, and "
                             "remember that indices start at 0.")
