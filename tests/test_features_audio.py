"""The NumPy audio features against librosa 0.11 and scipy with the same arguments.

Relative error here is ``max|ours - reference| / max|reference|`` over the whole
array: the largest absolute difference measured against the largest reference
magnitude. It is the error a plot or a model would notice, and unlike an
element-wise ratio it stays defined where the reference is 0. When the
reference is all zeros (silence) the absolute difference is used instead.
Tolerances: 1e-5 on linear outputs, 1e-4 on log-domain (dB, MFCC) outputs.
"""

import re
import warnings

import librosa
import numpy as np
import pytest
import scipy.fft
import scipy.signal
from sklearn.preprocessing import scale

from course_utils.features import audio

# librosa warns when a centred clip is shorter than n_fft; those cases are on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:n_fft=.* is too large:UserWarning")

LINEAR_TOLERANCE = 1e-5
LOG_TOLERANCE = 1e-4


def relative_error(ours, reference):
    ours = np.asarray(ours)
    reference = np.asarray(reference)
    assert ours.shape == reference.shape
    difference = np.max(np.abs(ours.astype(np.complex128) - reference))
    scale_ = np.max(np.abs(reference))
    return float(difference / scale_) if scale_ > 0 else float(difference)


def make_signal(kind, n_samples, sr, seed=0):
    """Return a float32 test signal: white noise, a chirp, a tone or silence."""
    t = np.arange(n_samples) / sr
    if kind == "noise":
        return np.random.default_rng(seed).standard_normal(n_samples).astype(np.float32) * 0.3
    if kind == "chirp":
        return scipy.signal.chirp(t, f0=100, t1=t[-1] or 1.0, f1=sr / 2.5).astype(np.float32)
    if kind == "tone":
        return (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    return np.zeros(n_samples, dtype=np.float32)


# (sr, n_fft, hop_length, win_length, center, n_samples, signal kind)
CASES = [
    (8000, 256, 80, None, True, 8000, "noise"),
    (8000, 256, 128, None, False, 8001, "chirp"),
    (16000, 512, 160, 400, True, 16000, "chirp"),
    (16000, 1024, 256, None, False, 4097, "noise"),
    (8000, 512, 100, None, True, 300, "noise"),       # clip shorter than n_fft
    (8000, 255, 64, None, True, 1001, "tone"),        # odd n_fft and odd length
    (16000, 400, 160, None, True, 8000, "silence"),
    (8000, 256, 64, 200, False, 257, "tone"),
]
CASE_IDS = [f"sr{c[0]}-nfft{c[1]}-hop{c[2]}-win{c[3]}-center{c[4]}-n{c[5]}-{c[6]}"
            for c in CASES]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def case(request):
    sr, n_fft, hop_length, win_length, center, n_samples, kind = request.param
    y = make_signal(kind, n_samples, sr)
    options = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, center=center)
    return sr, y, options


@pytest.mark.parametrize("window", ["hann", "hamming"])
@pytest.mark.parametrize("win_length", [1, 2, 255, 256, 400])
def test_window_matches_scipy(window, win_length):
    reference = scipy.signal.get_window(window, win_length, fftbins=True)
    assert relative_error(audio.get_window(window, win_length), reference) < 1e-12


def test_window_padded_to_n_fft():
    padded = audio.get_window("hann", 200, n_fft=256)
    reference = librosa.util.pad_center(scipy.signal.get_window("hann", 200), size=256)
    np.testing.assert_allclose(padded, reference, atol=1e-12)


@pytest.mark.parametrize("frame_length, hop_length", [(256, 80), (255, 64), (1, 1), (1001, 7)])
def test_frame_matches_librosa(frame_length, hop_length):
    y = make_signal("noise", 1001, 8000)
    frames = audio.frame(y, frame_length, hop_length)
    reference = librosa.util.frame(y, frame_length=frame_length, hop_length=hop_length)
    np.testing.assert_array_equal(frames, reference)


@pytest.mark.parametrize("window", ["hann", "hamming"])
def test_stft_matches_librosa(case, window):
    sr, y, options = case
    ours = audio.stft(y, window=window, **options)
    reference = librosa.stft(y, window=window, **options)
    assert ours.dtype == reference.dtype == np.complex64
    assert relative_error(ours, reference) <= LINEAR_TOLERANCE


def test_stft_matches_scipy_without_centering():
    y = make_signal("chirp", 4000, 8000).astype(np.float64)
    _, _, reference = scipy.signal.stft(y, window="hann", nperseg=256, noverlap=256 - 64,
                                        boundary=None, padded=False, scaling="spectrum")
    ours = audio.stft(y, n_fft=256, hop_length=64, center=False)
    # scipy's "spectrum" scaling divides by the window's sum.
    window_sum = audio.get_window("hann", 256).sum()
    assert relative_error(ours / window_sum, reference) <= 1e-12


