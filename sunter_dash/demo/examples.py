"""An example file of each type, in the shape of the billing system's own export: the Unggah
page offers them beside each type's columns. They come from a tiny demo world (50 customers,
one month), so they load as what they show."""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

EXAMPLE_PERIODE = "2025-12"


@functools.lru_cache(maxsize=1)
def _examples() -> dict[str, tuple[str, bytes]]:
    from ..ingest.preview import preview
    from . import generate

    found: dict[str, tuple[str, bytes]] = {}
    with tempfile.TemporaryDirectory(prefix="sunter-examples-") as folder:
        for path in generate(folder, customers=50, months=1, end_periode=EXAMPLE_PERIODE, seed=7):
            file_type = preview(path, path.name)["type"]
            if file_type:  # the last of a type wins: COLLECTION's whole-month extract
                found[file_type] = (f"contoh-{path.name}", Path(path).read_bytes())
    return found


def example(file_type: str) -> tuple[str, bytes] | None:
    """(file name, content) of the type's example, or None when the demo writes none."""
    return _examples().get(file_type)
