"""Reading and writing files on the local disk (the files tracker, `demo`) as an editor would:
writes are atomic and get the usual permissions, and a disk that says no is the user's
environment, reported as one sentence (exit 5), never as an internal error.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from storyplan.errors import PlanError, Problem, TrackerError

NEW_FILE_MODE = 0o666  # less the umask, as an editor creates files


def os_reason(err: OSError) -> str:
    """`read-only file system`: the system's reason, as the end of a sentence."""
    text = err.strerror or type(err).__name__
    return text[:1].lower() + text[1:]


def cannot(verb: str, path: Path, err: OSError) -> TrackerError:
    return TrackerError(f"cannot {verb} {path}: {os_reason(err)}")


def make_folder(path: Path, target: Path | None = None) -> None:
    """Create `path` and its parents; `target` is the file the folder is for (named in errors)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise TrackerError(
            f"cannot write {target or path}: {blocker} is a file, not a folder"
        ) from None
    except OSError as err:
        raise cannot("write", path, err) from None


def read_text(path: Path) -> str:
    """A UTF-8 text file; a file that is not UTF-8 is named with the line and byte."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise cannot("read", path, err) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        message = (
            f"the file is not UTF-8 text: byte {err.start} (0x{data[err.start]:02x}) "
            "cannot be decoded"
        )
        raise PlanError([Problem(message, line, str(path))]) from None


def write_text(path: Path, text: str) -> bool:
    """Write atomically, and only if the text differs: an unchanged file keeps its mtime.

    A new file gets 0666 less the umask (0644 with the usual 022); an existing one keeps
    its mode. A failure leaves the old file as it was and no temporary file behind.
    """
    mode: int | None = None
    if path.exists():
        if path.is_dir():
            raise TrackerError(f"cannot write {path}: it is a folder")
        if read_text(path) == text:
            return False
        mode = stat.S_IMODE(path.stat().st_mode)
    make_folder(path.parent, path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise cannot("write", path, err) from None
    return True
