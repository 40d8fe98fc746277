"""Files the planner writes: checked before any solving, written to a temporary file in the
target folder and moved into place only when complete, with the permissions the user had.

- A plan written over an existing file keeps that file's mode and group; a new plan follows the
  umask, like any file the user creates.
- Temporary files have short names, `.~planner-<id>.tmp` (a scratch folder `.~planner-<id>.d`),
  whatever the length of the target's name. Each comes with a lock file `.~planner-<id>.lock`
  that its run holds locked (an operating-system file lock) from before the temporary file is
  created until it is gone. They are removed on every exit path, Ctrl-C and SIGTERM included;
  one left by a run that was killed outright is removed by a later run in that folder only
  when no live run holds its lock, so a run in another container, or on another host sharing
  the folder, never loses its files. Where the file system cannot lock, and for files of
  older planners (which had no lock), only files older than a day are removed. Process ids
  are never trusted.
- A target that is open in another program (locked, or with an Excel or LibreOffice lock file
  beside it) gets `name (1).xlsx` instead, and the terminal says so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from model.domain.errors import OutputError, UsageError

_GROUP = re.compile(r"^\.~planner-([a-z0-9_]{8})(\.lock|\.tmp|\.tmp\.rows|\.d)$")
# Temporary files of planners before the lock files: removed only when older than a day.
_LEGACY = re.compile(r"^\.~.*\.\d+\.[A-Za-z0-9_]+\.tmp(?:\.rows)?$|^\.~planner-\d+-")
STALE_AFTER_SECONDS = 24 * 3600  # where no lock can tell: a day, longer than any run
JUST_CREATED_SECONDS = 5.0  # a lock file this young may not be locked yet by its creator
# Files a writer derives from a temporary file's name (the plan writer's row rewrite).
_DERIVED = (".rows",)
_LIVE: set[Path] = set()  # temporary paths of this process, removed on any exit
_HELD: dict[Path, int] = {}  # lock file -> descriptor holding its lock, for this process
NAME_MAX_FALLBACK = 255


def _lock(fd: int) -> bool | None:
    """Try to lock an open file exclusively without waiting: True if locked, False if another
    process holds it, None if the file system (or the platform) cannot lock."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks on this platform: the age rule decides
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        return None


def _new_lock(folder: Path) -> tuple[str, Path]:
    """A new locked `.~planner-<id>.lock` in `folder`: (id, lock path). The lock is held by
    this process until `_release` (or its exit)."""
    fd, name = tempfile.mkstemp(prefix=".~planner-", suffix=".lock", dir=folder)
    lock_path = Path(name)
    identity = lock_path.name[len(".~planner-"):-len(".lock")]
    if not _GROUP.match(lock_path.name):  # mkstemp's names are 8 characters of [a-z0-9_]
        os.close(fd)
        lock_path.unlink(missing_ok=True)
        return _new_lock(folder)
    for _ in range(100):  # a later run may be testing it this very moment: wait for it
        if _lock(fd) is not False:
            break  # locked, or a file system without locks (the age rule protects the files)
        time.sleep(0.01)
    _HELD[lock_path] = fd
    _LIVE.add(lock_path)
    return identity, lock_path


