"""Train, save and reload the spoken-digit model with the course's recipe.

The recipe trains the classifier inside an end-to-end model (waveform in,
``LogMelSpectrogram``, classifier). So the same layer computes the features in
training and at inference. Training waveforms are augmented first: a speed
change, then time shift, gain and noise at a random SNR from
``course_utils.data``. The classifier alone, with log-mel input, is what gets
saved for notebook 07.
"""

import json
import logging
import warnings
from pathlib import Path

import numpy as np

import course_utils  # noqa: F401  (selects Keras 2 before TensorFlow loads)
import tensorflow as tf
from course_utils import keras, settings, speech, training
from course_utils.data import add_noise, apply_gain, load_dataset, time_shift
from course_utils.models import build_speech_cnn, save_model_files
from course_utils.speech import INFO_FILE_NAME, MODEL_STEM

logger = logging.getLogger(__name__)


def dataset_name():
    """Return the data set the speech model trains on in this mode.

    The embedded spoken digits in smoke and default mode, the downloaded Free
    Spoken Digit Dataset in full mode. Notebooks 06 and 07 and
    ``load_or_train_speech_model`` all use it, so they agree on the data.
    """
    return settings.pick(smoke="spoken_digits", default="spoken_digits", full="fsdd")


def recipe_epochs():
    """Return the maximum epochs of the recipe: the mode's epochs in smoke, else 60.

    Early stopping ends most runs sooner; on the embedded set the best
    validation accuracy tends to come after 20 to 40 epochs.
    """
    return settings.pick(smoke=settings.sizes().epochs, default=60, full=60)


def change_speed(y, factor):
    """Play ``y`` ``factor`` times faster by linear interpolation, keeping its length.

    Pitch and formants rise by the same factor, which imitates a speaker with a
    shorter or longer vocal tract. The result is cut or zero-padded at the end.
    """
    positions = np.arange(len(y)) * factor
    return np.interp(positions, np.arange(len(y)), y, right=0.0).astype(np.float32)


def augment_waveform(y, rng, sample_rate, speed=(0.9, 1.1), max_shift_s=0.1,
                     gain_db=(-6.0, 6.0), snr_db=(10.0, 40.0)):
    """Change the speed, shift, scale and add noise to one waveform by random amounts.

    Args:
        y: float waveform ``(n_samples,)``.
        rng: a ``np.random.Generator`` that draws the amounts.
        sample_rate: sample rate of ``y`` in Hz.
        speed: range of the ``change_speed`` factor.
        max_shift_s: the shift is uniform in ``[-max_shift_s, max_shift_s]`` seconds.
        gain_db: range of the gain in dB.
        snr_db: range of the signal-to-noise ratio of the white noise, in dB.

    Returns:
        float32 array ``(n_samples,)``.
    """
    y = change_speed(y, rng.uniform(*speed))
    y = time_shift(y, rng.uniform(-max_shift_s, max_shift_s), sample_rate)
    y = apply_gain(y, rng.uniform(*gain_db))
    return add_noise(y, rng.uniform(*snr_db), seed=rng)


def make_augmenter(sample_rate, seed=settings.DEFAULT_SEED, **ranges):
    """Return a per-example TensorFlow function that calls ``augment_waveform``.

    It suits ``training.fit(augment=...)``. One NumPy generator seeded with
    ``seed`` draws every amount, so two runs draw the same amounts and each
    epoch draws new ones. ``ranges`` go to ``augment_waveform``.
    """
    rng = np.random.default_rng(seed)

    def augment_numpy(y):
        return augment_waveform(y, rng, sample_rate, **ranges).astype(np.float32)

    def augment(example):
        result = tf.numpy_function(augment_numpy, [example], tf.float32, stateful=True)
        result.set_shape(example.shape)
        return result

    return augment


