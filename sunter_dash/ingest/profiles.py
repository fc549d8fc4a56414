"""Column-mapping profiles (DATA.md, last section): a saved mapping applies by itself to later
files with the same set of headers."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..domain.errors import UnknownProfile
from ..domain.files import normalise_header
from ..models import MappingProfile


def signature(headers: list[str]) -> str:
    """The same for two files with the same set of headers, whatever their order or spelling."""
    names = sorted({normalise_header(h) for h in headers if normalise_header(h)})
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def by_name(conn: Connection, name: str) -> dict:
    row = conn.execute(select(MappingProfile).where(MappingProfile.name == name.strip())).first()
    if row is None:
        raise UnknownProfile(f"Profil kolom '{name}' tidak ada (mungkin baru dihapus atau diganti namanya); pilih "
                             "kolom file lagi, atau lihat daftar profil di tab Pengaturan.",
                             f"No mapping profile {name!r}.", field="profile")
    return _shown(row)


def for_headers(conn: Connection, headers: list[str]) -> dict | None:
    """The profile saved for files with these headers, if any (the newest when several)."""
    row = conn.execute(select(MappingProfile).where(MappingProfile.signature == signature(headers))
                       .order_by(MappingProfile.updated_at.desc(), MappingProfile.id.desc()).limit(1)).first()
    return _shown(row) if row else None


def _shown(row) -> dict:
    return {"id": row.id, "name": row.name, "file_type": row.file_type, "mapping": json.loads(row.mapping),
            "headers": json.loads(row.headers)}


def resolve(conn: Connection, headers: list[str], mapping: dict | None, profile: str | None,
            file_type: str | None) -> tuple[dict | None, str | None, str | None]:
    """(mapping to apply, the type, the profile that applied): a mapping given wins (with a profile
    named beside it, that name is only recorded: the page sends the mapping it previewed), else a
    named profile, else a profile saved for files with these headers."""
    if mapping:
        return mapping, file_type, (profile or None)
    found = by_name(conn, profile) if profile else for_headers(conn, headers)
    if found is None:
        return None, file_type, None
    return found["mapping"], file_type or found["file_type"], found["name"]


def listed(conn: Connection) -> list[dict]:
    """Every saved profile, by name, with who saved it last and when."""
    rows = conn.execute(select(MappingProfile).order_by(MappingProfile.name)).all()
    return [{**_shown(row), "updated_by": row.updated_by, "updated_at": row.updated_at} for row in rows]
