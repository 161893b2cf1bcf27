"""Who is asking: the authenticated caller as every layer sees it.

Its own module so that the audit hooks (imported by the database layer) and the permission
dependencies (which depend on the database layer) can both use it without a cycle.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    is_superuser: bool
    permissions: frozenset[str]
    session_id: str | None = None

    def can(self, module: str, action: str) -> bool:
        if self.is_superuser:
            return True
        if f"{module}:{action}" in self.permissions:
            return True
        return action == "read" and any(p.startswith(f"{module}:") for p in self.permissions)
