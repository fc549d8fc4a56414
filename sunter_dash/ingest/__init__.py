"""Ingestion of the billing system's exports (DATA.md): read -> detect -> prepare -> store,
driven by the file-type catalogue (domain/files.py). Knows nothing of Dash or Flask."""
from .errors import RowError
from .load import delete_upload, ingest_file, stored_rows
from .result import IngestResult

__all__ = ["IngestResult", "RowError", "delete_upload", "ingest_file", "stored_rows"]
