"""Download, verify and extract the data sets in the registry into the data cache.

``fetch`` guarantees three things. A file in the cache folder was checked
against its SHA-256 after the download that produced it, unless the caller
passed ``allow_unverified=True`` for a file with no known checksum. A download that is
interrupted leaves only a hidden ``*.part`` file, never a file under its final
name. An archive entry that would be written outside the cache folder, that
is a link or a device, or that would replace a downloaded file or the marker,
stops the extraction.

A download of a file whose size the registry states stops once it exceeds that
size by more than ``SIZE_MARGIN`` (10 %) or ``SIZE_MARGIN_BYTES`` (1 MiB),
whichever is larger, so a wrong or endless response cannot fill the disk.
"""

import hashlib
import http.client
import json
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from course_utils import settings
from course_utils.data import archives
from course_utils.data.registry import DatasetInfo, get_dataset_info

logger = logging.getLogger(__name__)

MARKER_NAME = ".fetch-complete.json"
CHUNK_BYTES = 1 << 16
USER_AGENT = "course-utils-fetch/1.0 (+urllib)"
SIZE_MARGIN = 0.10
SIZE_MARGIN_BYTES = 1 << 20


class DownloadError(RuntimeError):
    """Raised when a data set cannot be downloaded or verified; the message names the next step."""


class ChecksumMismatchError(DownloadError):
    """Raised when a downloaded file's SHA-256 differs from the expected value."""


class NetworkDisabledError(DownloadError):
    """Raised when a download is needed but the run mode does not allow the network."""


class UnverifiedDownloadWarning(UserWarning):
    """Warned when a file is accepted without a known SHA-256."""


