"""Audit tests: helpers that read the audit tables as they are stored."""

from typing import Any

from fastapi import FastAPI
from sqlmodel import col, select

from app.core.audit.tables import AuditAccess, AuditChange

Headers = dict[str, str]


async def changes(app: FastAPI, **where: Any) -> list[AuditChange]:
    async with app.state.session_factory() as session:
        stmt = select(AuditChange).order_by(col(AuditChange.id))
        for name, value in where.items():
            stmt = stmt.where(col(getattr(AuditChange, name)) == value)
        return list((await session.exec(stmt)).all())


async def access_rows(app: FastAPI, **where: Any) -> list[AuditAccess]:
    await app.state.access_log.flush()
    async with app.state.session_factory() as session:
        stmt = select(AuditAccess).order_by(col(AuditAccess.id))
        for name, value in where.items():
            stmt = stmt.where(col(getattr(AuditAccess, name)) == value)
        return list((await session.exec(stmt)).all())
