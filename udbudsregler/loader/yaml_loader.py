"""The strict YAML loader: plain data plus the position of every node.

The loader reads one YAML text into plain Python data (``dict`` with text
keys, ``list``, ``str``, ``int``, ``bool``, ``None``) and a
:class:`~udbudsregler.loader.locate.PositionMap` that keeps, for each path
from the root, where the node is in the file.

It is stricter than YAML needs to be, because a policy is data that people
review: plain scalars are typed by a small core schema (``true``/``false``,
``null``/``~``/empty, base-10 integers; everything else is text, so
``2019-02-01``, ``1.5`` and ``no`` stay text); duplicate keys, tags, keys
that are not text, several documents and alias bombs are reported as
diagnostics (codes UDB101-UDB113) instead of being silently accepted.

PyYAML does the scanning and parsing. The composition of nodes is done here,
iteratively, so that the depth limit holds before Python's own recursion
limit does, aliases keep their position, and no constructor ever runs: a
``!!python/object`` tag is a diagnostic, never a call. Nothing is registered
on PyYAML's shared loader classes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, cast

import yaml
from yaml.error import Mark, MarkedYAMLError
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.reader import ReaderError
from yaml.tokens import TagToken

from udbudsregler.diagnostics import DiagnosticBag, Span
from udbudsregler.loader.locate import NodeInfo, NodePath, PositionMap, position_at, span_from_marks

__all__ = ["DEFAULT_LIMITS", "Limits", "load_yaml_text"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits that keep a hostile or mistaken file from exhausting memory or time."""

    #: Largest file, in bytes of UTF-8 (UDB105).
    max_bytes: int = 1_048_576
    #: Deepest nesting of mappings and lists; the top-level mapping is level 1 (UDB106).
    max_depth: int = 64
    #: Most nodes (keys and values) the document may expand to, an alias counting as
    #: its anchor's whole subtree (UDB104).
    max_nodes: int = 10_000
    #: Most list elements one decision may visit in its loops, each loop counting the
    #: length of its list (UDB706 at evaluation).
    evaluation_steps: int = 1_000_000
    #: The folder every base policy named by `extends:` must be inside (UDB114). None:
    #: the top of the checkout the policy is in (the nearest folder above the policy's
    #: folder with a `.git`), else the folder that holds the policy's folder. A service
    #: that checks policies it does not trust sets it.
    policy_root: str | None = None


#: The limits used when a caller gives none.
DEFAULT_LIMITS: Final = Limits()

_STR: Final = "tag:yaml.org,2002:str"
_NULL: Final = "tag:yaml.org,2002:null"
_BOOL: Final = "tag:yaml.org,2002:bool"
_INT: Final = "tag:yaml.org,2002:int"
_TRUE: Final = frozenset({"true", "True", "TRUE"})


class _TooDeep(Exception):
    """The scanner met a `[` or `{` nested deeper than the limit, at ``mark``."""

    def __init__(self, mark: Mark) -> None:
        super().__init__(mark)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """PyYAML's scanner and parser, with the policy language's own scalar resolvers.

    The resolver tables are this class's own (PyYAML copies on first write
    only when the class has none), so loading a policy changes nothing
    global. Tag tokens are recorded as they are scanned, to report them at
    their exact position.
    """

    yaml_implicit_resolvers = {}  # noqa: RUF012 - PyYAML's class-level table, our own copy
    yaml_path_resolvers = {}  # noqa: RUF012

    def __init__(self, text: str, max_depth: int) -> None:
        super().__init__(text)
        self.tag_tokens: list[TagToken] = []
        self.max_depth = max_depth

    def scan_tag(self) -> TagToken:
        token = super().scan_tag()
        self.tag_tokens.append(token)
        return token

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # The scanner reads nested `[`/`{` ahead of the parser and slows down
        # quadratically with their depth; stop it as soon as the depth is too much.
        # ``indents`` holds one level per enclosing block collection.
        mark = self.get_mark()
        super().fetch_flow_collection_start(TokenClass)
        if self.flow_level + len(self.indents) > self.max_depth:
            raise _TooDeep(mark)

    def next_event(self) -> Event:
        event: Event = self.get_event()  # type: ignore[no-untyped-call]
        return event

    def peek_next(self) -> Event:
        event: Event = self.peek_event()  # type: ignore[no-untyped-call]
        return event


