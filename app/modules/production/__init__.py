"""Production: batches, their life cycle and their statistics."""

from app.core.modules import (
    AdminAction,
    AdminResource,
    AdminState,
    DeleteGuard,
    ModuleSpec,
    Tag,
)
from app.core.security.permissions import crud_permissions
from app.modules.production.models import Batch, BatchStatus
from app.modules.production.router import router
from app.modules.production.service import FINISHED, refuse_product_in_use

PRODUCTION = ModuleSpec(
    name="production",
    tag=Tag("production", "Production batches and their statistics."),
    routers=(router,),
    permissions=crud_permissions("production batches"),
    model=Batch,
    path="/production/batches",
    guards=(DeleteGuard("products", refuse_product_in_use),),
    admin=AdminResource(
        label="Batches",
        columns=("batch_number", "product_id", "quantity", "status", "quality_score"),
        title="{batch_number}",
        references={"product_id": "products"},
        labels={"product_id": "Product"},
        state=AdminState(heading="Batch", field="status", facts=("quality_score",)),
        actions=(
            AdminAction(
                label="Start", path="/start", when={"status": (BatchStatus.PENDING.value,)}
            ),
            AdminAction(
                label="Complete",
                path="/complete",
                when={"status": (BatchStatus.IN_PROGRESS.value,)},
            ),
            AdminAction(
                label="Fail",
                path="/fail",
                fields=("failure_reason",),
                when={"status": tuple(s.value for s in BatchStatus if s not in FINISHED)},
                danger=True,
                confirm="Confirm failure",
            ),
        ),
    ),
)
