"""Size, accuracy, latency and fidelity of TFLite models, and one comparison table."""

import dataclasses
import gzip
import time
from pathlib import Path

import numpy as np
# LiteRT's interpreter replaces tf.lite.Interpreter, which TensorFlow 2.21
# deprecates; it reads the same .tflite flatbuffers.
from ai_edge_litert import interpreter as litert


class TFLiteModel:
    """A TFLite interpreter that takes and returns float arrays for any variant.

    For a full-integer model, ``predict`` quantizes the float input with the
    input tensor's scale and zero point (q = round(x / scale) + zero_point,
    clipped to int8) and dequantizes the output the same way, so callers feed
    the same float32 examples as to the Keras model.

    Args:
        model: flatbuffer bytes or a path to a ``.tflite`` file.
        num_threads: interpreter threads (latency depends on it).
        op_resolver: an ``ai_edge_litert.interpreter.OpResolverType`` name. ``"AUTO"``
            runs supported ops through the XNNPACK delegate;
            ``"BUILTIN_WITHOUT_DEFAULT_DELEGATES"`` uses TFLite's own kernels.
    """

    def __init__(self, model, num_threads=1, op_resolver="AUTO"):
        if isinstance(model, (str, Path)):
            model = Path(model).read_bytes()
        resolvers = litert.OpResolverType
        if op_resolver not in resolvers.__members__:
            raise ValueError(f"Unknown op_resolver {op_resolver!r}. Valid values are: "
                             f"{', '.join(resolvers.__members__)}.")
        self.flatbuffer = bytes(model)
        self.num_threads = num_threads
        self.op_resolver = op_resolver
        self.interpreter = litert.Interpreter(
            model_content=self.flatbuffer, num_threads=num_threads,
            experimental_op_resolver_type=resolvers[op_resolver])
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    @property
    def input_dtype(self):
        """The dtype of the input tensor (float32 or int8)."""
        return self.input["dtype"]

    def quantize_input(self, x):
        """Return ``x`` converted to the input tensor's dtype (quantized if integer)."""
        x = np.asarray(x, dtype=np.float32)
        if self.input_dtype == np.float32:
            return x
        scale, zero_point = self.input["quantization"]
        info = np.iinfo(self.input_dtype)
        return np.clip(np.round(x / scale) + zero_point, info.min, info.max) \
            .astype(self.input_dtype)

    def dequantize_output(self, y):
        """Return the output as float32 (dequantized if the output tensor is integer)."""
        if self.output["dtype"] == np.float32:
            return y
        scale, zero_point = self.output["quantization"]
        return (y.astype(np.float32) - zero_point) * scale

    def invoke_raw(self, x_batch):
        """Run one batch already in the input dtype; return the raw output."""
        self.interpreter.set_tensor(self.input["index"], x_batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"])

    def predict(self, x, quantize=True):
        """Return float32 outputs (n, n_outputs) for float32 inputs (n, *input_shape).

        Args:
            quantize: apply the input scale and zero point. With False, an
                int8 model gets ``x`` cast to int8 as-is, which is wrong and
                only there to show what happens without quantization.
        """
        x = np.asarray(x, dtype=np.float32)
        outputs = []
        for example in x:
            batch = example[np.newaxis]
            batch = self.quantize_input(batch) if quantize else batch.astype(self.input_dtype)
            outputs.append(self.dequantize_output(self.invoke_raw(batch))[0])
        return np.stack(outputs)


def accuracy(model, x, y):
    """Return the top-1 accuracy of a TFLiteModel (or Keras model) on (x, y)."""
    if isinstance(model, TFLiteModel):
        scores = model.predict(x)
    else:
        scores = model.predict(x, verbose=0)
    return float(np.mean(np.argmax(scores, axis=-1) == np.asarray(y)))


def max_abs_difference(keras_model, tflite_model, x):
    """Return the largest |Keras output - TFLite output| over the examples in ``x``."""
    reference = keras_model.predict(np.asarray(x, dtype=np.float32), verbose=0)
    return float(np.max(np.abs(reference - tflite_model.predict(x))))


@dataclasses.dataclass(frozen=True)
class Latency:
    """Per-sample latency in milliseconds over ``repeats`` calls after warm-up."""

    median_ms: float
    p90_ms: float
    repeats: int
    num_threads: int


def measure_latency(tflite_model, example, repeats=100, warmup=10):
    """Time ``invoke`` on one example (batch of 1), after ``warmup`` untimed calls."""
    batch = tflite_model.quantize_input(np.asarray(example, dtype=np.float32)[np.newaxis])
    tflite_model.interpreter.set_tensor(tflite_model.input["index"], batch)
    for _ in range(warmup):
        tflite_model.interpreter.invoke()
    times = np.empty(repeats)
    for index in range(repeats):
        start = time.perf_counter_ns()
        tflite_model.interpreter.invoke()
        times[index] = (time.perf_counter_ns() - start) / 1e6
    return Latency(float(np.median(times)), float(np.percentile(times, 90)), repeats,
                   tflite_model.num_threads)


def gzip_size(data):
    """Return the size in bytes of ``data`` (bytes or a file path) after gzip -9."""
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    return len(gzip.compress(bytes(data), compresslevel=9, mtime=0))


def constant_bytes(flatbuffer):
    """Return where the bytes of a flatbuffer's constant tensors go.

    Returns:
        {"weights": bytes of constant tensor data (weights, biases, shapes),
         "quantization_parameters": bytes of per-channel scales (float32, 4 bytes)
         and zero points (int64, 8 bytes) of every tensor,
         "other": the rest of the file (graph, tensor names, metadata)}.
    """
    interpreter = litert.Interpreter(model_content=bytes(flatbuffer))
    weights = parameters = 0
    for detail in interpreter.get_tensor_details():
        quantization = detail["quantization_parameters"]
        parameters += 4 * quantization["scales"].size + 8 * quantization["zero_points"].size
        try:
            weights += interpreter.get_tensor(detail["index"]).nbytes
        except ValueError:  # an activation: no data before allocate_tensors()
            continue
    return {"weights": weights, "quantization_parameters": parameters,
            "other": len(flatbuffer) - weights - parameters}
