"""Transformers, pipelines, baselines and the scaler-leakage demonstration."""

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from course_utils import transforms
from course_utils.data import load_dataset
from course_utils.features import audio, image


def test_flatten_passes_sklearn_checks():
    check_estimator(transforms.FlattenTransformer())


def test_flatten_feature_maps():
    maps = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    flat = transforms.FlattenTransformer().fit_transform(maps)
    assert flat.shape == (2, 60)
    np.testing.assert_array_equal(flat[1], np.arange(60, 120))


def test_flatten_rejects_other_shape():
    flatten = transforms.FlattenTransformer().fit(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"^X has examples of shape \(3, 5\), but fit saw "
                                         r"\(3, 4\); pass examples of the same shape\.$"):
        flatten.transform(np.zeros((2, 3, 5)))


def test_log_mel_normalizer_uses_training_statistics():
    rng = np.random.default_rng(0)
    train = rng.normal(-40.0, 5.0, size=(20, 8, 30))
    test = rng.normal(-10.0, 1.0, size=(5, 8, 30))
    normalizer = transforms.LogMelNormalizer().fit(train)
    np.testing.assert_allclose(normalizer.mean_, train.mean(axis=(0, 2)))
    np.testing.assert_allclose(normalizer.transform(train).mean(axis=(0, 2)), 0.0, atol=1e-9)
    np.testing.assert_allclose(normalizer.transform(train).std(axis=(0, 2)), 1.0, atol=1e-9)
    # Test clips keep their offset from the training data: about +30 dB / 5 dB = +6.
    assert 5.0 < normalizer.transform(test).mean() < 7.0


def test_log_mel_normalizer_rejects_flat_rows():
    with pytest.raises(ValueError, match=r"^X has shape \(4, 5\); it must be log-mel "
                                         r"spectrograms \(n_clips, n_mels, n_frames\)\.$"):
        transforms.LogMelNormalizer().fit(np.zeros((4, 5)))


def test_hog_transformer_equals_hog():
    images = np.random.default_rng(1).random((6, 8, 8, 1))
    features = transforms.HOGTransformer().fit_transform(images)
    np.testing.assert_array_equal(features, image.hog(images, pixels_per_cell=(2, 2)))
    rows = transforms.HOGTransformer(image_shape=(8, 8)).fit_transform(images.reshape(6, 64))
    np.testing.assert_array_equal(rows, features)


def test_mfcc_statistics_layout():
    waveforms = np.random.default_rng(2).standard_normal((3, 8000)).astype(np.float32)
    rows = transforms.MFCCStatistics().fit_transform(waveforms)
    assert rows.shape == (3, 78)
    coefficients = audio.mfcc(waveforms[1], 8000, n_mfcc=13, n_fft=256, hop_length=80,
                              n_mels=40)
    np.testing.assert_allclose(rows[1, :13], coefficients.mean(axis=-1), rtol=1e-5)
    np.testing.assert_allclose(rows[1, 39:52], coefficients.max(axis=-1), rtol=1e-5)
    assert transforms.MFCCStatistics(use_deltas=False).fit_transform(waveforms).shape == (3, 52)


def test_scaled_pca_pipeline():
    x = np.random.default_rng(3).normal(size=(100, 5)) * [1.0, 10.0, 100.0, 1.0, 1.0]
    pipeline = transforms.make_scaled_pca(n_components=2).fit(x)
    assert pipeline.transform(x).shape == (100, 2)
    # After scaling, every feature has unit variance, so the 5 components share 5.0.
    assert pipeline.named_steps["pca"].explained_variance_.sum() < 5.0 * 100 / 99 + 1e-9


def test_encode_labels_rejects_unseen():
    encoder, (train, test) = transforms.encode_labels(["cat", "dog", "cat"], ["dog"])
    np.testing.assert_array_equal(train, [0, 1, 0])
    np.testing.assert_array_equal(test, [1])
    with pytest.raises(ValueError, match=r"^label array 1 after y_train has labels \['emu'\]"):
        transforms.encode_labels(["cat", "dog"], ["emu", "cat"])


def test_make_classifier_rejects_unknown():
    with pytest.raises(ValueError, match=r"^classifier='forest' is invalid; use one of "
                                         r"\('logistic_regression', 'linear_svm', 'knn'\)\.$"):
        transforms.make_classifier("forest")


def test_scaler_leakage_changes_accuracy():
    # Feature 0 carries the class; feature 1 is noise with std 1 in training and std 10
    # in the test split. A scaler fitted on train + test sees the test noise, shrinks
    # feature 1 by about 6, and k-NN then ignores it: the test accuracy looks far
    # better than a model could reach without seeing the test data.
    rng = np.random.default_rng(0)

    def make_split(n, noise_std):
        y = rng.integers(0, 2, n)
        x = np.column_stack([2.0 * y + rng.normal(0.0, 0.5, n), rng.normal(0.0, noise_std, n)])
        return x, y

    x_train, y_train = make_split(200, 1.0)
    x_test, y_test = make_split(200, 10.0)
    result = transforms.scaler_leakage(x_train, y_train, x_test, y_test,
                                       KNeighborsClassifier(n_neighbors=5))

    np.testing.assert_allclose(result["pipeline_scaler"].scale_, x_train.std(axis=0))
    np.testing.assert_allclose(result["leaked_scaler"].scale_,
                               np.concatenate([x_train, x_test]).std(axis=0))
    assert result["leaked_scaler"].scale_[1] > 5.0 * result["pipeline_scaler"].scale_[1]
    assert result["leaked_accuracy"] == 0.975
    assert result["pipeline_accuracy"] == 0.8
    assert result["leaked_accuracy"] - result["pipeline_accuracy"] > 0.15


def test_pipeline_cross_validation_fits_scaler_per_fold():
    x, y = np.random.default_rng(4).normal(size=(60, 3)), np.repeat([0, 1], 30)
    pipeline = Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier(3))])
    scores = cross_val_score(pipeline, x, y, cv=3)
    assert scores.shape == (3,)
    # Pure noise: the honest cross-validated accuracy stays near chance.
    assert 0.2 < scores.mean() < 0.8


@pytest.mark.parametrize("classifier, minimum", [("linear_svm", 0.95),
                                                 ("logistic_regression", 0.95),
                                                 ("knn", 0.95)])
def test_hog_baselines_on_digits(classifier, minimum):
    (result,) = transforms.evaluate_baselines(load_dataset("digits"), "hog", [classifier])
    assert result.accuracy >= minimum
    assert result.confusion.shape == (10, 10)
    assert result.confusion.sum() == 270


def test_mfcc_baseline_on_spoken_digits():
    splits = load_dataset("spoken_digits")
    (result,) = transforms.evaluate_baselines(splits, "mfcc_statistics", ["linear_svm"])
    assert result.accuracy >= 0.85
    assert result.confusion.sum() == len(splits.y_test)
