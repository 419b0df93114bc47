"""The walker's tree for the extension's tree walker (:class:`_native.Walker`).

The lines the native validator refers are decoded and walked by
:mod:`..walker`; on traffic where every payload drifts, that walk is most of
the cost, and most of it is spent on values that turn out fine. The
extension's walker takes the same steps over the decoded payload and hands
every value it does not settle itself to :func:`..walker._step`, at the same
point of the walk: the Python code still makes every finding, in the same
order, so reports are the reference walker's to the byte.

It settles, per node of :class:`..walker.Node`:

- values of a type the node settles (:attr:`Node.settled`);
- strings whose checks (format, identifier prefix, tag, enum) all hold, where
  the format is one the extension judges exactly (:data:`.program.FORMATS`)
  and the tag is a string;
- objects with fields (not maps or open objects) and arrays whose items have
  a node, walked value by value, within :data:`..walker.MAX_DEPTH`.

Each node becomes one tuple:
``(node, path, settled, flags, format, prefix, tag, enum, children, expected, items, expected here)``.
"""

from __future__ import annotations

from typing import Any

from ..walker import Node, missing_finding
from .program import FORMATS

#: Bits of the Python types a node settles, as the extension reads them.
TYPE_BITS: dict[type, int] = {str: 1, int: 2, float: 4, bool: 8, type(None): 16, dict: 32, list: 64}
STRINGS, STRUCT, LIST, MAP, OPEN, NUMBERS = 1, 2, 4, 8, 16, 32

__all__ = ["walker_nodes"]


def walker_nodes(root: Node) -> tuple[tuple[Any, ...], ...]:
    """The nodes of the tree under *root*, root first, as the extension's walker takes them."""
    order: list[Node] = []
    index: dict[int, int] = {}

    def number(node: Node) -> int:
        """The index of *node*, numbering it and the nodes below it on first sight."""
        if id(node) not in index:
            index[id(node)] = len(order)
            order.append(node)
            for child in node.children.values():
                number(child)
            if node.items is not None:
                number(node.items)
            if node.values is not None:
                number(node.values)
        return index[id(node)]

    number(root)
    # Whether each node's key is one its parent expects: an object with fields counts the expected keys
    # it meets, and looks for the missing ones only when the count falls short.
    expected_here = {id(child) for node in order for key, child in node.children.items() if key in node.expected}
    return tuple(_node(node, number, id(node) in expected_here) for node in order)


def _node(node: Node, number: Any, expected_here: bool) -> tuple[Any, ...]:
    spec = node.spec
    settled = sum(bit for kind, bit in TYPE_BITS.items() if kind in node.settled)
    flags = 0
    strings = _strings(node)
    fmt, prefix, tag, enum = strings if strings is not None else (0, None, None, None)
    if strings is not None:
        flags |= STRINGS
    children: dict[str, int] | None = None
    expected: tuple[tuple[str, tuple[str, str, str, str]], ...] = ()
    items = -1
    # What walker._step does with a dict: _walk_object where the node opens objects, and at a node
    # without a spec (the root) through _walk.
    if node.opens_objects or (spec is None and not node.free_form):
        if node.values is not None:
            flags |= MAP
            items = number(node.values)
        elif not node.children:
            flags |= OPEN
        else:
            flags |= STRUCT
            children = {key: number(child) for key, child in node.children.items()}
            expected = tuple((key, missing_finding(node.children[key])) for key in sorted(node.expected))
    if (
        node.items is not None
        and not node.free_form
        and (spec is None or node.accepts is None or "array" in node.accepts)
    ):
        flags |= LIST
        items = number(node.items)
    if spec is not None and node.accepts is not None and "number" in node.accepts and node.enum is None:
        flags |= NUMBERS
    return (node, node.path, settled, flags, fmt, prefix, tag, enum, children, expected, items, expected_here)


def _strings(node: Node) -> tuple[int, bytes | None, bytes | None, tuple[bytes, ...] | None] | None:
    """(format, prefix, tag, enum) of the strings the extension judges at *node*; None: Python judges them."""
    spec = node.spec
    if spec is None or not node.checks_strings or (spec.format is not None and spec.format not in FORMATS):
        return None
    try:
        return (
            FORMATS.get(spec.format or "", 0),
            node.prefix.encode() if node.prefix is not None else None,
            spec.const.encode() if spec.const is not None else None,
            tuple(sorted(v.encode() for v in node.enum if isinstance(v, str))) if node.enum is not None else None,
        )
    except UnicodeEncodeError:  # a lone surrogate in the contract: no UTF-8 to compare with
        return None
