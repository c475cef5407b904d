"""The size-versus-accuracy figure of notebook 07."""

import numpy as np


def pareto_front(sizes, accuracies):
    """Return a boolean mask of the points that no other point beats on both axes.

    A point is on the front when no other point is at most as large and at
    least as accurate while strictly better on one of the two.

    Args:
        sizes: one size per point (smaller is better).
        accuracies: one accuracy per point (larger is better).
    """
    sizes = np.asarray(sizes, dtype=float)
    accuracies = np.asarray(accuracies, dtype=float)
    if sizes.shape != accuracies.shape:
        raise ValueError(f"sizes has shape {sizes.shape} but accuracies has shape "
                         f"{accuracies.shape}; give one of each per point.")
    at_least_as_good = (sizes[:, None] <= sizes[None, :]) & \
        (accuracies[:, None] >= accuracies[None, :])
    strictly_better = (sizes[:, None] < sizes[None, :]) | \
        (accuracies[:, None] > accuracies[None, :])
    dominated = (at_least_as_good & strictly_better).any(axis=0)
    return ~dominated


def plot_size_vs_accuracy(tables, ax=None, size_column="gzip_bytes"):
    """Scatter each variant's size (x, log scale, in KB) against its test accuracy (y).

    Only the variants on each model's Pareto front (see ``pareto_front``) get a
    label, so the names stay readable; the tables hold the rest.

    Args:
        tables: {model name: DataFrame from ``compare``}; one marker shape per model.
        size_column: ``"gzip_bytes"`` (what a download costs) or ``"size_bytes"``.

    Returns:
        The matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    for (model_name, table), marker in zip(tables.items(), "os^Dv"):
        sizes_kb = table[size_column].to_numpy() / 1024
        accuracy_percent = 100 * table["accuracy"].to_numpy()
        ax.scatter(sizes_kb, accuracy_percent, marker=marker, label=model_name)
        front = pareto_front(sizes_kb, accuracy_percent)
        for name, x, y in zip(table["variant"][front], sizes_kb[front], accuracy_percent[front]):
            ax.annotate(name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    # Plain numbers (20, not 2 x 10^1), labelled at 1, 2, 3 and 5 times a power of ten.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(
        lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "235" else ""))
    ax.set_xlabel(f"{'gzip-compressed' if size_column == 'gzip_bytes' else 'raw'} "
                  "TFLite size (KB, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax
