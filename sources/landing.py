"""The landing zone: where sources drop their extract files, and the manifest of what was taken.

The landing location is an fsspec URL (a local folder by default; ``s3://``,
``sftp://`` or ``https://`` work the same once their fsspec driver is
installed). Each file taken is copied into the immutable raw archive under the
data home, named by its SHA-256, and recorded in the warehouse manifest
(``meta.manifest``): checksum, size, rows, when, outcome. A file whose content
was taken before (the same file re-sent under another name) is recorded as a
duplicate of it: a re-send of events is never loaded twice, while a snapshot
re-sent on a later date is a new observation at that date and an empty file
is its own date's delivery (staging settles which); a file that could not be
read is kept and retried on the next run.

Listing never fails a source because of one entry. A local landing zone is
walked without following symbolic links out of it: a link whose target does
not exist, or lies outside the landing zone (a link to the PII key, to
``/etc``), and anything that is not a regular file, is listed with its
``problem`` and becomes an ``error`` entry of the manifest without being read.
Names match the datasets' globs case-insensitively by default (exports from
Windows systems write ``HOSO_20250101.JSONL`` as readily as the lower case).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import fsspec
import numpy as np
from fsspec.implementations.local import LocalFileSystem

MAX_NAME_BYTES = 255  # a file name on the filesystems the archive lives on
ARCHIVE_NAME_BYTES = 200  # what an archive name may take: room for the .part suffix and more


@dataclass(frozen=True)
class LandingFile:
    source: str
    dataset: str
    url: str
    name: str
    size: int
    modified: str  # as the filesystem reports it; with size, a cheap change signal
    # why the file cannot be taken (found while listing), None when it can
    problem: str | None = None
    # a local file: the resolved path inside the landing zone it is read from
    real_path: str | None = None
    # the path below the source's folder, as listed (for messages)
    relative: str = ""


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest already knows of a file (url + size + modified)."""

    url: str
    size: int
    modified: str
    sha256: str
    status: str  # loaded | duplicate | error | extracted


def glob_regex(pattern: str, ignore_case: bool = True) -> re.Pattern[str]:
    """A dataset glob (``hoso/**/hoso_*.jsonl``) as a regular expression over relative paths.

    ``**`` is any number of folders (none included), ``*`` and ``?`` stay
    within one name, ``[...]`` is a character class.
    """
    out = ""
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        if part == "**":
            out += "(?:[^/]+/)*"
            continue
        j = 0
        while j < len(part):
            ch = part[j]
            if ch == "*":
                out += "[^/]*"
            elif ch == "?":
                out += "[^/]"
            elif ch == "[" and "]" in part[j + 1 :]:
                end = part.index("]", j + 1)
                body = part[j + 1 : end]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                j = end
            else:
                out += re.escape(ch)
            j += 1
        if i < len(parts) - 1:
            out += "/"
    return re.compile(out + r"\Z", re.IGNORECASE if ignore_case else 0)


def list_landing(
    landing_url: str, source: str, datasets: dict[str, str], ignore_case: bool = True
) -> list[LandingFile]:
    """Every file of a source in the landing zone, by dataset, in name order.

    An entry that matches a dataset but cannot be taken (a dangling link, a
    link out of the landing zone, a file that vanished while being listed) is
    listed with its ``problem``; nothing here raises because of one entry.
    """
    fs, root = fsspec.core.url_to_fs(landing_url.rstrip("/") + "/" + source)
    root = root.rstrip("/")
    prefix = _protocol_prefix(fs)
    patterns = {dataset: glob_regex(glob, ignore_case) for dataset, glob in datasets.items()}
    entries = _walk_local(root) if isinstance(fs, LocalFileSystem) else _walk_remote(fs, root)
    files: list[LandingFile] = []
    for relative, problem, real_path, size, modified in entries:
        dataset = next((d for d, rx in patterns.items() if rx.match(relative)), None)
        if dataset is None and problem and relative.endswith("/"):  # a folder link not entered
            top = relative.split("/", 1)[0].lower()
            dataset = next(
                (d for d, g in datasets.items() if g.split("/", 1)[0].lower() == top), None
            )
        if dataset is None:
            continue
        files.append(
            LandingFile(
                source=source,
                dataset=dataset,
                url=f"{prefix}{root}/{relative.rstrip('/')}",
                name=relative.rstrip("/").rsplit("/", 1)[-1],
                size=size,
                modified=modified,
                problem=problem,
                real_path=real_path,
                relative=relative.rstrip("/"),
            )
        )
    return sorted(files, key=lambda f: (f.dataset, f.name, f.url))


