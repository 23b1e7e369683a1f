"""Is the landing zone there? Checked before a run starts, so that a missing one fails the run.

Listing a folder that does not exist finds no file, which looks like a quiet
night: a run on a home that already has a warehouse would end green having
loaded nothing. The run checks first: the landing zone exists, is a folder,
and it and the folders of the run's sources can be listed.
"""

from __future__ import annotations

import fsspec


class LandingError(Exception):
    """The landing zone (or a source's folder in it) is missing or cannot be read."""


def check_landing(landing_url: str, sources: list[str]) -> None:
    """Raise ``LandingError`` (one line) unless the landing zone and its sources' folders are readable.

    A source with no folder yet is fine (it has not delivered); a folder that
    cannot be listed is not.
    """
    try:
        fs, root = fsspec.core.url_to_fs(landing_url)
        if not fs.exists(root):
            raise LandingError("the landing zone does not exist")
        if not fs.isdir(root):
            raise LandingError("the landing zone is not a folder")
        fs.ls(root, detail=False)
        for source in sources:
            folder = root.rstrip("/") + "/" + source
            if fs.exists(folder):
                if not fs.isdir(folder):
                    raise LandingError(f"{source}/ in the landing zone is not a folder")
                fs.ls(folder, detail=False)
    except LandingError:
        raise
    except PermissionError as exc:
        raise LandingError(f"cannot be read: permission denied ({exc.filename or exc})") from None
    except (OSError, ValueError, ImportError) as exc:
        raise LandingError(f"cannot be read: {type(exc).__name__}: {exc}") from None
