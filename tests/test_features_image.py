"""The NumPy image features against hand-computed cases, scipy.ndimage and TensorFlow."""

import re

import numpy as np
import pytest
import scipy.ndimage
import tensorflow as tf

from course_utils.features import image


def random_images(shape, seed=0):
    return np.random.default_rng(seed).random(shape)


def error_message(function, *args, **kwargs):
    with pytest.raises(ValueError) as caught:
        function(*args, **kwargs)
    return str(caught.value)


def test_correlate_hand_computed():
    picture = np.arange(9.0).reshape(3, 3)
    kernel = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    result = image.correlate2d(picture, kernel, mode="constant")
    # Centre: 1 + 3 + 5 + 7 - 4 * 4 = 0. Corner (0, 0): 1 + 3 - 4 * 0 = 4.
    assert result[1, 1] == 0.0
    assert result[0, 0] == 4.0
    # Corner (2, 2): 5 + 7 - 4 * 8 = -20.
    assert result[2, 2] == -20.0


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap", "constant"])
@pytest.mark.parametrize("kernel_shape", [(3, 3), (1, 3), (5, 3), (2, 2), (4, 3)])
def test_correlate_matches_ndimage(mode, kernel_shape):
    picture = random_images((9, 11))
    kernel = random_images(kernel_shape, seed=1) - 0.5
    ours = image.correlate2d(picture, kernel, mode=mode, cval=0.25)
    reference = scipy.ndimage.correlate(picture, kernel, mode=mode, cval=0.25)
    np.testing.assert_allclose(ours, reference, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap"])
@pytest.mark.parametrize("kernel_shape", [(3, 3), (5, 1), (3, 5)])
def test_convolve_matches_ndimage(mode, kernel_shape):
    picture = random_images((8, 10))
    kernel = random_images(kernel_shape, seed=2)
    ours = image.convolve2d(picture, kernel, mode=mode)
    np.testing.assert_allclose(ours, scipy.ndimage.convolve(picture, kernel, mode=mode),
                               atol=1e-12)


def test_correlate_batch_equals_each_image():
    batch = random_images((4, 8, 8))
    kernel = random_images((3, 3), seed=3)
    batched = image.correlate2d(batch, kernel)
    for index in range(4):
        np.testing.assert_allclose(batched[index], image.correlate2d(batch[index], kernel))


def test_conv2d_hand_computed():
    inputs = np.arange(16.0).reshape(1, 4, 4, 1)
    kernels = np.ones((2, 2, 1, 1))
    outputs = image.conv2d(inputs, kernels, bias=[0.5], strides=2)
    # Each 2x2 block sums four pixels: 0+1+4+5 = 10, 2+3+6+7 = 18, ...
    expected = np.array([10.0, 18.0, 42.0, 50.0]).reshape(1, 2, 2, 1) + 0.5
    np.testing.assert_array_equal(outputs, expected)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2, (2, 1)])
@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 4)])
def test_conv2d_matches_tensorflow(padding, strides, kernel_size):
    inputs = random_images((2, 9, 8, 3)).astype(np.float32)
    kernels = (random_images((*kernel_size, 3, 5), seed=4) - 0.5).astype(np.float32)
    ours = image.conv2d(inputs, kernels, strides=strides, padding=padding)
    step = (strides, strides) if np.isscalar(strides) else strides
    reference = tf.nn.conv2d(inputs, kernels, strides=(1, *step, 1),
                             padding=padding.upper()).numpy()
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=1e-5)


@pytest.mark.parametrize("mode", ["reflect", "nearest", "constant"])
def test_sobel_matches_ndimage(mode):
    picture = random_images((3, 10, 12))
    gx, gy = image.sobel(picture, mode=mode)
    for index in range(3):
        np.testing.assert_allclose(gx[index], scipy.ndimage.sobel(picture[index], axis=1,
                                                                  mode=mode), atol=1e-12)
        np.testing.assert_allclose(gy[index], scipy.ndimage.sobel(picture[index], axis=0,
                                                                  mode=mode), atol=1e-12)


