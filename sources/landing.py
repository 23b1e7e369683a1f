"""The landing zone: where sources drop their extract files, and the manifest of what was taken.

The landing location is an fsspec URL (a local folder by default; ``s3://``,
``sftp://`` or ``https://`` work the same once their fsspec driver is
installed). Each file taken is copied into the immutable raw archive under the
data home, named by its SHA-256, and recorded in the warehouse manifest
(``meta.manifest``): checksum, size, rows, when, outcome. A file whose content
was taken before (the same file re-sent under another name) is recorded as a
duplicate and never loaded twice; a file that could not be read is kept and
retried on the next run.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import fsspec


@dataclass(frozen=True)
class LandingFile:
    source: str
    dataset: str
    url: str
    name: str
    size: int
    modified: str  # as the filesystem reports it; with size, a cheap change signal


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest already knows of a file (url + size + modified)."""

    url: str
    size: int
    modified: str
    sha256: str
    status: str  # loaded | duplicate | error | extracted


def list_landing(landing_url: str, source: str, datasets: dict[str, str]) -> list[LandingFile]:
    """Every file of a source in the landing zone, by dataset, in name order."""
    fs, root = fsspec.core.url_to_fs(landing_url.rstrip("/") + "/" + source)
    prefix = _protocol_prefix(fs)
    files: list[LandingFile] = []
    for dataset, pattern in datasets.items():
        for path in sorted(fs.glob(f"{root}/{pattern}")):
            info = fs.info(path)
            if info.get("type") == "directory":
                continue
            files.append(
                LandingFile(
                    source=source,
                    dataset=dataset,
                    url=prefix + path,
                    name=path.rsplit("/", 1)[-1],
                    size=int(info.get("size") or 0),
                    modified=str(
                        info.get("mtime") or info.get("LastModified") or info.get("created") or ""
                    ),
                )
            )
    return sorted(files, key=lambda f: (f.dataset, f.name, f.url))


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
        if seen and seen.size == f.size and seen.modified == f.modified and seen.status != "error":
            continue
        todo.append(f)
    return todo


def take(url: str, raw_dir: Path, source: str, dataset: str) -> tuple[str, Path]:
    """Copy a landed file into the raw archive while hashing it, in one pass; idempotent.

    The archive copy is named by the content's SHA-256, so the same content
    re-sent under another name lands on the same archive file.
    """
    name = url.rsplit("/", 1)[-1]
    folder = raw_dir / source / dataset
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, fsspec.open(url, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                h.update(block)
                out.write(block)
        digest = h.hexdigest()
        target = folder / f"{digest[:16]}-{name}"
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return digest, target


def archive_bytes(
    body: bytes, raw_dir: Path, source: str, dataset: str, name: str, sidecar: dict | None = None
) -> tuple[str, Path]:
    """Keep bytes received from an API in the raw archive, named by their SHA-256 like a taken file.

    ``sidecar`` (the request: URL, parameters, status, time, hash) is written
    beside it as ``<archive name>.request.json``. Idempotent.
    """
    import json

    digest = hashlib.sha256(body).hexdigest()
    folder = raw_dir / source / dataset
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest[:16]}-{name}"
    for path, data in [
        (target, body),
        (
            target.with_name(target.name + ".request.json"),
            json.dumps(sidecar, ensure_ascii=False, indent=1).encode() if sidecar else None,
        ),
    ]:
        if data is None or path.exists():
            continue
        fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, path)
    return digest, target