Entry = tuple[str, str | None, str | None, int, str]  # relative, problem, real path, size, mtime


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _walk_local(root: str) -> Iterator[Entry]:
    """Walk a local landing folder; links are followed only to targets inside it."""
    if not os.path.isdir(root):
        return
    real_root = os.path.realpath(root)
    seen: set[str] = set()
    folders = [(root, "")]
    while folders:
        folder, relative = folders.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield relative, f"cannot list this folder: {exc.strerror}", None, 0, ""
            continue
        for entry in entries:
            name = relative + entry.name
            try:
                link = entry.is_symlink()
                target = os.path.realpath(entry.path) if link else entry.path
                info = os.stat(target, follow_symlinks=False)
            except FileNotFoundError:
                problem = (
                    "a symbolic link whose target does not exist"
                    if link
                    else "the file vanished while the landing zone was listed"
                )
                yield name, problem, None, 0, ""
                continue
            except OSError as exc:
                yield name, f"cannot read its details: {exc.strerror}", None, 0, ""
                continue
            if link and not _inside(target, real_root):
                kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
                yield (
                    name + ("/" if kind == "folder" else ""),
                    f"a symbolic link to a {kind} outside the landing zone: not followed",
                    None,
                    0,
                    "",
                )
            elif stat.S_ISDIR(info.st_mode):
                folders.append((entry.path, name + "/"))
            elif stat.S_ISREG(info.st_mode):
                yield name, None, target, info.st_size, str(info.st_mtime)
            else:
                yield name, "not a regular file (a device, pipe or socket)", None, 0, ""


def _walk_remote(fs: fsspec.AbstractFileSystem, root: str) -> Iterator[Entry]:
    """Every file below ``root`` of a remote filesystem (no links there)."""
    try:
        found = fs.find(root, detail=True)
    except FileNotFoundError:
        return
    for path, info in sorted(found.items()):
        if info.get("type") == "directory":
            continue
        modified = info.get("mtime") or info.get("LastModified") or info.get("created") or ""
        yield path[len(root) + 1 :], None, None, int(info.get("size") or 0), str(modified)


def _protocol_prefix(fs: fsspec.AbstractFileSystem) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return "" if protocol in ("file", "local") else f"{protocol}://"


def files_to_take(listing: list[LandingFile], known: dict[str, ManifestEntry]) -> list[LandingFile]:
    """The files the manifest has not settled: new, changed since, or failed before.

    A file already loaded (or recognised as a duplicate) with the same size and
    modification time is skipped without being read again.
    """
    todo = []
    for f in listing:
        seen = known.get(f.url)
        if (
            f.problem is None
            and seen
            and seen.size == f.size
            and seen.modified == f.modified
            and seen.status != "error"
        ):
            continue
        todo.append(f)
    return todo


def archive_name(digest: str, name: str) -> str:
    """``<first 16 hex of the SHA-256>-<landing name>``, the name shortened (extension kept) so the
    archive name stays within ``ARCHIVE_NAME_BYTES`` whatever the landing name's length."""
    full = f"{digest[:16]}-{name}"
    if len(full.encode("utf-8")) <= ARCHIVE_NAME_BYTES:
        return full
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    room = ARCHIVE_NAME_BYTES - len(digest[:16]) - 2 - len(ext.encode("utf-8")) - len(dot)
    short = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return f"{digest[:16]}-{short}~{dot}{ext}"