def test_sobel_step_edge_hand_computed():
    # Dark left half, bright right half: the edge is between columns 2 and 3.
    picture = np.zeros((5, 6))
    picture[:, 3:] = 1.0
    gx, gy = image.sobel(picture, mode="nearest")
    # (1 + 2 + 1) * (1 - 0) on both columns next to the edge, 0 elsewhere.
    np.testing.assert_array_equal(gx[:, [2, 3]], 4.0)
    np.testing.assert_array_equal(gx[:, [0, 1, 4, 5]], 0.0)
    np.testing.assert_array_equal(gy, 0.0)


def test_magnitude_orientation_hand_computed():
    gx = np.array([1.0, -1.0, 0.0, 1.0, -1.0])
    gy = np.array([1.0, 0.0, 1.0, -1.0, -1.0])
    magnitude, unsigned = image.gradient_magnitude_orientation(gx, gy)
    _, signed = image.gradient_magnitude_orientation(gx, gy, signed=True)
    np.testing.assert_allclose(magnitude, [np.sqrt(2), 1.0, 1.0, np.sqrt(2), np.sqrt(2)])
    np.testing.assert_allclose(unsigned, [45.0, 0.0, 90.0, 135.0, 45.0])
    np.testing.assert_allclose(signed, [45.0, 180.0, 90.0, 315.0, 225.0])


def test_hog_ramp_hand_computed():
    # Brightness grows to the right: every gradient points along x (0 degrees),
    # half-way between the centres of bin 0 (10 degrees) and bin 8 (170 degrees).
    ramp = np.tile(np.arange(4.0), (4, 1))
    descriptor = image.hog(ramp, orientations=9, pixels_per_cell=(4, 4),
                           cells_per_block=(1, 1), block_norm="L1", eps=0.0)
    # Central differences with the border repeated: gx = 1, 2, 2, 1 in each row,
    # so each of the two bins gets 4 * 6 / 2 = 12, which L1 scales to 0.5.
    expected = np.zeros(9)
    expected[[0, 8]] = 0.5
    np.testing.assert_allclose(descriptor, expected)


def test_hog_orientation_votes_interpolate():
    votes = image._orientation_votes(np.ones(4), np.array([10.0, 20.0, 175.0, 0.0]), 9,
                                     signed=False)
    np.testing.assert_allclose(votes[0], np.eye(9)[0])
    np.testing.assert_allclose(votes[1], 0.5 * (np.eye(9)[0] + np.eye(9)[1]))
    np.testing.assert_allclose(votes[2], 0.75 * np.eye(9)[8] + 0.25 * np.eye(9)[0])
    np.testing.assert_allclose(votes[3], 0.5 * (np.eye(9)[0] + np.eye(9)[8]))


def test_hog_l2_hys_clips_dominant_bin():
    # L2 gives [10, 1, 0] / sqrt(101) = [0.995, 0.0995, 0]. L2-Hys caps the first
    # at 0.2 and renormalises, so the weak bin's share grows from 0.0995 to 0.445.
    blocks = np.array([[10.0, 1.0, 0.0]])
    clipped = image._normalize_blocks(blocks, "L2-Hys", eps=0.0)
    weak = 1.0 / np.sqrt(101.0)
    np.testing.assert_allclose(clipped, [[0.2, weak, 0.0]] / np.sqrt(0.04 + weak ** 2))
    np.testing.assert_allclose(clipped[0, 1], 0.4454354, rtol=1e-6)
    np.testing.assert_allclose(image._normalize_blocks(blocks, "L2", eps=0.0),
                               blocks / np.sqrt(101.0))


