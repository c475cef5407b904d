"""Speech classifiers: shapes, parameter counts and TF-MOT compatibility."""

import numpy as np
import pytest
import tensorflow_model_optimization as tfmot

from course_utils import speech
from course_utils.models import build_ds_cnn, build_speech_cnn


@pytest.mark.parametrize("builder, total, trainable", [
    (build_speech_cnn, 24_282, 24_058),
    (build_ds_cnn, 14_362, 13_498),
])
def test_parameter_counts_match_docstrings(builder, total, trainable):
    model = builder()
    assert model.count_params() == total
    assert sum(int(np.prod(weight.shape)) for weight in model.trainable_weights) == trainable
    assert f"{total:,} parameters" in " ".join(builder.__doc__.split())


@pytest.mark.parametrize("builder", [build_speech_cnn, build_ds_cnn])
def test_outputs_are_probabilities(builder):
    model = builder(input_shape=(40, 63, 1), num_classes=7)
    probabilities = model(np.random.default_rng(0).normal(size=(3, 40, 63, 1))).numpy()
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_ds_cnn_works_with_tf_mot():
    quantized = tfmot.quantization.keras.quantize_model(build_ds_cnn())
    pruned = tfmot.sparsity.keras.prune_low_magnitude(build_ds_cnn())
    clustered = tfmot.clustering.keras.cluster_weights(build_ds_cnn(), number_of_clusters=8)
    x = np.zeros((1, 40, 63, 1), np.float32)
    for model in (quantized, pruned, clustered):
        assert model(x).shape == (1, 10)


def test_end_to_end_model_shares_classifier():
    classifier = build_ds_cnn()
    model = speech.build_end_to_end_model(classifier)
    waveforms = np.random.default_rng(1).normal(scale=0.1, size=(2, 8000)).astype(np.float32)
    expected = classifier(speech.compute_log_mel(waveforms), training=False).numpy()
    np.testing.assert_allclose(model(waveforms, training=False).numpy(), expected, atol=1e-5)
    assert model.input_shape == (None, 8000)
