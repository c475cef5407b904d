"""The speech model's log-mel front end, in TensorFlow, for training and inference.

The front end turns a batch of 1-second waveforms into log-mel spectrograms in
decibels. It exists twice, and both copies compute the same numbers:

* ``LogMelSpectrogram``, a Keras layer, for a model that takes raw audio
  (``build_end_to_end_model``). The training recipe in
  ``course_utils.speech_training`` and latency measurements use it;
* ``log_mel_dataset``, a ``tf.data`` pipeline that computes the features ahead
  of time (and augments waveforms first when asked), for a classifier that
  takes log-mel input, such as the saved speech CNN and its TFLite versions.

Both call ``log_mel``: a Hann-windowed STFT from ``tf.signal`` on a signal
zero-padded by ``n_fft // 2`` on each side (librosa's ``center=True,
pad_mode="constant"``), power, the mel matrix from
``course_utils.features.audio.mel_filterbank`` as a constant, and
``10 * log10(max(mel_power, amin))``. The output layout is librosa's
``(n_mels, n_frames)`` plus a channel axis: ``(batch, n_mels, n_frames, 1)``.

The classifiers (``course_utils.models.build_speech_cnn`` and ``build_ds_cnn``)
take that log-mel as input and do not contain the front end, because
TensorFlow Model Optimization cannot quantize or prune a custom layer.
"""

import dataclasses
import json

import numpy as np

import course_utils  # noqa: F401  (selects Keras 2 before TensorFlow loads)
import tensorflow as tf
from course_utils import keras
from course_utils.features.audio import mel_filterbank


@dataclasses.dataclass(frozen=True)
class FrontEndConfig:
    """Parameters of the log-mel front end; the defaults suit 8 kHz speech.

    Attributes:
        sample_rate: samples per second of the input waveform, in Hz.
        num_samples: samples per clip (8000 = 1 s at 8 kHz).
        n_fft: FFT and window length in samples (256 = 32 ms).
        hop_length: samples between frames (128 = 16 ms).
        n_mels: mel bands.
        fmin: lowest mel band edge, in Hz.
        fmax: highest mel band edge, in Hz (the Nyquist frequency at 8 kHz).
        amin: power floor before the logarithm, 1e-6 or -60 dB. A full-scale
            440 Hz tone measures about +18 dB in its mel band with these
            settings. The floor keeps float32 STFT round-off in near-silent
            bands out of the features.
    """

    sample_rate: int = 8000
    num_samples: int = 8000
    n_fft: int = 256
    hop_length: int = 128
    n_mels: int = 40
    fmin: float = 20.0
    fmax: float = 4000.0
    amin: float = 1e-6

    @property
    def n_frames(self):
        """Frames per clip with centred framing: ``1 + num_samples // hop_length``."""
        return 1 + self.num_samples // self.hop_length

    @property
    def feature_shape(self):
        """Shape of one log-mel example: ``(n_mels, n_frames, 1)``."""
        return (self.n_mels, self.n_frames, 1)

    def to_dict(self):
        """Return the fields as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build a config from ``to_dict`` output, ignoring unknown keys."""
        fields = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in fields})


def mel_matrix(config):
    """Return the mel filterbank as float32 ``(1 + n_fft // 2, n_mels)`` for ``matmul``."""
    weights = mel_filterbank(config.sample_rate, config.n_fft, n_mels=config.n_mels,
                             fmin=config.fmin, fmax=config.fmax)
    return np.asarray(weights, dtype=np.float32).T


def log_mel(waveforms, config, matrix=None):
    """Compute log-mel spectrograms in dB with TensorFlow ops.

    Args:
        waveforms: float tensor ``(batch, n_samples)`` at ``config.sample_rate``.
        config: a FrontEndConfig.
        matrix: the output of ``mel_matrix(config)``; computed when None.

    Returns:
        float32 tensor ``(batch, n_mels, n_frames, 1)`` in dB.
    """
    if matrix is None:
        matrix = mel_matrix(config)
    waveforms = tf.cast(waveforms, tf.float32)

    # Centred frames, as librosa's center=True with pad_mode="constant".
    pad = config.n_fft // 2
    padded = tf.pad(waveforms, [[0, 0], [pad, pad]])
    spectrum = tf.signal.stft(padded, frame_length=config.n_fft, frame_step=config.hop_length,
                              fft_length=config.n_fft, window_fn=tf.signal.hann_window)
    power = tf.math.square(tf.math.abs(spectrum))  # (batch, n_frames, 1 + n_fft // 2)

    mel_power = tf.linalg.matmul(power, matrix)  # (batch, n_frames, n_mels)
    decibels = 10.0 * tf.math.log(tf.math.maximum(mel_power, config.amin)) / np.log(10.0)
    return tf.transpose(decibels, [0, 2, 1])[..., tf.newaxis]


