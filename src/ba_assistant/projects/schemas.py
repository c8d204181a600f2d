from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from ba_assistant.schemas import NonBlank, ReadModel, UTCDatetime

NAME_MAX = 200
DESCRIPTION_MAX = 5000


def _clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise ValueError("Project name is required")
    return value


class ProjectCreate(BaseModel):
    name: Annotated[str, NonBlank] = Field(max_length=NAME_MAX, examples=["Checkout redesign"])
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)

    _name = field_validator("name")(_clean_name)


class ProjectUpdate(BaseModel):
    name: Annotated[str, NonBlank] | None = Field(None, max_length=NAME_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)

    _name = field_validator("name")(_clean_name)


class ProjectRead(ReadModel):
    id: str
    name: str
    description: str | None
    document_count: int
    thread_count: int
    last_activity_at: UTCDatetime
    created_at: UTCDatetime
    updated_at: UTCDatetime


class ProjectList(BaseModel):
    projects: list[ProjectRead]
    total: int
    has_more: bool