def test_spectrograms_match_librosa(case):
    sr, y, options = case
    stft = librosa.stft(y, **options)
    assert relative_error(audio.power_spectrogram(y, **options), np.abs(stft) ** 2) \
        <= LINEAR_TOLERANCE
    assert relative_error(audio.magnitude_spectrogram(y, **options), np.abs(stft)) \
        <= LINEAR_TOLERANCE


@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None])
@pytest.mark.parametrize("sr, n_fft, n_mels, fmin, fmax",
                         [(8000, 256, 40, 0.0, None), (16000, 512, 64, 20.0, 7600.0),
                          (22050, 2048, 128, 0.0, None), (8000, 255, 23, 300.0, 3400.0)])
def test_mel_filterbank_matches_librosa(htk, norm, sr, n_fft, n_mels, fmin, fmax):
    ours = audio.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk=htk, norm=norm)
    reference = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                    htk=htk, norm=norm)
    assert ours.shape == (n_mels, 1 + n_fft // 2)
    assert ours.dtype == np.float32
    assert relative_error(ours, reference) <= LINEAR_TOLERANCE


def test_mel_filterbank_slaney_area_is_two_over_width():
    # With norm="slaney", each triangle's peak is 2 / (its width in Hz).
    bank = audio.mel_filterbank(8000, 4096, 10, norm="slaney", dtype=np.float64)
    edges = audio.mel_frequencies(12, fmin=0.0, fmax=4000.0)
    peaks = bank.max(axis=1)
    np.testing.assert_allclose(peaks, 2.0 / (edges[2:] - edges[:-2]), rtol=0.02)


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_matches_librosa(htk):
    hz = np.array([0.0, 50.0, 999.0, 1000.0, 1001.0, 4000.0, 11025.0])
    mels = audio.hz_to_mel(hz, htk=htk)
    np.testing.assert_allclose(mels, librosa.hz_to_mel(hz, htk=htk), rtol=1e-12)
    np.testing.assert_allclose(audio.mel_to_hz(mels, htk=htk), hz, rtol=1e-12, atol=1e-9)


def test_mel_spectrogram_matches_librosa(case):
    sr, y, options = case
    ours = audio.mel_spectrogram(y, sr, n_mels=40, **options)
    reference = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=40, **options)
    assert relative_error(ours, reference) <= LINEAR_TOLERANCE


# float32 FFT round-off is about 1e-7 of the peak power, so in float32 a band more
# than about 70 dB below the peak has no correct digit in either implementation.
# The float32 case therefore limits the range to 80 dB (librosa's MFCC default),
# and the full range down to the -100 dB floor is compared in float64.
@pytest.mark.parametrize("dtype, top_db", [(np.float32, 80.0), (np.float64, None)])
def test_log_mel_matches_librosa(case, dtype, top_db):
    sr, y, options = case
    y = y.astype(dtype)
    ours = audio.log_mel_spectrogram(y, sr, n_mels=40, top_db=top_db, **options)
    power = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=40, **options)
    reference = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=top_db)
    assert ours.dtype == dtype
    assert relative_error(ours, reference) <= LOG_TOLERANCE


def test_log_mel_of_silence_is_floor():
    log_mel = audio.log_mel_spectrogram(np.zeros(8000, np.float32), 8000, n_fft=256,
                                        hop_length=80, n_mels=40)
    assert log_mel.shape == (40, 101)
    # 1e-10 is not exact in float32, hence the tolerance around -100 dB.
    np.testing.assert_allclose(log_mel, -100.0, atol=1e-4)


@pytest.mark.parametrize("lifter", [0, 22])
def test_mfcc_matches_librosa(case, lifter):
    sr, y, options = case
    ours = audio.mfcc(y, sr, n_mfcc=13, n_mels=40, lifter=lifter, **options)
    reference = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_mels=40, lifter=lifter, **options)
    assert ours.shape == reference.shape
    assert relative_error(ours, reference) <= LOG_TOLERANCE


def test_mfcc_from_log_mel_equals_mfcc_from_signal():
    y = make_signal("chirp", 8000, 8000)
    log_mel = audio.log_mel_spectrogram(y, 8000, 256, 80, 40, top_db=80.0)
    from_s = audio.mfcc(S=log_mel, n_mfcc=13)
    from_y = audio.mfcc(y, 8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)
    np.testing.assert_array_equal(from_s, from_y)


