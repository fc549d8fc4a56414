"""The catalogue of file types (DATA.md "File types"): one ``FileSpec`` per type.

A spec is the single source of truth for its type: its columns with their aliases and cell
kinds, the required ones, how it is derived, snapshot or merge (and a merge's key), its
periode column, the file-name words that break a detection tie, its table and the summaries
it feeds. Every list of types (upload page, Status Data, API, OpenAPI, CLI) comes from
``specs()``; adding a type is its spec (``filetypes.py``), its model and its migration.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import pandas as pd

SNAPSHOT, MERGE = "snapshot", "merge"


def normalise_header(name: object) -> str:
    """DATA.md: headers match ignoring case, spaces, '_', '-', '.' and '/'."""
    return re.sub(r"[\s_\-./]+", "", str(name or "")).upper()


@dataclass(frozen=True)
class Column:
    field: str  # our name, the database column (or an input to a derived one)
    header: str  # the real export's name
    kind: str  # a cell kind of ingest/parse.py (nomen, text, code, int, date, month, rayon, zone)
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class PaymentKey:
    """DATA.md's merge key: ``reference`` when a row has one, else the ``parts`` (a tuple in
    ``parts`` is "the first of these that is filled")."""
    reference: str | None
    parts: tuple  # of field names, or tuples of field names


# derive(frame, matched columns) -> (frame to store, row errors as index/field/reason)
Derive = Callable[[pd.DataFrame, dict[str, str]], tuple[pd.DataFrame, pd.DataFrame]]


@dataclass(frozen=True)
class FileSpec:
    name: str
    label: str  # shown to users
    columns: tuple[Column, ...]
    # Any one of these sets of fields present makes the header fit the type.
    required: tuple[frozenset[str], ...]
    mode: str  # SNAPSHOT (replaced per periode) or MERGE (payments, by key)
    filename_words: tuple[str, ...]
    table: str  # the table its rows are stored in (models.py)
    periode_field: str | None = None  # a column that names the file's periode
    date_field: str | None = None  # payments: each row's own periode
    # A code whose distinct values of a periode are kept with its row count (stored_count.codes)
    # for the pages that list them: SBRS's read methods (the Meter settings).
    code_field: str | None = None
    derive: Derive | None = None
    key: PaymentKey | None = None  # MERGE only
    feeds: tuple[str, ...] = ()  # summaries it feeds (ingest/summaries.py FEEDS)
    aliases: tuple[str, ...] = ()  # other names a user may give the type (--type COLL)
    # DATA.md periode rule 4: the bill's (year, month) fields (rule mc_bill_month), else a raw
    # export naming its *reading* month, billed the month after: (file-name prefix followed by
    # MMYY, the reading-date field).
    bill_month: tuple[str, str] | None = None
    reading_month: tuple[str, str] | None = None
    one_row_per_customer: bool = False  # a NOMEN given twice with different values refuses the file
    # What a loaded file of this type should tell its uploader: (rows stored, settings) ->
    # (details for the summary, notes in words).
    report: Callable | None = None
    undated: bool = False  # may have no periode at all (rule "none"; DATA.md, RUTE)
    unit: str = "pelanggan"  # what a snapshot counts (its distinct key_field), for the shrink guard

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def required_fields(self) -> frozenset[str]:
        return frozenset().union(*self.required)

    @property
    def key_field(self) -> str:
        """The column that makes a row a row: blank there means not data."""
        return "nomen" if any(c.field == "nomen" for c in self.columns) else self.columns[0].field

    def headers_of(self, fields: set[str] | frozenset[str]) -> list[str]:
        """The export's header names of some fields, in declaration order."""
        return [c.header for c in self.columns if c.field in fields]


_SPECS: dict[str, FileSpec] = {}
_KNOWN_HEADERS: list[frozenset[str]] = []
NAME_LENGTH = 16  # a type's name is stored with every upload (upload.file_type)


def register(spec: FileSpec) -> FileSpec:
    if not spec.name.isupper() or len(spec.name) > NAME_LENGTH:
        raise ValueError(f"a file type's name is upper case, at most {NAME_LENGTH} characters, not {spec.name!r}")
    if spec.name in _SPECS:
        raise ValueError(f"a file type {spec.name!r} is registered already")
    _SPECS[spec.name] = spec
    _KNOWN_HEADERS.clear()
    return spec


@contextmanager
def registered(spec: FileSpec) -> Iterator[FileSpec]:
    """A file type added for a while (tests)."""
    register(spec)
    try:
        yield spec
    finally:
        del _SPECS[spec.name]
        _KNOWN_HEADERS.clear()


def specs() -> tuple[FileSpec, ...]:
    return tuple(_SPECS.values())


def names() -> tuple[str, ...]:
    return tuple(_SPECS)


def spec(name: str) -> FileSpec:
    return _SPECS[name]


def resolve(name: str | None) -> FileSpec | None:
    """The type a user named (any case, or one of its aliases); None when none is."""
    key = (name or "").strip().upper()
    return _SPECS.get(key) or next((s for s in _SPECS.values() if key in s.aliases), None)


def known_headers() -> frozenset[str]:
    """Every header any type knows, for finding the header row below title rows."""
    if not _KNOWN_HEADERS:
        _KNOWN_HEADERS.append(frozenset(normalise_header(name) for s in _SPECS.values()
                                        for c in s.columns for name in c.names))
    return _KNOWN_HEADERS[0]


def header_score(cells: list[object]) -> int:
    """How many cells of a row are headers some file type knows."""
    return len({normalise_header(c) for c in cells if c not in (None, "")} & known_headers())
