"""Delete hooks: how a module lets the modules that reference its records have a say.

A module that references another depends on it (tasks import products), so the referenced
module cannot ask back without an import cycle. Instead the referenced module's spec offers
its `DeleteHooks.register` and each referencing module's spec names a `DeleteGuard`; the app
wires them when it is built (core.modules). Hooks run in the deleting transaction, before the
delete: each either raises (the record is still needed -> 409 naming why) or releases its
references to it.
"""

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.exceptions import InvalidState

BeforeDelete = Callable[[AsyncSession, int], Awaitable[None]]


class DeleteHooks:
    def __init__(self) -> None:
        self._hooks: list[BeforeDelete] = []

    def register(self, hook: BeforeDelete) -> BeforeDelete:
        if hook not in self._hooks:
            self._hooks.append(hook)
        return hook

    async def run(self, session: AsyncSession, record_id: int) -> None:
        for hook in self._hooks:
            await hook(session, record_id)


def refuse_if_used(count: int, subject: str, nouns: tuple[str, str], advice: str) -> None:
    """A hook's refusal: a 409 saying how many records still need the one being deleted,
    e.g. "Product 7 still has 2 open tasks; finish or cancel them … first."."""
    if count:
        noun = nouns[0] if count == 1 else nouns[1]
        raise InvalidState(f"{subject} {count} {noun}; {advice}")
