from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from ba_assistant.schemas import NonBlank, PositiveInt, ReadModel, UTCDatetime

ArtifactType = Literal["user_story", "acceptance_criteria", "requirements_doc", "custom"]
TITLE_MAX = 300
CONTENT_MAX = 500_000


class ArtifactSummary(ReadModel):
    id: str
    type: str = Field(description="user_story | acceptance_criteria | requirements_doc | custom")
    title: str
    version: int = Field(description="The latest version's number (1 when never edited)")
    message_id: str = Field(description="The AI reply that wrote it")
    thread_id: str
    created_at: UTCDatetime
    updated_at: UTCDatetime


class ArtifactRead(ArtifactSummary):
    content: str = Field(description="Markdown")
    project_id: str
    versions: int = Field(description="How many versions there are")


class ArtifactList(BaseModel):
    artifacts: list[ArtifactSummary]
    total: int
    has_more: bool


class ArtifactUpdate(BaseModel):
    title: Annotated[str, NonBlank] | None = Field(None, min_length=1, max_length=TITLE_MAX)
    content: str | None = Field(None, min_length=1, max_length=CONTENT_MAX)
    base_version: PositiveInt | None = Field(
        None,
        description="The version this edit starts from: if someone saved a newer one "
        "meanwhile, the edit is refused with 409 instead of overwriting theirs",
    )

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            raise ValueError("The title must not be empty")
        return value


class ArtifactVersionSummary(ReadModel):
    version: int
    title: str
    created_at: UTCDatetime


class ArtifactVersionList(BaseModel):
    versions: list[ArtifactVersionSummary] = Field(description="Newest first")


class ArtifactVersionRead(ArtifactVersionSummary):
    artifact_id: str
    content: str
