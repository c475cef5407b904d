"""Image loading: every awkward file a learner meets either loads right or is skipped once."""

import os
import warnings

import numpy as np
import pytest
from PIL import Image

from course_utils.data import image_folders, images
from course_utils.data.image_folders import load_image_folder
from course_utils.data.images import ImageLoadError, SkippedFileWarning, load_image

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def _marked_rgb(width=6, height=4):
    """Return an RGB image, blue everywhere except a red top-left pixel."""
    image = Image.new("RGB", (width, height), BLUE)
    image.putpixel((0, 0), RED)
    return image


def _is_red(pixel, tolerance=0.1):
    return pixel[0] > 1 - tolerance and pixel[1] < tolerance and pixel[2] < tolerance


# EXIF orientation 6 means "rotate 90 degrees clockwise to display". The stored
# image is therefore the upright picture rotated 90 degrees counter-clockwise.
def _save_rotated_jpeg(path):
    upright = Image.new("RGB", (40, 20), BLUE)
    upright.paste(RED, (0, 0, 10, 10))
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(path, quality=95, exif=exif)


def test_exif_orientation_upright(tmp_path):
    path = tmp_path / "rotated.jpg"
    _save_rotated_jpeg(path)
    with Image.open(path) as raw:
        assert raw.size == (20, 40)

    values = load_image(path)

    assert values.shape == (20, 40, 3)
    assert _is_red(values[2, 2])
    assert not _is_red(values[2, 37])
    assert not _is_red(values[17, 2])


def test_rgb_png_shape_dtype_range(tmp_path):
    path = tmp_path / "plain.png"
    _marked_rgb().save(path)

    values = load_image(path)

    assert values.shape == (4, 6, 3)
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(values[3, 5], [0.0, 0.0, 1.0])


def test_grayscale_mode_uses_luma(tmp_path):
    path = tmp_path / "plain.png"
    _marked_rgb().save(path)

    values = load_image(path, mode="L")

    assert values.shape == (4, 6, 1)
    # Pillow's L = 0.299 R + 0.587 G + 0.114 B, rounded to 8 bits.
    assert values[0, 0, 0] == pytest.approx(76 / 255)
    assert values[1, 1, 0] == pytest.approx(29 / 255)


def test_palette_png_without_transparency(tmp_path):
    path = tmp_path / "palette.png"
    _marked_rgb().convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(path)
    with Image.open(path) as raw:
        assert raw.mode == "P"

    values = load_image(path)

    assert values.shape == (4, 6, 3)
    assert _is_red(values[0, 0])
    np.testing.assert_allclose(values[2, 2], [0.0, 0.0, 1.0], atol=0.02)


