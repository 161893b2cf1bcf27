"""Quality: inspections of batches and the quality summary."""

from app.core.modules import AdminLink, AdminResource, DeleteGuard, ModuleSpec, Tag
from app.core.security.permissions import crud_permissions
from app.modules.production.service import INSPECTABLE_VALUES
from app.modules.quality.models import Inspection
from app.modules.quality.router import router
from app.modules.quality.service import refuse_inspector

QUALITY = ModuleSpec(
    name="quality",
    tag=Tag("quality", "Inspections of batches and the quality summary."),
    routers=(router,),
    permissions=crud_permissions("quality inspections"),
    model=Inspection,
    path="/quality/inspections",
    guards=(DeleteGuard("users", refuse_inspector),),
    admin=AdminResource(
        label="Inspections",
        columns=("batch_id", "inspected_at", "sample_size", "defects_found", "score", "result"),
        title="Inspection {id}",
        references={"batch_id": "batches", "inspector_id": "users", "product_id": "products"},
        labels={"batch_id": "Batch", "inspector_id": "Inspector", "product_id": "Product"},
        links=(
            AdminLink(label="Open the inspected batch", to="batches/{batch_id}"),
            AdminLink(
                label="Record inspection",
                to="inspections/new?batch_id={id}",
                on="batches",
                when={"status": INSPECTABLE_VALUES},
                permission="create",
            ),
            AdminLink(
                label="Inspections of this batch", to="inspections?batch_id={id}", on="batches"
            ),
        ),
    ),
)