@pytest.mark.parametrize("n_out, n_in", [(40, 40), (13, 40), (1, 7)])
def test_dct_matrix_matches_scipy(n_out, n_in):
    x = np.random.default_rng(1).standard_normal((n_in, 5))
    reference = scipy.fft.dct(x, type=2, norm="ortho", axis=0)[:n_out]
    np.testing.assert_allclose(audio.dct_matrix(n_out, n_in) @ x, reference, atol=1e-12)


def test_dct_matrix_is_orthonormal():
    basis = audio.dct_matrix(32, 32)
    np.testing.assert_allclose(basis @ basis.T, np.eye(32), atol=1e-12)


def test_batch_equals_each_clip():
    batch = np.stack([make_signal(kind, 8000, 8000) for kind in ("noise", "chirp", "silence")])
    batched = audio.mfcc(batch, 8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)
    assert batched.shape == (3, 13, 101)
    for index, y in enumerate(batch):
        single = audio.mfcc(y, 8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)
        np.testing.assert_allclose(batched[index], single, rtol=1e-6, atol=1e-4)


def test_float64_input_gives_complex128():
    y = make_signal("noise", 1000, 8000).astype(np.float64)
    ours = audio.stft(y, n_fft=128, hop_length=32)
    reference = librosa.stft(y, n_fft=128, hop_length=32)
    assert ours.dtype == np.complex128
    assert relative_error(ours, reference) <= 1e-12


@pytest.mark.parametrize("pad_mode", ["constant", "reflect", "edge"])
def test_stft_pad_modes_match_librosa(pad_mode):
    y = make_signal("chirp", 2000, 8000)
    ours = audio.stft(y, n_fft=256, hop_length=64, pad_mode=pad_mode)
    reference = librosa.stft(y, n_fft=256, hop_length=64, pad_mode=pad_mode)
    assert relative_error(ours, reference) <= LINEAR_TOLERANCE


@pytest.mark.parametrize("width, order", [(9, 1), (9, 2), (3, 1), (5, 2), (7, 3)])
def test_deltas_match_librosa(width, order):
    features = librosa.feature.mfcc(y=make_signal("chirp", 8000, 8000), sr=8000, n_mfcc=13,
                                    n_fft=256, hop_length=80, n_mels=40)
    ours = audio.deltas(features, width=width, order=order)
    reference = librosa.feature.delta(features, width=width, order=order)
    assert relative_error(ours, reference) <= LINEAR_TOLERANCE


def test_deltas_along_first_axis():
    data = np.random.default_rng(2).standard_normal((30, 4))
    reference = librosa.feature.delta(data, width=5, axis=0)
    np.testing.assert_allclose(audio.deltas(data, width=5, axis=0), reference, atol=1e-12)


def test_deltas_of_ramp_is_slope():
    ramp = 3.0 * np.arange(20.0)
    np.testing.assert_allclose(audio.deltas(ramp, width=9), np.full(20, 3.0), atol=1e-12)


