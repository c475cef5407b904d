"""Model optimization for tf_keras models: pruning, clustering, QAT and TFLite.

Every function that trains takes the baseline model and works on a fresh copy
of it, because TF-MOT wrappers change the model object they are given. The
functions return stripped (plain) models or flatbuffers, and ``compare`` puts
the TFLite variants side by side.
"""

import course_utils  # noqa: F401  (selects Keras 2 before TF-MOT loads)

from course_utils.optimization._common import Keras3ModelError, fresh_copy, \
    require_tf_keras
from course_utils.optimization.clustering import CENTROID_INITS, cluster_model, \
    unique_weights_by_layer, wrap_for_clustering
from course_utils.optimization.measure import Latency, TFLiteModel, accuracy, constant_bytes, \
    gzip_size, max_abs_difference, measure_latency
from course_utils.optimization.pruning import PruningNotAppliedError, is_two_four_sparse, \
    overall_sparsity, plan_pruning, polynomial_schedule, prune_model, pruned_kernel_names, \
    sparsity_by_layer, strip_pruning, wrap_for_pruning
from course_utils.optimization.qat import PRESERVE_OPTIONS, UnsupportedLayerError, \
    annotate_for_qat, quantize_aware_model, quantize_aware_train
from course_utils.optimization.plots import pareto_front, plot_size_vs_accuracy
from course_utils.optimization.report import COLUMNS, compare, measure_variant
from course_utils.optimization.suite import SUITE_VARIANTS, SuiteConfig, SuiteResult, run_suite
from course_utils.optimization.tflite import VARIANTS, RepresentativeDataError, convert, \
    check_representative_data, save_saved_model, write_tflite

__all__ = [
    "Keras3ModelError", "fresh_copy", "require_tf_keras",
    "CENTROID_INITS", "cluster_model", "unique_weights_by_layer", "wrap_for_clustering",
    "Latency", "TFLiteModel", "accuracy", "constant_bytes", "gzip_size", "max_abs_difference",
    "measure_latency",
    "PruningNotAppliedError", "is_two_four_sparse", "overall_sparsity", "plan_pruning",
    "polynomial_schedule", "prune_model", "pruned_kernel_names", "sparsity_by_layer",
    "strip_pruning",
    "wrap_for_pruning",
    "PRESERVE_OPTIONS", "UnsupportedLayerError", "annotate_for_qat", "quantize_aware_model",
    "quantize_aware_train",
    "pareto_front", "plot_size_vs_accuracy", "COLUMNS", "compare", "measure_variant",
    "SUITE_VARIANTS", "SuiteConfig", "SuiteResult", "run_suite",
    "VARIANTS", "RepresentativeDataError", "convert", "check_representative_data",
    "save_saved_model", "write_tflite",
]
