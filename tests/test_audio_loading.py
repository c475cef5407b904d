"""Tests of load_audio and load_audio_folder on generated files of every kind."""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from course_utils import settings
from course_utils.data import (AudioLoadError, audio, load_audio, load_audio_folder,
                               load_spoken_digit_folder)


def tone(seconds, sample_rate, frequency=440.0, amplitude=0.5):
    """Return a float64 sine wave ``(n_samples,)``."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return amplitude * np.sin(2 * np.pi * frequency * t)


def write(path, data, sample_rate, subtype="PCM_16", file_format=None):
    """Write ``data`` ``(n_samples,)`` or ``(n_samples, n_channels)`` and return the path."""
    sf.write(path, data, sample_rate, subtype=subtype, format=file_format)
    return path


@pytest.mark.parametrize("subtype, tolerance", [
    ("PCM_U8", 1 / 64),
    ("PCM_16", 1 / 16384),
    ("PCM_24", 1e-6),
    ("PCM_32", 1e-6),
    ("FLOAT", 1e-7),
])
def test_wav_bit_depths(tmp_path, subtype, tolerance):
    original = tone(0.5, 8000)
    path = write(tmp_path / f"{subtype}.wav", original, 8000, subtype)
    assert sf.info(path).subtype == subtype

    waveform = load_audio(path, sample_rate=8000)
    assert waveform.dtype == np.float32
    assert waveform.shape == (4000,)
    assert np.abs(waveform - original).max() < tolerance


@pytest.mark.parametrize("file_format, subtype, suffix", [
    ("FLAC", "PCM_16", "flac"),
    ("FLAC", "PCM_24", "flac"),
    ("OGG", "VORBIS", "ogg"),
])
def test_flac_and_ogg(tmp_path, file_format, subtype, suffix):
    original = tone(1.0, 16000)
    path = write(tmp_path / f"clip.{suffix}", original, 16000, subtype, file_format)

    waveform = load_audio(path, sample_rate=8000)
    assert waveform.shape == (8000,)
    assert waveform.dtype == np.float32
    expected = tone(1.0, 8000)
    # Vorbis is lossy, so compare by correlation rather than sample by sample.
    assert np.corrcoef(waveform[200:-200], expected[200:-200])[0, 1] > 0.99


@pytest.mark.parametrize("file_rate", [8000, 11025, 16000, 22050, 44100, 48000])
def test_any_rate_resampled(tmp_path, file_rate):
    path = write(tmp_path / "clip.wav", tone(1.0, file_rate), file_rate)

    waveform = load_audio(path, sample_rate=8000)
    assert waveform.shape == (8000,)
    # A 440 Hz tone keeps its frequency: over 1 s the FFT peak lands on bin 440.
    spectrum = np.abs(np.fft.rfft(waveform))
    assert np.argmax(spectrum) == 440


def test_upsampling_to_16k(tmp_path):
    path = write(tmp_path / "clip.wav", tone(0.5, 8000), 8000)
    assert load_audio(path, sample_rate=16000).shape == (8000,)


def test_none_keeps_file_rate(tmp_path):
    path = write(tmp_path / "clip.wav", tone(0.5, 22050), 22050)
    assert load_audio(path, sample_rate=None).shape == (11025,)


def test_default_rate_is_8k_not_22050(tmp_path):
    path = write(tmp_path / "clip.wav", tone(1.0, 44100), 44100)
    assert load_audio(path).shape == (8000,)


def test_stereo_24bit_downmix(tmp_path):
    left = tone(1.0, 44100, amplitude=0.6)
    right = np.zeros_like(left)
    path = write(tmp_path / "stereo.wav", np.stack([left, right], axis=1), 44100, "PCM_24")

    waveform = load_audio(path, sample_rate=8000)
    assert waveform.shape == (8000,)
    # The downmix is the channel mean, so a 0.6 tone beside silence peaks at 0.3.
    assert abs(np.abs(waveform[100:-100]).max() - 0.3) < 0.01

    channels = load_audio(path, sample_rate=8000, mono=False)
    assert channels.shape == (2, 8000)
    assert np.abs(channels[1]).max() < 1e-4


def test_multichannel_channels_first(tmp_path):
    data = np.stack([tone(0.25, 16000, amplitude=0.1 * (i + 1)) for i in range(6)], axis=1)
    path = write(tmp_path / "surround.wav", data, 16000)

    channels = load_audio(path, sample_rate=8000, mono=False)
    assert channels.shape == (6, 2000)
    peaks = np.abs(channels[:, 100:-100]).max(axis=1)
    assert np.allclose(peaks, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], atol=0.01)

    mono_file = write(tmp_path / "mono.wav", tone(0.25, 8000), 8000)
    assert load_audio(mono_file, mono=False).shape == (1, 2000)


def test_float_wav_above_full_scale_kept(tmp_path):
    path = write(tmp_path / "loud.wav", tone(0.1, 8000, amplitude=2.5), 8000, "FLOAT")
    assert abs(np.abs(load_audio(path)).max() - 2.5) < 1e-3


def test_float_wav_nan_replaced(tmp_path):
    data = tone(0.1, 8000).astype(np.float32)
    data[[5, 6, 7]] = [np.nan, np.inf, -np.inf]
    path = write(tmp_path / "nan.wav", data, 8000, "FLOAT")

    with pytest.warns(UserWarning, match=r"nan\.wav: replaced 3 NaN or infinite samples with 0"):
        waveform = load_audio(path)
    assert np.all(np.isfinite(waveform))
    assert waveform[5] == 0.0


def test_short_clip_padded(tmp_path):
    path = write(tmp_path / "click.wav", tone(0.01, 16000), 16000)
    waveform = load_audio(path, sample_rate=8000)
    assert waveform.shape == (80,)

    folder = load_audio_folder(tmp_path, sample_rate=8000, length=8000)
    assert folder.waveforms.shape == (1, 8000)
    assert np.all(folder.waveforms[0, 80:] == 0)


def test_silent_clip_stays_finite(tmp_path):
    path = write(tmp_path / "silence.wav", np.zeros(8000), 8000)
    waveform = load_audio(path)
    assert waveform.shape == (8000,)
    assert not np.any(waveform)
    assert np.all(np.isfinite(waveform))


def test_empty_file_error(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioLoadError, match=r"empty\.wav is empty \(0 bytes\)\. Re-copy"):
        load_audio(path)


def test_header_only_file_error(tmp_path):
    path = write(tmp_path / "frameless.wav", np.zeros(0), 8000)
    with pytest.raises(AudioLoadError, match=r"frameless\.wav contains no audio samples \(0 frames\)"):
        load_audio(path)


def test_corrupt_file_error(tmp_path):
    path = tmp_path / "junk.wav"
    path.write_bytes(b"this is a text file, not audio\n" * 20)
    with pytest.raises(AudioLoadError) as raised:
        load_audio(path)
    assert str(raised.value) == (
        f"Cannot decode {path}: Format not recognised. "
        "The file is corrupt or not an audio format that soundfile reads.")


def test_truncated_wav_error(tmp_path):
    whole = write(tmp_path / "whole.wav", tone(1.0, 8000), 8000)
    path = tmp_path / "cut.wav"
    path.write_bytes(whole.read_bytes()[:1044])

    with pytest.raises(AudioLoadError) as raised:
        load_audio(path)
    # 16000 bytes of samples were declared and 1000 are present (500 frames).
    assert str(raised.value) == (f"{path} is truncated: its data chunk lacks 15000 bytes "
                                 "(500 frames are present). Download or copy it again.")


def test_missing_file_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="Audio file not found: .*nothing.wav"):
        load_audio(tmp_path / "nothing.wav")


def test_invalid_sample_rate(tmp_path):
    path = write(tmp_path / "clip.wav", tone(0.1, 8000), 8000)
    with pytest.raises(ValueError, match="sample_rate must be a positive number of Hz or None, got -1"):
        load_audio(path, sample_rate=-1)


def test_unsupported_container_hint(tmp_path):
    path = tmp_path / "voice.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(200))
    with pytest.raises(AudioLoadError, match=r"soundfile cannot decode \.m4a files\. Convert it "
                                             r"to WAV or FLAC with `ffmpeg -i voice\.m4a voice\.wav`"):
        load_audio(path)


@pytest.mark.skipif("MP3" not in sf.available_formats(), reason="libsndfile has no MP3 support")
def test_mp3_decodes(tmp_path):
    path = write(tmp_path / "clip.mp3", tone(1.0, 16000), 16000, "MPEG_LAYER_III", "MP3")
    waveform = load_audio(path, sample_rate=8000)
    assert waveform.shape == (8000,)
    assert np.argmax(np.abs(np.fft.rfft(waveform))) == 440


def test_mp3_without_decoder_message(tmp_path, monkeypatch):
    path = tmp_path / "clip.mp3"
    path.write_bytes(b"ID3" + bytes(500))
    monkeypatch.setattr(audio, "decodable_formats", lambda: {"WAV", "FLAC", "OGG"})

    with pytest.raises(AudioLoadError) as raised:
        load_audio(path)
    message = str(raised.value)
    assert message.startswith(f"Cannot decode {path}: this libsndfile ")
    assert "has no MP3 decoder" in message
    assert 'pip install --upgrade "soundfile>=0.12"' in message
    assert "ffmpeg -i input.mp3 output.wav" in message


def make_mixed_folder(root):
    """Write 4 good clips at assorted rates and formats and 4 bad files."""
    write(root / "a_mono16.wav", tone(0.5, 8000), 8000)
    write(root / "b_stereo24.wav", np.stack([tone(0.5, 44100)] * 2, axis=1), 44100, "PCM_24")
    write(root / "c_float.wav", tone(0.5, 22050), 22050, "FLOAT")
    write(root / "d_u8.wav", tone(0.5, 11025), 11025, "PCM_U8")
    (root / "e_empty.wav").touch()
    (root / "f_junk.wav").write_bytes(b"not audio" * 50)
    write(root / "g_frameless.wav", np.zeros(0), 8000)
    whole = write(root / "whole.tmp", tone(0.5, 8000), 8000, file_format="WAV")
    (root / "h_cut.wav").write_bytes(whole.read_bytes()[:500])
    (root / "notes.txt").write_text("not matched by *.wav")


def test_folder_skips_bad_files(tmp_path):
    make_mixed_folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = load_audio_folder(tmp_path, sample_rate=8000)

    assert [path.name for path in folder.paths] == ["a_mono16.wav", "b_stereo24.wav",
                                                    "c_float.wav", "d_u8.wav"]
    assert [w.shape for w in folder.waveforms] == [(4000,)] * 4
    assert [path.name for path, _ in folder.skipped] == ["e_empty.wav", "f_junk.wav",
                                                         "g_frameless.wav", "h_cut.wav"]
    messages = [str(item.message) for item in caught]
    assert len(messages) == 4
    assert messages[0] == f"Skipped {tmp_path / 'e_empty.wav'}: {tmp_path / 'e_empty.wav'} is " \
                          "empty (0 bytes). Re-copy or re-record the file."
    assert "f_junk.wav: Format not recognised" in messages[1]
    assert "g_frameless.wav contains no audio samples" in messages[2]
    assert "h_cut.wav is truncated" in messages[3]
    assert folder.summary() == ("loaded 4 files at 8000 Hz, skipped 4 (e_empty.wav, "
                                "f_junk.wav, g_frameless.wav, h_cut.wav)")


def test_folder_length_stacks(tmp_path):
    make_mixed_folder(tmp_path)
    with pytest.warns(UserWarning):
        folder = load_audio_folder(tmp_path, sample_rate=8000, length=3000)
    assert folder.waveforms.shape == (4, 3000)
    assert folder.waveforms.dtype == np.float32
    assert len(folder) == 4


def test_folder_recursive_pattern(tmp_path):
    (tmp_path / "yes").mkdir()
    (tmp_path / "no").mkdir()
    write(tmp_path / "yes" / "1.wav", tone(0.2, 16000), 16000)
    write(tmp_path / "no" / "2.flac", tone(0.2, 16000), 16000, file_format="FLAC")

    assert len(load_audio_folder(tmp_path, "*.wav")) == 0
    assert [p.name for p in load_audio_folder(tmp_path, "**/*.wav").paths] == ["1.wav"]
    assert len(load_audio_folder(tmp_path, "**/*.*")) == 2


def test_folder_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="Audio folder not found: .*absent"):
        load_audio_folder(tmp_path / "absent")


def test_folder_rejects_none_rate(tmp_path):
    with pytest.raises(ValueError, match="load_audio_folder needs a sample_rate in Hz"):
        load_audio_folder(tmp_path, sample_rate=None)


def test_folder_progress_bar(tmp_path, capsys, monkeypatch):
    for index in range(audio.PROGRESS_MIN_FILES + 1):
        write(tmp_path / f"{index:03d}.wav", np.zeros(80), 8000)

    monkeypatch.delenv("CI", raising=False)
    load_audio_folder(tmp_path)
    assert f"{audio.PROGRESS_MIN_FILES + 1}/{audio.PROGRESS_MIN_FILES + 1}" in capsys.readouterr().err

    monkeypatch.setenv("CI", "true")
    load_audio_folder(tmp_path)
    assert capsys.readouterr().err == ""


def fsdd_sample_dir():
    """Return the optional folder of real FSDD recordings, or None when absent."""
    configured = os.environ.get("COURSE_FSDD_SAMPLE_DIR")
    path = Path(configured) if configured else \
        settings.PROJECT_ROOT.parent / "shared" / "data" / "fsdd_one_speaker"
    return path if path.is_dir() else None


@pytest.mark.skipif(fsdd_sample_dir() is None,
                    reason="no FSDD sample folder (set COURSE_FSDD_SAMPLE_DIR)")
def test_real_fsdd_recordings():
    root = fsdd_sample_dir()
    folder = load_audio_folder(root, sample_rate=8000)
    assert len(folder) == len(list(root.glob("*.wav")))
    assert folder.skipped == []
    lengths = np.array([len(w) for w in folder.waveforms])
    assert 1000 < np.median(lengths) < 8000

    # One speaker cannot be split by speaker, so use the random split.
    data = load_spoken_digit_folder(root, split="random")
    assert data.x_train.shape[1:] == (8000,)
    assert sorted(set(data.y_test.tolist())) == list(range(10))
