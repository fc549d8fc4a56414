"""Roles and the one permission matrix: what each role may do (reading is everyone's)."""
from __future__ import annotations

ROLES = ("admin", "viewer")
ROLE_LABELS = {"admin": "Admin", "viewer": "Viewer"}
PERMISSIONS = {
    "admin": frozenset({"read", "analyse", "collect", "upload", "delete", "manage_users", "audit", "settings"}),
    "viewer": frozenset({"read", "analyse"}),
}


def allowed(role: str | None, action: str) -> bool:
    return action in PERMISSIONS.get(role or "", frozenset())
