"""What loading a file would decide, before it is loaded: its type, periode and the rule
that decided, or why it would be refused; the file's columns beside the type's (for mapping
them), the profile that applies, columns no type knows, and the snapshot it would replace
(with the shrink guard's two counts). The upload page shows this so the user can correct
the type, periode or columns first, and confirm a replacement.

A large text file is judged on its first lines (the decision needs the header and a
few rows); an Excel or dBase file is read whole, as loading would. Customer counts of a
sample are not counted: the load itself applies the shrink guard to the whole file.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from ..domain import files
from ..domain.errors import FileRefused
from ..domain.files import normalise_header
from . import profiles
from .detect import filename_words, match_columns
from .prepare import prepare
from .read import DBF_SUFFIXES, EXCEL_MAGIC, read_table
from .store import replacement

SAMPLE_LINES = 2000
SAMPLE_FROM_BYTES = 1 << 20


def _sample(path: Path, filename: str, folder: Path) -> tuple[Path, bool]:
    """(the file to judge, whether it is the whole file)."""
    with path.open("rb") as fh:
        if fh.read(8).startswith(EXCEL_MAGIC) or Path(filename).suffix.lower() in DBF_SUFFIXES or \
                path.stat().st_size <= SAMPLE_FROM_BYTES:
            return path, True
        fh.seek(0)
        sample = folder / f"sample{path.suffix}"
        with sample.open("wb") as out:
            for number, line in enumerate(fh):
                if number >= SAMPLE_LINES:
                    break
                out.write(line)
    return sample, False


def fields_of(spec: files.FileSpec, headers: list[str], mapping: dict | None) -> list[dict]:
    """Each column of ``spec``: its header, whether it is required, and the file's column that
    holds it (mapped, or found under one of its names; None when none does)."""
    match = match_columns(spec, headers, mapping)
    required = spec.required_fields
    return [{"field": c.field, "header": c.header, "required": c.field in required,
             "column": match.columns.get(c.field)} for c in spec.columns]


def unknown_columns(headers: list[str]) -> list[str]:
    """The file's columns that no file type knows under any name."""
    known = files.known_headers()
    return [h for h in headers if normalise_header(h) and normalise_header(h) not in known]


def suspicious(headers: list[str], matched: int) -> list[str]:
    """DATA.md's warning for a file that fits a type only by a few columns: at least two columns
    no type knows, and no fewer of them than the columns the type recognised."""
    unknown = unknown_columns(headers)
    return unknown if len(unknown) >= 2 and len(unknown) >= matched else []


def _named_type(filename: str) -> str | None:
    """The one type the file name names (e.g. COLLECTION_setoran.csv), if exactly one."""
    words = filename_words(filename)
    named = [s.name for s in files.specs() if words & set(s.filename_words)]
    return named[0] if len(named) == 1 else None


def preview(path: Path, filename: str, file_type: str | None = None, periode: str | None = None, *,
            engine: Engine | None = None, mapping: dict | None = None, profile: str | None = None) -> dict:
    """The decision, or the refusal's message, with what the page needs to fix either."""
    folder = Path(tempfile.mkdtemp(prefix="sunter-preview-"))
    found = {"type": None, "periode": None, "rule": None, "error": None, "columns": [], "fields": [],
             "profile": None, "mapping": mapping or {}, "unknown": [], "replaces": None}
    try:
        sample, whole = _sample(Path(path), filename, folder)
        table = read_table(sample, filename)
        headers = [str(h) for h in table.frame.columns]
        found["columns"] = headers
        if engine is not None:
            with engine.connect() as conn:
                mapping, file_type, found["profile"] = profiles.resolve(conn, headers, mapping, profile, file_type)
            found["mapping"] = mapping or {}
        chosen = files.resolve(file_type)
        if chosen:
            found["type"], found["fields"] = chosen.name, fields_of(chosen, headers, mapping)
        prepared = prepare(table, filename, file_type, periode, mapping)
        spec = prepared.spec
        found.update(type=spec.name, periode=prepared.periode, rule=prepared.periode_rule,
                     fields=fields_of(spec, headers, mapping),
                     unknown=suspicious(headers, len(prepared.match.columns)))
        if engine is not None:
            with engine.connect() as conn:
                replaces = replacement(conn, spec, prepared.periode, prepared.frame)
            if replaces and not whole:
                replaces.update(file_customers=None, needs_replace=False)
            found["replaces"] = replaces
    except FileRefused as exc:
        found["type"] = found["type"] or getattr(exc, "file_type", None) or (
            _named_type(filename) if found["columns"] else None)
        found["error"] = exc.told("page")  # the preview is the page's
        if found["type"] and not found["fields"] and found["columns"]:
            # The columns of the type the refusal or the file name points to, to be mapped.
            found["fields"] = fields_of(files.spec(found["type"]), found["columns"], mapping)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return found