def compile_classifier(model, learning_rate=3e-3):
    """Compile ``model`` with Adam, sparse cross-entropy and accuracy; return it."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_speech_model(splits, epochs, batch_size, builder=build_speech_cnn, callbacks=(),
                       config=speech.FrontEndConfig(), augment=True, learning_rate=3e-3,
                       patience=12, run_name="speech_cnn", seed=settings.DEFAULT_SEED,
                       verbose=0):
    """Build and train a speech classifier with the course's recipe.

    Args:
        splits: a ``DatasetSplits`` of waveforms ``(n, config.num_samples)``.
        epochs: maximum epochs; early stopping on validation accuracy
            (``patience`` epochs) restores the best weights.
        batch_size: examples per step.
        builder: classifier builder taking ``input_shape`` and ``num_classes``.
        callbacks: extra callbacks, for example ``training.tensorboard_callbacks``.
        config: the front end.
        augment: augment training waveforms with ``make_augmenter``.
        learning_rate: Adam's initial rate, halved when validation loss stalls.
        patience: early-stopping patience, in epochs.
        run_name: names the checkpoint folder of ``training.standard_callbacks``.
        seed: seed of the weights, the shuffle and the augmentation.
        verbose: Keras' verbosity.

    Returns:
        ``(classifier, end_to_end, fit_result)``: the classifier on log-mel
        input, the model on waveforms that shares its layers, and the
        ``training.FitResult``.
    """
    settings.seed_everything(seed)
    classifier = builder(input_shape=config.feature_shape, num_classes=len(splits.class_names))
    end_to_end = compile_classifier(speech.build_end_to_end_model(classifier, config),
                                    learning_rate)
    schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                 patience=max(1, patience // 3))
    all_callbacks = [*training.standard_callbacks(run_name, patience=patience), schedule,
                     *callbacks]
    augmenter = make_augmenter(config.sample_rate, seed=seed) if augment else None

    result = training.fit(end_to_end, splits.x_train, splits.y_train, splits.x_val, splits.y_val,
                          epochs=epochs, batch_size=batch_size, callbacks=all_callbacks,
                          class_weight=training.class_weights(splits.y_train),
                          augment=augmenter, seed=seed, verbose=verbose)
    return classifier, end_to_end, result


def save_speech_model(classifier, class_names, config=speech.FrontEndConfig(), folder=None,
                      stem=MODEL_STEM, **extra):
    """Save the log-mel classifier as ``.keras`` and SavedModel plus ``speech_model_info.json``.

    ``extra`` values (for example ``test_accuracy``) go into the JSON.

    Returns:
        ``(keras_path, savedmodel_path, info_path)``.
    """
    keras_path, savedmodel_path = save_model_files(classifier, stem, folder=folder)
    info_path = speech.write_model_info(keras_path.parent / INFO_FILE_NAME, config, class_names,
                                        input_kind="log_mel", keras_file=keras_path.name,
                                        savedmodel_folder=savedmodel_path.name, **extra)
    return keras_path, savedmodel_path, info_path


def load_speech_model_info(folder=None):
    """Return the dict in ``speech_model_info.json``, with ``front_end`` as a FrontEndConfig."""
    folder = folder or settings.models_dir()
    info = json.loads((folder / INFO_FILE_NAME).read_text())
    info["front_end"] = speech.FrontEndConfig.from_dict(info["front_end"])
    return info


def _train_and_save_default(folder, verbose):
    """Train the recipe on ``dataset_name()`` for the current mode and save it."""
    sizes = settings.sizes()
    splits = load_dataset(dataset_name()).subset(sizes.max_train_examples,
                                                 sizes.max_eval_examples)
    classifier, end_to_end, _ = train_speech_model(splits, recipe_epochs(), sizes.batch_size,
                                                   verbose=verbose)
    accuracy = training.evaluate_classifier(end_to_end, splits.x_test, splits.y_test,
                                            splits.class_names).accuracy
    save_speech_model(classifier, splits.class_names, folder=folder, test_accuracy=accuracy)


def _load_saved(folder):
    keras_path = folder / f"{MODEL_STEM}.keras"
    classifier = keras.models.load_model(keras_path, safe_mode=True, compile=False)
    return classifier, load_speech_model_info(folder)


def load_or_train_speech_model(folder=None, verbose=0):
    """Load the saved speech CNN, or train and save it first when it is missing or unreadable.

    Loads ``speech_cnn.keras`` from ``folder`` (``settings.models_dir()`` by
    default) with ``safe_mode=True``. When it or its info file is missing, it
    logs a warning, trains on ``dataset_name()`` with ``settings.sizes()`` for
    the current mode, as notebook 06 does, and saves it. When either file
    cannot be read, it warns with the file and the reason and retrains the
    same way.

    Returns:
        ``(classifier, info)``: the uncompiled model on log-mel input and the
        dict of ``load_speech_model_info``.
    """
    folder = Path(folder) if folder else settings.models_dir()
    keras_path = folder / f"{MODEL_STEM}.keras"
    missing = [path.name for path in (keras_path, folder / INFO_FILE_NAME) if not path.is_file()]
    if missing:
        logger.warning("%s not found in %s; training the speech CNN now with notebook 06's "
                       "recipe and saving it there.", " and ".join(missing), folder)
        _train_and_save_default(folder, verbose)
        return _load_saved(folder)
    try:
        return _load_saved(folder)
    except Exception as error:  # noqa: BLE001  (Keras raises many types for a bad file)
        warnings.warn(f"Cannot load the speech model in {folder} ({type(error).__name__}: "
                      f"{error}); training and saving a new one.", stacklevel=2)
        _train_and_save_default(folder, verbose)
        return _load_saved(folder)


def classical_baseline(splits, dataset_name="spoken_digits"):
    """Return the test accuracy of notebook 04's classical baseline and where it came from.

    Uses the best accuracy for ``dataset_name`` in ``build/results/baselines.json``
    (``course_utils.transforms.load_baselines``) when notebook 04 wrote it in
    the current run mode. Otherwise fits MFCC statistics plus a linear SVM from
    ``course_utils.transforms`` on ``splits`` (a few seconds).

    Returns:
        ``(accuracy, source)``, where source names which of the two it was.
    """
    from course_utils import transforms

    record = transforms.load_baselines() or {}
    entry = record.get(dataset_name)
    if record.get("mode") == settings.get_mode() and isinstance(entry, dict):
        return (float(entry["best_accuracy"]),
                f"notebook 04, {entry['features']} + {entry['best_classifier']}")

    result, = transforms.evaluate_baselines(splits, "mfcc_statistics",
                                            classifiers=("linear_svm",))
    return result.accuracy, "MFCC statistics + linear SVM, fitted here on the same split"
