"""The report shelf without Google: the report files already sit in a local folder, which is the shelf."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class LocalReportShelf:
    """ReportShelf that copies nothing: the use case wrote the files where managers look
    ($FULFIL_HOME/reports, or the folder given), so each link is the file itself."""

    def put(self, files: Sequence[Path]) -> dict[str, str]:
        return {path.name: str(path) for path in files}
