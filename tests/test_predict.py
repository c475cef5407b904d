"""The predict command: model formats, audio handling and bad input."""

import json

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from course_utils import __main__ as cli
from course_utils import keras, predict, settings, speech
from course_utils.data import AudioLoadError
from course_utils.models import build_ds_cnn

CONFIG = speech.FrontEndConfig()
CLASS_NAMES = [f"digit{index}" for index in range(10)]


def write_wav(path, seconds=1.0, sample_rate=8000, burst_at=None):
    """Write a 16-bit WAV of quiet noise, with a loud tone at ``burst_at`` seconds if given."""
    rng = np.random.default_rng(0)
    y = 0.01 * rng.standard_normal(int(seconds * sample_rate))
    if burst_at is not None:
        start = int(burst_at * sample_rate)
        t = np.arange(sample_rate // 2) / sample_rate
        y[start:start + len(t)] += 0.5 * np.sin(2 * np.pi * 300 * t)
    sf.write(path, y, sample_rate, subtype="PCM_16")
    return path


def int8_tflite(classifier):
    """Convert with full-integer quantization, so input and output are int8."""
    rng = np.random.default_rng(1)
    examples = speech.compute_log_mel(rng.normal(scale=0.1, size=(8, 8000)).astype(np.float32))

    def representative_dataset():
        for example in examples:
            yield [example[np.newaxis]]

    converter = tf.lite.TFLiteConverter.from_keras_model(classifier)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    """A small untrained DS-CNN saved as .keras, SavedModel and .tflite, with its info file."""
    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(0)
    classifier = build_ds_cnn(filters=8, num_blocks=1)
    classifier.save(folder / "speech.keras")
    tf.saved_model.save(classifier, str(folder / "speech_savedmodel"))
    tflite = tf.lite.TFLiteConverter.from_keras_model(classifier).convert()
    (folder / "speech.tflite").write_bytes(tflite)
    speech.build_end_to_end_model(classifier, CONFIG).save(folder / "speech_waveform.keras")
    (folder / "speech_int8.tflite").write_bytes(int8_tflite(classifier))
    speech.write_model_info(folder / predict.INFO_FILE_NAME, CONFIG, CLASS_NAMES, "log_mel")
    return folder


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_wav(tmp_path_factory.mktemp("audio") / "clip.wav", burst_at=0.2)


def energy_predictor(calls):
    """A waveform predictor whose class-0 probability grows with a window's energy."""

    def run(windows):
        calls.append(windows.shape)
        energy = np.mean(np.square(windows), axis=1)
        top = energy / (energy.max() + 1e-12) * 0.9 + 0.05
        return np.stack([top, 1 - top], axis=1)

    return predict.SpeechPredictor(path=None, input_kind="waveform", config=CONFIG,
                                   class_names=["loud", "quiet"], run=run)


def test_split_windows_pads_short_clip():
    windows, starts = predict.split_windows(np.ones(3000), 8000, 4000)
    assert windows.shape == (1, 8000)
    assert windows[0, :3000].sum() == 3000
    assert windows[0, 3000:].sum() == 0
    assert starts.tolist() == [0]


def test_split_windows_covers_long_clip():
    windows, starts = predict.split_windows(np.arange(21000), 8000, 4000)
    assert starts.tolist() == [0, 4000, 8000, 12000, 13000]
    assert windows.shape == (5, 8000)
    assert windows[-1, -1] == 20999


def test_long_file_uses_best_window(tmp_path):
    path = write_wav(tmp_path / "long.wav", seconds=3.0, burst_at=2.1)
    calls = []
    prediction = predict.predict_file(energy_predictor(calls), path)
    assert calls == [(5, 8000)]
    assert prediction.num_windows == 5
    assert prediction.label == "loud"
    assert prediction.window_start_s == 2.0
    assert prediction.probability == pytest.approx(0.95)


def test_many_windows_predicted_in_batches(tmp_path):
    path = write_wav(tmp_path / "ten.wav", seconds=10.0, burst_at=9.5)
    calls = []
    prediction = predict.predict_file(energy_predictor(calls), path, hop_seconds=0.1)
    assert prediction.num_windows == 91
    assert calls == [(64, 8000), (27, 8000)]
    assert prediction.label == "loud"


@pytest.mark.parametrize("hop", [0, -1, 0.01, float("nan"), float("inf"), "fast"])
def test_invalid_hop_rejected(tmp_path, hop):
    path = write_wav(tmp_path / "one.wav")
    with pytest.raises(ValueError) as error:
        predict.predict_file(energy_predictor([]), path, hop_seconds=hop)
    assert str(error.value) == (f"Invalid hop {hop!r}: use a step of at least 0.05 seconds "
                                "(the default is 0.5).")


def test_command_rejects_zero_hop(model_folder, clip, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", str(model_folder / "speech.keras"), str(clip), "--hop", "0"])
    assert exit_info.value.code == 2
    assert "argument --hop: Invalid hop '0': use a step of at least 0.05 seconds" in (
        capsys.readouterr().err)


def test_other_sample_rate_is_resampled(tmp_path):
    path = write_wav(tmp_path / "fast.wav", seconds=1.0, sample_rate=16000, burst_at=0.2)
    calls = []
    prediction = predict.predict_file(energy_predictor(calls), path)
    assert calls == [(1, 8000)]
    assert prediction.num_windows == 1


def test_stereo_flac_is_accepted(tmp_path):
    t = np.arange(22050) / 22050
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 300 * t), 0.3 * np.sin(2 * np.pi * 500 * t)])
    path = tmp_path / "stereo.flac"
    sf.write(path, stereo.T, 22050, format="FLAC")
    calls = []
    prediction = predict.predict_file(energy_predictor(calls), path)
    assert calls == [(1, 8000)]
    assert prediction.label == "loud"


