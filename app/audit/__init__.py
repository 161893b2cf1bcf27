"""The audit trail's queries; the history route is added per resource by app/routers.py."""

from app.audit.router import router
from app.core.modules import ModuleSpec, Tag

AUDIT = ModuleSpec(
    name="audit",
    tag=Tag("audit", "The change trail and the access log."),
    routers=(router,),
    permissions={"read": "Read the audit trail: changes, security events, access log"},
)