class _Fallback(Exception):
    """The fast parser met something only the Python parser reports exactly (a tag)."""


class _FastEvents:
    """libyaml's parser (PyYAML's C extension) with the interface the composer uses.

    Used for texts that load without a diagnostic: anything the composer would report
    (a tag, a syntax error, a limit) makes :func:`load_yaml_text` read the text again with
    the Python parser, whose marks and messages the diagnostics are written for. For the
    rest the two give the same events, values and character positions (a test compares
    them on every YAML file of the repository).
    """

    tag_tokens: list[TagToken] = []  # noqa: RUF012 - never filled: a tag means a fallback

    def __init__(self, text: str) -> None:
        assert _CParser is not None
        self._parser = _CParser(text)
        self.check_event = self._parser.check_event

    def next_event(self) -> Event:
        event: Event = self._parser.get_event()
        return event

    def peek_next(self) -> Event:
        event: Event = self._parser.peek_event()
        return event

    def resolve(self, kind: Any, value: str, implicit: Any) -> str:
        return cast(str, _Loader.resolve(_RESOLVER, kind, value,  # type: ignore[no-untyped-call]
                                         implicit))

    def dispose(self) -> None:
        self._parser.dispose()


_CParser: Any
try:  # PyYAML's wheels carry libyaml; a build without it uses the Python parser only
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover
    _CParser = None


def _register_resolvers() -> None:
    """The core-like schema of plain scalars: everything not listed here is text."""
    for tag, pattern, first in (
        (_BOOL, r"(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF"),
        (_NULL, r"(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""]),
        (_INT, r"[-+]?(?:0|[1-9][0-9]*)\Z", "-+0123456789"),  # no leading zeros, base 10
    ):
        _Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))


_register_resolvers()
#: A resolver with the policy language's scalar rules, for the fast parser's events.
_RESOLVER: Final = yaml.resolver.BaseResolver.__new__(_Loader)


# -- composed nodes ----------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Scalar:
    value: str
    style: str | None
    tag: str
    start: Mark
    end: Mark


@dataclass(eq=False, slots=True)
class _Collection:
    is_mapping: bool
    start: Mark
    end: Mark
    items: list[_Node]  # for a mapping: key, value, key, value, ...


@dataclass(eq=False, slots=True)
class _Alias:
    name: str
    target: _Scalar | _Collection
    start: Mark
    end: Mark


_Node = _Scalar | _Collection | _Alias


class _Stop(Exception):
    """Reading this file cannot go on; the reason is already in the bag."""


def _marks(event: Event) -> tuple[Mark, Mark]:
    return cast(Mark, event.start_mark), cast(Mark, event.end_mark)


# -- syntax error messages ---------------------------------------------------------

_TOKEN_NAMES: Final = {
    "<block end>": "the end of an indented block",
    "<block mapping start>": "a new indented mapping",
    "<block sequence start>": "a new indented list",
    "<scalar>": "a value",
    "<stream end>": "the end of the file",
    "<document start>": "`---`",
    "<document end>": "`...`",
    "<alias>": "an alias `*`",
    "<anchor>": "an anchor `&`",
    "<tag>": "a tag `!`",
    "<directive>": "a `%` directive",
}

_INDENT_HINT: Final = ("line the key up with the other keys of its mapping, and each `-` with "
                       "the other items of its list; indent with spaces only")
_QUOTE_HINT: Final = "quote the whole value, e.g. `when: \"a: b\"`"


def _describe_found(text: str) -> str:
    """A readable name for what PyYAML says it found (``'<scalar>'``, ``'-'``, ``'\\t'``)."""
    match = re.search(r"(?:found|got)[^'\"]*('.*?'|\".*?\")", text)
    if match is None:
        return "this"
    found = match.group(1)[1:-1]
    if found in _TOKEN_NAMES:
        return _TOKEN_NAMES[found]
    names = {"\\t": "a tab", "\\x00": "the end of the file", "": "the end of the file",
             "\\n": "the end of the line", "\\r": "the end of the line", "`": "a backquote"}
    return names.get(found, f"`{found}`")


