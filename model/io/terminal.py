"""The terminal, made harmless: nothing printed may take a plan down.

Output goes through `Console`, which survives a closed stdout (`>&-`, cron), a reader that
went away (`| head -1`: broken pipe), a full device (`> /dev/full`) and an encoding that cannot
show a character (`PYTHONIOENCODING=cp1252` with a `¥` in the workbook: replaced). Once a stream
fails it is quietly pointed at the null device, so that Python's own flush at exit cannot fail
either.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO


def guard_standard_streams() -> None:
    """Give closed file descriptors 0-2 the null device, so that files the planner opens never
    land on them (native code that prints to fd 1 would otherwise write into a plan)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            with contextlib.suppress(Exception):
                stream.reconfigure(errors="replace")


class Console:
    """Writes lines to stdout (progress, summary) and stderr (errors), never raising."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.broken: set[str] = set()

    def _write(self, name: str, text: str) -> None:
        if name in self.broken:
            return
        stream: TextIO | None = getattr(sys, name)
        if stream is None:
            self.broken.add(name)
            return
        try:
            stream.write(text + "\n")
            stream.flush()
        except UnicodeEncodeError:
            encoding = getattr(stream, "encoding", None) or "ascii"
            safe = text.encode(encoding, errors="replace").decode(encoding, errors="replace")
            with contextlib.suppress(Exception):
                stream.write(safe + "\n")
                stream.flush()
        except (OSError, ValueError):
            self._retire(name)

    def _retire(self, name: str) -> None:
        """A stream that failed is pointed at the null device for the rest of the process."""
        self.broken.add(name)
        fd = 1 if name == "stdout" else 2
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        with contextlib.suppress(Exception):
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115

    def say(self, text: str) -> None:
        """A progress or summary line (nothing with --quiet)."""
        if not self.quiet:
            self._write("stdout", text)

    def error(self, text: str) -> None:
        """An error line, shown even with --quiet."""
        self._write("stderr", text)
