"""The size-versus-accuracy figure of notebook 07."""


def plot_size_vs_accuracy(tables, ax=None, size_column="gzip_bytes"):
    """Scatter each variant's size (x, log scale, in KB) against its test accuracy (y).

    Args:
        tables: {model name: DataFrame from ``compare``}; one marker shape per model.
        size_column: ``"gzip_bytes"`` (what a download costs) or ``"size_bytes"``.

    Returns:
        The matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    for (model_name, table), marker in zip(tables.items(), "os^Dv"):
        ax.scatter(table[size_column] / 1024, 100 * table["accuracy"], marker=marker,
                   label=model_name)
        for _, row in table.iterrows():
            ax.annotate(row["variant"], (row[size_column] / 1024, 100 * row["accuracy"]),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel(f"{'gzip-compressed' if size_column == 'gzip_bytes' else 'raw'} "
                  "TFLite size (KB, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax
