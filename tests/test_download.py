"""fetch against a real HTTP server on 127.0.0.1, and safe archive extraction."""

import hashlib
import io
import re
import socket
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from course_utils.__main__ import main as cli_main
from course_utils.data import archives, download, registry
from course_utils.data.download import (ChecksumMismatchError, DownloadError, NetworkDisabledError,
                                        UnverifiedDownloadWarning, fetch)
from course_utils.data.registry import DatasetInfo, RemoteFile

ARCHIVE_NAME = "toy.tar.gz"
SLOW_SECONDS = 1.5
# A declared length that makes the test server send no Content-Length header.
NO_LENGTH = -1


def _tar_gz(entries):
    """Return the bytes of a tar.gz holding ``{name: bytes}`` regular files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in entries.items():
            member = tarfile.TarInfo(name)
            member.size = len(content)
            archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


GOOD_ARCHIVE = _tar_gz({"toy/recordings/0_alice_0.wav": b"RIFF-zero", "toy/README": b"toy set"})
GOOD_SHA256 = hashlib.sha256(GOOD_ARCHIVE).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    """Serve ``server.routes[path] = (body, declared_length)``; 404 for anything else.

    A path that starts with ``/slow/`` waits ``SLOW_SECONDS`` before it answers.
    """

    def do_GET(self):  # noqa: N802  (name fixed by http.server)
        self.server.requests.append(self.path)
        if self.path.startswith("/slow/"):
            time.sleep(SLOW_SECONDS)
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        body, declared_length = self.server.routes[self.path]
        self.send_response(200)
        if declared_length != NO_LENGTH:
            self.send_header("Content-Length", str(declared_length))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as the timeout test intends
        # Closing here with fewer bytes than declared simulates a dropped transfer.
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """Start an HTTP server on 127.0.0.1 (a free port) and stop it after the test."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    httpd.requests = []
    httpd.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _serve(server, path, body, declared_length=None):
    server.routes[path] = (body, len(body) if declared_length is None else declared_length)
    return server.base_url + path


def _dead_url():
    """Return a URL on a 127.0.0.1 port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{ARCHIVE_NAME}"


def _info(urls, sha256=GOOD_SHA256, archive="tar.gz", name="toy", size_bytes=len(GOOD_ARCHIVE)):
    remote = RemoteFile(ARCHIVE_NAME, tuple(urls), sha256, size_bytes, archive=archive)
    return DatasetInfo(name=name, title="Toy", files=(remote,), licence="CC0", citation="-",
                       contents="toy/recordings/*.wav", fallback="spoken_digits")


def _fetch(info, tmp_path, **options):
    options = {"data_dir": tmp_path, "allow_network": True, "retries": 1, "retry_delay": 0,
               "timeout": 5, "progress": False, **options}
    return fetch(info, **options)


def _files_under(folder):
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file())


def test_good_download_extracted_and_cached(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    folder = _fetch(_info([url]), tmp_path)

    assert folder == tmp_path / "toy"
    assert (folder / "toy" / "recordings" / "0_alice_0.wav").read_bytes() == b"RIFF-zero"
    assert _files_under(folder) == [".fetch-complete.json", ARCHIVE_NAME, "toy/README",
                                    "toy/recordings/0_alice_0.wav"]
    assert download.sha256_of(folder / ARCHIVE_NAME) == GOOD_SHA256
    assert server.requests == ["/" + ARCHIVE_NAME]

    assert _fetch(_info([url]), tmp_path) == folder
    assert server.requests == ["/" + ARCHIVE_NAME]

    (folder / ARCHIVE_NAME).unlink()
    assert _fetch(_info([url]), tmp_path) == folder
    assert server.requests == ["/" + ARCHIVE_NAME] * 2


def test_wrong_checksum_rejected_cache_untouched(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)
    wrong = "0" * 64
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / ARCHIVE_NAME).write_bytes(b"older verified copy")

    with pytest.raises(DownloadError) as caught:
        _fetch(_info([url], sha256=wrong), tmp_path)

    message = str(caught.value)
    assert f"SHA-256 mismatch for {url}: expected {wrong}, got {GOOD_SHA256}." in message
    assert _files_under(folder) == [ARCHIVE_NAME]
    assert (folder / ARCHIVE_NAME).read_bytes() == b"older verified copy"


def test_checksum_mismatch_error_type(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)
    (tmp_path / "toy").mkdir()
    options = {"timeout": 5, "retries": 0, "retry_delay": 0, "progress": False}

    with pytest.raises(ChecksumMismatchError):
        download._download_from_mirror(url, tmp_path / "toy" / ARCHIVE_NAME, "f" * 64, options)


def test_truncated_transfer_leaves_no_file(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE[:100], declared_length=len(GOOD_ARCHIVE))

    with pytest.raises(DownloadError, match="IncompleteRead"):
        _fetch(_info([url]), tmp_path)

    assert _files_under(tmp_path) == []
    assert server.requests == ["/" + ARCHIVE_NAME] * 2


def test_truncated_then_good_mirror(server, tmp_path):
    short = _serve(server, "/short/" + ARCHIVE_NAME, GOOD_ARCHIVE[:100],
                   declared_length=len(GOOD_ARCHIVE))
    good = _serve(server, "/good/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    folder = _fetch(_info([short, good]), tmp_path, retries=0)

    assert (folder / "toy" / "README").read_bytes() == b"toy set"


def test_dead_first_mirror_falls_through(server, tmp_path):
    good = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    folder = _fetch(_info([_dead_url(), good]), tmp_path)

    assert (folder / "toy" / "README").read_bytes() == b"toy set"


def test_timeout_retried_then_next_mirror(server, tmp_path):
    slow = _serve(server, "/slow/" + ARCHIVE_NAME, GOOD_ARCHIVE)
    good = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    started = time.monotonic()
    folder = _fetch(_info([slow, good]), tmp_path, timeout=0.2, retries=1)

    assert (folder / "toy" / "README").read_bytes() == b"toy set"
    assert server.requests == ["/slow/" + ARCHIVE_NAME] * 2 + ["/" + ARCHIVE_NAME]
    assert time.monotonic() - started < SLOW_SECONDS * 2


def test_http_404_not_retried(server, tmp_path):
    missing = server.base_url + "/missing/" + ARCHIVE_NAME
    good = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    _fetch(_info([missing, good]), tmp_path, retries=3)

    assert server.requests == ["/missing/" + ARCHIVE_NAME, "/" + ARCHIVE_NAME]


def test_all_mirrors_dead_names_fallback(tmp_path):
    dead = [_dead_url(), _dead_url()]

    with pytest.raises(DownloadError) as caught:
        _fetch(_info(dead), tmp_path)

    message = str(caught.value)
    assert message.startswith(f"Every source for 'toy' failed ({ARCHIVE_NAME}):")
    assert dead[0] in message
    assert dead[1] in message
    assert message.endswith("Without a network, use the embedded data set 'spoken_digits': "
                            "course_utils.data.load_dataset('spoken_digits').")
    assert _files_under(tmp_path) == []


def test_smoke_mode_never_touches_network(server, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    with pytest.raises(NetworkDisabledError) as caught:
        fetch(_info([url]), data_dir=tmp_path)

    assert "COURSE_MODE=smoke does not use the network" in str(caught.value)
    assert "load_dataset('spoken_digits')" in str(caught.value)
    assert server.requests == []


def test_mirror_variable_replaces_hosts(server, tmp_path, monkeypatch):
    _serve(server, "/mirror/toy/" + ARCHIVE_NAME, GOOD_ARCHIVE)
    monkeypatch.setenv("COURSE_DATA_MIRROR", server.base_url + "/mirror/")

    folder = _fetch(_info([_dead_url()]), tmp_path)

    assert (folder / "toy" / "README").read_bytes() == b"toy set"
    assert server.requests == ["/mirror/toy/" + ARCHIVE_NAME]


def test_missing_checksum_rejected_before_download(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    with pytest.raises(DownloadError, match="No published SHA-256 for toy.tar.gz of 'toy'"):
        _fetch(_info([url], sha256=None), tmp_path)

    assert server.requests == []


def test_unverified_download_allowed_with_warning(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    with pytest.warns(UnverifiedDownloadWarning, match=f"its SHA-256 is {GOOD_SHA256}"):
        folder = _fetch(_info([url], sha256=None), tmp_path, allow_unverified=True)

    assert (folder / "toy" / "README").exists()


def test_caller_checksum_used_when_registry_has_none(server, tmp_path):
    url = _serve(server, "/" + ARCHIVE_NAME, GOOD_ARCHIVE)

    folder = _fetch(_info([url], sha256=None), tmp_path, sha256=GOOD_SHA256)

    assert (folder / "toy" / "README").exists()


def test_traversal_archive_rejected(server, tmp_path):
    evil = _tar_gz({"../escaped.txt": b"owned"})
    url = _serve(server, "/" + ARCHIVE_NAME, evil)
    info = _info([url], sha256=hashlib.sha256(evil).hexdigest())

    with pytest.raises(archives.UnsafeArchiveError,
                       match="entry '../escaped.txt' would be written outside the target folder"):
        _fetch(info, tmp_path)

    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "toy" / ".fetch-complete.json").exists()


def _tar_with(member):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return buffer.getvalue()


@pytest.mark.parametrize("kind, message", [
    ("absolute", "entry '/etc/evil' has an absolute path."),
    ("symlink", "entry 'link' is a link, which is not allowed."),
    ("hardlink", "entry 'hard' is a link, which is not allowed."),
])
def test_unsafe_tar_entries_rejected(tmp_path, kind, message):
    if kind == "absolute":
        member = tarfile.TarInfo("/etc/evil")
        member.size = 1
    elif kind == "symlink":
        member = tarfile.TarInfo("link")
        member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
    else:
        member = tarfile.TarInfo("hard")
        member.type, member.linkname = tarfile.LNKTYPE, "/etc/passwd"
    _assert_extraction_rejected(tmp_path / "bad.tar.gz", _tar_with(member), "tar.gz", message)


def _assert_extraction_rejected(path, content, archive_format, message):
    """Write ``content`` to ``path``; check extraction fails with ``message`` and writes nothing."""
    path.write_bytes(content)
    target = path.parent / "out"
    target.mkdir()

    with pytest.raises(archives.UnsafeArchiveError) as caught:
        archives.extract(path, target, archive_format)

    assert str(caught.value) == f"{path}: {message}"
    assert list(target.iterdir()) == []


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return buffer.getvalue()


@pytest.mark.parametrize("name, message", [
    ("../up.txt", "entry '../up.txt' would be written outside the target folder."),
    ("a/../../up.txt", "entry 'a/../../up.txt' would be written outside the target folder."),
    ("/abs.txt", "entry '/abs.txt' has an absolute path."),
    ("C:/abs.txt", "entry 'C:/abs.txt' has an absolute path."),
])
def test_unsafe_zip_names_rejected(tmp_path, name, message):
    content = _zip([(zipfile.ZipInfo(name), b"x")])
    _assert_extraction_rejected(tmp_path / "bad.zip", content, "zip", message)


def test_zip_symlink_rejected(tmp_path):
    link = zipfile.ZipInfo("link")
    link.external_attr = (0o120777 << 16)
    content = _zip([(zipfile.ZipInfo("ok.txt"), b"fine"), (link, "/etc/passwd")])
    _assert_extraction_rejected(tmp_path / "link.zip", content, "zip",
                                "entry 'link' is a link, which is not allowed.")


def test_zip_archive_fetched(server, tmp_path):
    content = _zip([(zipfile.ZipInfo("words/yes/a.wav"), b"yes")])
    url = _serve(server, "/" + ARCHIVE_NAME, content)
    info = _info([url], sha256=hashlib.sha256(content).hexdigest(), archive="zip")

    folder = _fetch(info, tmp_path)

    assert (folder / "words" / "yes" / "a.wav").read_bytes() == b"yes"


def test_embedded_dataset_needs_no_fetch(tmp_path):
    with pytest.raises(ValueError, match=r"Load it with course_utils.data.load_dataset\('digits'\)"):
        fetch("digits", data_dir=tmp_path)


def test_registry_entries_well_formed():
    for name, entry in registry.DATASETS.items():
        assert entry.name == name
        if entry.embedded:
            assert entry.files == ()
            continue
        assert registry.DATASETS[entry.fallback].embedded, name
        for remote in entry.files:
            assert remote.urls, remote.filename
            assert all(url.startswith(("https://", "http://")) for url in remote.urls)
            assert remote.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", remote.sha256)
    assert {"mnist", "fashion_mnist", "fsdd", "mini_speech_commands",
            "digits", "spoken_digits"} <= set(registry.DATASETS)


def test_cli_data_list(capsys):
    assert cli_main(["data", "list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "source", "size", "checksum", "licence"]
    rows = {line.split()[0]: line.split()[1:4] for line in lines[2:]}
    assert rows["mnist"] == ["download", "11.5", "MB"]
    assert rows["mini_speech_commands"] == ["download", "unknown", "none"]
    assert rows["digits"] == ["embedded", "-", "-"]


def test_cli_data_fetch_smoke_mode_error(isolated_folders, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODE", "smoke")

    assert cli_main(["data", "fetch", "fsdd"]) == 1

    error = capsys.readouterr().err
    assert error.startswith("error: 'fsdd' is not in the cache at ")
    assert "--allow-network" in error


def test_cli_data_fetch_through_mirror(server, isolated_folders, monkeypatch, capsys):
    fsdd = registry.DATASETS["fsdd"]
    remote = fsdd.files[0]
    _serve(server, f"/fsdd/{remote.filename}", GOOD_ARCHIVE)
    monkeypatch.setenv("COURSE_DATA_MIRROR", server.base_url)
    monkeypatch.setenv("CI", "1")

    assert cli_main(["data", "fetch", "fsdd", "--allow-network", "--sha256", GOOD_SHA256]) == 0

    folder = isolated_folders / "data" / "fsdd"
    assert capsys.readouterr().out.strip() == str(folder)
    assert (folder / "toy" / "README").read_bytes() == b"toy set"


def test_cli_unknown_name(capsys):
    assert cli_main(["data", "fetch", "nope"]) == 1
    assert capsys.readouterr().err.startswith("error: Unknown data set 'nope'. Known data sets: ")


INVALID_ADVICE = ("Delete the file and fetch again. If the new download fails the same way, "
                  "the mirror serves a wrong file: check COURSE_DATA_MIRROR or the data set's URL.")


@pytest.mark.parametrize("archive_format, detail", [
    ("tar.gz", "not a tar file, plain or compressed with gzip, bzip2 or xz"),
    ("zip", "File is not a zip file"),
])
def test_invalid_archive_error(server, tmp_path, archive_format, detail):
    body = b"<html>log in to the network</html>"
    url = _serve(server, "/" + ARCHIVE_NAME, body)
    info = _info([url], sha256=hashlib.sha256(body).hexdigest(), archive=archive_format)

    with pytest.raises(archives.ArchiveError) as caught:
        _fetch(info, tmp_path)

    path = tmp_path / "toy" / ARCHIVE_NAME
    assert str(caught.value) == (f"{path} is not a valid {archive_format} archive ({detail}). "
                                 f"{INVALID_ADVICE}")
    assert not (tmp_path / "toy" / download.MARKER_NAME).exists()


def test_cli_invalid_archive_one_line(server, isolated_folders, monkeypatch, capsys):
    body = b"not a tar.gz"
    _serve(server, f"/fsdd/{registry.DATASETS['fsdd'].files[0].filename}", body)
    monkeypatch.setenv("COURSE_DATA_MIRROR", server.base_url)
    monkeypatch.setenv("CI", "1")

    status = cli_main(["data", "fetch", "fsdd", "--allow-network", "--sha256",
                       hashlib.sha256(body).hexdigest()])

    assert status == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("error: ")
    assert "is not a valid tar.gz archive (not a tar file, plain or compressed with gzip, " \
           "bzip2 or xz). Delete the file" in error


@pytest.mark.parametrize("entry", [ARCHIVE_NAME, download.MARKER_NAME])
def test_entry_cannot_replace_kept_file(server, tmp_path, entry):
    content = _tar_gz({entry: b"replacement", "toy/README": b"toy set"})
    url = _serve(server, "/" + ARCHIVE_NAME, content)
    info = _info([url], sha256=hashlib.sha256(content).hexdigest())

    with pytest.raises(archives.UnsafeArchiveError) as caught:
        _fetch(info, tmp_path)

    folder = tmp_path / "toy"
    assert str(caught.value) == (
        f"{folder / ARCHIVE_NAME}: entry {entry!r} would replace the file {entry!r} that the "
        "download keeps next to the archive; it was not extracted.")
    assert (folder / ARCHIVE_NAME).read_bytes() == content
    assert _files_under(folder) == [ARCHIVE_NAME]


def test_zip_file_and_folder_clash(tmp_path):
    path = tmp_path / "clash.zip"
    path.write_bytes(_zip([(zipfile.ZipInfo("a"), b"file"), (zipfile.ZipInfo("a/b"), b"nested")]))
    target = tmp_path / "out"
    target.mkdir()

    with pytest.raises(archives.ArchiveError) as caught:
        archives.extract(path, target, "zip")

    assert str(caught.value) == (f"{path}: entry 'a/b' could not be extracted (Not a directory). "
                                 f"{INVALID_ADVICE}")
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("declared_length, verb", [
    (None, "announces 3145728 bytes"),
    # 64 KiB reads pass the limit of 100 + 1 MiB bytes at 17 * 65536 bytes.
    (NO_LENGTH, "sent at least 1114112 bytes"),
])
def test_oversized_download_stopped(server, tmp_path, declared_length, verb):
    url = _serve(server, "/" + ARCHIVE_NAME, bytes(3 << 20), declared_length)
    info = _info([url], sha256=None, size_bytes=100)

    with pytest.raises(DownloadError) as caught:
        _fetch(info, tmp_path, allow_unverified=True, retries=0)

    assert (f"{url}: {url} {verb}, more than the limit of 1048676 bytes (the registered size "
            "plus 10 % or 1 MiB); the download was stopped and discarded.") in str(caught.value)
    assert list((tmp_path / "toy").iterdir()) == []


def test_archive_entry_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_ENTRIES", 2)
    path = tmp_path / "many.tar.gz"
    path.write_bytes(_tar_gz({"a": b"1", "b": b"2", "c": b"3"}))
    target = tmp_path / "out"
    target.mkdir()

    with pytest.raises(archives.ArchiveError) as caught:
        archives.extract(path, target, "tar.gz")

    assert str(caught.value) == (f"{path} has 3 entries, more than the limit of 2; it was not "
                                 "extracted.")
    assert list(target.iterdir()) == []


def test_archive_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_EXTRACTED_BYTES", 1000)
    path = tmp_path / "zeros.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(1001))
    target = tmp_path / "out"
    target.mkdir()

    with pytest.raises(archives.ArchiveError) as caught:
        archives.extract(path, target, "zip")

    assert str(caught.value) == (f"{path} would extract to 1001 bytes, more than the limit of "
                                 "1000 bytes; it was not extracted.")
    assert list(target.iterdir()) == []
