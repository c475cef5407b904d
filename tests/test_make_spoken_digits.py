"""Tests of the generator of the embedded spoken-digit set (needs espeak-ng)."""

import importlib.util
import shutil

import numpy as np
import pytest
import soundfile as sf

from course_utils import settings

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def generator():
    path = settings.PROJECT_ROOT / "tools" / "make_spoken_digits.py"
    spec = importlib.util.spec_from_file_location("make_spoken_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_file_format(generator, tmp_path):
    speakers = generator.generate(tmp_path, seed=1, n_speakers=2, takes=1)
    files = sorted(tmp_path.glob("*.wav"))
    assert len(files) == 20
    assert [speaker["name"] for speaker in speakers] == ["synth01", "synth02"]
    assert files[0].name == "0_synth01_0.wav"

    info = sf.info(files[0])
    assert info.samplerate == 8000
    assert info.channels == 1
    assert info.subtype == "PCM_16"
    waveform, _ = sf.read(files[0])
    assert 0.2 < len(waveform) / 8000 < 1.0
    assert -6.5 < 20 * np.log10(np.abs(waveform).max()) < -0.5


def test_generator_is_deterministic(generator, tmp_path):
    generator.generate(tmp_path / "first", seed=5, n_speakers=1, takes=1)
    generator.generate(tmp_path / "second", seed=5, n_speakers=1, takes=1)
    generator.generate(tmp_path / "other", seed=6, n_speakers=1, takes=1)
    first = sorted((tmp_path / "first").glob("*.wav"))
    assert [path.read_bytes() for path in first] == \
        [(tmp_path / "second" / path.name).read_bytes() for path in first]
    assert first[0].read_bytes() != (tmp_path / "other" / "0_synth01_0.wav").read_bytes()
