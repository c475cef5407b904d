"""The log-mel front end: layer, tf.data path and NumPy reference agree."""

import librosa
import numpy as np
import pytest

from course_utils import keras, speech
from course_utils.features.audio import log_mel_spectrogram

CONFIG = speech.FrontEndConfig()


def relative_error(actual, expected):
    """Return max |actual - expected| over max |expected|, which stays defined near 0 dB."""
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


@pytest.fixture(scope="module")
def waveforms():
    """Three 1-s clips at 8 kHz: a tone with noise, a chirp, and a short burst in silence."""
    rng = np.random.default_rng(0)
    t = np.arange(CONFIG.num_samples) / CONFIG.sample_rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(t.size)
    chirp = 0.3 * np.sin(2 * np.pi * (200 + 1500 * t) * t)
    burst = np.zeros_like(t)
    burst[3000:4000] = 0.2 * rng.standard_normal(1000)
    return np.stack([tone, chirp, burst]).astype(np.float32)


def test_front_end_output_shape(waveforms):
    features = speech.build_front_end(CONFIG)(waveforms)
    assert tuple(features.shape) == (3, 40, 63, 1)
    assert CONFIG.feature_shape == (40, 63, 1)


def test_layer_matches_dataset_path(waveforms):
    in_model = speech.build_front_end(CONFIG)(waveforms).numpy()
    ahead_of_time = speech.compute_log_mel(waveforms, CONFIG, batch_size=2)
    assert relative_error(in_model, ahead_of_time) < 1e-4


def test_layer_matches_numpy_features(waveforms):
    in_model = speech.build_front_end(CONFIG)(waveforms).numpy()[..., 0]
    reference = log_mel_spectrogram(waveforms.astype(np.float64), sr=CONFIG.sample_rate,
                                    n_fft=CONFIG.n_fft, hop_length=CONFIG.hop_length,
                                    n_mels=CONFIG.n_mels, fmin=CONFIG.fmin, fmax=CONFIG.fmax,
                                    center=True, amin=CONFIG.amin)
    assert reference.shape == in_model.shape
    assert relative_error(in_model, reference) < 1e-4


def test_layer_matches_librosa(waveforms):
    in_model = speech.build_front_end(CONFIG)(waveforms).numpy()[..., 0]
    power = librosa.feature.melspectrogram(
        y=waveforms.astype(np.float64), sr=CONFIG.sample_rate, n_fft=CONFIG.n_fft,
        hop_length=CONFIG.hop_length, n_mels=CONFIG.n_mels, fmin=CONFIG.fmin,
        fmax=CONFIG.fmax, center=True, pad_mode="constant", power=2.0)
    reference = 10 * np.log10(np.maximum(power, CONFIG.amin))
    assert relative_error(in_model, reference) < 1e-4


def test_tone_peaks_in_its_mel_band(waveforms):
    features = speech.build_front_end(CONFIG)(waveforms[:1]).numpy()[0, :, 31, 0]
    centres = librosa.mel_frequencies(n_mels=CONFIG.n_mels + 2, fmin=CONFIG.fmin,
                                      fmax=CONFIG.fmax)[1:-1]
    assert abs(centres[np.argmax(features)] - 440) < 60


def test_silence_sits_at_power_floor():
    features = speech.build_front_end(CONFIG)(np.zeros((1, CONFIG.num_samples), np.float32))
    assert np.allclose(features.numpy(), 10 * np.log10(CONFIG.amin))


def test_layer_saves_and_loads_in_safe_mode(waveforms, tmp_path):
    model = speech.build_front_end(speech.FrontEndConfig(n_mels=32))
    path = tmp_path / "front_end.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)
    assert loaded.layers[-1].config.n_mels == 32
    np.testing.assert_allclose(loaded(waveforms).numpy(), model(waveforms).numpy(), atol=1e-5)


def test_dataset_yields_features_and_labels(waveforms):
    dataset = speech.log_mel_dataset(waveforms, np.array([0, 1, 2]), CONFIG, batch_size=2)
    batches = list(dataset)
    assert [tuple(features.shape) for features, _ in batches] == [(2, 40, 63, 1), (1, 40, 63, 1)]
    assert np.concatenate([labels.numpy() for _, labels in batches]).tolist() == [0, 1, 2]


def _add_noise(batch, rng):
    return batch + 0.05 * rng.standard_normal(batch.shape)


def test_dataset_augments_reproducibly(waveforms):
    plain = speech.compute_log_mel(waveforms, CONFIG)

    def augmented(seed):
        dataset = speech.log_mel_dataset(waveforms, config=CONFIG, batch_size=3,
                                         augment=_add_noise, seed=seed)
        return next(iter(dataset)).numpy()

    first, again, other = augmented(1), augmented(1), augmented(2)
    assert np.abs(first - plain).max() > 1.0
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1.0


def test_dataset_augments_every_epoch(waveforms):
    dataset = speech.log_mel_dataset(waveforms, config=CONFIG, batch_size=3,
                                     augment=_add_noise, seed=0)
    epoch1 = next(iter(dataset)).numpy()
    epoch2 = next(iter(dataset)).numpy()
    assert np.abs(epoch1 - epoch2).max() > 1.0


def test_spectrogram_images_scale_and_flip():
    features = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4, 1)
    images = speech.spectrogram_images(features)
    assert images.shape == (2, 3, 4, 1)
    assert images.min() == 0.0
    assert images.max() == 1.0
    # The lowest mel band (row 0 of the features) becomes the bottom image row.
    np.testing.assert_allclose(images[0, -1, :, 0], [0, 1 / 11, 2 / 11, 3 / 11], rtol=1e-6)