def private_folder(path: Path) -> Path:
    """Create ``path`` and its missing parents readable by the owner only (0700)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    return missing[0] if missing else path


class Taken(NamedTuple):
    """A file taken into the raw archive: its content's SHA-256, its archive path, and its number
    of lines (newlines, plus one if the last line has none: what a reader of JSON lines should
    find; ``None`` where not counted). Counted in the pass that hashes the file, so staging does
    not read a big extract once more only to count its lines."""

    digest: str
    path: Path
    lines: int | None = None


def take(f: LandingFile, raw_dir: Path, run_id: str = "") -> Taken:
    """Copy a landed file into the raw archive while hashing it and counting its lines; idempotent.

    The archive copy is named by the content's SHA-256, so the same content
    re-sent under another name lands on the same archive file. It is written
    private (0600) through a ``.<run_id>.*.part`` file that a later run removes
    if this one dies. A local file is read from the path the listing resolved
    inside the landing zone, without following a link swapped in since.
    """
    folder = raw_dir / f.source / f.dataset
    private_folder(folder)
    owner = re.sub(r"[^A-Za-z0-9-]", "", run_id)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{owner}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, _open_landed(f) as fh:
            if f.real_path is None:
                digest, lines = _hash_and_count(fh, out)  # a remote file: as it is copied
            else:
                _copy_local(fh, out)
        if f.real_path is not None:  # copied by the kernel: hashed and counted on the copy
            with open(tmp_name, "rb") as copied:
                digest, lines = _hash_and_count(copied)
        target = folder / archive_name(digest, f.name)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Taken(digest, target, lines)


def _hash_and_count(fh: Any, out: Any = None) -> tuple[str, int]:
    """The SHA-256 and the number of lines of a file object, in one pass; each block also
    written to ``out`` if given. hashlib and numpy let go of the GIL on a block, so two files
    are taken at once on two cores (``sources/extract.py``)."""
    h = hashlib.sha256()
    newlines, last = 0, b""
    for block in iter(lambda: fh.read(1 << 22), b""):
        h.update(block)
        newlines += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))
        last = block[-1:]
        if out is not None:
            out.write(block)
    return h.hexdigest(), newlines + (last not in (b"", b"\n"))


def _copy_local(fh: Any, out: Any) -> None:
    """Copy an opened local file into ``out`` in the kernel (``sendfile``), without passing its
    bytes through Python: three times faster than reading and writing blocks."""
    try:
        while os.sendfile(out.fileno(), fh.fileno(), None, 1 << 30):
            pass
    except OSError:  # a file system without in-kernel copy: blocks from where it stopped
        for block in iter(lambda: fh.read(1 << 22), b""):
            out.write(block)


def _open_landed(f: LandingFile):  # noqa: ANN202 - a binary file object
    if f.real_path is None:
        return fsspec.open(f.url, "rb")
    fd = os.open(f.real_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    return os.fdopen(fd, "rb")


def archive_bytes(
    body: bytes,
    raw_dir: Path,
    source: str,
    dataset: str,
    name: str,
    sidecar: dict | None = None,
    run_id: str = "",
) -> tuple[str, Path]:
    """Keep bytes received from an API in the raw archive, named by their SHA-256 like a taken file.

    ``sidecar`` (the request: URL, parameters, status, time, hash) is written
    beside it as ``<archive name>.request.json``. Idempotent.
    """
    import json

    digest = hashlib.sha256(body).hexdigest()
    folder = raw_dir / source / dataset
    private_folder(folder)
    target = folder / archive_name(digest, name)
    for path, data in [
        (target, body),
        (
            target.with_name(target.name + ".request.json"),
            json.dumps(sidecar, ensure_ascii=False, indent=1).encode() if sidecar else None,
        ),
    ]:
        if data is None or path.exists():
            continue
        owner = re.sub(r"[^A-Za-z0-9-]", "", run_id)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{owner}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    return digest, target
