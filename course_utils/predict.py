"""Predict the spoken digit in an audio file with a saved speech model.

``python -m course_utils predict MODEL FILE`` runs this module. MODEL is one of:

* a ``.keras`` file, loaded with ``safe_mode=True`` (no Python code in the file
  runs, and nothing is unpickled);
* a SavedModel folder, loaded with ``tf.saved_model.load`` and called through
  its ``serving_default`` signature;
* a ``.tflite`` file, run with LiteRT's interpreter (``ai_edge_litert``; float or
  integer input).

The model takes either the raw waveform ``(num_samples,)`` or the log-mel
``(n_mels, n_frames, 1)`` of ``course_utils.speech``. For a log-mel model, the
front-end settings come from ``speech_model_info.json`` in the model's folder
when it exists, and from ``FrontEndConfig()`` otherwise.

FILE is anything ``course_utils.data.load_audio`` reads; it is resampled to
the model's sample rate. A clip shorter than the model's window is zero-padded
at the end. A longer clip is cut into windows of the model's length every
``hop_seconds`` (0.5 s by default, the last window aligned with the end of the
file), and the window whose top class probability is highest gives the prediction.
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

import course_utils  # noqa: F401  (selects Keras 2 before TensorFlow loads)
import tensorflow as tf
from course_utils import keras, settings, speech
from course_utils.speech import INFO_FILE_NAME, MODEL_STEM
DEFAULT_HOP_SECONDS = 0.5
# A shorter hop adds windows without adding information (a 1-s window moved by
# less than 50 ms sees almost the same audio) and can exhaust memory on long files.
MIN_HOP_SECONDS = 0.05
# Windows are classified this many at a time, so memory stays bounded on long files.
WINDOWS_PER_BATCH = 64


def validate_hop_seconds(hop_seconds):
    """Return ``hop_seconds`` as a float, or raise ValueError if it is not a usable step."""
    try:
        value = float(hop_seconds)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < MIN_HOP_SECONDS:
        raise ValueError(f"Invalid hop {hop_seconds!r}: use a step of at least "
                         f"{MIN_HOP_SECONDS} seconds (the default is {DEFAULT_HOP_SECONDS}).")
    return value


class ModelLoadError(ValueError):
    """Raised when a model file cannot be used; the message names the file."""


@dataclasses.dataclass
class Prediction:
    """The prediction for one audio file.

    Attributes:
        label: the predicted class name.
        probability: the model's probability for ``label`` in the chosen window.
        window_start_s: start of the chosen window, in seconds from the file start.
        num_windows: windows the file was cut into (1 for a clip of 1 s or less).
        probabilities: ``(num_windows, num_classes)`` for every window.
    """

    label: str
    probability: float
    window_start_s: float
    num_windows: int
    probabilities: np.ndarray


@dataclasses.dataclass
class SpeechPredictor:
    """A loaded model plus what is needed to feed it.

    Attributes:
        path: the model file or folder.
        input_kind: ``"waveform"`` or ``"log_mel"``.
        config: the front-end settings (sample rate and window length included).
        class_names: one name per output.
        run: function from a float32 batch of model inputs to probabilities.
    """

    path: Path
    input_kind: str
    config: speech.FrontEndConfig
    class_names: list
    run: object

    def predict_windows(self, windows):
        """Return class probabilities ``(n, num_classes)`` for waveforms ``(n, num_samples)``."""
        inputs = np.asarray(windows, dtype=np.float32)
        if self.input_kind == "log_mel":
            inputs = speech.log_mel(inputs, self.config).numpy()
        outputs = np.asarray(self.run(inputs), dtype=np.float32)

        # A model that ends without softmax outputs logits. The tolerance allows for
        # the rounding of an 8-bit quantized output, about 1/256 per class.
        if np.any(outputs < 0) or not np.allclose(outputs.sum(axis=1), 1.0, atol=0.05):
            outputs = tf.nn.softmax(outputs, axis=1).numpy()
        return outputs


def _read_info(model_path):
    info_path = model_path.parent / INFO_FILE_NAME
    if not info_path.is_file():
        return {}
    try:
        return json.loads(info_path.read_text())
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"Cannot read {info_path}: {error}. Delete it or save the "
                             "model again to rewrite it.") from error


def _keras_runner(path):
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # noqa: BLE001  (Keras raises many types for a bad file)
        raise ModelLoadError(f"Cannot load {path} as a Keras model: {error}. Pass a .keras "
                             "file written by model.save().") from error
    if isinstance(model.input_shape, list) or isinstance(model.output_shape, list):
        raise ModelLoadError(f"{path} has several inputs or outputs; a speech model has one "
                             "input and one output.")
    call = tf.function(lambda x: model(x, training=False))
    return tuple(model.input_shape), tuple(model.output_shape), lambda x: call(x).numpy()


def _saved_model_runner(path):
    try:
        loaded = tf.saved_model.load(str(path))
        signature = loaded.signatures["serving_default"]
    except (OSError, ValueError, KeyError, tf.errors.OpError) as error:
        raise ModelLoadError(f"Cannot load {path} as a SavedModel with a 'serving_default' "
                             f"signature: {error}.") from error
    inputs = signature.structured_input_signature[1]
    outputs = signature.structured_outputs
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelLoadError(f"{path} has {len(inputs)} inputs and {len(outputs)} outputs; "
                             "a speech model has one input and one output.")
    (input_name, input_spec), = inputs.items()
    (output_name, output_spec), = outputs.items()

    def run(x):
        return signature(**{input_name: tf.constant(x)})[output_name].numpy()

    return tuple(input_spec.shape), tuple(output_spec.shape), run


def _tflite_runner(path):
    try:
        # LiteRT's interpreter replaces tf.lite.Interpreter, deprecated in TensorFlow 2.21.
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise ModelLoadError(f"Cannot load {path} as a TensorFlow Lite model: {error}. Pass a "
                             ".tflite file written by the TFLite converter, such as the "
                             "speech_cnn_*.tflite files that notebook 07 writes.") from error
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]

    def run(x):
        # The interpreter takes one example at a time at its fixed batch size of 1.
        return np.concatenate([_invoke_tflite(interpreter, input_detail, output_detail,
                                              example[np.newaxis]) for example in x])

    input_shape = (None, *input_detail["shape"][1:])
    output_shape = (None, *output_detail["shape"][1:])
    return tuple(int(n) if n else n for n in input_shape), tuple(output_shape), run


def _invoke_tflite(interpreter, input_detail, output_detail, example):
    scale, zero_point = input_detail["quantization"]
    if scale:  # integer input: quantize with the model's own scale and zero point.
        info = np.iinfo(input_detail["dtype"])
        example = np.clip(np.round(example / scale + zero_point), info.min, info.max)
    interpreter.set_tensor(input_detail["index"], example.astype(input_detail["dtype"]))
    interpreter.invoke()
    output = interpreter.get_tensor(output_detail["index"]).astype(np.float32)
    scale, zero_point = output_detail["quantization"]
    return (output - zero_point) * scale if scale else output


def _open_model(path):
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ModelLoadError(f"{path} is a folder without saved_model.pb, so it is not "
                                 "a SavedModel.")
        return _saved_model_runner(path)
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return _keras_runner(path)
    if suffix == ".tflite":
        return _tflite_runner(path)
    raise ModelLoadError(f"Unsupported model file {path}: expected a .keras file, a "
                         f".tflite file or a SavedModel folder, got {suffix or 'no suffix'!r}. "
                         "Legacy .h5 files are not supported because they are not loaded "
                         "in safe mode.")


def _saved_model_path():
    """Return where notebook 06 saves the speech model in this run's models folder."""
    return settings.models_dir() / f"{MODEL_STEM}.keras"


