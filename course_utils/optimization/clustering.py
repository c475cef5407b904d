"""Weight clustering with TF-MOT: k shared values per kernel, then stripping.

After clustering, each kernel holds only ``number_of_clusters`` distinct
values. The file is as large as before until it is compressed, because each
weight is still stored as a float32, but the repeated values compress well.

NOTE: TF-MOT 0.8.1 clusters Conv2D and Dense kernels but leaves
``DepthwiseConv2D`` kernels as they are (its clustering registry lists no
weights for that layer), as it also does when pruning.
"""

import numpy as np
import tensorflow_model_optimization as tfmot

from course_utils.optimization._common import fine_tune, fresh_copy, require_tf_keras
from course_utils.optimization.pruning import KERNEL_NAMES, _kernels

CENTROID_INITS = {
    "kmeans_plus_plus": tfmot.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS,
    "linear": tfmot.clustering.keras.CentroidInitialization.LINEAR,
    "density_based": tfmot.clustering.keras.CentroidInitialization.DENSITY_BASED,
    "random": tfmot.clustering.keras.CentroidInitialization.RANDOM,
}


def wrap_for_clustering(model, number_of_clusters, centroid_init="kmeans_plus_plus",
                        preserve_sparsity=False):
    """Return a fresh copy of ``model`` wrapped for weight clustering.

    Args:
        number_of_clusters: distinct values per kernel after clustering (k >= 2).
        centroid_init: one of ``CENTROID_INITS`` (how the k centroids start).
        preserve_sparsity: keep zeros from earlier pruning at zero (sparsity-
            preserving clustering, for a pruned model).
    """
    require_tf_keras(model)
    if int(number_of_clusters) < 2:
        raise ValueError(f"number_of_clusters must be at least 2, got {number_of_clusters!r}.")
    if centroid_init not in CENTROID_INITS:
        raise ValueError(f"Unknown centroid_init {centroid_init!r}. "
                         f"Valid values are: {', '.join(CENTROID_INITS)}.")
    copy = fresh_copy(model)
    return tfmot.clustering.keras.cluster_weights(
        copy, number_of_clusters=int(number_of_clusters),
        cluster_centroids_init=CENTROID_INITS[centroid_init],
        preserve_sparsity=preserve_sparsity)


def cluster_model(model, x_train, y_train, number_of_clusters=16, *,
                  centroid_init="kmeans_plus_plus", preserve_sparsity=False, epochs=2,
                  batch_size=32, learning_rate=1e-5, validation_data=None):
    """Cluster the weights of a copy of ``model`` and fine-tune the centroids.

    Args:
        model: the trained tf_keras baseline; it is not modified.

    Returns:
        The stripped model with at most ``number_of_clusters`` values per
        kernel, not compiled.
    """
    wrapped = wrap_for_clustering(model, number_of_clusters, centroid_init,
                                  preserve_sparsity)
    fine_tune(wrapped, x_train, y_train, epochs=epochs, batch_size=batch_size,
              learning_rate=learning_rate, validation_data=validation_data)
    return tfmot.clustering.keras.strip_clustering(wrapped)


def unique_weights_by_layer(model):
    """Return {"layer/kernel": number of distinct values in that kernel}."""
    return {f"{layer}/{name}": int(np.unique(kernel).size)
            for layer, name, kernel in _kernels(model) if name in KERNEL_NAMES}
