"""What a file is, read from its first bytes (the `filetype` library's signatures), never from its
name: a text file renamed `bukti.png` reads as text."""

from __future__ import annotations

import filetype

from fulfil.core.goods import BINARY, TEXT

# Enough for every signature filetype knows (it reads at most 8 KiB itself).
HEAD = 8192


def sniff(content: bytes) -> str:
    """The type's usual extension ("png", "pdf", "xlsx", …), else "text" or "binary"."""
    head = content[:HEAD]
    kind = filetype.guess_extension(head)
    if kind is not None:
        return "jpg" if kind == "jpeg" else str(kind)
    if b"\x00" in head:
        return BINARY
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is still text.
        if exc.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return BINARY
    return TEXT