@keras.utils.register_keras_serializable(package="course_utils")
class LogMelSpectrogram(keras.layers.Layer):
    """Keras layer: waveforms ``(batch, num_samples)`` to log-mel ``(batch, n_mels, n_frames, 1)``.

    The mel matrix is a constant rebuilt from the config, so the layer has no
    weights and saves as its config only. Registered for ``.keras`` loading
    with ``safe_mode=True`` under the name ``course_utils>LogMelSpectrogram``.
    """

    def __init__(self, sample_rate=8000, num_samples=8000, n_fft=256, hop_length=128,
                 n_mels=40, fmin=20.0, fmax=4000.0, amin=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.config = FrontEndConfig(sample_rate=sample_rate, num_samples=num_samples,
                                     n_fft=n_fft, hop_length=hop_length, n_mels=n_mels,
                                     fmin=fmin, fmax=fmax, amin=amin)
        self.matrix = tf.constant(mel_matrix(self.config))

    def call(self, inputs):
        return log_mel(inputs, self.config, self.matrix)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.config.feature_shape)

    def get_config(self):
        return {**super().get_config(), **self.config.to_dict()}


def build_front_end(config=FrontEndConfig()):
    """Return a weightless Keras model: waveform ``(num_samples,)`` to log-mel."""
    inputs = keras.Input(shape=(config.num_samples,), name="waveform")
    outputs = LogMelSpectrogram(**config.to_dict(), name="log_mel")(inputs)
    return keras.Model(inputs, outputs, name="log_mel_front_end")


def build_end_to_end_model(classifier, config=FrontEndConfig()):
    """Return a model from waveform ``(num_samples,)`` to class probabilities.

    ``classifier`` takes ``config.feature_shape``; its layers are shared, not copied.
    """
    inputs = keras.Input(shape=(config.num_samples,), name="waveform")
    features = LogMelSpectrogram(**config.to_dict(), name="log_mel")(inputs)
    outputs = classifier(features)
    return keras.Model(inputs, outputs, name=f"{classifier.name}_on_waveform")


def log_mel_dataset(waveforms, labels=None, config=FrontEndConfig(), batch_size=32,
                    augment=None, shuffle=False, seed=42):
    """Return a batched ``tf.data.Dataset`` of log-mel features computed ahead of the model.

    Args:
        waveforms: float array ``(n, num_samples)``.
        labels: int array ``(n,)``, or None for features only.
        config: the FrontEndConfig the model was trained with.
        batch_size: examples per batch.
        augment: None, or a function ``(waveforms, rng) -> waveforms`` on a
            NumPy batch ``(batch, num_samples)``; applied to every batch of
            every epoch before the features are computed.
        shuffle: reshuffle the examples each epoch.
        seed: seed of the shuffle and of the augmentation's random generator.

    Returns:
        A dataset of ``features`` or ``(features, labels)`` batches, features
        float32 ``(batch, n_mels, n_frames, 1)``.
    """
    waveforms = np.asarray(waveforms, dtype=np.float32)
    items = waveforms if labels is None else (waveforms, np.asarray(labels))
    dataset = tf.data.Dataset.from_tensor_slices(items)
    if shuffle:
        dataset = dataset.shuffle(len(waveforms), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)

    if augment is not None:
        rng = np.random.default_rng(seed)

        def augment_batch(batch):
            return np.asarray(augment(batch, rng), dtype=np.float32)

        def augment_tensor(batch, *rest):
            result = tf.numpy_function(augment_batch, [batch], tf.float32, stateful=True)
            result.set_shape(batch.shape)
            return (result, *rest)

        dataset = dataset.map(augment_tensor)

    matrix = mel_matrix(config)

    def features(batch, *rest):
        return (log_mel(batch, config, matrix), *rest) if rest else log_mel(batch, config, matrix)

    return dataset.map(features).prefetch(tf.data.AUTOTUNE)


def compute_log_mel(waveforms, config=FrontEndConfig(), batch_size=256):
    """Return log-mel features ``(n, n_mels, n_frames, 1)`` as a NumPy array."""
    batches = log_mel_dataset(waveforms, config=config, batch_size=batch_size)
    return np.concatenate([batch.numpy() for batch in batches], axis=0)


def spectrogram_images(features):
    """Scale log-mel features to ``[0, 1]`` images with low frequencies at the bottom.

    Suits ``image_fn`` of the TensorBoard callbacks: ``(n, n_mels, n_frames, 1)``
    in, the same shape out, each example scaled by its own minimum and maximum.
    """
    features = np.asarray(features, dtype=np.float32)
    low = features.min(axis=(1, 2, 3), keepdims=True)
    high = features.max(axis=(1, 2, 3), keepdims=True)
    return np.flip((features - low) / np.maximum(high - low, 1e-6), axis=1)


# File names of the saved speech model: ``<MODEL_STEM>.keras``, the SavedModel
# folder ``<MODEL_STEM>_savedmodel`` and the info file beside them.
MODEL_STEM = "speech_cnn"
INFO_FILE_NAME = "speech_model_info.json"


def write_model_info(path, config, class_names, input_kind, **extra):
    """Write the JSON that tells later code how to feed a saved speech model."""
    info = {"input_kind": input_kind, "front_end": config.to_dict(),
            "sample_rate": config.sample_rate, "class_names": list(class_names), **extra}
    info["input_shape"] = ([config.num_samples] if input_kind == "waveform"
                           else list(config.feature_shape))
    path.write_text(json.dumps(info, indent=2))
    return path
