"""Partial scans and their merge: the one reduction of `--jobs` and `--dask`.

A task reads one input, or one byte range of a plain NDJSON input, into a
scanner of its own; its line numbers count from the start of what it read.
A :class:`Partial` is the scan of a run of consecutive tasks with the lines it
read of each file, and :meth:`Partial.merge` appends the partial that follows
it, shifting the later one's line numbers by the lines read before them in
the same file. The merge is associative: any grouping of the partials of any
cutting of the input gives the report one scanner reading it all gives (below
the grouping limits, `max-groups`; examples and listed lines are capped, so a
partial stays bounded whatever it read). Line numbers are told apart by file,
so for an input list that names a file twice the law holds for the order the
engines merge in, each partial after all those before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .scanner import DriftScanner


@dataclass
class Partial:
    """The scan of consecutive tasks, and the lines read of each file (the last line's number)."""

    scanner: DriftScanner
    #: Lines read of each file, since its last task that started at its first byte.
    lines: dict[str, int] = field(default_factory=dict)
    #: Files whose first task here starts at their first byte (a file given twice is read twice).
    starts: set[str] = field(default_factory=set)

    @classmethod
    def of_task(cls, scanner: DriftScanner, file: str, lines: int, start: int) -> Partial:
        """The partial of one task that read *lines* lines of *file* from byte *start* on."""
        return cls(scanner, {file: lines}, {file} if start == 0 else set())

    def merge(self, later: Partial) -> Partial:
        """This partial followed by *later* (which is used up); returns this one."""
        before = {name: count for name, count in self.lines.items() if name not in later.starts}
        self.scanner.merge(later.scanner, before)
        for name, count in later.lines.items():
            if name not in self.lines:
                self.starts.update(later.starts & {name})
            self.lines[name] = before.get(name, 0) + count
        return self


def merge_all(first: Partial, later: Iterable[Partial]) -> Partial:
    """*first* followed by each of *later*, in order."""
    for part in later:
        first.merge(part)
    return first
