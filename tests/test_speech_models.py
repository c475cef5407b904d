"""Speech classifiers: shapes, parameter counts and TF-MOT compatibility."""

import numpy as np
import pytest
import tensorflow_model_optimization as tfmot

from course_utils import speech
from course_utils.models import build_ds_cnn, build_speech_cnn


@pytest.mark.parametrize("builder, total, trainable", [
    (build_speech_cnn, 99_162, 98_682),
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


@pytest.mark.parametrize("builder", [build_speech_cnn, build_ds_cnn])
def test_models_work_with_tf_mot(builder):
    quantized = tfmot.quantization.keras.quantize_model(builder())
    pruned = tfmot.sparsity.keras.prune_low_magnitude(builder())
    clustered = tfmot.clustering.keras.cluster_weights(builder(), number_of_clusters=8)
    x = np.zeros((1, 40, 63, 1), np.float32)
    for model in (quantized, pruned, clustered):
        assert model(x).shape == (1, 10)


def test_speech_cnn_blocks_follow_filters():
    model = build_speech_cnn(filters=(8, 16))
    convolutions = [layer for layer in model.layers if layer.name.endswith("_conv")]
    assert [layer.filters for layer in convolutions] == [8, 16]
    assert [layer.name for layer in model.layers if layer.name.endswith("_pool")] == \
        ["block1_pool"]
    # "same" pooling rounds up: 40 x 63 becomes 20 x 32.
    assert convolutions[1].input_shape == (None, 20, 32, 8)


def test_speech_cnn_rejects_empty_filters():
    with pytest.raises(ValueError, match=r"filters is empty; give one channel count per block"):
        build_speech_cnn(filters=())


def test_end_to_end_model_shares_classifier():
    classifier = build_speech_cnn()
    model = speech.build_end_to_end_model(classifier)
    waveforms = np.random.default_rng(1).normal(scale=0.1, size=(2, 8000)).astype(np.float32)
    expected = classifier(speech.compute_log_mel(waveforms), training=False).numpy()
    np.testing.assert_allclose(model(waveforms, training=False).numpy(), expected, atol=1e-5)
    assert model.input_shape == (None, 8000)