def _explain(err: MarkedYAMLError) -> tuple[str, str, str | None, Mark | None]:
    """Code, message, hint and position of a PyYAML syntax error, in the house style.

    Unclosed brackets and quotes point at the opening character, where the
    author must look; PyYAML's own position is where it noticed.
    """
    problem = err.problem or ""
    context = err.context or ""
    at = err.problem_mark or err.context_mark
    found = _describe_found(problem)
    if problem == "mapping values are not allowed here":
        return ("UDB101", "`: ` is not allowed inside an unquoted value",
                f"{_QUOTE_HINT}; if this line is a key, check its indentation", at)
    if problem.startswith("found character") and "cannot start any token" in problem:
        if found == "a tab":
            return "UDB101", "a tab is used for indentation", "indent with spaces only", at
        return ("UDB101", f"a value cannot start with {found}",
                "quote the value, e.g. `note: \"@home\"`", at)
    if context.startswith("while scanning a quoted scalar"):
        return ("UDB101", "a quoted value is not closed",
                "add the closing quote; inside single quotes write `''` for a quote, inside "
                "double quotes `\\\"`", err.context_mark or at)
    if problem.startswith("found unknown escape character"):
        escape = "`\\" + found[1:] if found.startswith("`") else found
        if at is not None and at.column > 0:  # point at the backslash, not the letter after it
            at = Mark(at.name, at.index - 1, at.line, at.column - 1, None, 0)
        return ("UDB101", f"unknown escape {escape} in double-quoted text",
                "write `\\\\` for a backslash, or use single quotes, in which `\\` is plain text",
                at)
    if context.startswith("while scanning a double-quoted scalar"):
        return ("UDB101", "a `\\x`, `\\u` or `\\U` escape needs hexadecimal digits",
                "write e.g. `\\u00e6`, or use single quotes", at)
    if problem == "could not find expected ':'":
        return ("UDB101", "a line in a mapping has no `:` after its key",
                "write `key: value`, or indent the line further to continue the value above",
                err.context_mark or at)
    if problem.startswith("expected <block end>"):
        return ("UDB101", f"the indentation does not match the lines above ({found} here)",
                _INDENT_HINT, at)
    if problem.startswith("expected ',' or ']'"):
        return ("UDB101", "a `[` list is not closed, or its items are not separated by `,`",
                "an expression that starts with `[` must be quoted", err.context_mark or at)
    if problem.startswith("expected ',' or '}'"):
        return ("UDB101", "a `{` mapping is not closed, or its entries are not separated by `,`",
                "an expression that starts with `{` must be quoted", err.context_mark or at)
    if problem.startswith("expected the node content"):
        return "UDB101", f"a value is missing before {found}", None, at
    if problem == "sequence entries are not allowed here":
        return ("UDB101", "a list item `- ` is not allowed here",
                "start the list on the next line, indented, or quote the value", at)
    if problem == "mapping keys are not allowed here":
        return "UDB101", "`? ` is not allowed here", "quote the value", at
    if problem.startswith("expected alphabetic or numeric character"):
        what = "an alias `*`" if "alias" in context else "an anchor `&`"
        return ("UDB101", f"{what} must be followed by a name",
                "quote a value that starts with `*` or `&`", at)
    if context.startswith("while scanning a block scalar"):
        return ("UDB101", "the line of a `|` or `>` text must end after the indicator",
                "start the text on the next line, indented; only `-`, `+` or a digit may "
                "follow `|` or `>`", at)
    if problem.startswith("found undefined tag handle"):
        return "UDB103", f"the tag handle {found} is not declared", None, at
    if problem.startswith("expected '<document start>'"):  # text after a `...` end marker
        return ("UDB110", "a second YAML document starts here",
                "remove the `...` end marker above; use `include:` for several files", at)
    if problem.startswith("found unexpected document separator"):
        return ("UDB101", "a quoted value is not closed before `---`", None,
                err.context_mark or at)
    message = problem or context or "the file is not valid YAML"
    for token, name in _TOKEN_NAMES.items():
        message = message.replace(f"'{token}'", name).replace(token, name)
    message = re.sub(r"'([^']+)'", r"`\1`", message)
    return "UDB101", message[:1].lower() + message[1:], None, at


# -- reading one document ----------------------------------------------------------


_TAG_TEXT_HINT: Final = "remove the tag; to make a value text, put it in quotes"


