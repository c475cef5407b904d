"""Extract zip and tar.gz archives without letting an entry escape the target folder.

Every entry is checked before anything is written. An absolute path, a ``..``
that climbs out of the target, a symbolic or hard link, or a device file
rejects the whole archive. For tar files Python's ``data`` extraction filter
(PEP 706) runs as a second line of defence. Entries are extracted into a hidden
staging folder first and moved into place only when all of them succeeded.

An archive with more than ``MAX_ENTRIES`` entries, or whose entries add up to
more than ``MAX_EXTRACTED_BYTES`` (sizes as the archive's headers state them),
is rejected before anything is written. The largest registered archive,
mini_speech_commands, contains about 8,000 one-second 16 kHz clips (an
estimated 0.3 GB uncompressed), well inside both limits.
"""

import contextlib
import logging
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

logger = logging.getLogger(__name__)

MAX_ENTRIES = 100_000
MAX_EXTRACTED_BYTES = 4 << 30

INVALID_ARCHIVE_ADVICE = (
    "Delete the file and fetch again. If the new download fails the same way, the mirror "
    "serves a wrong file: check COURSE_DATA_MIRROR or the data set's URL.")


class ArchiveError(ValueError):
    """Raised when an archive cannot be read or extracted; names the archive and the entry."""


class UnsafeArchiveError(ArchiveError):
    """Raised when an archive entry could write outside the target folder or replace a kept file."""


def _check_totals(archive_path, n_entries, n_bytes):
    """Reject archives with more than MAX_ENTRIES entries or MAX_EXTRACTED_BYTES in total."""
    if n_entries > MAX_ENTRIES:
        raise ArchiveError(f"{archive_path} has {n_entries} entries, more than the limit of "
                           f"{MAX_ENTRIES}; it was not extracted.")
    if n_bytes > MAX_EXTRACTED_BYTES:
        raise ArchiveError(f"{archive_path} would extract to {n_bytes} bytes, more than the "
                           f"limit of {MAX_EXTRACTED_BYTES} bytes; it was not extracted.")


def _check_top_level_name(archive_path, name, protected_names):
    top = PurePosixPath(name.replace("\\", "/")).parts[:1]
    if top and top[0] in protected_names:
        raise UnsafeArchiveError(
            f"{archive_path}: entry {name!r} would replace the file {top[0]!r} that the "
            "download keeps next to the archive; it was not extracted.")


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


def _check_tar(archive_path, archive, protected_names):
    members = archive.getmembers()
    _check_totals(archive_path, len(members), sum(member.size for member in members))
    for member in members:
        _check_member_name(archive_path, member.name)
        _check_top_level_name(archive_path, member.name, protected_names)
        if member.issym() or member.islnk():
            raise UnsafeArchiveError(
                f"{archive_path}: entry {member.name!r} is a link, which is not allowed.")
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                f"{archive_path}: entry {member.name!r} is a device or special file.")


def _extract_tar(archive_path, staging, protected_names):
    with tarfile.open(archive_path, "r:*") as archive:
        _check_tar(archive_path, archive, protected_names)
        for member in archive.getmembers():
            with _naming_entry(archive_path, member.name):
                archive.extract(member, staging, filter="data")


def _zip_entry_is_link(info):
    # Zip files made on Unix keep the file mode in the high 16 bits.
    return stat.S_ISLNK(info.external_attr >> 16)


@contextlib.contextmanager
def _naming_entry(archive_path, entry):
    """Turn an OSError or a decoding error while extracting ``entry`` into an ArchiveError."""
    try:
        yield
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError) as error:
        detail = getattr(error, "strerror", None) or error
        raise ArchiveError(f"{archive_path}: entry {entry!r} could not be extracted "
                           f"({detail}). {INVALID_ARCHIVE_ADVICE}") from error


def _extract_zip(archive_path, staging, protected_names):
    with zipfile.ZipFile(archive_path) as archive:
        entries = archive.infolist()
        _check_totals(archive_path, len(entries), sum(info.file_size for info in entries))
        for info in entries:
            _check_member_name(archive_path, info.filename)
            _check_top_level_name(archive_path, info.filename, protected_names)
            if _zip_entry_is_link(info):
                raise UnsafeArchiveError(
                    f"{archive_path}: entry {info.filename!r} is a link, which is not allowed.")
        staging_root = staging.resolve()
        for info in entries:
            target = (staging / info.filename).resolve()
            if not target.is_relative_to(staging_root):
                raise UnsafeArchiveError(
                    f"{archive_path}: entry {info.filename!r} resolves outside the target folder.")
            with _naming_entry(archive_path, info.filename):
                archive.extract(info, staging)


def _open_and_extract(extractor, archive_path, archive_format, staging, protected_names):
    """Run ``extractor``, turning "this is not a zip/tar file" into an ArchiveError."""
    try:
        extractor(archive_path, staging, protected_names)
    except (zipfile.BadZipFile, tarfile.ReadError, EOFError, zlib.error) as error:
        detail = str(error)
        if "\n" in detail:
            # tarfile.open("r:*") lists one failure per compression method it tried.
            detail = "not a tar file, plain or compressed with gzip, bzip2 or xz"
        raise ArchiveError(f"{archive_path} is not a valid {archive_format} archive ({detail}). "
                           f"{INVALID_ARCHIVE_ADVICE}") from error


def extract(archive_path, target, archive_format, protected_names=()):
    """Extract ``archive_path`` into the folder ``target`` after checking every entry.

    Top-level entries that already exist in ``target`` (from an earlier,
    interrupted extraction) are replaced, except the names in ``protected_names``.

    Args:
        archive_path: the zip or tar.gz file.
        target: the folder that receives the entries.
        archive_format: ``"zip"`` or ``"tar.gz"``.
        protected_names: top-level names in ``target`` that no entry may
            replace, such as the archive itself; its own name is always protected.

    Raises:
        UnsafeArchiveError: an entry is absolute, climbs out of ``target``, is a
            link, or would replace a protected name.
        ArchiveError: the file is not a valid archive, an entry cannot be
            extracted, or the archive exceeds MAX_ENTRIES or MAX_EXTRACTED_BYTES.
        ValueError: ``archive_format`` is not supported.
    """
    extractors = {"zip": _extract_zip, "tar.gz": _extract_tar}
    if archive_format not in extractors:
        raise ValueError(f"Unsupported archive format {archive_format!r}; use 'zip' or 'tar.gz'.")

    target = Path(target)
    archive_path = Path(archive_path)
    protected_names = set(protected_names) | {archive_path.name}
    staging = Path(tempfile.mkdtemp(dir=target, prefix=".extracting-"))
    try:
        _open_and_extract(extractors[archive_format], archive_path, archive_format, staging,
                          protected_names)
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
