"""Loading, splitting and editing the course's image and audio data.

Every public name of the data modules is importable from here, for example
``from course_utils.data import load_audio, load_dataset``.
"""

from course_utils.data.audio import (AudioFolder, AudioLoadError, decodable_formats,
                                     load_audio, load_audio_folder, resample)
from course_utils.data.audio_ops import add_noise, apply_gain, pad_or_trim, time_shift, trim_silence
from course_utils.data.datasets import (DATASET_NAMES, DatasetSplits, load_dataset,
                                        load_spoken_digit_folder, parse_spoken_digit_name)
from course_utils.data.download import DownloadError, NetworkDisabledError, fetch
from course_utils.data.image_folders import EmptyClassWarning, ImageFolderData, load_image_folder
from course_utils.data.images import ImageLoadError, SkippedFileWarning, load_image
from course_utils.data.registry import DATASETS, DatasetInfo, get_dataset_info
from course_utils.data.splits import speaker_split, stratified_split, stratified_subset

__all__ = [
    "AudioFolder", "AudioLoadError", "decodable_formats", "load_audio", "load_audio_folder",
    "resample",
    "add_noise", "apply_gain", "pad_or_trim", "time_shift", "trim_silence",
    "DATASET_NAMES", "DatasetSplits", "load_dataset", "load_spoken_digit_folder",
    "parse_spoken_digit_name",
    "DownloadError", "NetworkDisabledError", "fetch",
    "EmptyClassWarning", "ImageFolderData", "load_image_folder",
    "ImageLoadError", "SkippedFileWarning", "load_image",
    "DATASETS", "DatasetInfo", "get_dataset_info",
    "speaker_split", "stratified_split", "stratified_subset",
]
