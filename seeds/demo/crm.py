"""Demo customers."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.modules.customers.models import Customer, CustomerStatus
from seeds.demo.common import DemoContext, bulk_insert, record_times

FIRST = [
    "Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas",
    "Kira", "Luca", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara",
    "Umar", "Vera", "Wim", "Xenia", "Yusuf", "Zoe",
]  # fmt: skip
LAST = [
    "Adler", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ivanova",
    "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi",
    "Schmidt", "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zimmer",
]  # fmt: skip
COMPANIES = [
    "Northwind Metals", "Acme Fabrication", "Blue River Foods", "Helix Robotics",
    "Kestrel Packaging", "Orbit Plastics", "Summit Tools", "Tidewater Marine",
    "Vertex Automotive", "Greenfield Agritech", "Ironclad Structures", "Lumen Electronics",
]  # fmt: skip
STATUSES = [CustomerStatus.ACTIVE] * 6 + [CustomerStatus.LEAD] * 3 + [CustomerStatus.INACTIVE]
NOTES = [
    None,
    None,
    "Prefers email over phone.",
    "Quarterly framework agreement.",
    "Asked for a volume discount.",
    "Invoices go to the purchasing department.",
]


def customer_rows(ctx: DemoContext, count: int) -> list[dict[str, Any]]:
    rng = ctx.rng
    rows: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice([*COMPANIES, None])
        domain = company.lower().replace(" ", "-") + ".example" if company else "mail.example"
        rows.append(
            {
                "name": f"{first} {last}",
                # The running number keeps every address unique, as the unique index demands.
                "email": f"{first}.{last}.{number}@{domain}".lower(),
                "phone": rng.choice([None, f"+49{rng.randint(100_000_000, 9_999_999_999)}"]),
                "company": company,
                "status": rng.choice(STATUSES).value,
                "notes": rng.choice(NOTES),
                **record_times(ctx, 365),
            }
        )
    return rows


async def load_customers(session: AsyncSession, ctx: DemoContext, count: int) -> int:
    ctx.customer_ids = await bulk_insert(session, Customer, customer_rows(ctx, count))
    return len(ctx.customer_ids)
