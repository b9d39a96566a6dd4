"""A secret key kept in a file of its own (mode 0600), made once: two processes starting
together agree on one key, since only the first can create the file."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

GOODS_KEY_FILE = "goods.key"


def read_or_make_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.02)
        raise OSError(f"the key file {path} is empty: delete it and run again") from None
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key
