"""Every experiment of notebook 07 on one baseline, for the notebook and the benchmark.

``run_suite`` prunes, clusters and quantizes fresh copies of one trained
baseline and converts each result to TFLite. The notebook walks through the
same steps one at a time for the image model and then calls this for the
speech model, and ``benchmarks/bench_optimization.py`` calls it for both.
"""

import dataclasses
import logging
import time

from course_utils.optimization.clustering import cluster_model
from course_utils.optimization.pruning import prune_model
from course_utils.optimization.qat import quantize_aware_train
from course_utils.optimization.tflite import VARIANTS, convert

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SuiteConfig:
    """Training lengths and learning rates of the experiments.

    Attributes:
        prune_epochs: fine-tuning epochs while pruning (the ramp takes 70%).
        cluster_epochs: fine-tuning epochs of the cluster centroids.
        qat_epochs: quantization-aware fine-tuning epochs.
        batch_size: examples per step.
        representative_examples: training examples that calibrate int8.
        prune_learning_rate, cluster_learning_rate, qat_learning_rate: Adam rates.
    """

    prune_epochs: int = 2
    cluster_epochs: int = 1
    qat_epochs: int = 1
    batch_size: int = 32
    representative_examples: int = 100
    prune_learning_rate: float = 1e-3
    cluster_learning_rate: float = 1e-4
    qat_learning_rate: float = 1e-4


@dataclasses.dataclass
class SuiteResult:
    """The flatbuffers and the Keras models they came from, by variant name.

    ``keras_models`` maps a variant to the float Keras model whose outputs the
    TFLite model should reproduce (``max_abs_diff`` in ``compare``).
    ``seconds`` holds the wall-clock time of each experiment.
    """

    flatbuffers: dict = dataclasses.field(default_factory=dict)
    keras_models: dict = dataclasses.field(default_factory=dict)
    seconds: dict = dataclasses.field(default_factory=dict)


def _timed(result, name, function):
    start = time.perf_counter()
    value = function()
    result.seconds[name] = time.perf_counter() - start
    logger.info("%s took %.1f s", name, result.seconds[name])
    return value


def run_suite(baseline, x_train, y_train, config=SuiteConfig(), log_dir=None):
    """Run the post-training, pruning, clustering and QAT experiments on ``baseline``.

    Args:
        baseline: trained tf_keras classifier; it is not modified.
        x_train, y_train: the training split (also the int8 calibration data).
        log_dir: folder for the PruningSummaries of the 80% run, or None.

    Returns:
        SuiteResult with the variants ``float32``, ``dynamic_range``, ``float16``,
        ``int8``, ``qat_int8``, ``prune50_float32``, ``prune80_float32``,
        ``cluster16_float32``, ``cluster8_float32``, ``prune80_int8`` (PQAT) and
        ``cluster8_int8`` (CQAT), in that order.
    """
    result = SuiteResult()
    calibration = x_train[:config.representative_examples]
    fit = {"batch_size": config.batch_size}

    for variant in VARIANTS:
        result.flatbuffers[variant] = _timed(result, variant, lambda: convert(
            baseline, variant, representative_data=calibration))
    result.keras_models["float32"] = result.keras_models["int8"] = baseline

    qat = _timed(result, "qat", lambda: quantize_aware_train(
        baseline, x_train, y_train, epochs=config.qat_epochs,
        learning_rate=config.qat_learning_rate, **fit))
    result.flatbuffers["qat_int8"] = convert(qat, "int8", calibration)

    pruned = {}
    for target in (0.5, 0.8):
        name = f"prune{round(target * 100)}_float32"
        pruned[target] = _timed(result, name, lambda: prune_model(
            baseline, x_train, y_train, target, epochs=config.prune_epochs,
            learning_rate=config.prune_learning_rate,
            log_dir=log_dir if target == 0.8 else None, **fit))
        result.flatbuffers[name] = convert(pruned[target], "float32")
        result.keras_models[name] = pruned[target]

    clustered = {}
    for clusters in (16, 8):
        name = f"cluster{clusters}_float32"
        clustered[clusters] = _timed(result, name, lambda: cluster_model(
            baseline, x_train, y_train, clusters, epochs=config.cluster_epochs,
            learning_rate=config.cluster_learning_rate, **fit))
        result.flatbuffers[name] = convert(clustered[clusters], "float32")
        result.keras_models[name] = clustered[clusters]

    for name, model, preserve in (("prune80_int8", pruned[0.8], "pruning"),
                                  ("cluster8_int8", clustered[8], "clustering")):
        qat_model = _timed(result, name, lambda: quantize_aware_train(
            model, x_train, y_train, preserve=preserve, epochs=config.qat_epochs,
            learning_rate=config.qat_learning_rate, **fit))
        result.flatbuffers[name] = convert(qat_model, "int8", calibration)
    return result
