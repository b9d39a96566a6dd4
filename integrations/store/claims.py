"""Claims: a row is taken by one owner for a lease before its side effect, so two processes (or
machines) never both do it. The owner names its host and process, so a rerun on the same host
takes over at once from a process that died; another host waits for the lease to run out."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

LEASE = timedelta(minutes=10)
_HOST = socket.gethostname()[:100]
_NONCE = uuid.uuid4().hex[:8]


def me() -> str:
    """This process as a claim owner (host:pid:nonce; the pid is read each call, as after fork)."""
    return f"{_HOST}:{os.getpid()}:{_NONCE}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_owners(owners: Iterable[str]) -> list[str]:
    """Owners on this host whose process is gone: their claims can be taken now."""
    dead = []
    for owner in set(owners):
        rest = owner.split(":")
        if len(rest) < 3 or not rest[-2].isdigit():
            continue
        host = ":".join(rest[:-2])
        if host == _HOST and owner != me() and not _alive(int(rest[-2])):
            dead.append(owner)
    return dead


def insert_or_skip(conn: Connection, table: Table, row: dict[str, Any]) -> None:
    """Insert `row` unless its key exists: a second process inserting the same key is no error."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values(row).on_conflict_do_nothing())
