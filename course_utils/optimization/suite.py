"""Every experiment of notebook 07 on one baseline, for the notebook and the benchmark.

``run_suite`` prunes, clusters and quantizes fresh copies of one trained
baseline and converts each result to TFLite. The notebook walks through the
same steps one at a time for the image model and then calls this for the
speech model, and ``benchmarks/bench_optimization.py`` calls it for both.
"""

import dataclasses
import logging
import time

from course_utils import settings
from course_utils.optimization.clustering import cluster_model
from course_utils.optimization.pruning import prune_model
from course_utils.optimization.qat import quantize_aware_train
from course_utils.optimization.tflite import VARIANTS, convert

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SuiteConfig:
    """Training lengths and learning rates of the experiments.

    Attributes:
        prune_epochs: fine-tuning epochs while pruning.
        prune_ramp_fraction: share of those epochs over which sparsity rises.
        cluster_epochs: fine-tuning epochs of the cluster centroids.
        qat_epochs: quantization-aware fine-tuning epochs.
        batch_size: examples per step.
        representative_examples: training examples that calibrate int8.
        prune_learning_rate, cluster_learning_rate, qat_learning_rate: Adam rates.
    """

    prune_epochs: int = 2
    prune_ramp_fraction: float = 0.7
    cluster_epochs: int = 1
    qat_epochs: int = 1
    batch_size: int = 32
    representative_examples: int = 100
    prune_learning_rate: float = 1e-3
    cluster_learning_rate: float = 1e-4
    qat_learning_rate: float = 1e-4

    @classmethod
    def for_mode(cls):
        """Return the configuration for the current run mode (``COURSE_MODE``)."""
        # Default mode: chosen on the speech validation split, where 30 epochs
        # with the ramp over the first half lost 0.8 points against 2.5 for
        # 20 epochs with a 70% ramp (docs/benchmarks.md).
        return cls(prune_epochs=settings.pick(smoke=1, default=30),
                   prune_ramp_fraction=settings.pick(smoke=0.7, default=0.5),
                   cluster_epochs=settings.pick(smoke=1, default=3),
                   qat_epochs=settings.pick(smoke=1, default=3),
                   batch_size=settings.sizes().batch_size,
                   representative_examples=settings.pick(smoke=32, default=200))


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


SUITE_VARIANTS = ("float32", "dynamic_range", "float16", "int8", "int8_per_tensor",
                  "qat_int8", "prune50_float32", "prune80_float32", "cluster16_float32",
                  "cluster8_float32", "prune80_int8", "prune80_int8_per_tensor",
                  "prune80_pqat_int8", "cluster8_cqat_int8")

# Experiments that return a stripped float model: (kind, sparsity or clusters).
_STRIPPED_STEPS = {"prune50_float32": ("prune", 0.5), "prune80_float32": ("prune", 0.8),
                   "cluster16_float32": ("cluster", 16), "cluster8_float32": ("cluster", 8)}


def _pruned_and_clustered(baseline, requested, config, fit, log_dir, result):
    """Prune and cluster ``baseline`` as far as ``requested`` needs; return {name: model}.

    Adds the float32 flatbuffer of each requested ``*_float32`` variant to ``result``.
    """
    stripped = {}
    for name, (kind, amount) in _STRIPPED_STEPS.items():
        if not any(variant.startswith(name.split("_")[0]) for variant in requested):
            continue
        if kind == "prune":
            stripped[name] = _timed(result, name, lambda: prune_model(
                baseline, target_sparsity=amount, epochs=config.prune_epochs,
                learning_rate=config.prune_learning_rate,
                ramp_fraction=config.prune_ramp_fraction,
                log_dir=log_dir if amount == 0.8 else None, **fit))
        else:
            stripped[name] = _timed(result, name, lambda: cluster_model(
                baseline, number_of_clusters=amount, epochs=config.cluster_epochs,
                learning_rate=config.cluster_learning_rate, **fit))
        if name in requested:
            result.flatbuffers[name] = convert(stripped[name], "float32")
            result.keras_models[name] = stripped[name]
    return stripped


def run_suite(baseline, x_train, y_train, config=SuiteConfig(), log_dir=None, variants=None):
    """Run the post-training, pruning, clustering and QAT experiments on ``baseline``.

    Args:
        baseline: trained tf_keras classifier; it is not modified.
        x_train, y_train: the training split (also the int8 calibration data).
        log_dir: folder for the PruningSummaries of the 80% run, or None.
        variants: names from ``SUITE_VARIANTS`` to produce (default: all).
            ``prune80_int8`` and ``prune80_int8_per_tensor`` convert the 80%
            pruned model to int8 directly (post-training quantization keeps
            zeros at zero).
            ``prune80_pqat_int8`` first fine-tunes it with pruning-preserving
            QAT, and ``cluster8_cqat_int8`` fine-tunes the 8-cluster model with
            cluster-preserving QAT.

    Returns:
        SuiteResult with the requested variants in ``SUITE_VARIANTS`` order.
    """
    requested = SUITE_VARIANTS if variants is None else tuple(variants)
    unknown = sorted(set(requested) - set(SUITE_VARIANTS))
    if unknown:
        raise ValueError(f"Unknown variants {unknown}. Valid names are: "
                         f"{', '.join(SUITE_VARIANTS)}.")
    result = SuiteResult()
    calibration = x_train[:config.representative_examples]
    fit = {"x_train": x_train, "y_train": y_train, "batch_size": config.batch_size}

    for variant in VARIANTS:
        if variant in requested:
            result.flatbuffers[variant] = _timed(result, variant, lambda: convert(
                baseline, variant, representative_data=calibration))
            result.keras_models[variant] = baseline

    if "qat_int8" in requested:
        qat = _timed(result, "qat_int8", lambda: quantize_aware_train(
            baseline, epochs=config.qat_epochs, learning_rate=config.qat_learning_rate, **fit))
        result.flatbuffers["qat_int8"] = convert(qat, "int8", calibration)

    stripped = _pruned_and_clustered(baseline, requested, config, fit, log_dir, result)
    for variant in ("int8", "int8_per_tensor"):
        if f"prune80_{variant}" in requested:
            result.flatbuffers[f"prune80_{variant}"] = convert(
                stripped["prune80_float32"], variant, calibration)

    for name, source, preserve in (("prune80_pqat_int8", "prune80_float32", "pruning"),
                                   ("cluster8_cqat_int8", "cluster8_float32", "clustering")):
        if name in requested:
            qat_model = _timed(result, name, lambda: quantize_aware_train(
                stripped[source], preserve=preserve, epochs=config.qat_epochs,
                learning_rate=config.qat_learning_rate, **fit))
            result.flatbuffers[name] = convert(qat_model, "int8", calibration)

    result.flatbuffers = {name: result.flatbuffers[name] for name in SUITE_VARIANTS
                          if name in result.flatbuffers}
    return result
