"""What loading a file would decide, before it is loaded: its type, periode and the rule
that decided, or why it would be refused. The upload page shows this so the user can
correct the type or periode first.

A large text file is judged on its first lines (the decision needs the header and a
few rows); an Excel file is read whole, as loading would.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..domain.errors import FileRefused
from .prepare import prepare
from .read import EXCEL_MAGIC, read_table

SAMPLE_LINES = 2000
SAMPLE_FROM_BYTES = 1 << 20


def _sample(path: Path, folder: Path) -> Path:
    with path.open("rb") as fh:
        if fh.read(8).startswith(EXCEL_MAGIC) or path.stat().st_size <= SAMPLE_FROM_BYTES:
            return path
        fh.seek(0)
        sample = folder / f"sample{path.suffix}"
        with sample.open("wb") as out:
            for number, line in enumerate(fh):
                if number >= SAMPLE_LINES:
                    break
                out.write(line)
    return sample


def preview(path: Path, filename: str, file_type: str | None = None, periode: str | None = None) -> dict:
    """{"type", "periode", "rule", "error"}: the decision, or the refusal's message."""
    folder = Path(tempfile.mkdtemp(prefix="sunter-preview-"))
    try:
        prepared = prepare(read_table(_sample(Path(path), folder), filename), filename, file_type, periode)
        return {"type": prepared.spec.name, "periode": prepared.periode, "rule": prepared.periode_rule,
                "error": None}
    except FileRefused as exc:
        return {"type": getattr(exc, "file_type", None), "periode": None, "rule": None, "error": exc.message}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
