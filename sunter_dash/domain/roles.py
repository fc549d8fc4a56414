"""Roles and the one permission matrix: what each role may do.

- "read": the branch's figures (every tab but Penagihan and the profile, every export);
- "collection": the Penagihan tab and its lists; "profile": a customer's profile and search;
- "collect": recording follow-ups; "analyse": the analysis workbench; the rest are the admins'.

A petugas (field officer) is scoped: it sees the collection work and the profiles of the
customers of its own PCEZs only (services/scope.py), and records follow-ups for them.
"""
from __future__ import annotations

ROLES = ("admin", "viewer", "petugas")
ROLE_LABELS = {"admin": "Admin", "viewer": "Viewer", "petugas": "Petugas"}
PERMISSIONS = {
    "admin": frozenset({"read", "collection", "profile", "analyse", "collect", "upload", "delete", "manage_users",
                        "audit", "settings"}),
    "viewer": frozenset({"read", "collection", "profile", "analyse"}),
    "petugas": frozenset({"collection", "profile", "collect"}),
}
SCOPED = frozenset({"petugas"})  # roles that see only the customers of their own officer's PCEZs


def allowed(role: str | None, action: str) -> bool:
    return action in PERMISSIONS.get(role or "", frozenset())


def scoped(role: str | None) -> bool:
    return role in SCOPED
