"""The terminal side of the CLI: standard streams, width, colour, a progress bar that waits, quiet broken pipes."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NoReturn, TextIO

from ..errors import InputError
from ..report.escaping import SPELL_OR_ESCAPE
from ..report.layout import DEFAULT_WIDTH, TextLayout

COLOR_CHOICES = ("auto", "always", "never")


def prepare_std_streams() -> bool:
    """Make the standard streams safe to use; False when stdout is closed (`>&-`).

    A closed descriptor 0, 1 or 2 is held by the null device, so no file opened
    later takes its number; a closed stderr (`2>&-`) becomes the null device, so
    the report still goes to stdout. What stdout or stderr cannot encode (an
    ASCII or Latin-1 locale) is spelled in ASCII or escaped, never an error.
    """
    for fd in (0, 1, 2):
        _hold(fd)
    if sys.stderr is None:
        sys.stderr = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=SPELL_OR_ESCAPE)
    return sys.stdout is not None


def _hold(fd: int) -> None:
    try:
        os.fstat(fd)
    except OSError:
        null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: *fd* when lower ones are open
        if null != fd:
            os.dup2(null, fd)
            os.close(null)


def stdin_bytes() -> BinaryIO:
    """Standard input as bytes; an input error when it is closed (`<&-`)."""
    if sys.stdin is None:
        raise InputError("<stdin>", "standard input is closed")
    return sys.stdin.buffer


def terminal_width(stream: TextIO) -> int:
    """`COLUMNS` when set, else the terminal's width when *stream* is one, else :data:`DEFAULT_WIDTH`."""
    if os.environ.get("COLUMNS", "").strip().isdigit() or stream.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns or DEFAULT_WIDTH
    return DEFAULT_WIDTH


def use_color(choice: str, stream: TextIO) -> bool:
    """`always`, `never`, or (`auto`) on a terminal unless `NO_COLOR` is set or `TERM` is dumb."""
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def text_layout(stream: TextIO, *, color: str = "auto", verbose: bool = False, quiet: bool = False) -> TextLayout:
    return TextLayout(width=terminal_width(stream), color=use_color(color, stream), verbose=verbose, quiet=quiet)


def silence_stdout() -> None:
    """Point stdout at the null device, so nothing more (nor the final flush) can fail on a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def write_and_exit(render: Callable[[TextIO], object], code: int) -> NoReturn:
    """Write with *render* on stdout, then exit *code*, also when the reader went away (`| head -1`)."""
    try:
        render(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    sys.exit(code)


#: Seconds of work before a progress bar appears; shorter runs never show one.
PROGRESS_DELAY = 1.0
_REDRAW = 0.1
_BAR = 30


class DelayedProgress:
    """A progress callback (bytes read) that draws on *stream* only once the work took *delay* seconds.

    With a known *total* it draws a bar and a percentage, else the bytes read so far
    (stdin). :meth:`close` clears the line.
    """

    def __init__(
        self,
        stream: TextIO,
        total: int = 0,
        *,
        delay: float = PROGRESS_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.total, self.delay, self.clock = stream, total, delay, clock
        self.started = clock()
        self.done = 0
        self.drawn: float | None = None
        self.width = 0

    def __call__(self, nbytes: int) -> None:
        self.done += nbytes
        now = self.clock()
        if now - self.started < self.delay or (self.drawn is not None and now - self.drawn < _REDRAW):
            return
        self.drawn = now
        self._draw()

    def _draw(self) -> None:
        read = f"{self.done / 1e6:.1f} MB"
        if self.total:
            part = min(self.done / self.total, 1.0)
            filled = int(part * _BAR)
            text = f"reading  [{'#' * filled}{'-' * (_BAR - filled)}]  {part:4.0%}  {read} of {self.total / 1e6:.1f} MB"
        else:
            text = f"reading  {read}"
        self.width = max(self.width, len(text))
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()

    def close(self) -> None:
        if self.drawn is not None:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