class _Document:
    """One YAML text being loaded: composition, checks, and conversion to plain data."""

    def __init__(self, text: str, display: str, bag: DiagnosticBag, limits: Limits,
                 fast: bool = False) -> None:
        self.fast = fast
        self.text = text
        self.display = display
        self.bag = bag
        self.limits = limits
        self.usable = True
        self.count = 0
        self.aliases: list[_Alias] = []
        self.positions: dict[NodePath, NodeInfo] = {}

    # diagnostics

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None,
              notes: Iterable[tuple[str, Span | None]] = (), fatal: bool = False) -> None:
        self.bag.error(code, message, span, hint, notes)
        if fatal:
            self.usable = False

    def span(self, start: Mark, end: Mark | None = None) -> Span:
        return span_from_marks(self.display, start, end)

    def source(self, start: Mark, end: Mark) -> str:
        return self.text[start.index : end.index]

    # loading

    def load(self) -> tuple[Any, PositionMap] | None:
        loader: Any
        try:
            loader = (_FastEvents(self.text) if self.fast
                      else _Loader(self.text, self.limits.max_depth))
        except ReaderError as err:
            self._reader_error(err)
            return None
        except yaml.YAMLError:  # pragma: no cover - the reader raises nothing else here
            self.error("UDB101", "the file is not valid YAML", Span(self.display, 1, 1))
            return None
        try:
            root = self._compose(loader)
            if root is None:
                return None
            if not isinstance(root, _Collection) or not root.is_mapping:
                self._not_a_mapping(root)
                return None
            data = self._value(root, (), None, 0, True)
        except ReaderError as err:
            self._reader_error(err)
            return None
        except MarkedYAMLError as err:
            code, message, hint, mark = _explain(err)
            span = self.span(mark) if mark is not None else Span(self.display, 1, 1)
            self.error(code, message, span, hint)
            return None
        except yaml.YAMLError as err:  # pragma: no cover - defensive
            self.error("UDB101", str(err).splitlines()[0].lower(), Span(self.display, 1, 1))
            return None
        except _Stop:
            return None
        except _TooDeep as err:
            self._too_deep(err.mark)
            return None
        except RecursionError:  # pragma: no cover - only with a max_depth in the thousands
            self.error("UDB106", "the document is nested too deeply to read",
                       Span(self.display, 1, 1))
            return None
        finally:
            loader.dispose()
        if not self.usable:
            return None
        return data, PositionMap(self.positions)

    def _reader_error(self, err: ReaderError) -> None:
        line, column = position_at(self.text, int(err.position))
        character = err.character
        what = f"U+{character:04X}" if isinstance(character, int) else f"`{character!r}`"
        self.error("UDB101", f"the character {what} is not allowed in a YAML file",
                   Span(self.display, line, column),
                   "remove the control character; it may come from text copied from another "
                   "program")

    def _too_deep(self, mark: Mark) -> None:
        self.error("UDB106", f"this is nested more than {self.limits.max_depth} levels deep",
                   self.span(mark), fatal=True)

    def _not_a_mapping(self, root: _Node) -> None:
        if isinstance(root, _Scalar) and root.value == "" and root.tag == _NULL:
            self.error("UDB109", "the file has no content", Span(self.display, 1, 1),
                       fatal=True)
            return
        if isinstance(root, _Collection):
            what = "a list"
        else:
            what = _describe_scalar(root.tag if isinstance(root, _Scalar) else _STR)
        self.error("UDB109", f"the top level of the file is {what}, not a mapping of sections",
                   self.span(root.start, root.end), fatal=True)

    # composition: events to nodes, iteratively

    def _compose(self, loader: _Loader) -> _Node | None:
        loader.next_event()  # stream start
        if loader.check_event(StreamEndEvent):
            self.error("UDB109", "the file has no content", Span(self.display, 1, 1), fatal=True)
            return None
        root = self._compose_document(loader)
        if root is not None and not loader.check_event(StreamEndEvent):
            start, _ = _marks(loader.peek_next())
            self.error("UDB110", "a second YAML document starts here", self.span(start),
                       fatal=True)
        return root

    def _compose_document(self, loader: _Loader) -> _Node | None:
        loader.next_event()  # document start
        anchors: dict[str, _Scalar | _Collection] = {}
        stack: list[_Collection] = []
        root: _Node | None = None
        while True:
            event = loader.next_event()
            if isinstance(event, CollectionEndEvent):
                done = stack.pop()
                done.end = _marks(event)[1]
                if stack:
                    continue
                break
            start, end = _marks(event)
            node: _Node
            if isinstance(event, AliasEvent):
                node = self._alias(event, anchors, stack)
            else:
                self._check_tag(loader, event)
                if isinstance(event, ScalarEvent):
                    node = self._scalar(loader, event)
                elif len(stack) >= self.limits.max_depth:
                    self._too_deep(start)
                    self._skip(loader, anchors)
                    node = _Scalar("", None, _NULL, start, end)
                else:
                    mapping = isinstance(event, MappingStartEvent)
                    node = _Collection(mapping, start, end, [])
                anchor = cast(NodeEvent, event).anchor
                if anchor is not None:
                    anchors[anchor] = node
            if stack:
                stack[-1].items.append(node)
            else:
                root = node
            if isinstance(node, _Collection) and not isinstance(event, AliasEvent):
                stack.append(node)
            elif not stack:
                break
        loader.next_event()  # document end
        return root

    def _alias(self, event: AliasEvent, anchors: dict[str, _Scalar | _Collection],
               stack: list[_Collection]) -> _Alias:
        start, end = _marks(event)
        name = event.anchor or ""
        target = anchors.get(name)
        if target is None:
            self.error("UDB101", f"the alias `*{name}` has no anchor `&{name}` before it",
                       self.span(start, end), "define the anchor before its first use")
            raise _Stop
        if any(target is open_node for open_node in stack):
            self.error("UDB104", f"the alias `*{name}` is used inside the node it refers to",
                       self.span(start, end), "an alias cannot repeat the node that contains it")
            raise _Stop
        return _Alias(name, target, start, end)

    def _scalar(self, loader: _Loader, event: ScalarEvent) -> _Scalar:
        start, end = _marks(event)
        if event.tag is not None:
            tag = _STR
        else:
            tag = loader.resolve(ScalarNode, event.value,  # type: ignore[no-untyped-call]
                                 event.implicit)
        # libyaml writes the plain style as "", the Python parser as None
        return _Scalar(event.value, event.style or None, tag, start, end)

    def _skip(self, loader: _Loader, anchors: dict[str, _Scalar | _Collection]) -> None:
        """Read past the rest of a collection that is nested too deeply."""
        level = 1
        while level:
            event = loader.next_event()
            if isinstance(event, CollectionStartEvent):
                level += 1
            elif isinstance(event, CollectionEndEvent):
                level -= 1
            if isinstance(event, (ScalarEvent, CollectionStartEvent)):
                self._check_tag(loader, event)
                if event.anchor is not None:
                    start, end = _marks(event)
                    anchors[event.anchor] = _Scalar("", None, _NULL, start, end)

    def _check_tag(self, loader: _Loader, event: Event) -> None:
        tag = getattr(event, "tag", None)
        if tag is None:
            return
        if self.fast:
            raise _Fallback
        start, end = _marks(event)
        tokens = loader.tag_tokens
        index = bisect_left(tokens, start.index, key=lambda token: token.start_mark.index)
        if index < len(tokens):
            token = tokens[index]
            start, end = token.start_mark, token.end_mark
        written = self.source(start, end) or str(tag)
        hint = None
        if tag in ("!", _STR):
            hint = _TAG_TEXT_HINT
        elif tag.startswith("tag:yaml.org,2002:") and not tag.startswith("tag:yaml.org,2002:py"):
            hint = "remove the tag; policies use plain values, lists and mappings"
        self.error("UDB103", f"the tag `{written}` is not allowed", self.span(start, end), hint)

    # conversion: nodes to plain data, with positions

    def _count(self) -> None:
        self.count += 1
        if self.count > self.limits.max_nodes and self.aliases:
            alias = self.aliases[0]
            self.error("UDB104", f"the alias `*{alias.name}` makes the document larger than "
                       f"{self.limits.max_nodes} nodes", self.span(alias.start, alias.end),
                       fatal=True)
            raise _Stop

    def _value(self, node: _Node, path: NodePath, key_span: Span | None, depth: int,
               record: bool) -> Any:
        """The plain value of ``node``, which has ``depth`` collections around it."""
        if isinstance(node, _Alias):
            self.aliases.append(node)
            try:
                return self._value(node.target, path, key_span, depth, record)
            finally:
                self.aliases.pop()
        self._count()
        span = self.span(node.start, node.end)
        if isinstance(node, _Scalar):
            if record:
                self.positions[path] = NodeInfo(span, key_span, node.style,
                                                self.source(node.start, node.end), node.value)
            return _convert(node)
        if depth >= self.limits.max_depth:  # only reachable by expanding an alias
            alias = self.aliases[0] if self.aliases else None
            where = self.span(alias.start, alias.end) if alias else span
            name = f"the alias `*{alias.name}`" if alias else "this"
            self.error("UDB106", f"{name} nests the document more than "
                       f"{self.limits.max_depth} levels deep", where, fatal=True)
            return None
        if record:
            self.positions[path] = NodeInfo(span, key_span)
        if not node.is_mapping:
            return [self._value(item, (*path, index), None, depth + 1, record)
                    for index, item in enumerate(node.items)]
        return self._mapping(node, path, depth + 1, record)

    def _mapping(self, node: _Collection, path: NodePath, depth: int,
                 record: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first: dict[str, Span] = {}
        for key_node, value_node in zip(node.items[0::2], node.items[1::2], strict=True):
            key_span = self.span(key_node.start, key_node.end)
            key = self._key(key_node, key_span)
            if key is not None and key in first:
                self.error("UDB102", f"the key `{key}` appears twice in this mapping", key_span,
                           notes=(("first defined here", first[key]),))
                key = None
            child_path = (*path, key) if key is not None else path
            value = self._value(value_node, child_path, key_span, depth,
                                record and key is not None)
            if key is not None:
                first[key] = key_span
                result[key] = value
        return result

    def _key(self, node: _Node, span: Span) -> str | None:
        """The key's text, or None (and UDB111) when the key is not text."""
        self._count()
        target = node.target if isinstance(node, _Alias) else node
        if isinstance(target, _Collection):
            what = "a mapping" if target.is_mapping else "a list"
            self.error("UDB111", f"{what} cannot be a mapping key", span)
            return None
        value = _convert(target)
        if isinstance(value, str):
            return value
        written = self.source(node.start, node.end)
        if value is None and not written.strip():
            self.error("UDB111", "a key is empty", span, "write a name before the `:`")
            return None
        what = _describe_scalar(target.tag)
        self.error("UDB111", f"the key `{written}` is {what}, not text", span,
                   f"quote the key to make it text: `\"{target.value}\":`")
        return None


def _convert(node: _Scalar) -> Any:
    if node.tag == _NULL:
        return None
    if node.tag == _BOOL:
        return node.value in _TRUE
    if node.tag == _INT:
        try:
            return int(node.value)
        except ValueError:  # more digits than Python converts
            return node.value
    return node.value


def _describe_scalar(tag: str) -> str:
    if tag == _NULL:
        return "empty (no value)"
    if tag == _BOOL:
        return "true or false"
    if tag == _INT:
        return "a number"
    return "text"


def load_yaml_text(text: str, display: str, bag: DiagnosticBag,
                   limits: Limits = DEFAULT_LIMITS) -> tuple[Any, PositionMap] | None:
    """Load one YAML text into plain data and its positions; problems go to ``bag``.

    ``display`` is the file name used in spans. Returns None when the data
    cannot be used (the file is not valid YAML, exceeds a limit, holds no
    mapping or several documents). Duplicate keys (UDB102), tags (UDB103) and
    keys that are not text (UDB111) are reported but do not make the data
    unusable: the first of two equal keys is kept, a tagged scalar is read as
    text, and an entry with a key that is not text is left out. Callers must
    check ``bag.has_errors``. Never raises for bad input.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        bag.error("UDB105", f"the file is {size} bytes, more than the limit of "
                  f"{limits.max_bytes} bytes", Span(display, 1, 1))
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if _CParser is not None:
        trial = DiagnosticBag()
        try:
            loaded = _Document(text, display, trial, limits, fast=True).load()
        except Exception:  # anything unusual: the Python parser reads it and reports it
            loaded = None
        if loaded is not None and not list(trial):
            return loaded
    return _Document(text, display, bag, limits).load()
