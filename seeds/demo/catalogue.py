"""Demo products: a believable catalogue of parts and assemblies."""

from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.modules.products.models import Product
from app.modules.products.service import free_slug
from seeds.demo.common import DemoContext, bulk_insert, record_times

CATEGORIES: dict[str, tuple[list[str], tuple[int, int]]] = {
    "fasteners": (["Hex Bolt", "Lock Nut", "Wood Screw", "Rivet", "Washer", "Anchor"], (5, 900)),
    "bearings": (["Ball Bearing", "Roller Bearing", "Bushing", "Thrust Bearing"], (250, 9_000)),
    "hydraulics": (["Hydraulic Hose", "Pump Seal", "Valve Block", "Cylinder Kit"], (900, 45_000)),
    "electrical": (["Relay", "Cable Gland", "Terminal Block", "Fuse Holder"], (80, 6_000)),
    "motors": (["Servo Motor", "Gear Motor", "Stepper Motor", "Drive Belt"], (4_000, 120_000)),
    "packaging": (["Shrink Film", "Pallet Wrap", "Carton", "Foam Insert"], (20, 2_500)),
}
FINISHES = ["Steel", "Stainless", "Brass", "Nylon", "Zinc-plated", "Aluminium", "Heavy-duty"]
SIZES = ["M4", "M6", "M8", "M10", "M12", "S", "M", "L", "XL", "10 mm", "25 mm", "50 mm"]


def product_rows(ctx: DemoContext, count: int) -> list[dict[str, Any]]:
    rng = ctx.rng
    rows: list[dict[str, Any]] = []
    slugs: set[str] = set()
    categories = sorted(CATEGORIES)
    for number in range(1, count + 1):
        category = rng.choice(categories)
        nouns, (low, high) = CATEGORIES[category]
        name = f"{rng.choice(FINISHES)} {rng.choice(nouns)} {rng.choice(SIZES)}"
        slug = free_slug(name, slugs)
        slugs.add(slug)
        rows.append(
            {
                "sku": f"{category[:3].upper()}-{number:06d}",
                "name": name,
                "slug": slug,
                "description": f"{name} for the {category} line.",
                "category": category,
                "price": Decimal(rng.randint(low, high)) / 100,
                "stock": rng.choice([0, rng.randint(1, 50), rng.randint(50, 5_000)]),
                "is_active": rng.random() > 0.08,
                **record_times(ctx, 365),
            }
        )
    return rows


async def load_products(session: AsyncSession, ctx: DemoContext, count: int) -> int:
    rows = product_rows(ctx, count)
    ids = await bulk_insert(session, Product, rows)
    ctx.product_ids = ids
    ctx.active_product_ids = [i for i, row in zip(ids, rows, strict=True) if row["is_active"]]
    return len(ids)