def _input_kind(path, input_shape, config):
    if len(input_shape) == 2 and input_shape[1] and input_shape[1] >= config.n_fft:
        return "waveform", dataclasses.replace(config, num_samples=int(input_shape[1]))
    if tuple(input_shape[1:]) == config.feature_shape:
        return "log_mel", config
    raise ModelLoadError(
        f"{path} takes input of shape {tuple(input_shape[1:])}, which is neither a waveform "
        f"(num_samples,) nor the log-mel shape {config.feature_shape} of the speech front "
        "end. Is it an image model? Pass a speech model such as "
        f"{_saved_model_path()}.")


def load_speech_model(path):
    """Load a speech model for prediction and return a SpeechPredictor.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ModelLoadError: the file is not a loadable model, or not a speech model.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Model not found: {path}. Train and save one with notebook 06 "
                                f"(it writes {_saved_model_path()}).")
    info = _read_info(path)
    config = speech.FrontEndConfig.from_dict(info.get("front_end", {}))
    input_shape, output_shape, run = _open_model(path)
    input_kind, config = _input_kind(path, input_shape, config)

    num_classes = int(output_shape[-1])
    class_names = [str(name) for name in info.get("class_names", [])]
    if len(class_names) != num_classes:
        class_names = [str(index) for index in range(num_classes)]
    return SpeechPredictor(path, input_kind, config, class_names, run)


def window_starts(num_samples, window_length, hop_length):
    """Return the start of each window over a waveform of ``num_samples`` samples.

    Windows start every ``hop_length`` samples, and a last window ends exactly at
    the end of the waveform so no sample is left out. A waveform no longer than
    ``window_length`` has one window, at 0.
    """
    if num_samples <= window_length:
        return np.array([0])
    starts = list(range(0, num_samples - window_length + 1, hop_length))
    if starts[-1] != num_samples - window_length:
        starts.append(num_samples - window_length)
    return np.array(starts)


def split_windows(waveform, window_length, hop_length, starts=None):
    """Cut ``waveform`` into windows ``(n, window_length)`` and return them with their starts.

    A waveform shorter than ``window_length`` gives one window, zero-padded at the
    end. ``starts`` selects windows (default: all of ``window_starts``), so a
    caller can cut a long file a batch at a time.
    """
    waveform = np.asarray(waveform, dtype=np.float32)
    if len(waveform) < window_length:
        padded = np.zeros(window_length, dtype=np.float32)
        padded[:len(waveform)] = waveform
        waveform = padded
    if starts is None:
        starts = window_starts(len(waveform), window_length, hop_length)
    windows = np.stack([waveform[start:start + window_length] for start in starts])
    return windows, np.asarray(starts)


def predict_file(predictor, audio_path, hop_seconds=DEFAULT_HOP_SECONDS):
    """Predict the class of one audio file; see the module docstring for long files.

    Raises:
        FileNotFoundError: the audio file does not exist.
        course_utils.data.AudioLoadError: the file is empty, corrupt or undecodable.
    """
    from course_utils.data import load_audio

    hop_seconds = validate_hop_seconds(hop_seconds)
    config = predictor.config
    waveform = load_audio(audio_path, sample_rate=config.sample_rate)
    hop_length = int(round(hop_seconds * config.sample_rate))
    starts = window_starts(len(waveform), config.num_samples, hop_length)

    batches = []
    for first in range(0, len(starts), WINDOWS_PER_BATCH):
        windows, _ = split_windows(waveform, config.num_samples, hop_length,
                                   starts=starts[first:first + WINDOWS_PER_BATCH])
        batches.append(predictor.predict_windows(windows))
    probabilities = np.concatenate(batches)
    best = int(np.argmax(probabilities.max(axis=1)))
    index = int(np.argmax(probabilities[best]))
    return Prediction(label=predictor.class_names[index],
                      probability=float(probabilities[best, index]),
                      window_start_s=float(starts[best] / config.sample_rate),
                      num_windows=len(starts), probabilities=probabilities)


def format_prediction(audio_path, prediction):
    """Return the line that the command prints for one file."""
    line = f"{audio_path}: {prediction.label} (probability {prediction.probability:.3f})"
    if prediction.num_windows > 1:
        line += (f", best of {prediction.num_windows} windows, "
                 f"starting at {prediction.window_start_s:.2f} s")
    return line


def main(args):
    """Run ``predict`` for the parsed command-line ``args``; return the exit status."""
    import sys

    from course_utils.data import AudioLoadError

    try:
        predictor = load_speech_model(args.model)
    except (FileNotFoundError, ModelLoadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    status = 0
    for audio_path in args.files:
        try:
            prediction = predict_file(predictor, audio_path, hop_seconds=args.hop)
        except (FileNotFoundError, AudioLoadError) as error:
            print(f"error: {error}", file=sys.stderr)
            status = 1
            continue
        print(format_prediction(audio_path, prediction))
    return status