@pytest.mark.parametrize("name", ["speech.keras", "speech_savedmodel", "speech.tflite",
                                  "speech_waveform.keras"])
def test_formats_give_same_probabilities(model_folder, clip, name):
    reference = predict.predict_file(predict.load_speech_model(model_folder / "speech.keras"),
                                     clip)
    prediction = predict.predict_file(predict.load_speech_model(model_folder / name), clip)
    assert prediction.label == reference.label
    assert prediction.label in CLASS_NAMES
    np.testing.assert_allclose(prediction.probabilities, reference.probabilities, atol=1e-4)


def test_int8_tflite_is_dequantized(model_folder, clip):
    reference = predict.predict_file(predict.load_speech_model(model_folder / "speech.keras"),
                                     clip)
    quantized = predict.predict_file(
        predict.load_speech_model(model_folder / "speech_int8.tflite"), clip)
    assert quantized.probabilities.dtype == np.float32
    np.testing.assert_allclose(quantized.probabilities.sum(axis=1), 1.0, atol=0.05)
    np.testing.assert_allclose(quantized.probabilities, reference.probabilities, atol=0.05)


def test_input_kind_follows_model(model_folder):
    assert predict.load_speech_model(model_folder / "speech.keras").input_kind == "log_mel"
    waveform_model = predict.load_speech_model(model_folder / "speech_waveform.keras")
    assert waveform_model.input_kind == "waveform"
    assert waveform_model.config.num_samples == 8000


def test_command_prints_digit_and_probability(model_folder, clip, capsys):
    status = cli.main(["predict", str(model_folder / "speech.keras"), str(clip)])
    output = capsys.readouterr().out.strip()
    assert status == 0
    assert output.startswith(f"{clip}: digit")
    probability = float(output.split("(probability ")[1].rstrip(")"))
    assert 0.1 <= probability <= 1.0


def test_command_names_missing_audio(model_folder, tmp_path, capsys):
    missing = tmp_path / "nothing.wav"
    status = cli.main(["predict", str(model_folder / "speech.keras"), str(missing)])
    assert status == 1
    assert str(missing) in capsys.readouterr().err


