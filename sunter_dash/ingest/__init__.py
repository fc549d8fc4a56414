"""Ingestion of the billing system's exports (DATA.md). Knows nothing of Dash."""
from .errors import IngestError, RowError
from .load import IngestResult, delete_upload, ingest_file, stored_rows
from .specs import SPECS

__all__ = ["IngestError", "IngestResult", "RowError", "SPECS", "delete_upload", "ingest_file", "stored_rows"]
