"""Figures used by the notebooks and the TensorBoard callbacks."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from course_utils import optimization as opt
from course_utils import plotting


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def cell_texts(figure):
    return [text.get_text() for text in figure.axes[0].texts]


def test_confusion_matrix_counts_in_cells():
    figure = plotting.plot_confusion_matrix([[3, 1], [0, 4]], ["cat", "dog"])
    assert cell_texts(figure) == ["3", "1", "0", "4"]
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == ["cat", "dog"]


def test_confusion_matrix_normalized_rows():
    figure = plotting.plot_confusion_matrix([[3, 1], [0, 0]], ["a", "b"], normalize=True)
    assert cell_texts(figure) == ["0.75", "0.25", "0.00", "0.00"]


def test_confusion_matrix_not_square_raises():
    with pytest.raises(ValueError, match=r"^confusion must be a square 2-D array, got shape "
                                         r"\(2, 3\).$"):
        plotting.plot_confusion_matrix(np.zeros((2, 3)), ["a", "b"])


def test_confusion_matrix_name_count_raises():
    with pytest.raises(ValueError, match="^class_names has 3 names but confusion has 2 classes"):
        plotting.plot_confusion_matrix(np.eye(2, dtype=int), ["a", "b", "c"])


def test_image_grid_layout_and_titles():
    figure = plotting.plot_image_grid(np.zeros((10, 8, 8, 1)), [str(i) for i in range(10)],
                                      n_columns=4)
    assert len(figure.axes) == 12
    assert [ax.get_title() for ax in figure.axes[:10]] == [str(i) for i in range(10)]
    assert [len(ax.images) for ax in figure.axes] == [1] * 10 + [0, 0]


def test_image_grid_bad_shape_raises():
    with pytest.raises(ValueError, match=r"got \(8, 8\)\.$"):
        plotting.plot_image_grid(np.zeros((8, 8)))


def test_image_grid_title_count_raises():
    with pytest.raises(ValueError, match="^titles has 1 entries for 2 images.$"):
        plotting.plot_image_grid(np.zeros((2, 4, 4)), ["x"])


def test_history_solid_training_dashed_validation():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    figure = plotting.plot_history(history)
    loss_lines = figure.axes[0].get_lines()
    assert [line.get_linestyle() for line in loss_lines] == ["-", "--"]
    assert loss_lines[0].get_color() == loss_lines[1].get_color()
    assert len(figure.axes[1].get_lines()) == 1


def test_history_missing_metric_raises():
    with pytest.raises(ValueError, match="^history has no metric 'accuracy'; available: loss.$"):
        plotting.plot_history({"loss": [1.0]})


def test_misclassified_titles():
    figure = plotting.plot_misclassified(np.zeros((2, 8, 8, 1)), [3, 5], [8, 6], [0.91, 0.5],
                                         [str(i) for i in range(10)])
    assert [ax.get_title() for ax in figure.axes] == ["3 -> 8 (0.91)", "5 -> 6 (0.50)"]


def test_misclassified_empty():
    figure = plotting.plot_misclassified(np.zeros((0, 8, 8, 1)), [], [], [], ["a"])
    assert cell_texts(figure) == ["no misclassified examples"]


def test_figure_to_image_shape_and_closes():
    figure = plt.figure(figsize=(2, 1))
    image = plotting.figure_to_image(figure, dpi=50)
    assert image.shape == (1, 50, 100, 4)
    assert image.dtype == np.uint8
    assert not plt.fignum_exists(figure.number)


def test_pareto_front_keeps_unbeaten_points():
    # The second point beats the third on both axes; the first is the smallest and
    # the last the most accurate.
    front = opt.pareto_front([10, 20, 30, 40], [0.90, 0.95, 0.94, 0.99])
    assert front.tolist() == [True, True, False, True]


def test_pareto_front_equal_points_both_kept():
    assert opt.pareto_front([5, 5], [0.9, 0.9]).tolist() == [True, True]


def test_pareto_front_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"sizes has shape \(2,\) but accuracies has shape \(3,\)"):
        opt.pareto_front([1, 2], [0.1, 0.2, 0.3])


def test_size_plot_labels_only_the_front():
    table = pd.DataFrame({"variant": ["float32", "int8", "float16", "prune80_int8"],
                          "gzip_bytes": [4096, 1024, 2048, 512],
                          "accuracy": [0.99, 0.99, 0.98, 0.97]})
    ax = opt.plot_size_vs_accuracy({"model": table})
    assert sorted(text.get_text() for text in ax.texts) == ["int8", "prune80_int8"]
    assert ax.get_xscale() == "log"
