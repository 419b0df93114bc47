"""The native validator in front of a :class:`~..fastpath.DriftGate`."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from ..fastpath import _HEAD, _TOP_KEYS, MAX_GATED_DISTRIBUTIONS, DriftGate, Pass
from . import load

#: What the engine answers for a line it needs a program for (see _native.c).
ASK_GATE = -3
_GATES: weakref.WeakKeyDictionary[DriftGate, NativeGate | None] = weakref.WeakKeyDictionary()


def native_gate(gate: DriftGate) -> NativeGate | None:
    """The native validator in front of *gate* (one per gate), or None for the Python engine."""
    if gate not in _GATES:
        module = load()
        _GATES[gate] = None if module is None else NativeGate(gate, module.Engine)
    return _GATES[gate]


class NativeGate:
    """Lets through, in C, the lines *gate* would let through; refers the others to it.

    A line whose event (bare data, distribution name) it has no program for
    yet comes back to :meth:`judge`, which compiles the program from the
    contract and judges the line again. The gate's own msgspec types (35 ms
    for the three events of a typical log, before the first line) are built
    only for an event the engine cannot take: then the gate reads its lines,
    and :meth:`sync` teaches the engine what the gate compiled. It counts the
    clean lines of each :class:`Pass`; :meth:`take` hands the counts out.
    """

    def __init__(self, gate: DriftGate, engine: Any) -> None:
        self.gate = gate
        # The gate's private state is read here on purpose: the programs are compiled from what it uses.
        self.engine = engine(gate._envelopes, gate.event is not None)
        self.passes: list[Pass] = []
        self._events: set[str] = set()
        self._distributions: set[tuple[str, str]] = set()
        self._programs: dict[str, int] = {}
        #: Gated events the engine has no program for: the gate reads their lines.
        self._unsupported: set[str] = set()
        self._bare_programs: set[str] = set()
        self._bare = {event: (found, expected, allowed) for found, event, expected, allowed in gate._bare}
        self.sync()

    def scan(self, buf: bytes, start: int, stop: int) -> tuple[int, list[int]]:
        """(lines, referred) of the lines of `buf[start:stop]`; see the extension's `scan`."""
        lines: int
        referred: list[int]
        lines, referred = self.engine.scan(buf, start, stop)
        return lines, referred

    def check_span(self, buf: bytes, view: memoryview, start: int, end: int) -> Pass | None:
        """The pass of the clean line `buf[start:end]`, or None (as :meth:`DriftGate.check_span`), counting nothing."""
        line = buf[start:end]
        index: int = self.engine.check(line)
        if index >= 0:
            return self.passes[index]
        return self.judge(buf, view, start, end) if index == ASK_GATE else None

    def judge(self, buf: bytes, view: memoryview, start: int, end: int) -> Pass | None:
        """The pass of a line the engine asked about (it had no program for it), or None: not proven clean.

        What the line needs is compiled, and the engine judges it again; a line
        of an event the engine cannot take is read by the gate instead.
        """
        line = buf[start:end]
        learned = self._learn(line)
        if learned is None:
            return None
        if learned:
            index: int = self.engine.check(line)
            return self.passes[index] if index >= 0 else None
        found = self.gate.check_span(buf, view, start, end)
        self.sync()  # the gate may have compiled an event the engine can take on
        return found

    def _learn(self, line: bytes) -> bool | None:
        """Compile what *line* needs: True when the engine has it now, False when the engine cannot take
        its event (the gate reads the line), None when no gate would let the line through.

        The event is found as the gate finds it (:meth:`DriftGate.check_span`),
        from the envelope's `type` (a distribution's `event.type`), or for bare
        data from the one event whose keys it fits.
        """
        gate = self.gate
        if b'"data":' in line:
            if not gate._envelopes:
                return None
            try:
                head = _HEAD.decode(line)
            except Exception:  # not JSON: the detailed path explains it
                return None
            if head.source.__class__ is dict and head.source.get("object") == "distribution":
                named = head.event.get("type") if head.event.__class__ is dict else None
                if named.__class__ is not str or head.type.__class__ is not str:
                    return None
                event = gate.event or named
                learned = self._program(event)
                return self._distribution(event, head.type) if learned else learned
            event = gate.event or head.type
            return self._program(event) if event.__class__ is str else None
        if not self._bare:
            return None
        try:
            keys = _TOP_KEYS.decode(line).keys()
        except Exception:  # as above
            return None
        for event, (_, expected, allowed) in self._bare.items():
            if keys >= expected and keys <= allowed:  # no other event accepts these keys (DriftGate._bare_ok)
                learned = self._program(event)
                return event in self._bare_programs if learned else learned
        return None

    def _program(self, event: str) -> bool | None:
        """Whether the engine has a program for *event* (compiled now if need be); None: not a gated event."""
        if event in self._programs:
            return True
        if event in self._unsupported:
            return False
        gate = self.gate
        if event not in gate._events or gate._contract_of(event).root.values is not None:
            return None  # the gate lets no line of it through either
        self._events.add(event)
        self._add_event(event)
        self.engine.bare_complete(self._bare.keys() <= self._bare_programs)
        if event not in self._programs:
            self._unsupported.add(event)
            return False
        return True

    def _distribution(self, event: str, name: str) -> bool | None:
        """A pass for the distribution *name* of *event* (at most MAX_GATED_DISTRIBUTIONS names, as the gate)."""
        distributions = self.gate._distributions
        if (event, name) not in distributions:
            if len(distributions) >= MAX_GATED_DISTRIBUTIONS:
                return None
            distributions[(event, name)] = Pass(event, 0, "distribution", name)
        self.sync()
        return True

    def take(self) -> Iterator[tuple[Pass, int]]:
        """The clean lines counted since the last call, per pass."""
        for found, count in zip(self.passes, self.engine.take_counts(), strict=True):
            if count:
                yield found, count

    def sync(self) -> None:
        """Compile the programs of the events the gate has compiled since the last call."""
        gate = self.gate
        if not gate._compiled.keys() <= self._events:
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
