"""Figures for notebooks 03 and 04: spectrograms, filterbanks, HOG, PCA and confusion.

Each function draws on the axes it is given (or a new figure) and returns the
axes, so a notebook cell can place several plots side by side. Convention:
time runs left to right and frequency or mel band bottom to top.
"""

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax, figsize=(6, 3)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_spectrogram(data, sr, hop_length, ax=None, title="", y_label="frequency bin",
                     colorbar_label="dB"):
    """Show a (bins, frames) array as an image with time in seconds on the x axis."""
    ax = _axes(ax)
    duration = data.shape[-1] * hop_length / sr
    image_artist = ax.imshow(data, origin="lower", aspect="auto", cmap="magma",
                      extent=(0.0, duration, -0.5, data.shape[0] - 0.5))
    ax.set(title=title, xlabel="time (s)", ylabel=y_label)
    plt.colorbar(image_artist, ax=ax, label=colorbar_label)
    return ax


def plot_filterbank(weights, sr, ax=None, title="mel filterbank"):
    """Draw each mel filter's weights (n_mels, n_bins) against frequency in Hz."""
    ax = _axes(ax)
    frequencies = np.linspace(0.0, sr / 2.0, weights.shape[1])
    ax.plot(frequencies, weights.T, linewidth=0.8)
    ax.set(title=title, xlabel="frequency (Hz)", ylabel="weight")
    return ax


def plot_hog_cells(picture, descriptor_cells, ax=None, title="HOG cells"):
    """Draw a grey image with each cell's orientation histogram as line segments.

    Args:
        picture: (height, width) image.
        descriptor_cells: (n_cells_y, n_cells_x, orientations) histograms.
    """
    ax = _axes(ax, figsize=(4, 4))
    ax.imshow(picture, cmap="gray")
    n_cells_y, n_cells_x, orientations = descriptor_cells.shape
    cell_h = picture.shape[0] / n_cells_y
    cell_w = picture.shape[1] / n_cells_x
    # A gradient at angle theta runs across an edge; draw the edge, at theta + 90.
    angles = np.radians((np.arange(orientations) + 0.5) * 180.0 / orientations + 90.0)
    scale = 0.5 * min(cell_h, cell_w) / max(descriptor_cells.max(), 1e-12)
    for row in range(n_cells_y):
        for column in range(n_cells_x):
            centre_y, centre_x = (row + 0.5) * cell_h - 0.5, (column + 0.5) * cell_w - 0.5
            for angle, strength in zip(angles, descriptor_cells[row, column]):
                dx, dy = np.cos(angle) * strength * scale, np.sin(angle) * strength * scale
                ax.plot([centre_x - dx, centre_x + dx], [centre_y - dy, centre_y + dy],
                        color="tab:orange", linewidth=1.5)
    ax.set(title=title, xticks=[], yticks=[])
    return ax


def plot_explained_variance(pca_by_name, ax=None, threshold=0.9):
    """Plot the cumulative explained variance ratio of fitted PCA objects by name."""
    ax = _axes(ax)
    for name, pca in pca_by_name.items():
        cumulative = np.cumsum(pca.explained_variance_ratio_)
        ax.plot(np.arange(1, len(cumulative) + 1), cumulative, label=name)
    ax.axhline(threshold, color="gray", linestyle="--", linewidth=0.8)
    ax.set(xlabel="number of components", ylabel="cumulative explained variance",
           ylim=(0.0, 1.02))
    ax.legend()
    return ax


def plot_projection(points, labels, ax=None, title=""):
    """Scatter 2-D points coloured by class, with one legend entry per class."""
    ax = _axes(ax, figsize=(4.5, 4))
    for label in np.unique(labels):
        chosen = labels == label
        ax.scatter(points[chosen, 0], points[chosen, 1], s=8, label=str(label), alpha=0.7)
    ax.set(title=title, xlabel="component 1", ylabel="component 2")
    ax.legend(fontsize="small", markerscale=2, ncols=2)
    return ax


def plot_confusion(confusion, class_names, ax=None, title=""):
    """Show a confusion matrix with true classes as rows and counts in each cell."""
    ax = _axes(ax, figsize=(4, 4))
    ax.imshow(confusion, cmap="Blues")
    ticks = np.arange(len(class_names))
    ax.set(xticks=ticks, yticks=ticks, xticklabels=class_names, yticklabels=class_names,
           xlabel="predicted", ylabel="true", title=title)
    for (row, column), count in np.ndenumerate(confusion):
        color = "white" if count > confusion.max() / 2 else "black"
        ax.text(column, row, int(count), ha="center", va="center", fontsize=7, color=color)
    return ax
