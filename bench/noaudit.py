"""The app with change-data-capture auditing switched off, for `make bench` only: the same
create_app() and middleware, without the session hooks that write audit rows. The access log
and security events stay on. Production has no such switch."""

from app.core import audit


def _no_audit_hooks() -> None:
    """Stands in for install_audit_hooks: the CDC listeners are never registered."""


# create_app installs the hooks through this name, imported by app.main below.
audit.install_audit_hooks = _no_audit_hooks

from app.main import app  # noqa: E402 - must follow the switch above

__all__ = ["app"]
