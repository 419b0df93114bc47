"""Scan captured traffic for drift: records in, one grouped :class:`Report` out.

For each record: unwrap the envelope, decide the event (given, the envelope's
`type`, or the best-matching contract by shape, unknown below the threshold),
check the event data against the contract revision in force (the pinned API
version, else the newest revision of the newest API version of that event)
and aggregate. Lines that are not payloads and payloads of unknown events are
counted and listed by file and line; the scan goes on.

The summary also says, per event, which revision of its API version the
traffic matches best (fewest findings), so traffic still shaped like an older
revision is recognisable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contracts.registry import Registry, Revision
from ..errors import PayloadError, RegistryError
from ..findings import DRIFT_SEVERITY, Finding, Location, Report, Severity
from ..payloads.detect import Detection, EventShape, detect_by_shape
from ..payloads.envelope import unwrap
from ..values.formats import has_format
from .aggregate import DriftAggregator, shift
from .fastpath import DriftGate, Pass
from .options import DriftOptions
from .records import Record
from .walker import CompiledContract, check_payload, compile_contract, count_findings

__all__ = [
    "MAX_DISTRIBUTIONS",
    "MAX_LISTED",
    "MAX_TRACKED_DISTRIBUTIONS",
    "DriftOptions",
    "DriftScanner",
    "scan_records",
]

#: Bad lines and unknown payloads listed by location (all are counted).
MAX_LISTED = 1000
#: Distribution names listed in the summary (the most frequent); the rest are counted together.
MAX_DISTRIBUTIONS = 50
#: Shapes of bare data whose detected event is remembered (bounded memory: forgotten all at once when full).
MAX_DETECTIONS = 4096
#: Data with more top-level keys than this is detected anew each time (a remembered shape stays small).
MAX_DETECTION_KEYS = 256
#: Distribution names counted one by one, so the most frequent are known whatever the reading order.
MAX_TRACKED_DISTRIBUTIONS = 10_000


@dataclass(frozen=True)
class _Target:
    """What the payloads of one event are checked against, resolved once per event rather than per payload."""

    api_version: str
    #: The revision in force.
    contract: CompiledContract
    #: Every revision of the event in that API version, oldest first (for revision matching).
    history: tuple[CompiledContract, ...]


@dataclass
class _EventTally:
    api_version: str
    checked: int
    payloads: int = 0
    by_shape: int = 0
    #: revision -> [clean payloads, findings]
    revisions: dict[int, list[int]] = field(default_factory=dict)


class DriftScanner:
    """Checks records one by one; :meth:`report` gives the grouped result."""

    def __init__(self, registry: Registry, options: DriftOptions | None = None) -> None:
        self.registry = registry
        self.options = options or DriftOptions()
        self.aggregator = DriftAggregator(max_groups=self.options.max_groups)
        self.records = 0
        self.unparseable: list[dict[str, Any]] = []
        self.unparseable_count = 0
        self.unknown: list[dict[str, Any]] = []
        self.unknown_count = 0
        self.inputs: dict[str, None] = {}
        self._events: dict[str, _EventTally] = {}
        self._compiled: dict[tuple[str, str, int], CompiledContract] = {}
        #: event -> where its payloads are checked, None when it has no contract in the API version.
        self._targets: dict[str, _Target | None] = {}
        self._known_events: frozenset[str] | None = None
        self._shapes: dict[str, dict[str, dict[str, Any]]] = {}
        self._event_shapes: dict[str, dict[str, EventShape]] = {}
        self._detections: dict[tuple[str, frozenset[str]], Detection] = {}
        self._severities = {k: v or Severity.INFO for k, v in self.options.severities.items()}
        #: Payloads by how they were delivered (webhook, distribution, bare, unknown envelope).
        self.deliveries: Counter[str] = Counter()
        #: Distribution name -> payloads (at most MAX_TRACKED_DISTRIBUTIONS names; the rest counted together).
        self.distributions: dict[str, int] = {}
        self.other_distributions = 0
        #: How inputs were read, when that is worth knowing ("FILE: note"), in input order.
        self.reading_notes: list[str] = []

    def feed(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def add(self, record: Record) -> None:
        """Check one record (a payload, a line that could not be read, or a note on how an input was read)."""
        if record.note is not None:
            self.reading_notes.append(f"{record.file}: {record.note}")
            return
        self.records += 1
        self.inputs.setdefault(record.file)
        if record.error is not None:
            self._bad(record, record.error)
            return
        try:
            line = None if record.line is None else str(record.line)
            unwrapped = unwrap(record.value, record.file, line, provider=self.options.provider)
        except PayloadError as exc:
            self._bad(record, exc.detail)
            return
        kind = unwrapped.kind or "bare"
        self.deliveries[kind] += 1
        if unwrapped.distribution is not None:
            self._distribution(unwrapped.distribution, 1)
        event, by_shape, reason = self._event_of(unwrapped.data, unwrapped.event)
        if event is None:
            if kind == "unknown":
                reason = f"envelope of an unknown shape, and by its data: {reason}"
            self._unknown(record, reason)
            return
        target = self._target(event)
        if target is None:
            self._unknown(record, f"no contract for {event} in API version {self.options.api_version}")
            return
        contract = target.contract
        findings = check_payload(
            unwrapped.data,
            contract,
            show_values=self.options.show_values,
            severities=self._severities,
            max_new_keys=self.options.max_new_keys,
        )
        tally = self._tally(event, target.api_version, contract.revision)
        tally.payloads += 1
        tally.by_shape += by_shape
        self._match(tally, target, unwrapped.data, len(findings))
        findings = [f for f in findings if self.options.severities.get(f.kind, Severity.WARNING) is not None]
        created = (unwrapped.envelope or unwrapped.data).get("created_at")
        # The payload's timestamp is shown where it was seen; any other text there is a payload value.
        stamp = created if isinstance(created, str) and has_format(created, "date-time") else None
        where = Location(record.file, record.line, stamp)
        self.aggregator.add(findings, where)

    def gate(self, payload_field: str | None = None) -> DriftGate:
        """A gate for the lines of clean payloads, exact for this scanner's options.

        A payload clean for the revision in force is not matched against older
        revisions (see :meth:`_match`), so every event with a contract is gated;
        each contract is compiled when the gate first meets its event.
        """
        events = [e for e in self.registry.events(self.options.api_version) if self._version(e) is not None]

        def contract_of(event: str) -> CompiledContract:
            version = self._version(event)
            assert version is not None  # only events with a contract in force are gated
            return self._contract(self.registry.latest(event, version))

        version = self.options.api_version or self.registry.latest_api_version()
        return DriftGate(
            contract_of,
            events=events,
            shapes=self._shapes_of(version),
            event=self.options.event,
            threshold=self.options.threshold,
            payload_field=payload_field,
            envelope_keys=self.options.provider.envelope_keys if self.options.provider.gate_envelopes else None,
        )

    def add_clean(self, file: str, found: Pass, count: int = 1) -> None:
        """Count *count* payloads the gate let through: what :meth:`add` does for payloads without findings."""
        self.records += count
        self.inputs.setdefault(file)
        self.deliveries[found.kind] += count
        if found.distribution is not None:
            self._distribution(found.distribution, count)
        tally = self._events.get(found.event)
        if tally is None:
            target = self._target(found.event)
            assert target is not None  # the gate only passes events with a contract
            tally = self._tally(found.event, target.api_version, target.contract.revision)
        tally.payloads += count
        tally.by_shape += found.by_shape * count
        counts = tally.revisions.get(tally.checked)
        if counts is None:
            counts = tally.revisions[tally.checked] = [0, 0]
        counts[0] += count

    def prepare(self, events: Iterable[str]) -> None:
        """Compile now every revision the payloads of *events* are checked or matched against (so that the
        workers forked after it share them)."""
        for event in sorted(events):
            self._target(event)

    def _shapes_of(self, version: str) -> dict[str, dict[str, Any]]:
        """The top level of each contract of *version* (its keys are what shape detection compares)."""
        if version not in self._shapes:
            self._shapes[version] = {
                e: self.registry.top_level(self.registry.latest(e, version)) for e in self.registry.events(version)
            }
        return self._shapes[version]

    def _event_of(self, data: dict[str, Any], envelope_type: str | None) -> tuple[str | None, int, str]:
        event = self.options.event or envelope_type
        if event is not None:
            if self._known_events is None:
                self._known_events = frozenset(self.registry.events(self.options.api_version))
            if event in self._known_events:
                return event, 0, ""
            return None, 0, f"unknown event {event!r}"
        version = self.options.api_version or self.registry.latest_api_version()
        shapes = self._event_shapes.get(version)
        if shapes is None:
            shapes = self._event_shapes[version] = {e: EventShape.of(s) for e, s in self._shapes_of(version).items()}
        detection = self._detect(version, data, shapes)
        if detection.ambiguous:
            names = detection.ambiguous
            listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            return None, 0, f"ambiguous shape: matches {listed} equally (give --event, or deliver in an envelope)"
        if detection.event is None:
            best = f"best {detection.runner_up}, " if detection.runner_up else ""
            return None, 0, f"no contract matches the shape ({best}confidence {detection.confidence:.2f})"
        return detection.event, 1, ""

    def _detect(self, version: str, data: dict[str, Any], shapes: Mapping[str, EventShape]) -> Detection:
        """:func:`detect_by_shape`, which reads only the top-level keys: data of one shape is detected once."""
        if len(data) > MAX_DETECTION_KEYS:
            return detect_by_shape(data, shapes, self.options.threshold)
        key = (version, frozenset(data))
        detection = self._detections.get(key)
        if detection is None:
            if len(self._detections) >= MAX_DETECTIONS:
                self._detections.clear()
            detection = self._detections[key] = detect_by_shape(data, shapes, self.options.threshold)
        return detection

    def _version(self, event: str) -> str | None:
        if self.options.api_version is None:
            return self.registry.latest_api_version(event)
        return self.options.api_version if self.registry.history(event, self.options.api_version) else None

    def _target(self, event: str) -> _Target | None:
        """Where the payloads of *event* are checked (resolved once), None when it has no contract."""
        if event in self._targets:
            return self._targets[event]
        version = self._version(event)
        target = None
        if version is not None:
            history = tuple(self._contract(rev) for rev in self.registry.history(event, version))
            target = _Target(version, self._contract(self.registry.latest(event, version)), history)
        self._targets[event] = target
        return target

    def _contract(self, revision: Revision) -> CompiledContract:
        key = (revision.api_version, revision.event, revision.revision)
        if key not in self._compiled:
            self._compiled[key] = compile_contract(
                self.registry.load(revision),
                event=revision.event,
                api_version=revision.api_version,
                revision=revision.revision,
                fields=self.registry.fields(revision),
            )
        return self._compiled[key]

    def _tally(self, event: str, version: str, checked: int) -> _EventTally:
        if event not in self._events:
            self._events[event] = _EventTally(version, checked)
        return self._events[event]

    def _match(self, tally: _EventTally, target: _Target, data: dict[str, Any], found: int) -> None:
        """Count how *data* fares against each revision of its API version.

        Only a payload that drifts from the revision in force can fit an older
        one better, so older revisions are matched against those payloads only:
        a clean payload is counted clean for the revision in force and costs
        nothing more (which is what lets the fast path skip it).
        """
        if found == 0:
            counts = tally.revisions.setdefault(target.contract.revision, [0, 0])
            counts[0] += 1
            return
        for rev in target.history:
            n = (
                found
                if rev.revision == target.contract.revision
                else count_findings(data, rev, self.options.max_new_keys)
            )
            counts = tally.revisions.setdefault(rev.revision, [0, 0])
            counts[0] += n == 0
            counts[1] += n

    def _distribution(self, name: str, count: int) -> None:
        if name in self.distributions or len(self.distributions) < MAX_TRACKED_DISTRIBUTIONS:
            self.distributions[name] = self.distributions.get(name, 0) + count
        else:
            self.other_distributions += count

    def _distribution_summary(self) -> dict[str, Any]:
        """The most frequent names (ties by name), whatever order they were read in; the rest counted."""
        ranked = sorted(self.distributions.items(), key=lambda item: (-item[1], item[0]))
        shown = dict(sorted(ranked[:MAX_DISTRIBUTIONS]))
        other = self.other_distributions + sum(count for _, count in ranked[MAX_DISTRIBUTIONS:])
        return {"names": shown, "other": other}

    def _bad(self, record: Record, reason: str) -> None:
        self.unparseable_count += 1
        if len(self.unparseable) < MAX_LISTED:
            self.unparseable.append({"file": record.file, "line": record.line, "reason": reason})

    def _unknown(self, record: Record, reason: str) -> None:
        self.unknown_count += 1
        if len(self.unknown) < MAX_LISTED:
            self.unknown.append({"file": record.file, "line": record.line, "reason": reason})

    def merge(self, other: DriftScanner, lines: Mapping[str, int]) -> None:
        """Append what *other* read after this scanner's input; its line numbers in each file are shifted by the
        lines of that file read before it (*lines*, by file; a file not in it is not shifted)."""
        self.records += other.records
        self.inputs.update(other.inputs)
        self.reading_notes.extend(other.reading_notes)
        self.deliveries.update(other.deliveries)
        for name, count in other.distributions.items():
            self._distribution(name, count)
        self.other_distributions += other.other_distributions
        for mine, theirs, name in (
            (self.unparseable, other.unparseable, "unparseable_count"),
            (self.unknown, other.unknown, "unknown_count"),
        ):
            room = MAX_LISTED - len(mine)
            mine.extend(
                {**item, "line": None if item["line"] is None else item["line"] + lines.get(item["file"], 0)}
                for item in theirs[: max(room, 0)]
            )
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for event, tally in other._events.items():
            into = self._tally(event, tally.api_version, tally.checked)
            into.payloads += tally.payloads
            into.by_shape += tally.by_shape
            for rev, (clean, total) in tally.revisions.items():
                counts = into.revisions.setdefault(rev, [0, 0])
                counts[0] += clean
                counts[1] += total
        self.aggregator.merge(other.aggregator, lambda where: shift(where, lines.get(where.file, 0)))

    def detach(self) -> DriftScanner:
        """An empty scanner with this one's registry, options and compiled contracts (for a worker)."""
        other = DriftScanner(self.registry, self.options)
        other._compiled = self._compiled
        other._shapes = self._shapes
        return other

    def release(self) -> None:
        """Forget the compiled contracts, so that a worker's scan travels back light."""
        self._compiled = {}
        self._targets = {}
        self._shapes = {}
        self._event_shapes = {}
        self._detections = {}

    def report(self) -> Report:
        """The grouped findings and the summary of everything read so far."""
        payloads = {(event, t.api_version): t.payloads for event, t in self._events.items()}
        findings = self.aggregator.findings(payloads)
        events = {event: self._event_summary(t) for event, t in sorted(self._events.items())}
        summary = {
            "inputs": list(self.inputs),
            "records": self.records,
            "payloads": sum(t.payloads for t in self._events.values()) + self.unknown_count,
            "events": events,
            "unparseable": {"count": self.unparseable_count, "lines": self.unparseable},
            "unknown": {"count": self.unknown_count, "lines": self.unknown},
            "groups_dropped": self.aggregator.dropped,
            "ungrouped": self.aggregator.ungrouped_summary(),
            "deliveries": dict(sorted(self.deliveries.items())),
            "distributions": self._distribution_summary(),
        }
        findings = (*findings, *self._coverage_findings())
        return Report("drift", findings, summary, tuple(self._notes(events)))

    def _coverage_findings(self) -> list[Finding]:
        """Findings about the run: nothing checked, or too much traffic that could not be checked."""
        checked = sum(t.payloads for t in self._events.values())
        unchecked = self.unparseable_count + self.unknown_count
        first = next(iter(self.inputs), "-")  # a location is one file: the first input
        out = []
        if checked == 0:
            message = (
                f"no payload was checked against a contract: {self.records} record(s), "
                f"{self.unparseable_count} unparseable, {self.unknown_count} of unknown events"
            )
            out.append(("nothing_checked", message))
        elif self.records and unchecked / self.records > self.options.max_unchecked_share:
            share = unchecked / self.records
            message = (
                f"{unchecked} of {self.records} record(s) ({share:.0%}) could not be checked: "
                f"{self.unparseable_count} unparseable, {self.unknown_count} of unknown events "
                f"(max-unchecked-share {self.options.max_unchecked_share:g})"
            )
            out.append(("unchecked_traffic", message))
        return [
            Finding(kind=kind, severity=severity, message=message, location=Location(first))
            for kind, message in out
            if (severity := self.options.severities.get(kind, DRIFT_SEVERITY[kind])) is not None
        ]

    def _event_summary(self, tally: _EventTally) -> dict[str, Any]:
        best = min(tally.revisions, key=lambda r: (tally.revisions[r][1], r != tally.checked, -r))
        return {
            "api_version": tally.api_version,
            "payloads": tally.payloads,
            "detected_by_shape": tally.by_shape,
            "revision": tally.checked,
            "best_revision": best,
            "revisions": {
                f"r{rev}": {"clean": clean, "findings": total}
                for rev, (clean, total) in sorted(tally.revisions.items())
            },
        }

    def _notes(self, events: dict[str, dict[str, Any]]) -> list[str]:
        notes = list(self.reading_notes)
        for event, info in events.items():
            if info["best_revision"] != info["revision"]:
                notes.append(
                    f"{event} {info['api_version']}: traffic matches revision r{info['best_revision']} "
                    f"better than the checked r{info['revision']}"
                )
        if self.deliveries.get("unknown"):
            notes.append(
                f"{self.deliveries['unknown']} envelope(s) of an unknown shape (a distribution without "
                "event.type): their events were detected by the data's shape"
            )
        for name, count, listed in (
            ("unparseable", self.unparseable_count, self.unparseable),
            ("unknown", self.unknown_count, self.unknown),
        ):
            if count > len(listed):
                notes.append(f"{count} {name} records, only the first {len(listed)} listed")
        if self.aggregator.dropped:
            notes.append(
                f"more than {self.aggregator.max_groups} distinct findings: {self.aggregator.dropped} more were not "
                "grouped, only counted by event, kind and severity (they count for the exit code)"
            )
        return notes


def scan_records(records: Iterable[Record], registry: Registry, options: DriftOptions | None = None) -> Report:
    """Scan *records* against the contracts of *registry*; see :class:`DriftScanner`."""
    if not registry.revisions:
        raise RegistryError(f"{registry.root}: no contracts; run `webhook-contracts regen`")
    scanner = DriftScanner(registry, options)
    scanner.feed(records)
    return scanner.report()
