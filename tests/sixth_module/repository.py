from sqlalchemy import ColumnElement
from sqlmodel import col

from app.core.db.repository import BaseRepository, matches_text
from tests.sixth_module.models import Gadget
from tests.sixth_module.schemas import GadgetListQuery


class GadgetRepository(BaseRepository[Gadget]):
    model = Gadget
    label = "Gadget"

    def conditions(self, query: GadgetListQuery) -> list[ColumnElement[bool]]:
        return [matches_text(query.q, Gadget.name)] if query.q else []

    async def count_naming_product(self, product_id: int) -> int:
        return await self.count(col(Gadget.product_id) == product_id)
