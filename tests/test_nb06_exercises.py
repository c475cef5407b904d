"""Checkers of notebook 06: a correct solution passes, and wrong ones get exact feedback."""

import numpy as np

from course_utils.exercises import run_check


def accuracy_by_speaker(y_true, y_pred, speakers):
    return {speaker: float(np.mean(y_true[speakers == speaker] == y_pred[speakers == speaker]))
            for speaker in np.unique(speakers)}


def mix_at_snr(speech, noise, snr_db):
    gain = np.sqrt(np.mean(speech ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return speech + gain * noise


def test_feature_shape_right():
    assert run_check("06.1", (32, 101, 1)).passed


def test_feature_shape_wrong_frames():
    result = run_check("06.1", (32, 100, 1))
    assert not result.passed
    assert result.message == "100 frames is not right for this hop length."


def test_feature_shape_swapped_axes():
    result = run_check("06.1", (101, 32, 1))
    assert result.message == "The first axis is 101, which is not the number of mel bands."


def test_feature_shape_without_channel():
    result = run_check("06.1", (32, 101))
    assert result.message == "The shape has 2 axes; a log-mel example has 3."


def test_feature_shape_not_numbers():
    result = run_check("06.1", "32x101")
    assert result.message == "Expected a tuple of three integers, got '32x101'."


def test_accuracy_by_speaker_right():
    assert run_check("06.2", accuracy_by_speaker).passed


def test_accuracy_by_speaker_overall_accuracy():
    def overall(y_true, y_pred, speakers):
        return {speaker: float(np.mean(y_true == y_pred)) for speaker in np.unique(speakers)}

    result = run_check("06.2", overall)
    assert not result.passed
    assert result.message == ("The accuracy for speaker 'ana' is 0.500, which is not the "
                              "fraction of that speaker's clips that were predicted correctly.")


def test_accuracy_by_speaker_not_dict():
    result = run_check("06.2", lambda y_true, y_pred, speakers: [0.5])
    assert result.message == "Expected a dict, got list."


def test_accuracy_by_speaker_missing_speaker():
    result = run_check("06.2", lambda y_true, y_pred, speakers: {"ana": 1.0})
    assert result.message == ("The keys are ['ana']; expected one key per speaker in "
                              "`speakers`.")


def test_mix_at_snr_right():
    assert run_check("06.3", mix_at_snr).passed


def test_mix_at_snr_amplitude_ratio():
    def amplitude_ratio(speech, noise, snr_db):
        gain = np.sqrt(np.mean(speech ** 2) / np.mean(noise ** 2)) / 10 ** (snr_db / 10)
        return speech + gain * noise

    result = run_check("06.3", amplitude_ratio)
    assert not result.passed
    assert result.message == "For snr_db=10 the mix has an SNR of 20.00 dB."


def test_mix_at_snr_in_place():
    def in_place(speech, noise, snr_db):
        speech += 0.0 * noise
        noise *= 2
        return mix_at_snr(speech, noise, snr_db)

    result = run_check("06.3", in_place)
    assert result.message == "The function changed its input arrays in place."


def test_mix_at_snr_new_noise():
    def fresh_noise(speech, noise, snr_db):
        return mix_at_snr(speech, np.random.default_rng(1).standard_normal(speech.shape), snr_db)

    result = run_check("06.3", fresh_noise)
    assert result.message == "mix - speech is not a scaled copy of `noise`."
