"""Data loading: images, audio, the data-set registry and verified downloads."""

from course_utils.data.images import (  # noqa: F401
    ImageFolderData,
    ImageLoadError,
    SkippedFileWarning,
    load_image,
    load_image_folder,
)
from course_utils.data.registry import DATASETS, DatasetInfo, get_dataset_info  # noqa: F401
from course_utils.data.download import DownloadError, fetch  # noqa: F401
