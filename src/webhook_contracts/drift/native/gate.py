"""The native validator in front of a :class:`~..fastpath.DriftGate`."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from ..fastpath import DriftGate, Pass
from . import load

_GATES: weakref.WeakKeyDictionary[DriftGate, NativeGate | None] = weakref.WeakKeyDictionary()


def native_gate(gate: DriftGate) -> NativeGate | None:
    """The native validator in front of *gate* (one per gate), or None for the Python engine."""
    if gate not in _GATES:
        module = load()
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
        self._bare_programs: set[str] = set()
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
        # A bare line that fits no program here goes to the gate until every bare event has one.
        self.engine.bare_complete(self._bare.keys() <= self._bare_programs)
        if len(gate._distributions) != len(self._distributions):
            for (event, name), found in list(gate._distributions.items()):
                if (event, name) in self._distributions:
                    continue
                self._distributions.add((event, name))
                if event in self._programs:
                    named = b"" if gate.event is not None else event.encode()
                    self.engine.distribution_pass(named, name.encode(), self._pass(found))

    def _pass(self, found: Pass) -> int:
        index: int = self.engine.add_pass()
        self.passes.append(found)
        return index

    def _add_event(self, event: str) -> None:
        from .program import Unsupported, bare_program, root_program

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
            self._bare_programs.add(event)


__all__ = ["NativeGate", "native_gate"]