def test_corrupt_audio_names_file(model_folder, tmp_path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot really audio")
    with pytest.raises(AudioLoadError, match=str(path)):
        predict.predict_file(predict.load_speech_model(model_folder / "speech.keras"), path)


def test_empty_audio_names_file(model_folder, tmp_path, capsys):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    status = cli.main(["predict", str(model_folder / "speech.keras"), str(path)])
    assert status == 1
    assert f"error: {path}" in capsys.readouterr().err


def test_missing_model_is_reported(tmp_path, clip, capsys):
    model = tmp_path / "absent.keras"
    assert cli.main(["predict", str(model), str(clip)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: Model not found: {model}.")
    # The hint names the models folder of this run, not a fixed path.
    assert f"(it writes {settings.models_dir() / 'speech_cnn.keras'})" in error


def test_text_file_is_not_a_keras_model(tmp_path):
    model = tmp_path / "notes.keras"
    model.write_text("not a model")
    with pytest.raises(predict.ModelLoadError, match=f"Cannot load {model} as a Keras model"):
        predict.load_speech_model(model)


def test_image_model_is_rejected(tmp_path):
    model = tmp_path / "image.keras"
    keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(10)]).save(model)
    with pytest.raises(predict.ModelLoadError) as error:
        predict.load_speech_model(model)
    assert str(error.value).startswith(f"{model} takes input of shape (8, 8, 1), which is "
                                       "neither a waveform")


@pytest.mark.parametrize("name", ["model.h5", "model.txt"])
def test_unsupported_suffix_is_rejected(tmp_path, name):
    model = tmp_path / name
    model.write_text("x")
    with pytest.raises(predict.ModelLoadError, match=f"Unsupported model file {model}"):
        predict.load_speech_model(model)


def test_folder_without_saved_model_is_rejected(tmp_path):
    with pytest.raises(predict.ModelLoadError, match="without saved_model.pb"):
        predict.load_speech_model(tmp_path)


def test_corrupt_tflite_is_rejected(tmp_path):
    model = tmp_path / "broken.tflite"
    model.write_bytes(b"\x00" * 64)
    with pytest.raises(predict.ModelLoadError,
                       match=f"Cannot load {model} as a TensorFlow Lite") as raised:
        predict.load_speech_model(model)
    assert str(raised.value).endswith("such as the speech_cnn_*.tflite files that notebook 07 "
                                      "writes.")


def test_corrupt_info_file_is_reported(tmp_path, model_folder):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "speech.keras").write_bytes((model_folder / "speech.keras").read_bytes())
    info = folder / predict.INFO_FILE_NAME
    info.write_text("{not json")
    with pytest.raises(predict.ModelLoadError, match=f"Cannot read {info}"):
        predict.load_speech_model(folder / "speech.keras")


def test_logits_become_probabilities():
    predictor = predict.SpeechPredictor(path=None, input_kind="waveform", config=CONFIG,
                                        class_names=["a", "b"],
                                        run=lambda x: np.array([[2.0, -1.0]] * len(x)))
    probabilities = predictor.predict_windows(np.zeros((1, 8000)))
    np.testing.assert_allclose(probabilities, [[0.952574, 0.047426]], rtol=1e-5)


def test_two_input_model_is_rejected(tmp_path):
    first, second = keras.Input((8000,)), keras.Input((8000,))
    model = keras.Model([first, second], keras.layers.Dense(10)(first + second))
    path = tmp_path / "two_inputs.keras"
    model.save(path)
    with pytest.raises(predict.ModelLoadError, match="has several inputs or outputs"):
        predict.load_speech_model(path)


def test_class_names_fall_back_to_indices(tmp_path, model_folder):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "speech.keras").write_bytes((model_folder / "speech.keras").read_bytes())
    (folder / predict.INFO_FILE_NAME).write_text(json.dumps({"class_names": ["a", "b"]}))
    assert predict.load_speech_model(folder / "speech.keras").class_names == [
        str(index) for index in range(10)]
