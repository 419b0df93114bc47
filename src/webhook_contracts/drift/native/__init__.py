"""The native validator in front of the drift fast path, and the choice of engine.

The C extension (:file:`_native.c`) walks the raw bytes of each line against
a program compiled from the contract (:mod:`.program`) and answers "clean" or
"refer", building no Python object for a clean line. Whatever it refers
takes the Python path as before: the msgspec gate, then the walker. It is
built with the package (a hatch build hook); when it is not built or cannot
be imported, or the environment sets `WEBHOOK_CONTRACTS_NATIVE=0`, the
Python path reads every line, with the same reports, more slowly.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from ..fastpath import DriftGate, Pass

#: Set to "0" to force the Python engine (the reports are the same).
ENV = "WEBHOOK_CONTRACTS_NATIVE"
_LOADED: list[tuple[ModuleType | None, str]] = []


def _load() -> tuple[ModuleType | None, str]:
    """The extension module (None when not used), and why."""
    if not _LOADED:
        if os.environ.get(ENV, "1").strip() == "0":
            _LOADED.append((None, f"{ENV}=0"))
        else:
            try:
                from . import _native  # type: ignore[attr-defined]  # noqa: PLC0415 - built, not written

                _LOADED.append((_native, "C extension"))
            except ImportError as exc:
                _LOADED.append((None, f"the native validator is not available: {exc}"))
    return _LOADED[0]


def engine_name() -> str:
    """Which drift engine runs, as `drift -v` and `--version` say it."""
    module, why = _load()
    return f"native ({why})" if module is not None else f"python ({why})"


_GATES: weakref.WeakKeyDictionary[DriftGate, NativeGate | None] = weakref.WeakKeyDictionary()


def native_gate(gate: DriftGate) -> NativeGate | None:
    """The native validator in front of *gate* (one per gate), or None for the Python engine."""
    if gate not in _GATES:
        module, _ = _load()
        _GATES[gate] = None if module is None else NativeGate(gate, module.Engine)
    return _GATES[gate]


class NativeGate:
    """Lets through, in C, the lines *gate* would let through; refers the others to it.

    It knows the events the gate has compiled so far (:meth:`sync` teaches it
    those the gate compiles as it meets them) and counts the clean lines of each
    :class:`Pass`; :meth:`take` hands the counts out.
    """

    def __init__(self, gate: DriftGate, engine: Any) -> None:
        self.gate = gate
        # The gate's private state is read here on purpose: the programs are compiled from what it uses.
        self.engine = engine(gate._envelopes, gate.event is not None)
        self.passes: list[Pass] = []
        self._events: set[str] = set()
        self._distributions: set[tuple[str, str]] = set()
        self._programs: dict[str, int] = {}
        self._bare = {event: (found, expected, allowed) for found, event, expected, allowed in gate._bare}
        self.sync()

    def scan(self, buf: bytes, start: int, stop: int) -> tuple[int, list[int]]:
        """(lines, referred) of the lines of `buf[start:stop]`; see the extension's `scan`."""
        lines: int
        referred: list[int]
        lines, referred = self.engine.scan(buf, start, stop)
        return lines, referred

    def take(self) -> Iterator[tuple[Pass, int]]:
        """The clean lines counted since the last call, per pass."""
        for found, count in zip(self.passes, self.engine.take_counts(), strict=True):
            if count:
                yield found, count

    def sync(self) -> None:
        """Compile the programs of the events the gate has compiled since the last call."""
        gate = self.gate
        if len(gate._compiled) != len(self._events):
            for event, entry in list(gate._compiled.items()):
                if event not in self._events:
                    self._events.add(event)
                    if entry is not None:
                        self._add_event(event)
        if len(gate._distributions) != len(self._distributions):
            for (event, name), found in list(gate._distributions.items()):
                if (event, name) in self._distributions:
                    continue
                self._distributions.add((event, name))
                if event in self._programs:
                    named = b"" if gate.event is not None else event.encode()
                    self.engine.distribution_pass(named + b"\0" + name.encode(), self._pass(found))

    def _pass(self, found: Pass) -> int:
        index: int = self.engine.add_pass()
        self.passes.append(found)
        return index

    def _add_event(self, event: str) -> None:
        from .program import Unsupported, bare_program, root_program  # noqa: PLC0415 - with the first event

        gate = self.gate
        root = gate._contract_of(event).root
        try:
            program: int = self.engine.add_program(root_program(root))
        except Unsupported:
            return
        self._programs[event] = program
        if gate._envelopes and gate.event is None:
            self.engine.webhook(event.encode(), program, self._pass(Pass(event, 0, "webhook")))
            self.engine.distribution(event.encode(), program)
        elif gate._envelopes and event == gate.event:
            self.engine.fixed(program, self._pass(Pass(event, 0, "webhook")))
        if event in self._bare:
            found, expected, allowed = self._bare[event]
            try:
                bare = self.engine.add_program(bare_program(root, expected, allowed))
            except Unsupported:
                return
            self.engine.bare(bare, self._pass(found))


__all__ = ["ENV", "NativeGate", "engine_name", "native_gate"]
