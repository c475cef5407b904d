"""Extract zip and tar.gz archives without letting an entry escape the target folder.

Every entry is checked before anything is written. An absolute path, a ``..``
that climbs out of the target, a symbolic or hard link, or a device file
rejects the whole archive. For tar files Python's ``data`` extraction filter
(PEP 706) runs as a second line of defence. Entries are extracted into a hidden
staging folder first and moved into place only when all of them succeeded.
"""

import logging
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

logger = logging.getLogger(__name__)


class UnsafeArchiveError(ValueError):
    """Raised when an archive entry could write outside the target folder."""


def _check_member_name(archive_path, name):
    """Reject absolute names, drive letters and names that climb out with ``..``."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or PureWindowsPath(name).drive:
        raise UnsafeArchiveError(f"{archive_path}: entry {name!r} has an absolute path.")
    depth = 0
    for part in posix.parts:
        if part == "..":
            depth -= 1
        elif part != ".":
            depth += 1
        if depth < 0:
            raise UnsafeArchiveError(
                f"{archive_path}: entry {name!r} would be written outside the target folder.")


def _check_tar(archive_path, archive):
    for member in archive.getmembers():
        _check_member_name(archive_path, member.name)
        if member.issym() or member.islnk():
            raise UnsafeArchiveError(
                f"{archive_path}: entry {member.name!r} is a link, which is not allowed.")
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                f"{archive_path}: entry {member.name!r} is a device or special file.")


def _extract_tar(archive_path, staging):
    with tarfile.open(archive_path, "r:*") as archive:
        _check_tar(archive_path, archive)
        archive.extractall(staging, filter="data")


def _zip_entry_is_link(info):
    # Zip files made on Unix keep the file mode in the high 16 bits.
    return stat.S_ISLNK(info.external_attr >> 16)


def _extract_zip(archive_path, staging):
    with zipfile.ZipFile(archive_path) as archive:
        entries = archive.infolist()
        for info in entries:
            _check_member_name(archive_path, info.filename)
            if _zip_entry_is_link(info):
                raise UnsafeArchiveError(
                    f"{archive_path}: entry {info.filename!r} is a link, which is not allowed.")
        staging_root = staging.resolve()
        for info in entries:
            target = (staging / info.filename).resolve()
            if not target.is_relative_to(staging_root):
                raise UnsafeArchiveError(
                    f"{archive_path}: entry {info.filename!r} resolves outside the target folder.")
            archive.extract(info, staging)


def extract(archive_path, target, archive_format):
    """Extract ``archive_path`` into the folder ``target`` after checking every entry.

    Top-level entries that already exist in ``target`` (from an earlier,
    interrupted extraction) are replaced.

    Args:
        archive_path: the zip or tar.gz file.
        target: the folder that receives the entries.
        archive_format: ``"zip"`` or ``"tar.gz"``.

    Raises:
        UnsafeArchiveError: an entry is absolute, climbs out of ``target``, or is a link.
        ValueError: ``archive_format`` is not supported.
    """
    extractors = {"zip": _extract_zip, "tar.gz": _extract_tar}
    if archive_format not in extractors:
        raise ValueError(f"Unsupported archive format {archive_format!r}; use 'zip' or 'tar.gz'.")

    target = Path(target)
    staging = Path(tempfile.mkdtemp(dir=target, prefix=".extracting-"))
    try:
        extractors[archive_format](Path(archive_path), staging)
        for entry in sorted(staging.iterdir()):
            destination = target / entry.name
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            elif destination.exists():
                destination.unlink()
            os.replace(entry, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("Extracted %s into %s", archive_path, target)
