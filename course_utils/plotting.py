"""Matplotlib figures that the notebooks and the TensorBoard callbacks share.

The code lives here because a figure with labels, colour bars and titles is
too long for a notebook cell, and because the TensorBoard callbacks draw the
same confusion matrix that the notebook shows. Convention: training curves are
solid lines, validation curves are dashed lines of the same colour.

Every function returns the matplotlib Figure and never calls ``plt.show()``.
In a notebook the inline backend shows the figure at the end of the cell, and
a callback converts it to pixels with ``figure_to_image``.
"""

import io

import matplotlib.pyplot as plt
import numpy as np


def plot_confusion_matrix(confusion, class_names, normalize=False, title="Confusion matrix",
                          ax=None):
    """Draw a confusion matrix with the count (or row fraction) in each cell.

    Args:
        confusion: array (n_classes, n_classes); rows are true classes and
            columns predicted classes, as ``sklearn.metrics.confusion_matrix``.
        class_names: n_classes labels for both axes.
        normalize: show each row as fractions of that true class.
        title: axes title.
        ax: axes to draw on; a new figure is created when None.

    Returns:
        The matplotlib Figure.
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square 2-D array, got shape {confusion.shape}.")
    if len(class_names) != confusion.shape[0]:
        raise ValueError(f"class_names has {len(class_names)} names but confusion has "
                         f"{confusion.shape[0]} classes; pass one name per class.")

    values = confusion.astype(float)
    if normalize:
        row_sums = values.sum(axis=1, keepdims=True)
        values = np.divide(values, row_sums, out=np.zeros_like(values), where=row_sums > 0)

    if ax is None:
        size = max(4.0, 0.45 * len(class_names) + 2.0)
        _, ax = plt.subplots(figsize=(size, size * 0.85))
    image = ax.imshow(values, cmap="Blues", vmin=0)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)

    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, labels=class_names, rotation=45 if len(class_names) > 12 else 0)
    ax.set_yticks(ticks, labels=class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)

    # Dark cells get white text so every number stays readable.
    threshold = values.max() / 2 if values.max() > 0 else 0.5
    for row in range(values.shape[0]):
        for column in range(values.shape[1]):
            text = f"{values[row, column]:.2f}" if normalize else f"{confusion[row, column]:d}"
            color = "white" if values[row, column] > threshold else "black"
            ax.text(column, row, text, ha="center", va="center", color=color, fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_image_grid(images, titles=None, n_columns=8, cmap="gray_r", title=None,
                    cell_size=1.2):
    """Show images in a grid, each with an optional title.

    Args:
        images: array (n, height, width) or (n, height, width, channels) with
            1 or 3 channels; grey images use ``cmap``.
        titles: n strings shown above the images, or None.
        n_columns: images per row.
        cmap: colour map for single-channel images.
        title: figure title, or None.
        cell_size: width and height of one image, in inches.

    Returns:
        The matplotlib Figure.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must have shape (n, height, width[, channels]) with n > 0, "
                         f"got {images.shape}.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images.")

    n_columns = min(n_columns, len(images))
    n_rows = int(np.ceil(len(images) / n_columns))
    figure, axes = plt.subplots(n_rows, n_columns, squeeze=False,
                                figsize=(cell_size * n_columns, (cell_size + 0.25) * n_rows))
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(images):
            continue
        # aspect="auto" lets wide inputs such as spectrograms fill the cell.
        ax.imshow(images[index], cmap=cmap if images.ndim == 3 else None, aspect="auto",
                  interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[index], fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(history, metrics=("loss", "accuracy")):
    """Plot training (solid) and validation (dashed) curves, one panel per metric.

    Args:
        history: a Keras ``History`` or its ``history`` dict
            (metric name -> list of per-epoch values).
        metrics: metric names to plot; ``val_<name>`` is added when present.

    Returns:
        The matplotlib Figure.
    """
    values = getattr(history, "history", history)
    missing = [name for name in metrics if name not in values]
    if missing:
        raise ValueError(f"history has no metric {missing[0]!r}; available: "
                         f"{', '.join(sorted(values))}.")

    figure, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2),
                                squeeze=False)
    for ax, name in zip(axes.flat, metrics):
        epochs = np.arange(1, len(values[name]) + 1)
        line, = ax.plot(epochs, values[name], label=f"training {name}")
        if f"val_{name}" in values:
            ax.plot(epochs, values[f"val_{name}"], linestyle="--", color=line.get_color(),
                    label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    return figure


def plot_misclassified(images, y_true, y_pred, confidence, class_names, n_columns=6):
    """Show misclassified examples titled ``true -> predicted (confidence)``.

    Args:
        images: array (n, height, width[, channels]) of the examples to show,
            usually already sorted by confidence, highest first.
        y_true: n true class indices.
        y_pred: n predicted class indices.
        confidence: n predicted-class probabilities in [0, 1].
        class_names: label for each class index.
        n_columns: images per row.

    Returns:
        The matplotlib Figure.
    """
    if len(images) == 0:
        figure, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified examples", ha="center", va="center")
        return figure
    titles = [f"{class_names[true]} -> {class_names[pred]} ({conf:.2f})"
              for true, pred, conf in zip(y_true, y_pred, confidence)]
    return plot_image_grid(images, titles, n_columns=n_columns, cell_size=1.6,
                           title="true -> predicted (confidence)")


def figure_to_image(figure, dpi=72):
    """Render a figure to a uint8 array (1, height, width, 4) and close it.

    The leading batch axis is the shape ``tf.summary.image`` expects.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    buffer.seek(0)
    image = plt.imread(buffer, format="png")
    return (image[np.newaxis] * 255).round().astype(np.uint8)