def sha256_of(path):
    """Return the hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fallback_advice(info):
    if info.fallback is None:
        return ""
    return (f" Without a network, use the embedded data set {info.fallback!r}: "
            f"course_utils.data.load_dataset({info.fallback!r}).")


def _progress_bar(total, description, enabled):
    disable = not enabled or bool(os.environ.get("CI"))
    # tqdm.auto's notebook bar prints a notice without ipywidgets, even when hidden.
    if disable:
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=description, unit="B", unit_scale=True, disable=disable)


def _size_limit(size_bytes):
    """Return the most bytes to accept for a file of ``size_bytes``, or None when unknown."""
    if size_bytes is None:
        return None
    return size_bytes + max(int(size_bytes * SIZE_MARGIN), SIZE_MARGIN_BYTES)


def _check_size(url, n_bytes, max_bytes, verb):
    """Raise DownloadError when ``n_bytes`` (announced or received so far) exceed ``max_bytes``."""
    if max_bytes is not None and n_bytes > max_bytes:
        raise DownloadError(
            f"{url} {verb} {n_bytes} bytes, more than the limit of {max_bytes} bytes (the "
            "registered size plus 10 % or 1 MiB); the download was stopped and discarded. "
            "The mirror serves a different file: check COURSE_DATA_MIRROR or the data set's URL.")


def _stream_to_temporary(url, folder, filename, options):
    """Download ``url`` into a hidden temporary file in ``folder``; return (path, sha256).

    Raises IncompleteRead when the server closes before Content-Length bytes
    arrived, and DownloadError once more than ``options["max_bytes"]`` bytes
    are announced or received. The temporary file is removed on every error.
    """
    max_bytes = options.get("max_bytes")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    temporary = Path(temporary)
    digest = hashlib.sha256()
    received = 0
    try:
        with os.fdopen(handle, "wb") as output, \
                urllib.request.urlopen(request, timeout=options["timeout"]) as response:
            expected = response.headers.get("Content-Length")
            expected = int(expected) if expected and expected.isdigit() else None
            _check_size(url, expected or 0, max_bytes, "announces")
            with _progress_bar(expected, filename, options["progress"]) as bar:
                for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                    received += len(chunk)
                    _check_size(url, received, max_bytes, "sent at least")
                    output.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            if expected is not None and received != expected:
                raise http.client.IncompleteRead(b"", expected - received)
            output.flush()
            os.fsync(output.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, digest.hexdigest()


def _is_retryable(error):
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    return True


def _download_from_mirror(url, destination, expected_sha256, options):
    """Try one URL up to ``1 + retries`` times; on success the file sits at ``destination``."""
    for attempt in range(options["retries"] + 1):
        try:
            temporary, actual = _stream_to_temporary(url, destination.parent, destination.name,
                                                     options)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            logger.warning("Download of %s failed (attempt %d of %d): %s",
                           url, attempt + 1, options["retries"] + 1, error)
            if not _is_retryable(error) or attempt == options["retries"]:
                raise
            time.sleep(options["retry_delay"] * 2 ** attempt)
            continue

        if expected_sha256 is not None and actual != expected_sha256.lower():
            temporary.unlink(missing_ok=True)
            raise ChecksumMismatchError(
                f"SHA-256 mismatch for {url}: expected {expected_sha256}, got {actual}. "
                "The file was discarded.")
        if expected_sha256 is None:
            warnings.warn(f"Accepted {url} without a published checksum; its SHA-256 is "
                          f"{actual}. Pass sha256={actual!r} to pin it.",
                          UnverifiedDownloadWarning, stacklevel=4)
        os.replace(temporary, destination)
        return actual
    raise AssertionError("unreachable: the loop returns or raises")


def _download_file(info, remote, destination, expected_sha256, options):
    """Download ``remote`` from each mirror in turn; return the SHA-256 of the file kept."""
    failures = []
    options = dict(options, max_bytes=_size_limit(remote.size_bytes))
    for url in info.urls_for(remote):
        try:
            return _download_from_mirror(url, destination, expected_sha256, options)
        except (DownloadError, urllib.error.URLError, http.client.HTTPException, OSError) as error:
            failures.append(f"{url}: {error}")
            logger.warning("Mirror failed for %s: %s", remote.filename, error)
    raise DownloadError(
        f"Every source for {info.name!r} failed ({remote.filename}):\n  "
        + "\n  ".join(failures) + "\n" + _fallback_advice(info).strip())


def _expected_hashes(info, sha256, allow_unverified):
    """Map each filename to the SHA-256 to check, or None where unverified use is allowed."""
    if sha256 is not None and len(info.files) != 1:
        raise ValueError(f"sha256= applies to one file, but {info.name!r} has {len(info.files)} "
                         "files. Pass a dict {filename: sha256} instead.")
    overrides = sha256 if isinstance(sha256, dict) else (
        {info.files[0].filename: sha256} if sha256 else {})
    expected = {}
    for remote in info.files:
        value = overrides.get(remote.filename) or remote.sha256
        if value is None and not allow_unverified:
            raise DownloadError(
                f"No published SHA-256 for {remote.filename} of {info.name!r}, so a download "
                "could not be verified. Pass sha256='<hex digest>' if you know it, or "
                "allow_unverified=True to accept the file unchecked (--sha256 or "
                "--allow-unverified on the command line).")
        expected[remote.filename] = value
    return expected


def _read_marker(folder):
    try:
        return json.loads((folder / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None


def _write_marker(folder, hashes):
    temporary = folder / (MARKER_NAME + ".part")
    temporary.write_text(json.dumps({"sha256": hashes}, indent=2, sort_keys=True))
    os.replace(temporary, folder / MARKER_NAME)


def _cached(folder, expected):
    """Return True when ``folder`` was completed earlier with the same expected hashes."""
    marker = _read_marker(folder)
    if marker is None:
        return False
    recorded = marker.get("sha256", {})
    if set(recorded) != set(expected):
        return False
    if not all((folder / name).is_file() for name in expected):
        return False
    return all(value is None or recorded[name] == value for name, value in expected.items())


def _check_network_allowed(info, folder, allow_network):
    if allow_network is None:
        allow_network = settings.get_mode() == "full"
    if not allow_network:
        raise NetworkDisabledError(
            f"{info.name!r} is not in the cache at {folder}, and COURSE_MODE="
            f"{settings.get_mode()} does not use the network. Set COURSE_MODE=full or pass "
            "allow_network=True (--allow-network on the command line) to download it."
            f"{_fallback_advice(info)}")


def fetch(name, *, data_dir=None, allow_network=None, sha256=None, allow_unverified=False,
          timeout=30.0, retries=2, retry_delay=1.0, progress=True):
    """Return a verified, extracted folder for a registered data set, downloading if needed.

    The folder is ``<data_dir>/<name>``. It counts as cached once a marker file
    records the SHA-256 of every file. Otherwise each file is streamed to a
    temporary file in that folder with a progress bar, checked against its
    SHA-256 and only then renamed to its final name. Each mirror is tried
    ``1 + retries`` times with a doubling delay, then the next mirror. Archives
    (zip, tar.gz) are extracted next to the archive after safety checks.

    Args:
        name: a registry name (see ``python -m course_utils data list``) or a
            DatasetInfo.
        data_dir: cache root; defaults to ``settings.data_dir()`` (``COURSE_DATA_DIR``).
        allow_network: None allows downloads only when ``COURSE_MODE=full``.
        sha256: expected hex digest when the registry has none (a dict
            ``{filename: digest}`` for data sets with several files).
        allow_unverified: accept files without any known digest, with a warning.
        timeout: seconds to wait for the server on each connection and read.
        retries: extra attempts per mirror after a failed one.
        retry_delay: seconds before the first retry; doubled for each next one.
        progress: show a tqdm progress bar (always hidden when ``CI`` is set).

    Returns:
        pathlib.Path of the data set's folder.

    Raises:
        NetworkDisabledError: a download is needed and the network is not allowed.
        DownloadError: every mirror failed or no checksum is available; the
            message names the embedded fallback.
        archives.UnsafeArchiveError: an archive entry is a link, escapes the
            folder, or would replace a downloaded file or the marker.
        archives.ArchiveError: a downloaded archive is not a valid archive, an
            entry cannot be extracted, or it exceeds the archive size limits.
    """
    info = name if isinstance(name, DatasetInfo) else get_dataset_info(name)
    if info.embedded:
        raise ValueError(f"{info.name!r} is embedded and needs no download. "
                         f"Load it with course_utils.data.load_dataset({info.name!r}).")

    root = Path(data_dir) if data_dir is not None else settings.data_dir()
    folder = root / info.name
    expected = _expected_hashes(info, sha256, allow_unverified)
    if _cached(folder, expected):
        logger.info("Using cached %s at %s", info.name, folder)
        return folder

    _check_network_allowed(info, folder, allow_network)
    folder.mkdir(parents=True, exist_ok=True)
    options = {"timeout": timeout, "retries": retries, "retry_delay": retry_delay,
               "progress": progress}
    hashes = {}
    protected_names = {remote.filename for remote in info.files}
    protected_names |= {MARKER_NAME, MARKER_NAME + ".part"}
    for remote in info.files:
        destination = folder / remote.filename
        wanted = expected[remote.filename]
        if wanted is not None and destination.is_file() and sha256_of(destination) == wanted:
            # A verified file from an earlier, interrupted fetch is reused.
            hashes[remote.filename] = wanted
        else:
            hashes[remote.filename] = _download_file(info, remote, destination, wanted, options)
        if remote.archive is not None:
            archives.extract(destination, folder, remote.archive, protected_names)

    _write_marker(folder, hashes)
    logger.info("Fetched %s into %s", info.name, folder)
    return folder


def remove_cached(name, data_dir=None):
    """Delete the cache folder of ``name`` so the next ``fetch`` downloads it again."""
    root = Path(data_dir) if data_dir is not None else settings.data_dir()
    shutil.rmtree(root / name, ignore_errors=True)
