"""Pieces every domain's schemas share: UTC timestamps with ``Z``, list pages, bounded integers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


def _iso_z(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UTCDatetime = Annotated[datetime, PlainSerializer(_iso_z, return_type=str)]


# Every integer the API takes fits a 32-bit column and a JavaScript number. Without a bound,
# one past SQLite's 64-bit range reached the database and failed there (500, not 400).
INT_MAX = 2**31 - 1
Offset = Annotated[int, Ge(0), Le(INT_MAX)]
"""How many items to skip, 0 upwards."""
PositiveInt = Annotated[int, Ge(1), Le(INT_MAX)]
"""A number counted from 1, such as a version."""

# A character that is not blank: not what str.split() and str.strip() remove (Unicode
# White_Space and the \x1c-\x1f separators). Spelt out, since JSON Schema's \s and Python's
# differ. A string the server refuses as empty has none.
_BLANK = r"\t\n\x0b\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{_BLANK}]"
NOT_BLANK_TEXT = f"[^\\x00{_BLANK}]"  # a document's text: NUL is dropped from it
# Documentation only: the fields' own validators refuse blank text, with their own messages
# (and a document's size is checked before its blankness, so too large stays a 413).
NonBlank = Field(json_schema_extra={"minLength": 1, "pattern": NOT_BLANK})
"""For text that must say something: ``Annotated[str, NonBlank]``."""
NonBlankText = Field(json_schema_extra={"minLength": 1, "pattern": NOT_BLANK_TEXT})


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel):
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page (max 100)")] = 50,
    offset: Annotated[Offset, Query(description="Items to skip")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)