def test_palette_png_transparency_on_background(tmp_path):
    path = tmp_path / "palette_transparent.png"
    image = Image.new("P", (4, 4), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    image.putpixel((0, 0), 1)
    image.save(path, transparency=0)

    values = load_image(path)
    on_black = load_image(path, background=(0, 0, 0))

    np.testing.assert_array_equal(values[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(values[3, 3], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(on_black[3, 3], [0.0, 0.0, 0.0])


def test_rgba_composited_on_white(tmp_path):
    path = tmp_path / "rgba.png"
    image = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0, 255))
    image.putpixel((1, 0), (0, 0, 0, 128))
    image.save(path)

    values = load_image(path)

    np.testing.assert_array_equal(values[0, 0], [1.0, 0.0, 0.0])
    # Half-transparent black over white is mid grey: 255 * (1 - 128/255) = 127.
    np.testing.assert_allclose(values[0, 1], [127 / 255] * 3, atol=1 / 255)


def test_la_composited_in_grayscale(tmp_path):
    path = tmp_path / "la.png"
    image = Image.new("LA", (2, 1), (0, 0))
    image.putpixel((0, 0), (0, 255))
    image.save(path)

    values = load_image(path, mode="L")

    assert values.shape == (1, 2, 1)
    assert values[0, 0, 0] == 0.0
    assert values[0, 1, 0] == 1.0


def test_sixteen_bit_png_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    raw = np.array([[0, 1000, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(raw).save(path)
    with Image.open(path) as reopened:
        assert reopened.mode.startswith("I")

    values = load_image(path, mode="L")

    assert values.shape == (1, 4, 1)
    np.testing.assert_allclose(values[0, :, 0], raw[0] / 65535.0, rtol=1e-6)
    assert len(np.unique(values)) == 4


def test_big_endian_sixteen_bit_tiff(tmp_path):
    path = tmp_path / "big_endian.tif"
    raw = np.array([[0, 1000, 65535]], dtype=">u2")
    Image.frombytes("I;16B", (3, 1), raw.tobytes()).save(path)
    with Image.open(path) as reopened:
        assert reopened.mode == "I;16B"

    values = load_image(path, mode="L")

    np.testing.assert_allclose(values[0, :, 0], [0.0, 1000 / 65535, 1.0], rtol=1e-6)


def test_sixteen_bit_tiff_as_rgb(tmp_path):
    path = tmp_path / "deep.tif"
    raw = np.array([[0, 65535]], dtype=np.uint16)
    Image.fromarray(raw).save(path)

    values = load_image(path)

    assert values.shape == (1, 2, 3)
    np.testing.assert_array_equal(values[0, 1], [1.0, 1.0, 1.0])


def test_thirty_two_bit_int_in_sixteen_bit_range(tmp_path):
    path = tmp_path / "int32.tif"
    Image.fromarray(np.array([[0, 65535, 13107]], dtype=np.int32)).save(path)
    with Image.open(path) as reopened:
        assert reopened.mode == "I"

    values = load_image(path, mode="L")

    np.testing.assert_allclose(values[0, :, 0], [0.0, 1.0, 0.2], rtol=1e-6)


def test_thirty_two_bit_int_wide_range_min_max(tmp_path):
    path = tmp_path / "int32_wide.tif"
    Image.fromarray(np.array([[-100000, 0, 100000]], dtype=np.int32)).save(path)

    values = load_image(path, mode="L")

    np.testing.assert_allclose(values[0, :, 0], [0.0, 0.5, 1.0], rtol=1e-6)


def test_float_image_kept_or_rescaled(tmp_path):
    in_range = tmp_path / "unit.tif"
    wide = tmp_path / "wide.tif"
    Image.fromarray(np.array([[0.25, 0.75]], dtype=np.float32)).save(in_range)
    Image.fromarray(np.array([[-2.0, 0.0, 6.0]], dtype=np.float32)).save(wide)

    np.testing.assert_allclose(load_image(in_range, mode="L")[0, :, 0], [0.25, 0.75])
    np.testing.assert_allclose(load_image(wide, mode="L")[0, :, 0], [0.0, 0.25, 1.0])


def test_float_image_with_nan_rejected(tmp_path):
    path = tmp_path / "nan.tif"
    Image.fromarray(np.array([[np.nan, 0.5]], dtype=np.float32)).save(path)

    with pytest.raises(ImageLoadError, match="NaN or infinite"):
        load_image(path)


def test_cmyk_jpeg_converted_to_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(path, quality=95)
    with Image.open(path) as raw:
        assert raw.mode == "CMYK"

    values = load_image(path)

    assert values.shape == (8, 8, 3)
    assert _is_red(values[4, 4], tolerance=0.15)


def test_one_bit_image(tmp_path):
    path = tmp_path / "bits.png"
    image = Image.new("1", (3, 1), 0)
    image.putpixel((2, 0), 1)
    image.save(path)

    values = load_image(path, mode="L")

    np.testing.assert_array_equal(values[0, :, 0], [0.0, 0.0, 1.0])


def test_animated_gif_first_frame(tmp_path):
    path = tmp_path / "animated.gif"
    frames = [Image.new("RGB", (4, 4), colour) for colour in (RED, BLUE, (0, 255, 0))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    with Image.open(path) as raw:
        assert raw.n_frames == 3

    values = load_image(path)

    assert _is_red(values[1, 1])


def test_resize_uses_height_width_order(tmp_path):
    path = tmp_path / "wide.png"
    _marked_rgb(width=60, height=20).save(path)

    values = load_image(path, size=(10, 30))

    assert values.shape == (10, 30, 3)
    assert values.min() >= 0.0
    assert values.max() <= 1.0


def test_sixteen_bit_resize_keeps_precision(tmp_path):
    path = tmp_path / "gradient.png"
    gradient = np.linspace(0, 65535, 1024).astype(np.uint16)[np.newaxis, :].repeat(2, axis=0)
    Image.fromarray(gradient).save(path)

    values = load_image(path, size=(2, 512), mode="L")

    assert values.shape == (2, 512, 1)
    assert len(np.unique(values)) > 256


def test_pad_to_square_letterboxes(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (40, 20), RED).save(path)

    values = load_image(path, size=8, pad_to_square=True, background=(0, 0, 0),
                        resample=Image.Resampling.NEAREST)

    assert values.shape == (8, 8, 3)
    np.testing.assert_array_equal(values[0, 4], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(values[4, 4], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(values[7, 4], [0.0, 0.0, 0.0])


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file (0 bytes)"),
    (b"just some notes\n", "not a recognised image format"),
])
def test_bad_single_file_raises(tmp_path, content, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(content)

    with pytest.raises(ImageLoadError) as caught:
        load_image(path)

    assert str(caught.value) == f"Cannot load image {path}: {reason}"


@pytest.mark.parametrize("suffix, kept_bytes", [(".png", 2000), (".jpg", 1500)])
def test_truncated_file_rejected(tmp_path, suffix, kept_bytes):
    whole = tmp_path / f"whole{suffix}"
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(whole)
    truncated = tmp_path / f"truncated{suffix}"
    truncated.write_bytes(whole.read_bytes()[:kept_bytes])

    with pytest.raises(ImageLoadError, match="corrupt or truncated"):
        load_image(truncated)


def test_decompression_bomb_error(tmp_path, monkeypatch):
    path = tmp_path / "huge.png"
    Image.new("L", (100, 100)).save(path)
    # 10000 pixels is more than twice this limit, so Pillow raises DecompressionBombError.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    with pytest.raises(ImageLoadError, match="decompression-bomb guard: Image size"):
        load_image(path)


def test_decompression_bomb_warning_also_skips(tmp_path, monkeypatch):
    path = tmp_path / "large.png"
    Image.new("L", (40, 40)).save(path)
    # 1600 pixels lies between the limit and twice it: Pillow only warns there.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    with pytest.raises(ImageLoadError, match="decompression-bomb guard"):
        load_image(path)


def test_unreadable_file_reason(tmp_path, monkeypatch):
    path = tmp_path / "locked.png"
    Image.new("RGB", (2, 2)).save(path)

    # chmod cannot lock out root, so the open call itself reports the denial.
    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(images.Image, "open", deny)

    with pytest.raises(ImageLoadError) as caught:
        load_image(path)

    assert str(caught.value) == f"Cannot load image {path}: file cannot be read (Permission denied)"


def test_invalid_mode_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"Invalid mode='RGBA'"):
        load_image(tmp_path / "any.png", mode="RGBA")


def _make_class_folders(root):
    (root / "cat").mkdir(parents=True)
    (root / "dog").mkdir()
    Image.new("RGB", (8, 8), RED).save(root / "cat" / "b.png")
    Image.new("RGB", (16, 16), BLUE).save(root / "cat" / "a.jpg")
    Image.new("L", (8, 8), 255).save(root / "dog" / "x.png")
    (root / "dog" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "dog" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "dog" / "empty.png").write_bytes(b"")


def test_folder_order_labels_and_skips(tmp_path):
    _make_class_folders(tmp_path)

    with pytest.warns(SkippedFileWarning) as caught:
        folder = load_image_folder(tmp_path, size=(4, 4))

    assert folder.class_names == ["cat", "dog"]
    assert [path.name for path in folder.paths] == ["a.jpg", "b.png", "x.png"]
    np.testing.assert_array_equal(folder.labels, [0, 0, 1])
    assert folder.labels.dtype == np.int64
    assert folder.images.shape == (3, 4, 4, 3)
    assert _is_red(folder.images[1, 0, 0])
    messages = sorted(str(warning.message) for warning in caught)
    assert messages == sorted([
        f"Skipped {tmp_path / 'dog' / '.DS_Store'}: operating-system metadata file, not an image",
        f"Skipped {tmp_path / 'dog' / 'Thumbs.db'}: operating-system metadata file, not an image",
        f"Skipped {tmp_path / 'dog' / 'empty.png'}: empty file (0 bytes)",
        f"Skipped {tmp_path / 'dog' / 'notes.txt'}: not a recognised image format",
    ])
    assert len(folder.skipped) == 4
    assert folder.summary() == "Loaded 3 images in 2 classes; skipped 4 files."


def test_folder_ignores_hidden_folder_and_stray_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "a" / "1.png")
    (tmp_path / "README.txt").write_text("about")

    with pytest.warns(SkippedFileWarning) as caught:
        folder = load_image_folder(tmp_path)

    assert folder.class_names == ["a"]
    assert sorted(str(warning.message) for warning in caught) == [
        f"Skipped {tmp_path / '.ipynb_checkpoints'}: hidden folder, not a class",
        f"Skipped {tmp_path / 'README.txt'}: file outside a class subfolder",
    ]
    # The summary counts every warned entry.
    assert [path.name for path, _ in folder.skipped] == [".ipynb_checkpoints", "README.txt"]
    assert folder.summary() == "Loaded 1 images in 1 classes; skipped 2 files."


def test_folder_mixed_sizes_need_size(tmp_path):
    (tmp_path / "a").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "a" / "1.png")
    Image.new("RGB", (5, 4)).save(tmp_path / "a" / "2.png")

    with pytest.raises(ValueError, match=r"Pass size=\(height, width\)"):
        load_image_folder(tmp_path)


def test_folder_without_classes_raises(tmp_path):
    with pytest.raises(ValueError, match="No class subfolders found"):
        load_image_folder(tmp_path)


def test_folder_progress_bar_only_for_large_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert image_folders._progress([], 10, tmp_path).disable is True
    assert image_folders._progress([], image_folders.PROGRESS_BAR_MIN_FILES + 1, tmp_path).disable is False
    monkeypatch.setenv("CI", "1")
    assert image_folders._progress([], image_folders.PROGRESS_BAR_MIN_FILES + 1, tmp_path).disable is True


def test_folder_load_is_deterministic(tmp_path):
    _make_class_folders(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFileWarning)
        first = load_image_folder(tmp_path, size=4)
        second = load_image_folder(tmp_path, size=4)

    np.testing.assert_array_equal(first.images, second.images)
    assert first.paths == second.paths


def _make_broken_links(folder):
    os.symlink("self.png", folder / "self.png")
    os.symlink("pair_b.png", folder / "pair_a.png")
    os.symlink("pair_a.png", folder / "pair_b.png")
    os.symlink(folder / "absent.png", folder / "dangling.png")


def test_folder_warns_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    Image.new("RGB", (4, 4), RED).save(tmp_path / "a" / "good.png")
    _make_broken_links(tmp_path / "a")

    with pytest.warns(SkippedFileWarning) as caught:
        folder = load_image_folder(tmp_path)

    assert [path.name for path in folder.paths] == ["good.png"]
    folder_a = tmp_path / "a"
    loop = "symbolic link loop: following it never reaches a file"
    assert [str(warning.message) for warning in caught] == [
        f"Skipped {folder_a / 'dangling.png'}: broken symbolic link: its target "
        f"{folder_a / 'absent.png'} does not exist",
        f"Skipped {folder_a / 'pair_a.png'}: {loop}",
        f"Skipped {folder_a / 'pair_b.png'}: {loop}",
        f"Skipped {folder_a / 'self.png'}: {loop}",
    ]
    assert [path.name for path, _ in folder.skipped] == ["dangling.png", "pair_a.png",
                                                         "pair_b.png", "self.png"]
    assert folder.summary() == "Loaded 1 images in 1 classes; skipped 4 files."


def test_broken_link_errors(tmp_path):
    _make_broken_links(tmp_path)

    with pytest.raises(ImageLoadError) as caught:
        load_image(tmp_path / "self.png")
    assert str(caught.value) == (f"Cannot load image {tmp_path / 'self.png'}: symbolic link "
                                 "loop: following it never reaches a file")
    with pytest.raises(ImageLoadError) as caught:
        load_image(tmp_path / "dangling.png")
    assert str(caught.value) == (f"Cannot load image {tmp_path / 'dangling.png'}: broken "
                                 f"symbolic link: its target {tmp_path / 'absent.png'} does not exist")


def test_missing_file_still_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "absent.png")


def test_directory_error(tmp_path):
    (tmp_path / "pictures.png").mkdir()
    with pytest.raises(ImageLoadError) as caught:
        load_image(tmp_path / "pictures.png")
    assert str(caught.value) == (
        f"Cannot load image {tmp_path / 'pictures.png'}: it is a directory, not an image file. "
        "Use load_image_folder() to load a folder of images.")


def test_folder_empty_class_warns(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("RGB", (4, 4), RED).save(tmp_path / "b" / "1.png")

    with pytest.warns(image_folders.EmptyClassWarning) as caught:
        folder = load_image_folder(tmp_path)

    assert [str(warning.message) for warning in caught] == [
        f"Class folder {tmp_path / 'a'} contains no files; class 'a' stays in class_names "
        "with no images."]
    # The empty class keeps its label, so label 1 still means "b".
    assert folder.class_names == ["a", "b"]
    np.testing.assert_array_equal(folder.labels, [1])
    assert folder.skipped == []
