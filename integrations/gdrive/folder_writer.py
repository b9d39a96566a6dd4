"""Local proof folders made on disk, in this process (one folder) or in a process of its own
(a batch, beside the import's own work).

A big import spends a fifth of its dispatch making folders and their READMEs: system calls the
disk answers while the interpreter could compose the next orders' messages. A thread cannot take
that time back (it waits for the interpreter lock after every call), a process can: it runs this
file with the standard library only (~10 MB), reads one JSON line per batch on stdin and answers
one JSON line on stdout. It ends when its stdin closes, so it never outlives the import.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

README = "README.txt"


def make_folder(root: Path, order_id: str, readme: str) -> None:
    """Find or create `<root>/<order_id>/` with its README (a rerun finds both, never a second)."""
    folder = root / order_id
    readme_path = folder / README
    try:
        os.mkdir(folder)
    except FileNotFoundError:  # the first folder of a new drive root
        root.mkdir(parents=True, exist_ok=True)
        make_folder(root, order_id, readme)
        return
    except FileExistsError:  # a rerun: its folder is there, its README perhaps not yet
        if _has_text(readme_path):  # kept as it is: the team may have written in it
            return
        # Missing, or left empty by a death between its creation and its one write: written
        # aside and renamed, as another process may be writing it at the same moment.
        tmp = folder / f".{README}.{os.getpid()}.tmp"
        tmp.write_text(readme, encoding="utf-8")
        os.replace(tmp, readme_path)
        return
    # A folder of its own, just made: the README goes straight in, one write (a tmp file and a
    # rename were a third of a big import's disk operations).
    try:
        with open(readme_path, "x", encoding="utf-8") as out:
            out.write(readme)
    except FileExistsError:  # another process, finding the folder, wrote it first
        pass


def _has_text(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def serve(root: Path) -> None:
    """Each stdin line: [[order_id, readme], ...]; each answer: [error or null, ...], in order."""
    for line in sys.stdin:
        answers: list[str | None] = []
        for order_id, readme in json.loads(line):
            try:
                make_folder(root, order_id, readme)
                answers.append(None)
            except OSError as exc:
                answers.append(f"{type(exc).__name__}: {exc.strerror or exc}")
        sys.stdout.write(json.dumps(answers) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
