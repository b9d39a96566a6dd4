"""The import's side of the folder writer process (folder_writer.py): batches sent as JSON lines,
answers read back in the order they were sent."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from integrations.ports import AdapterError

SCRIPT = Path(__file__).with_name("folder_writer.py")


class FolderWriter:
    """One writer process: `send` hands it a batch and returns the call that waits for its answer
    (one error or None a folder). Answers may be awaited late or never: each is read in turn."""

    def __init__(self, root: Path) -> None:
        # -I: the standard library only, none of this project's imports (nor the environment's
        # PYTHONPATH); stdin closed, as when the import ends or dies, ends it.
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(SCRIPT), str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._sent = 0
        self._read = 0
        self._answers: dict[int, list[str | None]] = {}
        # Set once its pipe broke: a writer seen dead is never used again, even in the moment
        # between its pipes closing and the kernel reporting its exit.
        self._broken = False
        self._stop = weakref.finalize(self, _stop, self._proc)

    def close(self) -> None:
        """Let it finish the batches it has and end."""
        self._stop()

    def alive(self) -> bool:
        return not self._broken and self._proc.poll() is None

    def send(self, batch: Sequence[tuple[str, str]]) -> Callable[[], list[str | None]]:
        number = self._sent
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(batch) + "\n")
            self._proc.stdin.flush()
        except OSError as exc:
            self._broken = True
            raise AdapterError(f"the folder writer stopped: {exc}", retryable=True) from None
        self._sent += 1
        return lambda: self._answer(number)

    def _answer(self, number: int) -> list[str | None]:
        while number not in self._answers:
            assert self._proc.stdout is not None
            line = self._proc.stdout.readline()
            if not line:
                self._broken = True
                raise AdapterError("the folder writer stopped before making the folders", retryable=True)
            self._answers[self._read] = json.loads(line)
            self._read += 1
        return self._answers.pop(number)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):  # a writer that died has nothing left to read
            proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
