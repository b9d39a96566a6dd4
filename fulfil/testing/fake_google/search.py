"""Drive's `q` search language, parsed into predicates over files."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from fulfil.testing.fake_google.drive_state import _File
from fulfil.testing.fake_google.wire import GoogleError, _parse_time

_Q_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
    r"""|(?P<op>!=|<=|>=|=|<|>|\{|\}|\(|\))"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d+)?))"""
)
_Predicate = Callable[[_File], bool]


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _q_tokens(q: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        match = _Q_TOKEN.match(q, pos)
        if not match:
            raise _unsupported_q(q, f"cannot read {q[pos:].strip()[:20]!r}")
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _unsupported_q(q: str, why: str) -> GoogleError:
    return GoogleError(
        400,
        f"Invalid Value: the fake Drive does not support this q ({why}): {q!r}. Supported: "
        "'<id>' in parents, name/mimeType =|!=|contains '...', trashed/starred =|!= true|false, "
        "createdTime/modifiedTime comparisons, (app)Properties has { key='k' and value='v' }, "
        "joined with 'and'.",
        reason="invalid",
        location="q",
    )


def _parse_q(q: str, resolve_parent: Callable[[str], str]) -> list[_Predicate]:
    tokens = _q_tokens(q)
    preds: list[_Predicate] = []
    pos = 0

    def take(kind: str | None = None, value: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise _unsupported_q(q, "unexpected end")
        tok_kind, tok_value = tokens[pos]
        if (kind and tok_kind != kind) or (value and tok_value.lower() != value.lower()):
            raise _unsupported_q(q, f"unexpected {tok_value!r}")
        pos += 1
        return tok_value

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == "word" and value.lower() in ("or", "not"):
            raise _unsupported_q(q, f"'{value}' is not supported")
        if kind == "op" and value in "()":
            raise _unsupported_q(q, "parentheses are not supported")
        if kind == "str":
            literal = _unescape(take("str"))
            take("word", "in")
            collection = take("word")
            if collection != "parents":
                raise _unsupported_q(q, f"'in {collection}' is not supported")
            parent = resolve_parent(literal)
            preds.append(partial(_in_parents, parent))
        else:
            name = take("word")
            nxt = peek()
            if name in ("appProperties", "properties") and nxt and nxt[1].lower() == "has":
                take("word", "has")
                take("op", "{")
                take("word", "key")
                take("op", "=")
                key = _unescape(take("str"))
                take("word", "and")
                take("word", "value")
                take("op", "=")
                wanted = _unescape(take("str"))
                take("op", "}")
                attr = "app_properties" if name == "appProperties" else "properties"
                preds.append(partial(_has_property, attr, key, wanted))
            else:
                preds.append(_field_predicate(q, name, take))
        if pos < len(tokens):
            nxt = peek()
            if nxt and nxt[1].lower() in ("or", "not"):
                raise _unsupported_q(q, f"'{nxt[1]}' is not supported")
            take("word", "and")
            if pos >= len(tokens):
                raise _unsupported_q(q, "nothing after 'and'")
    return preds


def _in_parents(parent: str, f: _File) -> bool:
    return parent in f.parents


def _has_property(attr: str, key: str, wanted: str, f: _File) -> bool:
    return bool(getattr(f, attr).get(key) == wanted)


def _field_predicate(q: str, name: str, take: Callable[..., str]) -> _Predicate:
    op = take()
    if name in ("name", "mimeType"):
        attr = "name" if name == "name" else "mime_type"
        value = _unescape(take("str"))
        if op == "=":
            return lambda f: getattr(f, attr) == value
        if op == "!=":
            return lambda f: getattr(f, attr) != value
        if op.lower() == "contains":
            return lambda f: value.lower() in getattr(f, attr).lower()
        raise _unsupported_q(q, f"operator {op!r} on {name}")
    if name in ("trashed", "starred"):
        literal = take("word").lower()
        if literal not in ("true", "false"):
            raise _unsupported_q(q, f"{name} compares with true or false")
        wanted = literal == "true"
        if op == "=":
            return lambda f: getattr(f, name) is wanted
        if op == "!=":
            return lambda f: getattr(f, name) is not wanted
        raise _unsupported_q(q, f"operator {op!r} on {name}")
    if name in ("createdTime", "modifiedTime"):
        attr = "created" if name == "createdTime" else "modified"
        moment = _parse_time(_unescape(take("str")))
        compare: dict[str, Callable[[float, float], bool]] = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        if op not in compare:
            raise _unsupported_q(q, f"operator {op!r} on {name}")
        check = compare[op]
        return lambda f: check(getattr(f, attr), moment)
    raise _unsupported_q(q, f"the field {name!r}")
