"""Magnitude pruning with TF-MOT: schedule, fine-tuning, stripping and sparsity.

Pruning sets the smallest-magnitude weights to zero while the model trains, so
the rest can compensate. A pruned model is exactly as large on disk as the
original (a zero takes four bytes like any float32) until the file is
compressed, for example with gzip.
"""

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_utils

from course_utils.optimization._common import fine_tune, fresh_copy, require_tf_keras, \
    steps_per_epoch

# Kernels that sparsity and distinct-value counts are reported for (biases are left out).
KERNEL_NAMES = ("kernel", "depthwise_kernel", "pointwise_kernel")


class PruningNotAppliedError(RuntimeError):
    """Raised when a pruned model's masks were never updated during training."""


@dataclasses.dataclass(frozen=True)
class PruningPlan:
    """When pruning starts, how often it updates the masks and when it ends (in steps)."""

    begin_step: int
    end_step: int
    frequency: int


def plan_pruning(num_examples, batch_size, epochs, ramp_fraction=0.7):
    """Spread the sparsity ramp over the first ``ramp_fraction`` of training.

    The remaining steps fine-tune at the final sparsity so accuracy recovers.
    ``end_step`` is a multiple of ``frequency`` so the final update happens.
    """
    total = steps_per_epoch(num_examples, batch_size) * epochs
    ramp = max(1, int(total * ramp_fraction))
    frequency = max(1, ramp // 8)
    return PruningPlan(begin_step=0, end_step=frequency * (ramp // frequency),
                       frequency=frequency)


def polynomial_schedule(target_sparsity, plan, initial_sparsity=0.0):
    """Return a PolynomialDecay schedule from ``initial_sparsity`` to ``target_sparsity``."""
    if not 0.0 < target_sparsity < 1.0:
        raise ValueError(f"target_sparsity must be between 0 and 1, got {target_sparsity!r}.")
    return tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=initial_sparsity, final_sparsity=target_sparsity,
        begin_step=plan.begin_step, end_step=plan.end_step, frequency=plan.frequency)


def _unwrap(layer):
    return layer.layer if hasattr(layer, "layer") else layer


def _kernels(model):
    """Yield (layer name, kernel array) for every kernel in the model."""
    for layer in model.layers:
        inner = _unwrap(layer)
        for weight in inner.weights:
            short_name = weight.name.split("/")[-1].split(":")[0]
            if short_name in KERNEL_NAMES:
                yield inner.name, short_name, weight.numpy()


def sparsity_by_layer(model):
    """Return {"layer/kernel": fraction of weights that are exactly zero}."""
    return {f"{layer}/{name}": float(np.mean(kernel == 0))
            for layer, name, kernel in _kernels(model)}


def overall_sparsity(model, kernel_names=None):
    """Return the fraction of zero weights over the kernels, weighted by their size.

    Args:
        kernel_names: "layer/kernel" names to include (default: every kernel).
    """
    kernels = [kernel for layer, name, kernel in _kernels(model)
               if kernel_names is None or f"{layer}/{name}" in kernel_names]
    zeros = sum(int(np.sum(kernel == 0)) for kernel in kernels)
    return zeros / max(1, sum(kernel.size for kernel in kernels))


def pruned_kernel_names(wrapped_model):
    """Return the "layer/kernel" names that TF-MOT's wrappers prune.

    NOTE: TF-MOT 0.8.1 does not prune ``DepthwiseConv2D`` kernels (its prune
    registry lists no weights for that layer), so a DS-CNN keeps them dense.
    """
    names = set()
    for layer in wrapped_model.layers:
        for weight, _, _ in getattr(layer, "pruning_vars", ()):
            names.add(f"{layer.layer.name}/{weight.name.split('/')[-1].split(':')[0]}")
    return names


def is_two_four_sparse(model):
    """Return {"layer/kernel": True if every 4 consecutive input weights hold 2 zeros}.

    Only Conv2D and Dense kernels with at least 4 input channels are listed,
    because TF-MOT prunes only those 2:4 (along the input channels, as TFLite
    stores them).
    """
    result = {}
    for layer in model.layers:
        inner = _unwrap(layer)
        if type(inner).__name__ not in ("Conv2D", "Dense"):
            continue
        kernel = inner.kernel.numpy()
        if kernel.shape[-2] < 4:
            continue
        result[f"{inner.name}/kernel"] = bool(
            pruning_utils.is_pruned_m_by_n(tf.constant(kernel), (2, 4), last_channel="C_OUT"))
    return result


def _pruning_steps(model):
    """Return {wrapper name: pruning step} for every TF-MOT pruning wrapper."""
    return {layer.name: int(layer.pruning_step.numpy()) for layer in model.layers
            if hasattr(layer, "pruning_step")}


def strip_pruning(pruned_model):
    """Remove the pruning wrappers and return the plain model with its zeros.

    Raises:
        ValueError: the model has no pruning wrappers.
        PruningNotAppliedError: the wrappers never updated their masks, because
            the model was not fitted with the ``UpdatePruningStep`` callback.
            Stripping would silently return a model with no sparsity.
    """
    steps = _pruning_steps(pruned_model)
    if not steps:
        raise ValueError(
            f"Model {pruned_model.name!r} has no pruning wrappers. Wrap it with "
            "prune_low_magnitude (or use prune_model) before stripping.")
    never_updated = sorted(name for name, step in steps.items() if step < 0)
    if never_updated:
        raise PruningNotAppliedError(
            f"The pruning masks of {', '.join(never_updated)} were never updated "
            "(pruning_step is -1), so stripping would return a model with no sparsity. "
            "Fine-tune the wrapped model with "
            "`callbacks=[tfmot.sparsity.keras.UpdatePruningStep()]` before stripping.")
    return tfmot.sparsity.keras.strip_pruning(pruned_model)


def wrap_for_pruning(model, target_sparsity, plan, two_four=False):
    """Return a fresh copy of ``model`` wrapped for magnitude pruning.

    Args:
        two_four: prune 2 of every 4 consecutive weights (structured 2:4
            sparsity at a fixed 50%) instead of following the polynomial ramp.
    """
    require_tf_keras(model)
    copy = fresh_copy(model)
    if two_four:
        schedule = tfmot.sparsity.keras.ConstantSparsity(
            0.5, begin_step=plan.begin_step, frequency=plan.frequency)
        return tfmot.sparsity.keras.prune_low_magnitude(
            copy, pruning_schedule=schedule, sparsity_m_by_n=(2, 4))
    return tfmot.sparsity.keras.prune_low_magnitude(
        copy, pruning_schedule=polynomial_schedule(target_sparsity, plan))


def prune_model(model, x_train, y_train, target_sparsity=0.5, *, epochs=2, batch_size=32,
                learning_rate=1e-3, two_four=False, log_dir=None, validation_data=None,
                plan=None, ramp_fraction=0.7, tolerance=0.02):
    """Prune a copy of ``model`` to ``target_sparsity`` while fine-tuning it.

    Args:
        model: the trained tf_keras baseline; it is not modified.
        x_train, y_train: training examples and integer labels.
        target_sparsity: fraction of each kernel set to zero (ignored with two_four).
        log_dir: if given, ``PruningSummaries`` writes the sparsity and the
            threshold of every layer there for TensorBoard at each step.
        plan: a PruningPlan in training steps (default: ``plan_pruning`` with
            ``ramp_fraction``).
        ramp_fraction: share of the training steps over which sparsity rises;
            the rest fine-tunes at the target sparsity.
        tolerance: largest accepted shortfall of the reached overall sparsity.

    Returns:
        The stripped model (plain tf_keras layers, zeros in the kernels), not compiled.

    Raises:
        PruningNotAppliedError: the reached sparsity is below the target.
    """
    plan = plan or plan_pruning(len(x_train), batch_size, epochs, ramp_fraction)
    wrapped = wrap_for_pruning(model, target_sparsity, plan, two_four)
    callbacks = [tfmot.sparsity.keras.UpdatePruningStep()]
    if log_dir is not None:
        callbacks.append(tfmot.sparsity.keras.PruningSummaries(log_dir=str(log_dir)))
    fine_tune(wrapped, x_train, y_train, epochs=epochs, batch_size=batch_size,
              learning_rate=learning_rate, callbacks=callbacks,
              validation_data=validation_data)
    stripped = strip_pruning(wrapped)
    if two_four:
        not_structured = [name for name, ok in is_two_four_sparse(stripped).items() if not ok]
        if not_structured:
            raise PruningNotAppliedError(
                f"Kernels {', '.join(not_structured)} are not 2:4 sparse after pruning; "
                "train for more steps so the masks are updated.")
        return stripped
    reached = overall_sparsity(stripped, pruned_kernel_names(wrapped))
    if reached < target_sparsity - tolerance:
        raise PruningNotAppliedError(
            f"Pruning reached {reached:.3f} sparsity, below the target {target_sparsity:.3f}. "
            f"The schedule ends at step {plan.end_step} with updates every "
            f"{plan.frequency} steps; train for more steps or lower the frequency.")
    return stripped