def _release(lock_path: Path) -> None:
    """Remove a lock file of this process, then let go of its lock."""
    with contextlib.suppress(OSError):
        lock_path.unlink(missing_ok=True)
    fd = _HELD.pop(lock_path, None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
    _LIVE.discard(lock_path)


def _old(paths: list[Path], now: float) -> bool:
    """Whether every one of these files was last changed more than a day ago."""
    for path in paths:
        try:
            if now - path.lstat().st_mtime < STALE_AFTER_SECONDS:
                return False
        except OSError:
            continue
    return True


def _delete(entry: Path) -> bool:
    with contextlib.suppress(OSError):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        return True
    return False


def remove_stale(folder: Path, target: Path | None = None) -> list[Path]:
    """Remove the temporary files and scratch folders in `folder` that no live run holds: a
    group whose lock file nobody holds locked; where the lock cannot tell (no lock file, a
    file system without locks, an older planner's files, the `.~<target name>.tmp` of an older
    planner), only when older than a day."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    groups: dict[str, list[Path]] = {}
    legacy_name = f".~{target.name}.tmp" if target is not None else None
    for entry in entries:
        match = _GROUP.match(entry.name)
        if match:
            groups.setdefault(match.group(1), []).append(entry)
        elif (_LEGACY.match(entry.name) or entry.name == legacy_name) and _old([entry], now):
            if _delete(entry):
                removed.append(entry)
    for identity, members in groups.items():
        lock_path = folder / f".~planner-{identity}.lock"
        if lock_path in _HELD:
            continue  # this process's own
        others = [m for m in members if m != lock_path]
        if lock_path not in members:
            if _old(others, now):
                removed += [m for m in others if _delete(m)]
            continue
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except OSError:
            continue
        try:
            state = _lock(fd)
            young = now - os.fstat(fd).st_mtime < JUST_CREATED_SECONDS
            if state is False or (state is True and young and not others):
                continue  # a live run holds it (or is creating it)
            if state is None and not _old(members, now):
                continue  # cannot tell: only the age rule decides
            removed += [m for m in others if _delete(m)]
            if _delete(lock_path):
                removed.append(lock_path)
        finally:
            os.close(fd)
    return removed


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return NAME_MAX_FALLBACK


def lock_file_beside(path: Path) -> Path | None:
    """The lock file LibreOffice (`.~lock.NAME#`) or Excel (`~$NAME`) keeps beside a workbook
    that is open, if there is one."""
    for name in (f".~lock.{path.name}#", f"~${path.name}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


def check_output_target(path: Path, force: bool = False) -> list[str]:
    """Refuse, before any solving, an output that cannot be a plan file; return notes (a name
    without .xlsx, a target open in another program, one this user may not replace).

    An output that is a symbolic link is refused unless `force` (the plan would replace the
    file it points to)."""
    text = str(path)
    if text in ("", "-"):
        raise UsageError("--output needs a file name (a plan is a workbook; it cannot be "
                         "written to the terminal)")
    notes = []
    if path.is_symlink():
        pointed = os.readlink(path)
        dangling = "" if path.exists() else " (which does not exist)"
        if not force:
            raise UsageError(f"the output {path} is a link to {pointed}{dangling}; the plan "
                             "would replace that file: give --force to write it there, or "
                             "choose another --output")
        if not path.exists():
            raise UsageError(f"the output {path} is a link to {pointed}, which does not "
                             "exist; choose another --output")
        path = path.resolve()
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise OutputError(f"the output {path} is {kind}; give a file name such as "
                          f"{path / 'plan.xlsx' if path.is_dir() else 'plan.xlsx'}")
    for parent in path.parents:
        if parent.is_symlink() and not parent.exists():
            raise OutputError(f"cannot write into the folder {path.parent}: {parent} is a "
                              "link to a folder that does not exist")
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"cannot write into the folder {path.parent}: {parent} is a "
                                  "file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                reason = "read-only" if parent == path.parent else f"{parent} is read-only"
                raise OutputError(f"cannot write into the folder {path.parent}: {reason} "
                                  "(no permission to create files there); choose another "
                                  "--output")
            longest = len(path.name.encode("utf-8", "surrogateescape")) + len(" (99)")
            if parent == path.parent and longest > _name_max(parent):
                raise OutputError(f"the output name {path.name[:40]}... is too long for the "
                                  f"folder {parent} ({len(path.name)} characters; the file "
                                  f"system allows {_name_max(parent)} bytes, and a numbered "
                                  "copy needs 5 more); choose a shorter --output")
            break
    if path.suffix.lower() != ".xlsx":
        notes.append(f"the output name {path.name} does not end in .xlsx; Excel may not open "
                     "it by double-click (it is an .xlsx workbook all the same)")
    lock = lock_file_beside(path)
    if lock is not None:
        notes.append(f"{path} is open in another program (its lock file {lock.name} is beside "
                     f"it), so the plan will be written to {free_name(path)} instead; close "
                     "it (or delete the lock file if no program has it open) to write it there")
    elif path.exists() and not _may_replace(path):
        notes.append(f"{path} {_permission_reason(path)}, so the plan will be written to "
                     f"{free_name(path)} instead")
    remove_stale(path.parent, path)
    return notes


def _may_replace(path: Path) -> bool:
    """Whether this user may replace the file at `path` (rename over it)."""
    if os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() == 0:
        return True
    try:
        folder = path.parent.stat()
        info = path.lstat()
    except OSError:
        return True
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return False
    sticky = bool(folder.st_mode & stat.S_ISVTX)
    return not (sticky and info.st_uid != os.geteuid() and folder.st_uid != os.geteuid())


def _permission_reason(path: Path) -> str:
    """Why this user may not replace `path`, in words (a permission, not a lock)."""
    try:
        sticky = bool(path.parent.stat().st_mode & stat.S_ISVTX)
        other = path.lstat().st_uid != os.geteuid()
    except (OSError, AttributeError):
        sticky = other = False
    if sticky and other:
        return ("belongs to another user, and its folder lets only a file's owner replace it "
                "(no permission)")
    return "cannot be replaced by this user (no permission)"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


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
    SIGTERM), then its lock files."""
    for path in list(_LIVE):
        if path not in _HELD:
            _remove(path)
            _LIVE.discard(path)
    for lock_path in list(_HELD):
        _release(lock_path)


@contextlib.contextmanager
def scratch_folder(near: Path) -> Iterator[Path]:
    """A private scratch folder next to `near` (for a writer's own temporary files), removed
    afterwards; falls back to the system's temporary folder."""
    try:
        identity, lock_path = _new_lock(near)
        folder = near / f".~planner-{identity}.d"
        folder.mkdir()
    except OSError:
        identity, lock_path = _new_lock(Path(tempfile.gettempdir()))
        folder = lock_path.with_name(f".~planner-{identity}.d")
        folder.mkdir()
    _LIVE.add(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _LIVE.discard(folder)
        _release(lock_path)


def free_name(path: Path) -> Path:
    """`name (1).xlsx`, `name (2).xlsx`, ...: the first that does not exist and is not open in
    another program."""
    for i in range(1, 1000):
        candidate = path.with_name(f"{path.stem} ({i}){path.suffix}")
        if not candidate.exists() and not candidate.is_symlink() \
                and lock_file_beside(candidate) is None:
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


@contextlib.contextmanager
def _temporary_in(folder: Path) -> Iterator[Path]:
    """A short-named locked temporary file in `folder`, removed (with its lock) afterwards."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        identity, lock_path = _new_lock(folder)
        temporary_path = folder / f".~planner-{identity}.tmp"
        temporary_path.touch(exist_ok=False)
    except OSError as exc:
        raise OutputError(f"cannot write into the folder {folder}: "
                          f"{exc.strerror or exc}") from exc
    _LIVE.add(temporary_path)
    try:
        yield temporary_path
    finally:
        _remove(temporary_path)
        _LIVE.discard(temporary_path)
        _release(lock_path)


def atomic_save(save: Callable[[Path], None], path: Path) -> tuple[Path, list[str]]:
    """Run `save(temporary_path)` in the target folder, then move the file into place.

    If the target is open in another program (a lock file beside it, or the system refuses to
    replace a locked file), the file goes to `name (1).xlsx` instead and a note says so; if this
    user may not replace it (permission), likewise, with that reason. Nothing half-written is
    ever left at the target. A symbolic link at `path` is replaced by the file, never written
    through (the command line resolves an --output link itself when --force allows it).
    """
    notes: list[str] = []
    if path.parent.is_dir():
        remove_stale(path.parent)
    with _temporary_in(path.parent) as temporary_path:
        try:
            save(temporary_path)
            mode, group = _permissions_of(path) if not path.is_symlink() else \
                (0o666 & ~_umask(), None)
            os.chmod(temporary_path, mode)
            if group is not None:
                with contextlib.suppress(OSError):
                    os.chown(temporary_path, -1, group)
            lock = lock_file_beside(path)
            if lock is not None:
                alternative = free_name(path)
                os.replace(temporary_path, alternative)
                notes.append(f"{path} is open in another program (its lock file {lock.name} "
                             f"is beside it), so the file was written to {alternative} "
                             "instead; close it to write it there")
                return alternative, notes
            try:
                os.replace(temporary_path, path)
            except PermissionError:
                alternative = free_name(path)
                os.replace(temporary_path, alternative)
                if os.name == "nt":
                    reason = "is open in another program (locked)"
                else:
                    reason = _permission_reason(path)
                notes.append(f"{path} {reason}, so the file was written to {alternative} "
                             "instead" + ("; close it to write it there" if os.name == "nt"
                                          else ""))
                path = alternative
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise OutputError(f"the file could not be written to {path}: {reason}") from exc
    return path, notes


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file whole or not at all: to a temporary file beside it, then renamed over
    it. A link at `path` is replaced by the file, never written through."""
    with _temporary_in(path.parent) as temporary_path:
        temporary_path.write_text(text, encoding="utf-8")
        os.chmod(temporary_path, 0o666 & ~_umask())
        os.replace(temporary_path, path)


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (also when one does not exist yet)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()