def test_normalize_utterance_matches_sklearn_scale():
    features = np.random.default_rng(3).normal(5.0, 2.0, size=(2, 13, 50))
    ours = audio.normalize_utterance(features)
    for index in range(2):
        np.testing.assert_allclose(ours[index], scale(features[index], axis=1), atol=1e-12)
    np.testing.assert_allclose(ours.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(ours.std(axis=-1), 1.0, atol=1e-12)


def test_normalize_utterance_constant_feature_is_zero():
    features = np.vstack([np.full(10, 7.0), np.arange(10.0)])
    ours = audio.normalize_utterance(features)
    np.testing.assert_array_equal(ours[0], np.zeros(10))
    centred = audio.normalize_utterance(features, variance=False)
    np.testing.assert_allclose(centred[1], np.arange(10.0) - 4.5)


def test_log_mel_large_batch():
    # 200 one-second clips in one call give one finite array.
    batch = np.random.default_rng(4).standard_normal((200, 8000)).astype(np.float32)
    log_mel = audio.log_mel_spectrogram(batch, 8000, 256, 80, 40)
    assert log_mel.shape == (200, 40, 101)
    assert np.isfinite(log_mel).all()


# Bad input: each error names the parameter, its value and the allowed range.

def error_message(function, *args, **kwargs):
    with pytest.raises(ValueError) as caught:
        function(*args, **kwargs)
    return str(caught.value)


def test_integer_dtype_rejected():
    assert error_message(audio.stft, np.zeros(1000, np.int16)) == (
        "y must be a floating-point array (float32 or float64), got dtype int16. Convert "
        "integer PCM first, for example y.astype(np.float32) / 32768 for 16-bit samples.")


@pytest.mark.parametrize("y, shape", [(np.float32(1.0), "()"), (np.zeros(0, np.float32), "(0,)"),
                                      (np.zeros((3, 0), np.float32), "(3, 0)")])
def test_empty_or_scalar_signal_rejected(y, shape):
    assert error_message(audio.log_mel_spectrogram, y, 8000) == (
        f"y must have shape (..., n_samples) with n_samples >= 1, got shape {shape}.")


def test_n_fft_longer_than_signal_uncentred_rejected():
    y = np.zeros(100, np.float32)
    assert error_message(audio.stft, y, n_fft=256, center=False) == (
        "n_fft=256 is larger than the signal (n_samples=100) with center=False; n_fft must "
        "be in [1, 100]. Pass center=True to pad the signal, or use a smaller n_fft.")
    # Centred analysis pads the clip, so the same call works with center=True.
    assert audio.stft(y, n_fft=256, hop_length=64).shape == (129, 2)


def test_fmax_above_nyquist_rejected():
    assert error_message(audio.mel_filterbank, 8000, 256, 40, fmax=5000) == (
        "fmax=5000 is out of range; fmax must be in (fmin, sr/2] = (0, 4000] Hz for sr=8000.")
    assert error_message(audio.log_mel_spectrogram, np.zeros(800, np.float32), 8000, 256,
                         fmin=100.0, fmax=4000.5) == (
        "fmax=4000.5 is out of range; fmax must be in (fmin, sr/2] = (100, 4000] Hz "
        "for sr=8000.")


def test_fmin_out_of_range_rejected():
    assert error_message(audio.mel_filterbank, 8000, 256, 40, fmin=-1.0) == (
        "fmin=-1.0 is out of range; fmin must be in [0, sr/2) = [0, 4000) Hz.")


def test_empty_mel_filter_is_error_not_warning():
    expected = (
        "n_mels=128 is too large for n_fft=128 at sr=8000 between fmin=0 and fmax=4000 Hz: "
        "29 mel filter(s) (0, 1, 4, 7, 8, ...) contain no FFT bin. n_mels must be in "
        "[1, 74] for these settings; alternatively raise n_fft or widen the fmin..fmax range.")
    assert error_message(audio.mel_filterbank, 8000, 128, 128) == expected
    # The largest count the message offers really works.
    assert (audio.mel_filterbank(8000, 128, 74).max(axis=1) > 0).all()
    # librosa builds the same bank with only a warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        librosa.filters.mel(sr=8000, n_fft=128, n_mels=128)
    assert any("Empty filters" in str(warning.message) for warning in caught)


def test_nan_in_signal_rejected():
    y = np.zeros(1000, np.float32)
    y[[5, 17]] = np.nan
    assert error_message(audio.mfcc, y, 8000, n_fft=256, n_mels=40) == (
        "y contains 2 non-finite value(s) (NaN or inf), the first at index (5,); every value "
        "must be finite. Clean the input, for example with np.nan_to_num(y).")


@pytest.mark.parametrize("call, message", [
    (lambda: audio.stft(np.zeros(500, np.float32), n_fft=0),
     "n_fft=0 is invalid; n_fft must be an integer >= 1."),
    (lambda: audio.stft(np.zeros(500, np.float32), n_fft=256, hop_length=2.5),
     "hop_length=2.5 is invalid; hop_length must be an integer >= 1."),
    (lambda: audio.stft(np.zeros(500, np.float32), n_fft=256, win_length=300),
     "win_length=300 is larger than n_fft=256; win_length must be in [1, 256]."),
    (lambda: audio.stft(np.zeros(500, np.float32), n_fft=256, window="kaiser"),
     "window='kaiser' is invalid; window must be one of ('hann', 'hamming') or an array "
     "of win_length values."),
    (lambda: audio.mfcc(np.zeros(500, np.float32), 8000, n_mfcc=41, n_fft=256, n_mels=40),
     "n_mfcc=41 is out of range; n_mfcc must be in [1, 40] (n_mels)."),
    (lambda: audio.deltas(np.zeros((13, 5)), width=9),
     "width=9 is invalid; width must be an odd integer in [3, 5] (n_frames along axis -1)."),
    (lambda: audio.mel_filterbank(8000, 256, 40, norm="l2"),
     "norm='l2' is invalid; norm must be 'slaney' or None."),
    (lambda: audio.power_to_db(np.ones((2, 2)), amin=0.0),
     "amin=0.0 is invalid; amin must be > 0."),
])
def test_parameter_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        call()
