"""Tests for course_utils.optimization on two small tf_keras models.

A conv net on scikit-learn's 8 x 8 digits replaces the image model, and a
depthwise-separable conv net on random log-mel-shaped inputs checks the layers TF-MOT
leaves alone (depthwise kernels).
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits

import course_utils  # noqa: F401  (selects Keras 2 before TensorFlow loads)
import tensorflow as tf
import tensorflow_model_optimization as tfmot
from ai_edge_litert import interpreter as litert
from course_utils import keras
from course_utils import optimization as opt
from course_utils.optimization import _common as opt_common


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., np.newaxis]
    y = data.target.astype("int64")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return x[:1400], y[:1400], x[1400:], y[1400:]


# Layers are named explicitly because the tests look weights up by name, and
# Keras's automatic names ("dense_6") depend on the models other tests built first.
def build_digits_cnn():
    return keras.Sequential([
        keras.layers.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, activation="relu", name="conv2d"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(32, activation="relu", name="dense"),
        keras.layers.Dense(10, name="dense_1"),
    ], name="digits_cnn")


@pytest.fixture(scope="module")
def baseline(digits):
    x_train, y_train, _, _ = digits
    keras.utils.set_random_seed(0)
    model = build_digits_cnn()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
    return model


def build_ds_cnn(input_shape=(40, 61, 1), num_classes=4):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(8, 5, strides=2, padding="same", use_bias=False, name="conv2d")(inputs)
    x = keras.layers.BatchNormalization(name="batch_normalization")(x)
    x = keras.layers.ReLU(name="re_lu")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False,
                                     name="depthwise_conv2d")(x)
    x = keras.layers.BatchNormalization(name="batch_normalization_1")(x)
    x = keras.layers.ReLU(name="re_lu_1")(x)
    x = keras.layers.Conv2D(8, 1, use_bias=False, name="conv2d_1")(x)
    x = keras.layers.BatchNormalization(name="batch_normalization_2")(x)
    x = keras.layers.ReLU(name="re_lu_2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="dense")(x)
    return keras.Model(inputs, outputs, name="ds_cnn")


@pytest.fixture(scope="module")
def log_mel_data():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, size=96)
    x = rng.normal(size=(96, 40, 61, 1)).astype("float32")
    x[np.arange(96), y * 10, :, 0] += 3.0  # a learnable band per class
    return x, y


def kernel_snapshot(model):
    return [weight.copy() for weight in model.get_weights()]


# --- Keras 3 and input checks -------------------------------------------------

def test_keras3_model_rejected_everywhere(digits):
    import keras as keras3

    x_train, y_train, _, _ = digits
    model = keras3.Sequential([keras3.Input((8, 8, 1)), keras3.layers.Flatten(),
                               keras3.layers.Dense(10)])
    calls = [
        lambda: opt.prune_model(model, x_train, y_train, 0.5),
        lambda: opt.cluster_model(model, x_train, y_train, 8),
        lambda: opt.quantize_aware_model(model),
        lambda: opt.convert(model, "float32"),
    ]
    for call in calls:
        with pytest.raises(opt.Keras3ModelError) as error:
            call()
        assert "is a Keras 3 model" in str(error.value)
        assert "TensorFlow Model Optimization 0.8 works only with Keras 2 (tf_keras)" \
            in str(error.value)
        assert "from course_utils import keras" in str(error.value)


def test_non_model_rejected():
    with pytest.raises(TypeError, match="model must be a tf_keras Model, got str"):
        opt.fresh_copy("model.keras")


def test_int8_without_representative_data(baseline):
    with pytest.raises(opt.RepresentativeDataError) as error:
        opt.convert(baseline, "int8")
    assert str(error.value).startswith("int8 conversion needs representative_data")


def test_representative_data_wrong_shape(baseline, digits):
    x_train = digits[0]
    with pytest.raises(opt.RepresentativeDataError) as error:
        opt.convert(baseline, "int8", representative_data=x_train[:10, :, :, 0])
    assert str(error.value) == ("representative_data has shape (10, 8, 8), expected "
                                "(n, 8, 8, 1) like the model input.")


def test_representative_data_wrong_dtype(baseline, digits):
    x_train = digits[0]
    with pytest.raises(opt.RepresentativeDataError, match="has dtype uint8, expected float32"):
        opt.convert(baseline, "int8", representative_data=(x_train[:10] * 16).astype("uint8"))


def test_unknown_variant(baseline):
    with pytest.raises(ValueError, match="Unknown variant 'int4'"):
        opt.convert(baseline, "int4")


# --- pruning ------------------------------------------------------------------

@pytest.mark.parametrize("target", [0.5, 0.8])
def test_prune_model_reaches_target(baseline, digits, target):
    x_train, y_train, x_test, y_test = digits
    pruned = opt.prune_model(baseline, x_train, y_train, target, epochs=2)
    for name, sparsity in opt.sparsity_by_layer(pruned).items():
        assert abs(sparsity - target) < 0.01, name
    assert opt.accuracy(pruned, x_test, y_test) > 0.8


def test_prune_model_two_four(baseline, digits):
    x_train, y_train, _, _ = digits
    pruned = opt.prune_model(baseline, x_train, y_train, two_four=True, epochs=1)
    structured = opt.is_two_four_sparse(pruned)
    # The first convolution has one input channel, too few for 2:4.
    assert set(structured) == {"dense/kernel", "dense_1/kernel"}
    assert all(structured.values())
    assert opt.sparsity_by_layer(pruned)["dense/kernel"] == 0.5


def test_two_four_check_on_dense_model(baseline):
    assert not any(opt.is_two_four_sparse(baseline).values())


def test_strip_without_update_pruning_step(baseline):
    plan = opt.plan_pruning(1400, 32, 2)
    wrapped = opt.wrap_for_pruning(baseline, 0.8, plan)
    with pytest.raises(opt.PruningNotAppliedError) as error:
        opt.strip_pruning(wrapped)
    assert "were never updated (pruning_step is -1)" in str(error.value)
    assert "UpdatePruningStep()" in str(error.value)


def test_fit_without_update_pruning_step_fails(baseline, digits):
    # TF-MOT itself stops a fit without the callback with an assertion error.
    x_train, y_train, _, _ = digits
    wrapped = opt.wrap_for_pruning(baseline, 0.5, opt.plan_pruning(1400, 32, 1))
    wrapped.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match="UpdatePruningStep"):
        wrapped.fit(x_train[:64], y_train[:64], epochs=1, verbose=0)


def test_strip_plain_model(baseline):
    with pytest.raises(ValueError, match="has no pruning wrappers"):
        opt.strip_pruning(baseline)


def test_schedule_longer_than_training_is_an_error(baseline, digits):
    x_train, y_train, _, _ = digits
    # Two training steps, but the ramp ends at step 1000 with updates every 100 steps.
    plan = opt.pruning.PruningPlan(begin_step=0, end_step=1000, frequency=100)
    with pytest.raises(opt.PruningNotAppliedError) as error:
        opt.prune_model(baseline, x_train[:64], y_train[:64], 0.8, epochs=1, plan=plan)
    assert str(error.value).startswith("Pruning reached 0.000 sparsity, below the target 0.800.")


def test_plan_pruning_end_step():
    plan = opt.plan_pruning(num_examples=1400, batch_size=32, epochs=4)
    assert plan == opt.pruning.PruningPlan(begin_step=0, end_step=120, frequency=15)


def test_pruning_summaries_written(baseline, digits, tmp_path):
    x_train, y_train, _, _ = digits
    opt.prune_model(baseline, x_train[:256], y_train[:256], 0.5, epochs=2,
                    log_dir=tmp_path / "prune")
    assert list((tmp_path / "prune").rglob("events.out.tfevents*"))


# --- clustering and QAT -------------------------------------------------------

@pytest.mark.parametrize("clusters", [16, 8])
def test_cluster_model_unique_values(baseline, digits, clusters):
    x_train, y_train, x_test, y_test = digits
    clustered = opt.cluster_model(baseline, x_train, y_train, clusters, epochs=1)
    for name, count in opt.unique_weights_by_layer(clustered).items():
        assert count <= clusters, name
    assert opt.accuracy(clustered, x_test, y_test) > 0.8


def test_cluster_model_bad_arguments(baseline, digits):
    x_train, y_train, _, _ = digits
    with pytest.raises(ValueError, match="number_of_clusters must be at least 2, got 1"):
        opt.cluster_model(baseline, x_train, y_train, 1)
    with pytest.raises(ValueError, match="Unknown centroid_init 'kmeans'"):
        opt.cluster_model(baseline, x_train, y_train, 8, centroid_init="kmeans")


def test_qat_unsupported_layer_named():
    model = keras.Sequential([keras.layers.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.LayerNormalization(name="norm"),
                              keras.layers.Dense(10)])
    with pytest.raises(opt.UnsupportedLayerError) as error:
        opt.quantize_aware_model(model)
    message = str(error.value)
    assert message.startswith("QAT cannot quantize layer 'norm' (LayerNormalization).")
    assert "skip_unsupported=True" in message
    assert "quantize_annotate_layer" in message


def test_qat_skip_unsupported_converts(digits):
    x_train = digits[0]
    model = keras.Sequential([keras.layers.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.LayerNormalization(name="norm"),
                              keras.layers.Dense(10)])
    qat_model = opt.quantize_aware_model(model, skip_unsupported=True)
    kinds = {layer.name: type(layer).__name__ for layer in qat_model.layers}
    assert kinds["norm"] == "LayerNormalization"
    assert [kind for name, kind in kinds.items() if "dense" in name] == ["QuantizeWrapperV2"]
    flatbuffer = opt.convert(qat_model, "float32")
    assert opt.TFLiteModel(flatbuffer).predict(x_train[:3]).shape == (3, 10)


def test_qat_unknown_preserve(baseline):
    with pytest.raises(ValueError, match="Unknown preserve='sparsity'"):
        opt.quantize_aware_model(baseline, preserve="sparsity")


def _inner_kernels(qat_model):
    """Yield (layer name, kernel) for the kernels inside QAT wrappers."""
    for layer in qat_model.layers:
        for weight in layer.weights:
            if weight.name.endswith("/kernel:0"):
                yield weight.name.split("/")[0], weight.numpy()


def test_pruning_preserving_qat_keeps_zeros(baseline, digits):
    x_train, y_train, x_test, y_test = digits
    pruned = opt.prune_model(baseline, x_train, y_train, 0.8, epochs=2)
    qat_model = opt.quantize_aware_train(pruned, x_train, y_train, preserve="pruning",
                                         epochs=1)
    for name, kernel in _inner_kernels(qat_model):
        assert np.mean(kernel == 0) >= 0.79, name
    plain = opt.quantize_aware_train(pruned, x_train, y_train, epochs=1, learning_rate=1e-3)
    assert np.mean(dict(_inner_kernels(plain))["dense"] == 0) < 0.5


def test_cluster_preserving_qat_keeps_clusters(baseline, digits):
    x_train, y_train, _, _ = digits
    clustered = opt.cluster_model(baseline, x_train, y_train, 8, epochs=1)
    qat_model = opt.quantize_aware_train(clustered, x_train, y_train, preserve="clustering",
                                         epochs=1)
    flatbuffer = opt.convert(qat_model, "int8", representative_data=x_train[:50])
    assert opt.TFLiteModel(flatbuffer).input_dtype == np.int8
    # The wrapper trains the centroids; the kernel it serves keeps k values.
    for name, kernel in _inner_kernels(qat_model):
        assert np.unique(kernel).size <= 8, name


# --- TFLite conversion and measurements ---------------------------------------

@pytest.fixture(scope="module")
def flatbuffers(baseline, digits):
    x_train = digits[0]
    return {variant: opt.convert(baseline, variant, representative_data=x_train[:100])
            for variant in opt.VARIANTS}


def test_variant_input_types(flatbuffers):
    dtypes = {name: opt.TFLiteModel(flatbuffer).input_dtype
              for name, flatbuffer in flatbuffers.items()}
    assert dtypes == {"float32": np.float32, "dynamic_range": np.float32,
                      "float16": np.float32, "int8": np.int8, "int8_per_tensor": np.int8}
    output_dtypes = {name: opt.TFLiteModel(flatbuffer).output["dtype"]
                     for name, flatbuffer in flatbuffers.items()}
    assert output_dtypes["int8"] == output_dtypes["int8_per_tensor"] == np.int8


def test_variant_sizes_order(flatbuffers):
    sizes = {name: len(flatbuffer) for name, flatbuffer in flatbuffers.items()}
    assert sizes["int8"] < 0.35 * sizes["float32"]
    assert sizes["dynamic_range"] < 0.35 * sizes["float32"]
    assert 0.45 * sizes["float32"] < sizes["float16"] < 0.6 * sizes["float32"]


def test_float32_matches_keras(baseline, flatbuffers, digits):
    x_test = digits[2]
    difference = opt.max_abs_difference(baseline, opt.TFLiteModel(flatbuffers["float32"]),
                                        x_test[:50])
    assert difference < 1e-4


def test_int8_float_input_is_quantized(baseline, flatbuffers, digits):
    _, _, x_test, y_test = digits
    int8_model = opt.TFLiteModel(flatbuffers["int8"])
    keras_accuracy = opt.accuracy(baseline, x_test, y_test)
    assert abs(opt.accuracy(int8_model, x_test, y_test) - keras_accuracy) <= 0.02

    # Casting without the scale and zero point (the trap) breaks the model.
    wrong = np.argmax(int8_model.predict(x_test, quantize=False), axis=-1)
    assert np.mean(wrong == y_test) < keras_accuracy - 0.3


def _scales_per_tensor(flatbuffer):
    """Return the number of quantization scales of every constant int8 tensor."""
    interpreter = litert.Interpreter(model_content=flatbuffer)
    counts = []
    for detail in interpreter.get_tensor_details():
        if detail["dtype"] != np.int8:
            continue
        try:
            interpreter.get_tensor(detail["index"])
        except ValueError:  # an activation, not a weight
            continue
        counts.append(detail["quantization_parameters"]["scales"].size)
    return counts


def test_per_tensor_one_scale_per_weight(flatbuffers):
    assert max(_scales_per_tensor(flatbuffers["int8"])) == 32  # Dense(32): one per channel
    assert set(_scales_per_tensor(flatbuffers["int8_per_tensor"])) == {1}


def test_per_tensor_smaller_than_per_channel(flatbuffers):
    per_channel = opt.constant_bytes(flatbuffers["int8"])
    per_tensor = opt.constant_bytes(flatbuffers["int8_per_tensor"])
    assert per_tensor["weights"] == per_channel["weights"]
    # 16 + 32 + 10 output channels, each weight and bias with 12 bytes per channel.
    assert per_channel["quantization_parameters"] >= 2 * 12 * (16 + 32 + 10)
    assert per_tensor["quantization_parameters"] < per_channel["quantization_parameters"] / 10
    assert len(flatbuffers["int8_per_tensor"]) < len(flatbuffers["int8"]) - 1_000


def test_per_tensor_accuracy_near_keras(baseline, flatbuffers, digits):
    """One scale per tensor costs at most 2 pp on these 397 test digits (8 digits)."""
    _, _, x_test, y_test = digits
    keras_accuracy = opt.accuracy(baseline, x_test, y_test)
    per_tensor = opt.accuracy(opt.TFLiteModel(flatbuffers["int8_per_tensor"]), x_test, y_test)
    assert keras_accuracy > 0.9
    assert per_tensor >= keras_accuracy - 0.02


def test_quantize_input_uses_scale_and_zero_point(flatbuffers):
    model = opt.TFLiteModel(flatbuffers["int8"])
    scale, zero_point = model.input["quantization"]
    x = np.array([0.0, 0.5, 1.0, 100.0], dtype=np.float32)
    expected = np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)
    np.testing.assert_array_equal(model.quantize_input(x), expected)
    assert model.quantize_input(x)[-1] == 127


def test_compare_table(baseline, flatbuffers, digits):
    _, _, x_test, y_test = digits
    table = opt.compare(flatbuffers, x_test, y_test, keras_models={"float32": baseline},
                        repeats=5)
    assert list(table.columns) == opt.COLUMNS
    assert list(table["variant"]) == list(opt.VARIANTS)
    reference = table.iloc[0]
    assert reference["size_ratio"] == 1.0
    assert reference["accuracy_change_pp"] == 0.0
    assert reference["max_abs_diff"] < 1e-4
    assert np.isnan(table.iloc[1]["max_abs_diff"])
    assert (table["num_threads"] == 1).all()
    assert (table["latency_p90_ms"] >= table["latency_median_ms"]).all()
    assert (table["gzip_bytes"] < table["size_bytes"]).all()


def test_compare_unknown_reference(flatbuffers, digits):
    with pytest.raises(ValueError, match="reference 'int4' is not one of the variants"):
        opt.compare(flatbuffers, digits[2], digits[3], reference="int4")


def test_latency_fields(flatbuffers, digits):
    model = opt.TFLiteModel(flatbuffers["int8"], num_threads=2)
    latency = opt.measure_latency(model, digits[2][0], repeats=7, warmup=2)
    assert latency.repeats == 7
    assert latency.num_threads == 2
    assert 0 < latency.median_ms <= latency.p90_ms


def test_builtin_kernels_same_predictions(flatbuffers, digits):
    x_test = digits[2][:20]
    delegated = opt.TFLiteModel(flatbuffers["int8_per_tensor"])
    builtin = opt.TFLiteModel(flatbuffers["int8_per_tensor"],
                              op_resolver="BUILTIN_WITHOUT_DEFAULT_DELEGATES")
    assert builtin.op_resolver == "BUILTIN_WITHOUT_DEFAULT_DELEGATES"
    np.testing.assert_array_equal(np.argmax(builtin.predict(x_test), axis=1),
                                  np.argmax(delegated.predict(x_test), axis=1))


def test_unknown_op_resolver(flatbuffers):
    with pytest.raises(ValueError, match=r"Unknown op_resolver 'XNN'\. Valid values are: "
                                         r"AUTO, BUILTIN, BUILTIN_REF, "
                                         r"BUILTIN_WITHOUT_DEFAULT_DELEGATES\."):
        opt.TFLiteModel(flatbuffers["int8"], op_resolver="XNN")


def test_gzip_size_of_zeros():
    assert opt.gzip_size(bytes(100_000)) < 1_000


def test_write_tflite_to_models_dir(flatbuffers, isolated_folders):
    path = opt.write_tflite(flatbuffers["int8"], "digits_int8")
    assert path == isolated_folders / "build" / "models" / "digits_int8.tflite"
    assert path.read_bytes() == flatbuffers["int8"]
    assert opt.TFLiteModel(path).input_dtype == np.int8


# --- the speech-like DS-CNN ---------------------------------------------------

def test_ds_cnn_every_experiment(log_mel_data):
    x, y = log_mel_data
    keras.utils.set_random_seed(0)
    model = build_ds_cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    pruned = opt.prune_model(model, x, y, 0.5, epochs=2, batch_size=16)
    sparsity = opt.sparsity_by_layer(pruned)
    assert sparsity["conv2d_1/kernel"] == pytest.approx(0.5, abs=0.02)
    # TF-MOT 0.8.1 leaves depthwise kernels dense.
    assert sparsity["depthwise_conv2d/depthwise_kernel"] == 0.0
    clustered = opt.cluster_model(model, x, y, 8, epochs=1, batch_size=16)
    unique = opt.unique_weights_by_layer(clustered)
    # TF-MOT 0.8.1 does not cluster depthwise kernels either: 3 x 3 x 8 values stay.
    assert unique.pop("depthwise_conv2d/depthwise_kernel") == 72
    assert max(unique.values()) <= 8
    qat_model = opt.quantize_aware_train(pruned, x, y, preserve="pruning", epochs=1,
                                         batch_size=16)
    flatbuffer = opt.convert(qat_model, "int8", representative_data=x[:20])
    outputs = opt.TFLiteModel(flatbuffer).predict(x[:4])
    assert outputs.shape == (4, 4)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, atol=0.05)


# --- the baseline survives every experiment -----------------------------------

def test_fresh_copy_shares_no_variables(baseline):
    copy = opt.fresh_copy(baseline)
    originals = {id(weight) for weight in baseline.weights}
    assert not originals & {id(weight) for weight in copy.weights}
    for left, right in zip(baseline.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(left, right)


def test_in_place_wrapping_changes_a_model(digits):
    # Why fresh_copy exists: TF-MOT wraps the layers of the model it is given.
    x_train, y_train, _, _ = digits
    model = build_digits_cnn()
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(
        model, pruning_schedule=tfmot.sparsity.keras.ConstantSparsity(0.8, 0, frequency=1))
    wrapped.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    wrapped.fit(x_train[:64], y_train[:64], epochs=1, verbose=0,
                callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    assert opt.overall_sparsity(model) > 0.7


def test_baseline_unchanged_after_every_experiment(baseline, digits):
    x_train, y_train, x_test, y_test = digits
    weights_before = kernel_snapshot(baseline)
    accuracy_before = opt.accuracy(baseline, x_test, y_test)

    # The experiments notebook 07 runs, each on the same baseline object.
    for target in (0.5, 0.8):
        opt.prune_model(baseline, x_train, y_train, target, epochs=1)
    for clusters in (16, 8):
        opt.cluster_model(baseline, x_train, y_train, clusters, epochs=1)
    opt.quantize_aware_train(baseline, x_train, y_train, epochs=1)
    pruned = opt.prune_model(baseline, x_train, y_train, 0.8, epochs=1)
    opt.quantize_aware_train(pruned, x_train, y_train, preserve="pruning", epochs=1)
    clustered = opt.cluster_model(baseline, x_train, y_train, 8, epochs=1)
    opt.quantize_aware_train(clustered, x_train, y_train, preserve="clustering", epochs=1)
    for variant in opt.VARIANTS:
        opt.convert(baseline, variant, representative_data=x_train[:20])

    for before, after in zip(weights_before, baseline.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert opt.accuracy(baseline, x_test, y_test) == accuracy_before
    assert [type(layer).__name__ for layer in baseline.layers] == \
        ["Conv2D", "Flatten", "Dense", "Dense"]
    flatbuffer = opt.convert(baseline, "float32")
    assert opt.max_abs_difference(baseline, opt.TFLiteModel(flatbuffer), x_test[:20]) < 1e-4


def test_constant_bytes_split(flatbuffers):
    float_split = opt.constant_bytes(flatbuffers["float32"])
    int8_split = opt.constant_bytes(flatbuffers["int8"])
    # 18,954 float32 parameters: Conv2D 3 x 3 x 1 x 16 + 16, Dense 576 x 32 + 32 and 32 x 10 + 10.
    assert float_split["weights"] >= 4 * 18_954
    assert float_split["quantization_parameters"] == 0
    assert int8_split["quantization_parameters"] > 0
    assert int8_split["weights"] < float_split["weights"] / 3
    assert sum(int8_split.values()) == len(flatbuffers["int8"])


def test_run_suite_subset(baseline, digits):
    x_train, y_train, _, _ = digits
    config = opt.SuiteConfig(prune_epochs=1, representative_examples=20)
    result = opt.run_suite(baseline, x_train[:256], y_train[:256], config,
                           variants=("prune80_int8_per_tensor", "prune80_int8", "float32"))
    assert list(result.flatbuffers) == ["float32", "prune80_int8", "prune80_int8_per_tensor"]
    assert list(result.keras_models) == ["float32"]
    assert set(result.seconds) == {"float32", "prune80_float32"}
    int8_model = opt.TFLiteModel(result.flatbuffers["prune80_int8"])
    assert int8_model.input_dtype == np.int8
    # Post-training int8 keeps the pruned zeros, so the file compresses far better.
    assert opt.gzip_size(result.flatbuffers["prune80_int8"]) < \
        0.5 * opt.gzip_size(opt.convert(baseline, "int8", x_train[:20]))
    assert opt.gzip_size(result.flatbuffers["prune80_int8_per_tensor"]) < \
        opt.gzip_size(result.flatbuffers["prune80_int8"])


def test_run_suite_unknown_variant(baseline, digits):
    with pytest.raises(ValueError, match=r"Unknown variants \['int4'\]"):
        opt.run_suite(baseline, digits[0], digits[1], variants=("int8", "int4"))


def test_softmax_detected_through_qat_wrapper():
    model = keras.Sequential([keras.layers.Input((8,)),
                              keras.layers.Dense(3, activation="softmax", name="probabilities")])
    wrapped = tfmot.quantization.keras.quantize_model(model)
    assert opt_common.outputs_probabilities(model) is True
    assert opt_common.outputs_probabilities(wrapped) is True
    logits = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(3, name="logits")])
    assert opt_common.outputs_probabilities(tfmot.quantization.keras.quantize_model(logits)) is False


# --- the course's two speech models: int8 size against model size ------------

def randomized(model, seed=0):
    """Give every weight random values, as training would, and return the model.

    An untrained model's batch-norm parameters are all ones or zeros, and the
    converter stores identical constants once, which would make its files
    smaller than a trained model's. Variances stay positive.
    """
    rng = np.random.default_rng(seed)
    model.set_weights([np.abs(rng.normal(0.5, 0.2, weight.shape)).astype(weight.dtype)
                       if "variance" in name else
                       rng.normal(0.0, 0.1, weight.shape).astype(weight.dtype)
                       for name, weight in zip([w.name for w in model.weights],
                                               model.get_weights())])
    return model


def int8_per_tensor_ratio(model):
    calibration = np.random.default_rng(1).normal(-40.0, 20.0, (32, 40, 63, 1)).astype("float32")
    int8 = opt.convert(model, "int8_per_tensor", representative_data=calibration)
    return len(int8) / len(opt.convert(model, "float32"))


def test_speech_cnn_meets_int8_size_target():
    from course_utils.models import build_speech_cnn

    assert int8_per_tensor_ratio(randomized(build_speech_cnn())) <= 0.27


def test_tiny_ds_cnn_shrinks_less():
    from course_utils.models import build_ds_cnn

    # Notebook 07 states that the 14k-parameter DS-CNN stays well above 0.25.
    assert int8_per_tensor_ratio(randomized(build_ds_cnn())) >= 0.33
