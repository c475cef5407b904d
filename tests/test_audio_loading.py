"""Tests of load_audio and load_audio_folder on generated files of every kind."""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from course_utils import settings
from course_utils.data import (AudioLoadError, SkippedFileWarning, audio, load_audio,
                               load_audio_folder, load_spoken_digit_folder)


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
        f"{path} cannot be decoded: Format not recognised. "
        "The file is corrupt or not an audio format that soundfile reads.")


@pytest.mark.parametrize("file_format, subtype, reason", [
    ("FLAC", "PCM_16", "flac decoder lost sync"),
    ("OGG", "VORBIS", "Supported file format but file is malformed"),
])
def test_truncated_compressed_error(tmp_path, file_format, subtype, reason):
    whole = write(tmp_path / f"whole.{file_format.lower()}", tone(1.0, 16000), 16000, subtype,
                  file_format)
    path = tmp_path / f"cut.{file_format.lower()}"
    path.write_bytes(whole.read_bytes()[:whole.stat().st_size // 3])

    with pytest.raises(AudioLoadError, match=f"cut.* cannot be decoded: .*{reason}. The file is corrupt"):
        load_audio(path)


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
    assert message.startswith(f"{path} cannot be decoded: this libsndfile ")
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
    assert {item.category for item in caught} == {SkippedFileWarning}
    # Each warning names the file once.
    assert messages[0] == f"Skipped {tmp_path / 'e_empty.wav'}, which is empty (0 bytes). " \
                          "Re-copy or re-record the file."
    assert messages[1].startswith(f"Skipped {tmp_path / 'f_junk.wav'}, which cannot be decoded: "
                                  "Format not recognised.")
    assert messages[2].startswith(f"Skipped {tmp_path / 'g_frameless.wav'}, which contains no "
                                  "audio samples")
    assert messages[3].startswith(f"Skipped {tmp_path / 'h_cut.wav'}, which is truncated")
    for name, message in zip(["e_empty", "f_junk", "g_frameless", "h_cut"], messages):
        assert message.count(name) == 1
    assert folder.summary() == ("loaded 4 files at 8000 Hz, skipped 4 (e_empty.wav, "
                                "f_junk.wav, g_frameless.wav, h_cut.wav)")


def test_folder_length_stacks(tmp_path):
    make_mixed_folder(tmp_path)
    with pytest.warns(UserWarning):
        folder = load_audio_folder(tmp_path, sample_rate=8000, length=3000)
    assert folder.waveforms.shape == (4, 3000)
    assert folder.waveforms.dtype == np.float32
    assert len(folder) == 4
    # Each good clip is 0.5 s (4000 samples at 8 kHz), so all four lose their end.
    assert folder.n_cut == 4
    assert folder.summary().startswith("loaded 4 files at 8000 Hz, skipped 4, cut 4 clips "
                                       "longer than the requested length at the end (")


def test_folder_recursive_pattern(tmp_path):
    (tmp_path / "yes").mkdir()
    (tmp_path / "no").mkdir()
    write(tmp_path / "yes" / "1.wav", tone(0.2, 16000), 16000)
    write(tmp_path / "no" / "2.flac", tone(0.2, 16000), 16000, file_format="FLAC")

    with pytest.raises(ValueError) as raised:
        load_audio_folder(tmp_path, "*.wav")
    assert str(raised.value) == (
        f"No file in {tmp_path} matches the pattern '*.wav' (letters match either case). "
        "Check the folder and the pattern; use '**/*.wav' to search subfolders.")
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


@pytest.mark.parametrize("orig_sr, target_sr", [(44100, 8000), (16000, 8000), (8000, 22050)])
def test_resample_matches_librosa(orig_sr, target_sr):
    import librosa

    signal = np.random.default_rng(0).normal(size=orig_sr // 3).astype(np.float32)
    expected = librosa.resample(signal, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    actual = audio.resample(signal, orig_sr, target_sr)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() < 1e-6


def insert_chunk_before_data(path, chunk_id, payload):
    """Rewrite a WAV file with an extra chunk (odd sizes get a pad byte) before ``data``."""
    raw = path.read_bytes()
    position = raw.index(b"data")
    chunk = chunk_id + len(payload).to_bytes(4, "little") + payload + b"\0" * (len(payload) % 2)
    body = raw[12:position] + chunk + raw[position:]
    path.write_bytes(b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WAVE" + body)


@pytest.mark.parametrize("n_channels", [1, 2])
def test_pcm16_fast_path_equals_soundfile(tmp_path, n_channels):
    rng = np.random.default_rng(n_channels)
    data = rng.uniform(-1, 1, size=(1234, n_channels))
    path = write(tmp_path / "noise.wav", data, 11025)
    insert_chunk_before_data(path, b"LIST", b"INFOISFT\x05\x00\x00\x00test\x00")

    layout = audio.wav.read_layout(path, path.stat().st_size)
    assert audio.wav.is_plain_pcm16(layout)
    assert layout.sample_rate == 11025
    expected, _ = sf.read(path, dtype="float32", always_2d=True)
    assert np.array_equal(load_audio(path, sample_rate=None, mono=False), expected.T)


def test_non_pcm16_wav_uses_soundfile(tmp_path):
    path = write(tmp_path / "float.wav", tone(0.1, 8000), 8000, "FLOAT")
    layout = audio.wav.read_layout(path, path.stat().st_size)
    assert layout.format_tag == 3
    assert not audio.wav.is_plain_pcm16(layout)


def header_edited(tmp_path, name, offset, value):
    """Write a 1 s 440 Hz 16-bit clip and overwrite header bytes ``offset..`` with ``value``."""
    data = bytearray(write(tmp_path / "x.tmp", tone(1.0, 8000), 8000, file_format="WAV").read_bytes())
    data[offset:offset + len(value)] = value
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def test_cut_fmt_chunk_error(tmp_path):
    whole = write(tmp_path / "x.wav", tone(1.0, 8000), 8000)
    path = tmp_path / "cut_fmt.wav"
    path.write_bytes(whole.read_bytes()[:30])

    with pytest.raises(AudioLoadError) as raised:
        load_audio(path)
    assert str(raised.value) == (
        f"{path} is not a valid WAV file: truncated header: the fmt chunk declares 16 bytes "
        "but the file ends after 10 of them. Re-export or download it again.")


def test_folder_skips_cut_fmt_chunk(tmp_path):
    whole = write(tmp_path / "a.wav", tone(1.0, 8000), 8000)
    (tmp_path / "b_cut.wav").write_bytes(whole.read_bytes()[:30])

    with pytest.warns(SkippedFileWarning) as caught:
        folder = load_audio_folder(tmp_path)
    assert [path.name for path in folder.paths] == ["a.wav"]
    assert [path.name for path, _ in folder.skipped] == ["b_cut.wav"]
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        f"Skipped {tmp_path / 'b_cut.wav'}, which is not a valid WAV file: truncated header")


@pytest.mark.parametrize("offset, value, reason", [
    (24, (0).to_bytes(4, "little"), "invalid sample rate 0 in the header (accepted: 1 to "
                                     "768000 Hz)"),
    (24, (0xFFFFFFFF).to_bytes(4, "little"), "invalid sample rate 4294967295 in the header "
                                              "(accepted: 1 to 768000 Hz)"),
    (22, (0).to_bytes(2, "little"), "invalid channel count 0 in the header (accepted: 1 to 1024)"),
    (22, (65535).to_bytes(2, "little"), "invalid channel count 65535 in the header (accepted: "
                                        "1 to 1024)"),
])
def test_impossible_header_value_error(tmp_path, offset, value, reason):
    path = header_edited(tmp_path, "edited.wav", offset, value)
    with pytest.raises(AudioLoadError) as raised:
        load_audio(path)
    assert str(raised.value) == (f"{path} is not a valid WAV file: {reason}. "
                                 "Re-export or download it again.")


def test_folder_skips_zero_sample_rate(tmp_path):
    write(tmp_path / "a.wav", tone(1.0, 8000), 8000)
    header_edited(tmp_path, "b_rate0.wav", 24, bytes(4))

    with pytest.warns(SkippedFileWarning, match="b_rate0.wav, which is not a valid WAV file: "
                                                "invalid sample rate 0 in the header"):
        folder = load_audio_folder(tmp_path)
    assert [path.name for path in folder.paths] == ["a.wav"]
    assert folder.summary() == "loaded 1 files at 8000 Hz, skipped 1 (b_rate0.wav)"


def test_folder_matches_any_case(tmp_path):
    write(tmp_path / "A.WAV", tone(0.5, 8000), 8000)
    write(tmp_path / "b.Wav", tone(0.5, 8000), 8000)
    write(tmp_path / "c.wav", tone(0.5, 8000), 8000)
    (tmp_path / "d.txt").write_text("not audio")

    folder = load_audio_folder(tmp_path)
    assert [path.name for path in folder.paths] == ["A.WAV", "b.Wav", "c.wav"]


def test_folder_no_match_error(tmp_path):
    write(tmp_path / "a.flac", tone(0.5, 8000), 8000, file_format="FLAC")
    with pytest.raises(ValueError) as raised:
        load_audio_folder(tmp_path, pattern="*.mp3")
    assert str(raised.value) == (
        f"No file in {tmp_path} matches the pattern '*.mp3' (letters match either case). "
        "Check the folder and the pattern; use '**/*.wav' to search subfolders.")


def make_broken_links(root):
    os.symlink("self.wav", root / "self.wav")
    os.symlink("pair_b.wav", root / "pair_a.wav")
    os.symlink("pair_a.wav", root / "pair_b.wav")
    os.symlink(root / "absent.wav", root / "dangling.wav")


def test_folder_warns_broken_links(tmp_path):
    write(tmp_path / "good.wav", tone(0.5, 8000), 8000)
    make_broken_links(tmp_path)

    with pytest.warns(SkippedFileWarning) as caught:
        folder = load_audio_folder(tmp_path)
    assert [path.name for path in folder.paths] == ["good.wav"]
    assert [path.name for path, _ in folder.skipped] == ["dangling.wav", "pair_a.wav",
                                                         "pair_b.wav", "self.wav"]
    messages = [str(item.message) for item in caught]
    loop = ", which is a symbolic link loop: following it never reaches a file. Replace it " \
           "with the file."
    assert messages == [
        f"Skipped {tmp_path / 'dangling.wav'}, which is a broken symbolic link: its target "
        f"{tmp_path / 'absent.wav'} does not exist. Replace it with the file.",
        f"Skipped {tmp_path / 'pair_a.wav'}{loop}",
        f"Skipped {tmp_path / 'pair_b.wav'}{loop}",
        f"Skipped {tmp_path / 'self.wav'}{loop}",
    ]


def test_broken_link_errors(tmp_path):
    make_broken_links(tmp_path)
    with pytest.raises(AudioLoadError) as raised:
        load_audio(tmp_path / "self.wav")
    assert str(raised.value) == (f"{tmp_path / 'self.wav'} is a symbolic link loop: following "
                                 "it never reaches a file. Replace it with the file.")
    with pytest.raises(AudioLoadError) as raised:
        load_audio(tmp_path / "dangling.wav")
    assert str(raised.value) == (f"{tmp_path / 'dangling.wav'} is a broken symbolic link: its "
                                 f"target {tmp_path / 'absent.wav'} does not exist. Replace it with "
                                 "the file.")


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_huge_float_samples_rescaled(tmp_path, subtype):
    samples = tone(1.0, 8000) * 1e30
    samples[5] = 3e38
    path = write(tmp_path / "huge.wav", samples, 8000, subtype)

    with pytest.warns(UserWarning) as caught:
        waveform = load_audio(path)
    assert [str(item.message) for item in caught] == [
        f"{path}: peak sample magnitude 3e+38 exceeds 1000 (full scale is 1.0); divided every "
        "sample by the peak."]
    assert np.all(np.isfinite(waveform))
    assert waveform[5] == pytest.approx(1.0)
    assert np.max(np.abs(waveform)) == pytest.approx(1.0)
    # Squaring, as spectrogram features do, stays finite.
    assert np.all(np.isfinite(np.square(waveform)))


def test_float_peak_at_limit_kept(tmp_path):
    samples = tone(0.1, 8000) * 2000.0  # peak 1000, the largest kept as stored
    path = write(tmp_path / "loud.wav", samples, 8000, "FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        waveform = load_audio(path)
    assert np.max(np.abs(waveform)) == pytest.approx(np.max(np.abs(samples)), rel=1e-6)


@pytest.mark.parametrize("value", ["8000", True, float("nan"), float("inf"), 8000.5])
def test_sample_rate_type_error(tmp_path, value):
    path = write(tmp_path / "clip.wav", tone(0.1, 8000), 8000)
    with pytest.raises(ValueError) as raised:
        load_audio(path, sample_rate=value)
    assert str(raised.value) == (f"sample_rate must be a positive number of Hz or None, "
                                 f"got {value!r}.")


@pytest.mark.parametrize("value", ["100", 100.0, 0, True])
def test_folder_length_type_error(tmp_path, value):
    write(tmp_path / "clip.wav", tone(0.1, 8000), 8000)
    with pytest.raises(ValueError) as raised:
        load_audio_folder(tmp_path, length=value)
    assert str(raised.value) == f"length must be a positive number of samples or None, got {value!r}."


def test_folder_sample_rate_type_error(tmp_path):
    write(tmp_path / "clip.wav", tone(0.1, 8000), 8000)
    with pytest.raises(ValueError, match="sample_rate must be a positive number of Hz or None, "
                                         "got '8000'"):
        load_audio_folder(tmp_path, sample_rate="8000")
