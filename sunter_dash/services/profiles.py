"""Column-mapping profiles (DATA.md, last section): saved from the upload page, listed, changed
and deleted in Pengaturan. Every change is audited."""
from __future__ import annotations

import json

from sqlalchemy import Engine, delete, select, update

from ..domain import files
from ..domain.clock import now_utc
from ..domain.errors import BadParameter, Conflict, NotFound
from ..ingest import profiles
from ..ingest.detect import check_mapping, mapped_fields
from ..models import MappingProfile
from . import Actor, record

NAME_MAX = 64


def _checked(name: str, file_type: str, headers: list[str], mapping: dict) -> tuple[str, files.FileSpec, dict]:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise BadParameter(f"Nama profil wajib diisi, paling banyak {NAME_MAX} karakter.",
                           f"A profile needs a name of 1 to {NAME_MAX} characters.", field="name")
    spec = files.resolve(file_type)
    if spec is None:
        raise BadParameter(f"Tipe '{file_type}' tidak dikenal; pilih salah satu: {', '.join(files.names())}.",
                           f"Unknown file type {file_type!r}.", field="file_type")
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    if not mapping:
        raise BadParameter("Profil tanpa pemetaan kolom: pilih kolom file untuk paling sedikit satu kolom.",
                           "A profile needs at least one mapped column.", field="mapping")
    checked = check_mapping(headers, mapping)
    outside = [k for k in checked if not mapped_fields(spec, {k: checked[k]})]
    if outside:
        raise BadParameter(f"Kolom {', '.join(outside)} bukan kolom tipe {spec.name}.",
                           f"{', '.join(outside)} are not columns of {spec.name}.", field="mapping")
    return name, spec, checked


def save(engine: Engine, actor: Actor, name: str, file_type: str, headers: list[str], mapping: dict) -> dict:
    """Create a profile for files with these headers, or change the one of that name."""
    actor.require("upload")
    name, spec, mapping = _checked(name, file_type, headers, mapping)
    values = {"file_type": spec.name, "signature": profiles.signature(headers), "headers": json.dumps(headers),
              "mapping": json.dumps(mapping), "updated_by": actor.username, "updated_at": now_utc()}
    with engine.begin() as conn:
        existing = conn.execute(select(MappingProfile).where(MappingProfile.name == name)).first()
        if existing is not None and (existing.file_type, existing.signature) != (spec.name, values["signature"]):
            raise Conflict(f"Nama profil '{name}' sudah dipakai profil lain (tipe {existing.file_type}, kolom file "
                           "lain); pilih nama lain, atau ubah profil itu di tab Pengaturan.",
                           f"Profile name {name!r} is taken by another profile.", field="name")
        if existing is None:
            conn.execute(MappingProfile.__table__.insert().values(
                name=name, created_by=actor.username, created_at=now_utc(), **values))
        else:
            conn.execute(update(MappingProfile).where(MappingProfile.id == existing.id).values(**values))
        found = profiles.by_name(conn, name)
    record(engine, actor, "profile_saved", f"{name} ({spec.name}): " + _shown(mapping))
    return found


def change(engine: Engine, actor: Actor, profile_id: int, name: str, mapping: dict) -> dict:
    """Rename a profile or change its mapping (its type and headers stay those of its file)."""
    actor.require("settings")
    with engine.begin() as conn:
        row = conn.execute(select(MappingProfile).where(MappingProfile.id == profile_id)).first()
        if row is None:
            raise NotFound(f"Profil #{profile_id} tidak ada (mungkin baru dihapus).", f"No profile #{profile_id}.")
        name, spec, mapping = _checked(name, row.file_type, json.loads(row.headers), mapping)
        clash = conn.execute(select(MappingProfile.id).where(MappingProfile.name == name,
                                                              MappingProfile.id != profile_id)).scalar()
        if clash is not None:
            raise Conflict(f"Nama profil '{name}' sudah dipakai profil lain; pilih nama lain.",
                           f"Profile name {name!r} is taken.", field="name")
        conn.execute(update(MappingProfile).where(MappingProfile.id == profile_id).values(
            name=name, mapping=json.dumps(mapping), updated_by=actor.username, updated_at=now_utc()))
        found = profiles.by_name(conn, name)
    renamed = f" (sebelumnya {row.name})" if row.name != name else ""
    record(engine, actor, "profile_saved", f"{name}{renamed} ({spec.name}): " + _shown(mapping))
    return found


def remove(engine: Engine, actor: Actor, profile_id: int) -> str:
    actor.require("settings")
    with engine.begin() as conn:
        name = conn.execute(select(MappingProfile.name).where(MappingProfile.id == profile_id)).scalar()
        if name is None:
            raise NotFound(f"Profil #{profile_id} tidak ada (mungkin baru dihapus).", f"No profile #{profile_id}.")
        conn.execute(delete(MappingProfile).where(MappingProfile.id == profile_id))
    record(engine, actor, "profile_deleted", name)
    return name


def listed(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return profiles.listed(conn)


def _shown(mapping: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items())
