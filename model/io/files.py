"""Files the planner writes: checked before any solving, written to a temporary file in the
target folder and moved into place only when complete, with the permissions the user had.

- A plan written over an existing file keeps that file's mode and group; a new plan follows the
  umask, like any file the user creates.
- Temporary files are named `.~<name>.<pid>.<random>.tmp` (and scratch folders
  `.~planner-<pid>-<random>`), removed on every exit path, Ctrl-C and SIGTERM included; one left
  by a run that was killed outright is removed by the next run in that folder, once its process
  is gone.
- A target that is open in another program (locked) gets `name (1).xlsx` instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from model.domain.errors import OutputError, UsageError

_STALE = re.compile(r"^\.~.*\.(\d+)\.[A-Za-z0-9_]+\.tmp(?:\.rows)?$|^\.~planner-(\d+)-")
# Files a writer derives from a temporary file's name (the plan writer's row rewrite).
_DERIVED = (".rows",)
_LIVE: set[Path] = set()  # temporary paths of this process, removed on any exit


def check_output_target(path: Path) -> list[str]:
    """Refuse, before any solving, an output that cannot be a plan file; return notes (a name
    without .xlsx)."""
    text = str(path)
    if text in ("", "-"):
        raise UsageError("--output needs a file name (a plan is a workbook; it cannot be "
                         "written to the terminal)")
    notes = []
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise OutputError(f"the output {path} is {kind}; give a file name such as "
                          f"{path / 'plan.xlsx' if path.is_dir() else 'plan.xlsx'}")
    for parent in path.resolve().parents if path.is_symlink() else path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"cannot write into the folder {path.parent}: {parent} is a "
                                  "file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                reason = "read-only" if parent == path.parent else f"{parent} is read-only"
                raise OutputError(f"cannot write into the folder {path.parent}: {reason} "
                                  "(no permission to create files there); choose another "
                                  "--output")
            break
    if path.suffix.lower() != ".xlsx":
        notes.append(f"the output name {path.name} does not end in .xlsx; Excel may not open "
                     "it by double-click (it is an .xlsx workbook all the same)")
    remove_stale(path.parent, path)
    return notes


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale(folder: Path, target: Path | None = None) -> list[Path]:
    """Remove temporary files and scratch folders left in `folder` by runs that were killed
    (their process no longer exists), and the `.~<target name>.tmp` an older planner left for
    the file about to be written."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    legacy = f".~{target.name}.tmp" if target is not None else None
    for entry in entries:
        match = _STALE.match(entry.name)
        if entry.name == legacy and entry.is_file():
            pid = None
        elif not match:
            continue
        else:
            pid = int(match.group(1) or match.group(2))
        if pid is not None and _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def _remove(path: Path) -> None:
    """Remove a temporary file (with the files derived from its name) or folder, quietly."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for suffix in _DERIVED:
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def cleanup() -> None:
    """Remove every temporary file and folder this process still holds (exit, Ctrl-C,
    SIGTERM)."""
    for path in list(_LIVE):
        _remove(path)
        _LIVE.discard(path)


@contextlib.contextmanager
def scratch_folder(near: Path) -> Iterator[Path]:
    """A private scratch folder next to `near` (for a writer's own temporary files), removed
    afterwards; falls back to the system's temporary folder."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".~planner-{os.getpid()}-", dir=near))
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix=f".~planner-{os.getpid()}-"))
    _LIVE.add(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _LIVE.discard(folder)


def free_name(path: Path) -> Path:
    """`name (1).xlsx`, `name (2).xlsx`, ...: the first that does not exist."""
    for i in range(1, 1000):
        candidate = path.with_name(f"{path.stem} ({i}){path.suffix}")
        if not candidate.exists():
            return candidate
    raise OutputError(f"could not find a free file name next to {path}")


def _permissions_of(path: Path) -> tuple[int, int | None]:
    """(mode, group) a new file at `path` should get: those of the file it replaces, else the
    umask's."""
    try:
        info = path.stat()
        return stat.S_IMODE(info.st_mode), info.st_gid
    except OSError:
        return 0o666 & ~_umask(), None


def atomic_save(save: Callable[[Path], None], path: Path) -> tuple[Path, list[str]]:
    """Run `save(temporary_path)` in the target folder, then move the file into place.

    If the target is locked (open in Excel), the file goes to `name (1).xlsx` instead and a
    note says so. Nothing half-written is ever left at the target.
    """
    notes: list[str] = []
    if path.is_symlink():  # write the file the link points to; the link stays
        path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path.parent)
        handle, temporary = tempfile.mkstemp(prefix=f".~{path.stem}.{os.getpid()}.",
                                             suffix=".tmp", dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(f"cannot write into the folder {path.parent}: "
                          f"{exc.strerror or exc}") from exc
    temporary_path = Path(temporary)
    _LIVE.add(temporary_path)
    try:
        save(temporary_path)
        mode, group = _permissions_of(path)
        os.chmod(temporary_path, mode)
        if group is not None:
            with contextlib.suppress(OSError):
                os.chown(temporary_path, -1, group)
        try:
            os.replace(temporary_path, path)
        except PermissionError:
            alternative = free_name(path)
            os.replace(temporary_path, alternative)
            notes.append(f"{path} is open in another program (locked), so the file was "
                         f"written to {alternative} instead; close it to write it there")
            path = alternative
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"the file could not be written to {path}: {reason}") from exc
    finally:
        _remove(temporary_path)
        _LIVE.discard(temporary_path)
    return path, notes


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (also when one does not exist yet)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()
