"""Checkers for notebook 06, speech recognition.

06.1 feature shape of a front end, 06.2 accuracy per speaker, 06.3 mixing
noise at a given signal-to-noise ratio.
"""

import numpy as np

from course_utils.exercises import ExerciseFailed, checker

# The front end of exercise 06.1: 1 s at 8 kHz, 10 ms hop, 32 bands.
SHAPE_EXERCISE = {"num_samples": 8000, "hop_length": 80, "n_mels": 32}


@checker("06.1", title="the log-mel shape of a front end with a 10 ms hop and 32 mel bands")
def check_feature_shape(shape):
    """``shape`` is the log-mel shape ``(n_mels, n_frames, 1)`` of one example."""
    n_mels = SHAPE_EXERCISE["n_mels"]
    n_frames = 1 + SHAPE_EXERCISE["num_samples"] // SHAPE_EXERCISE["hop_length"]
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"Expected a tuple of three integers, got {shape!r}.",
                             "Write the shape as (n_mels, n_frames, 1).") from None
    if len(shape) != 3:
        raise ExerciseFailed(f"The shape has {len(shape)} axes; a log-mel example has 3.",
                             "Keep the channel axis that the convolutions need.")
    if shape[0] != n_mels:
        raise ExerciseFailed(f"The first axis is {shape[0]}, which is not the number of "
                             "mel bands.", "The layout is (n_mels, n_frames, 1).")
    if shape[1] != n_frames:
        raise ExerciseFailed(f"{shape[1]} frames is not right for this hop length.",
                             "With centred frames a clip of N samples gives "
                             "1 + N // hop_length frames.")
    if shape[2] != 1:
        raise ExerciseFailed(f"The channel axis is {shape[2]}; log-mel has one channel.")


@checker("06.2", title="accuracy per speaker")
def check_accuracy_by_speaker(function):
    """``function(y_true, y_pred, speakers)`` returns a dict speaker -> accuracy."""
    speakers = np.array(["ana", "ben", "ana", "cai", "ben", "ana", "cai", "cai"])
    y_true = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    y_pred = np.array([1, 0, 3, 4, 5, 0, 0, 0])
    expected = {"ana": 2 / 3, "ben": 1 / 2, "cai": 1 / 3}

    result = function(y_true, y_pred, speakers)
    if not isinstance(result, dict):
        raise ExerciseFailed(f"Expected a dict, got {type(result).__name__}.",
                             "Return {speaker: accuracy, ...}.")
    keys = {str(key) for key in result}
    if keys != set(expected):
        raise ExerciseFailed(f"The keys are {sorted(keys)}; expected one key per speaker in "
                             "`speakers`.", "Loop over np.unique(speakers).")
    for speaker, accuracy in expected.items():
        value = {str(key): item for key, item in result.items()}[speaker]
        if not np.isclose(float(value), accuracy):
            raise ExerciseFailed(f"The accuracy for speaker {speaker!r} is {float(value):.3f}, "
                                 "which is not the fraction of that speaker's clips that "
                                 "were predicted correctly.",
                                 "Select the clips with speakers == speaker first.")


@checker("06.3", title="mixing noise at a given signal-to-noise ratio")
def check_mix_at_snr(function):
    """``function(speech, noise, snr_db)`` returns speech plus scaled noise."""
    rng = np.random.default_rng(6)
    speech = (0.3 * np.sin(np.linspace(0, 200, 8000)) * rng.uniform(0.5, 1, 8000))
    speech = speech.astype(np.float32)
    noise = rng.standard_normal(8000).astype(np.float32)
    speech_before, noise_before = speech.copy(), noise.copy()

    for snr_db in (0.0, 10.0, 25.0):
        mixed = np.asarray(function(speech, noise, snr_db), dtype=np.float64)
        if mixed.shape != speech.shape:
            raise ExerciseFailed(f"The mix has shape {mixed.shape}; expected {speech.shape}.")
        if not (np.array_equal(speech, speech_before) and np.array_equal(noise, noise_before)):
            raise ExerciseFailed("The function changed its input arrays in place.",
                                 "Compute a new array instead of using += on the inputs.")
        added = mixed - speech
        scale = np.dot(added, noise) / np.dot(noise, noise)
        if not np.allclose(added, scale * noise, atol=1e-4):
            raise ExerciseFailed("mix - speech is not a scaled copy of `noise`.",
                                 "Multiply the given noise by one number and add it.")
        measured = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(added ** 2))
        if abs(measured - snr_db) > 0.05:
            raise ExerciseFailed(f"For snr_db={snr_db:g} the mix has an SNR of {measured:.2f} dB.",
                                 "SNR in dB is 10 * log10(signal power / noise power), "
                                 "where power is the mean of the squared samples.")
