"""Every write, as a command: check the permission, write in one transaction, record the
audit, invalidate the cache. The tabs, the API and the CLI call these and nothing else to
change data, so a write cannot differ between them (STYLE.md habit 12)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, insert

from ..domain.clock import now_utc
from ..domain.errors import Forbidden
from ..domain.roles import allowed
from ..models import AuditLog

PAGE, API, CLI = "halaman", "API", "CLI"


@dataclass(frozen=True)
class Actor:
    """Who asks: the user (None for an unnamed command-line run), their role, their address,
    and the channel the request came by (the audit log says it); a petugas carries its officer
    name, which scopes what it sees (services/scope.py)."""
    username: str | None
    role: str | None
    address: str | None = None
    channel: str = PAGE
    petugas: str | None = None

    def can(self, action: str) -> bool:
        return allowed(self.role, action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise Forbidden(f"Pengguna '{self.username}' (peran {self.role}) tidak berhak melakukan ini.",
                            f"User '{self.username}' (role {self.role}) may not {action}.")


def command_line(username: str | None) -> Actor:
    """Whoever runs the CLI holds the server: an admin."""
    return Actor(username, "admin", None, CLI)


def record(engine: Engine, actor: Actor, action: str, detail: str | None = None) -> None:
    """An audit event in its own transaction, so that it survives a failed request."""
    if detail and actor.channel == API:
        detail = f"{detail} (API)"
    with engine.begin() as conn:
        conn.execute(insert(AuditLog).values(created_at=now_utc(), username=actor.username,
                                             address=actor.address, action=action, detail=detail))
