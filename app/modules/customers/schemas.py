import re
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
from sqlmodel import SQLModel

from app.core.http.pagination import ListQuery
from app.core.schemas import NOT_BLANK, Trimmed, UpdateSchema
from app.modules.customers.models import CustomerStatus

# Separators people type in phone numbers; anything else (letters, "#", ...) is refused.
_SEPARATORS = "[ ()./-]"
# The number as typed: 6 to 20 digits, optionally after a leading +, with separators anywhere.
PHONE_INPUT_PATTERN = f"^{_SEPARATORS}*\\+?(?:{_SEPARATORS}*[0-9]){{6,20}}{_SEPARATORS}*$"
PHONE_INPUT_MAX_LENGTH = 40
_PHONE_INPUT = re.compile(PHONE_INPUT_PATTERN)
_PHONE_SEPARATORS = re.compile(_SEPARATORS)


def normalise_phone(value: object) -> object:
    """ "+49 (30) 1234-567" -> "+49301234567": digits with an optional leading plus."""
    if not isinstance(value, str):
        return value
    if len(value) > PHONE_INPUT_MAX_LENGTH or _PHONE_INPUT.fullmatch(value) is None:
        raise ValueError(
            f"phone must hold 6 to 20 digits, optionally after a leading +, "
            f"separated only by spaces, dots, dashes, slashes or parentheses "
            f"(at most {PHONE_INPUT_MAX_LENGTH} characters in all)"
        )
    return _PHONE_SEPARATORS.sub("", value)


def _lower(value: str) -> str:
    return value.lower()


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Trimmed]
# A dot-atom address at a domain name, ASCII only, so lower-casing keeps its length.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
Email = Annotated[
    str,
    StringConstraints(max_length=320, pattern=EMAIL_PATTERN),
    AfterValidator(_lower),
]
Phone = Annotated[
    str,
    BeforeValidator(normalise_phone),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": PHONE_INPUT_MAX_LENGTH,
            "pattern": PHONE_INPUT_PATTERN,
            "examples": ["+44 (20) 7946-0958"],
        },
        mode="validation",
    ),
]
Company = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Trimmed
]
Notes = Annotated[str, StringConstraints(max_length=5_000)]


class CustomerBase(SQLModel):
    name: Name
    email: Email
    phone: Phone | None = None
    company: Company | None = None
    status: CustomerStatus = CustomerStatus.LEAD
    notes: Notes | None = None


class CustomerCreate(CustomerBase):
    model_config = {"extra": "forbid"}


class CustomerUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset({"name", "email", "status"})

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    company: Company | None = None
    status: CustomerStatus | None = None
    notes: Notes | None = None


class CustomerRead(CustomerBase):
    id: int
    email: str
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {"name", "email", "company", "status", "created_at", "updated_at"}
    )

    status: CustomerStatus | None = None
