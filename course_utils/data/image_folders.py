"""Load a folder laid out as ``root/<class_name>/<file>`` into image and label arrays.

Each file goes through ``images.load_image``, so the conventions of that
module (``size`` as ``(height, width)``, values in ``[0, 1]``) apply here too.
"""

import dataclasses
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from course_utils.data.images import (DEFAULT_BACKGROUND, DEFAULT_RESAMPLE, ImageLoadError,
                                      SkippedFileWarning, _check_mode, load_image)

logger = logging.getLogger(__name__)

# Folder loads with more files than this show a progress bar.
PROGRESS_BAR_MIN_FILES = 300

class EmptyClassWarning(UserWarning):
    """Warned once for each class folder that contains no files."""


@dataclasses.dataclass
class ImageFolderData:
    """Images loaded from a folder with one subfolder per class.

    Attributes:
        images: float32 ``(n_images, height, width, channels)`` in [0, 1].
        labels: int64 ``(n_images,)``, indices into ``class_names``.
        class_names: subfolder names, sorted (Python string order).
        paths: the file of each image, in the same order as ``images``.
        skipped: ``(path, reason)`` for every file that was not loaded.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: list
    paths: list
    skipped: list

    def summary(self):
        """Return a one-line account of how many files were loaded and skipped."""
        text = (f"Loaded {len(self.labels)} images in {len(self.class_names)} classes; "
                f"skipped {len(self.skipped)} files.")
        return text


def _class_folders(root, skipped):
    """Return the sorted class subfolders of ``root``.

    Hidden folders and entries that are not folders are warned about and
    appended to ``skipped`` as ``(path, reason)``.
    """
    folders = []
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if entry.is_dir() and entry.name.startswith("."):
            reason = "hidden folder, not a class"
        elif entry.is_dir():
            folders.append(entry)
            continue
        else:
            reason = "file outside a class subfolder"
        skipped.append((entry, reason))
        _warn_skipped(entry, reason)
    if not folders:
        raise ValueError(
            f"No class subfolders found in {root}. Put each class's images in its own "
            "subfolder, for example root/cat/001.jpg and root/dog/001.jpg.")
    return folders


def _class_files(folder):
    """Return every file under ``folder`` (recursively), sorted by relative path.

    Broken symbolic links are included so that the load skips them with a
    warning. A class folder without files is warned about.
    """
    files = [path for path in folder.rglob("*")
             if path.is_file() or (path.is_symlink() and not path.is_dir())]
    if not files:
        warnings.warn(f"Class folder {folder} contains no files; class {folder.name!r} stays "
                      "in class_names with no images.", EmptyClassWarning, stacklevel=3)
    return sorted(files, key=lambda path: path.relative_to(folder).as_posix())


def _warn_skipped(path, reason):
    logger.debug("Skipped %s: %s", path, reason)
    warnings.warn(f"Skipped {path}: {reason}", SkippedFileWarning, stacklevel=2)


def _progress(items, total, root):
    disable = total <= PROGRESS_BAR_MIN_FILES or bool(os.environ.get("CI"))
    # The notebook bar of tqdm.auto prints a notice when ipywidgets is missing,
    # even for a hidden bar, so a hidden bar uses the plain tqdm class.
    if disable:
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(items, total=total, desc=f"Loading {root.name}", unit="file", disable=disable)


def load_image_folder(root, size=None, mode="RGB", *, pad_to_square=False,
                      background=DEFAULT_BACKGROUND, resample=DEFAULT_RESAMPLE):
    """Load a folder laid out as ``root/<class_name>/<file>`` into arrays.

    This is the layout ``tf.keras.utils.image_dataset_from_directory`` reads.
    Class names are the subfolder names sorted in Python string order, and
    label ``k`` means ``class_names[k]``. Within a class, files are taken in
    sorted order of their path relative to the class folder, so two runs on the
    same folder give identical arrays. Hidden folders and files outside a class
    folder are skipped. Every file that cannot be loaded (empty, not an image,
    corrupt, truncated, too large, a broken symbolic link) is skipped with one
    ``SkippedFileWarning`` naming the file and the reason. ``skipped`` counts
    these files and the hidden folders and stray files. A class folder
    without files stays in ``class_names``, as in Keras's
    ``image_dataset_from_directory``, so that labels follow the folder layout;
    it gets one ``EmptyClassWarning``. A tqdm progress bar appears for more than
    ``PROGRESS_BAR_MIN_FILES`` files unless the ``CI`` variable is set.

    Args:
        root: the folder that contains one subfolder per class.
        size: ``(height, width)`` or an int; None keeps each file's size, which
            then must be the same for every file.
        mode, pad_to_square, background, resample: as for ``load_image``.

    Returns:
        ImageFolderData with ``images``, ``labels``, ``class_names``, ``paths``
        and ``skipped``; ``.summary()`` gives the counts.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: no class subfolders, no loadable image, or images of
            different sizes while ``size`` is None.
    """
    _check_mode(mode)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Image folder not found: {root}. Check the path.")

    skipped = []
    folders = _class_folders(root, skipped)
    class_names = [folder.name for folder in folders]
    jobs = [(label, path) for label, folder in enumerate(folders) for path in _class_files(folder)]

    arrays, labels, paths = [], [], []
    for label, path in _progress(jobs, len(jobs), root):
        try:
            values = load_image(path, size, mode, pad_to_square=pad_to_square,
                                background=background, resample=resample)
        except ImageLoadError as error:
            skipped.append((path, error.reason))
            _warn_skipped(path, error.reason)
            continue
        arrays.append(values)
        labels.append(label)
        paths.append(path)

    if not arrays:
        raise ValueError(f"No loadable images under {root}; all {len(jobs)} files were skipped.")
    _check_same_shape(arrays, paths)
    result = ImageFolderData(np.stack(arrays), np.asarray(labels, dtype=np.int64),
                             class_names, paths, skipped)
    logger.info("%s: %s", root, result.summary())
    return result


def _check_same_shape(arrays, paths):
    first = arrays[0].shape
    for values, path in zip(arrays, paths):
        if values.shape != first:
            raise ValueError(
                f"Images differ in size: {paths[0]} is {first[:2]} but {path} is "
                f"{values.shape[:2]} (height, width). Pass size=(height, width) to resize them.")