def test_hog_shape_batch_and_contrast():
    batch = random_images((5, 8, 8, 1))
    descriptors = image.hog(batch, pixels_per_cell=(2, 2), cells_per_block=(2, 2))
    # 4x4 cells give 3x3 blocks of 2x2 cells with 9 bins each.
    assert descriptors.shape == (5, 3 * 3 * 2 * 2 * 9)
    np.testing.assert_allclose(descriptors[2], image.hog(batch[2, ..., 0], pixels_per_cell=(2, 2)))
    # Block normalisation removes a change of contrast.
    np.testing.assert_allclose(image.hog(3.0 * batch, pixels_per_cell=(2, 2)), descriptors,
                               atol=1e-4)


@pytest.mark.parametrize("bins, value_range", [(16, (0.0, 1.0)), (5, (0.2, 0.7)), (1, (0.0, 1.0))])
def test_intensity_histogram_matches_numpy(bins, value_range):
    batch = random_images((3, 8, 8))
    batch[0, 0, 0] = value_range[1]  # the right edge counts in the last bin
    batch[1, 0, 0] = 1.5  # outside the range: not counted
    ours = image.intensity_histogram(batch, bins=bins, value_range=value_range)
    for index in range(3):
        counts, _ = np.histogram(batch[index], bins=bins, range=value_range)
        np.testing.assert_array_equal(ours[index], counts)


def test_colour_histogram_per_channel():
    picture = random_images((6, 7, 3))
    ours = image.colour_histogram(picture, bins=4, normalize=True)
    assert ours.shape == (12,)
    for channel in range(3):
        counts, _ = np.histogram(picture[..., channel], bins=4, range=(0.0, 1.0))
        np.testing.assert_allclose(ours[channel * 4:(channel + 1) * 4], counts / 42.0)


def test_normalize_channels_statistics():
    images = random_images((10, 4, 4, 3)) * [1.0, 10.0, 100.0]
    normalized = image.normalize_channels(images)
    np.testing.assert_allclose(normalized.mean(axis=(0, 1, 2)), 0.0, atol=1e-6)
    np.testing.assert_allclose(normalized.std(axis=(0, 1, 2)), 1.0, atol=1e-6)
    mean, std = image.channel_statistics(images[:5])
    with_training_stats = image.normalize_channels(images[5:], mean, std)
    np.testing.assert_allclose(with_training_stats, (images[5:] - mean) / std)


@pytest.mark.parametrize("call, message", [
    (lambda: image.correlate2d(np.zeros((4, 4)), np.ones((3, 3)), mode="same"),
     "mode='same' is invalid; mode must be one of ('reflect', 'mirror', 'nearest', 'wrap', "
     "'constant') (scipy.ndimage's names)."),
    (lambda: image.correlate2d(np.zeros(4), np.ones((3, 3))),
     "image must have at least 2 dimensions, got shape (4,)."),
    (lambda: image.conv2d(np.zeros((1, 4, 4, 2)), np.ones((3, 3, 1, 8))),
     "kernels has shape (3, 3, 1, 8); it must be (kh, kw, in_channels, filters) with "
     "in_channels = 2."),
    (lambda: image.conv2d(np.zeros((1, 2, 2, 1)), np.ones((3, 3, 1, 1))),
     "inputs of 2x2 pixels are smaller than the 3x3 kernel; use padding='same' or a "
     "smaller kernel."),
    (lambda: image.hog(np.zeros((8, 8))),
     "image of 8x8 pixels has 1x1 cells of 8x8 pixels, fewer than one 2x2-cell block; use "
     "smaller pixels_per_cell or cells_per_block."),
    (lambda: image.hog(np.full((8, 8), np.nan), pixels_per_cell=(2, 2)),
     "image contains 64 non-finite value(s) (NaN or inf), the first at index (0, 0); every "
     "value must be finite. Clean the input, for example with np.nan_to_num(image)."),
    (lambda: image.intensity_histogram(np.zeros((4, 4)), value_range=(1.0, 0.0)),
     "value_range=(1.0, 0.0) is invalid; it must be (low, high) with low < high."),
])
def test_parameter_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        call()
