from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ba_assistant.schemas import NonBlankText, ReadModel, UTCDatetime


class DocumentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=1000, examples=["Refund policy.md"])
    content: Annotated[str, NonBlankText] = Field(
        description="The document's text (plain text or markdown)"
    )


class DocumentRead(ReadModel):
    id: str
    project_id: str
    name: str
    content_type: str
    size_bytes: int = Field(description="Size of the uploaded file or text, in bytes")
    created_at: UTCDatetime


class DocumentWithContent(DocumentRead):
    content: str = Field(description="The document's text; PDF and Word files as extracted")


class DocumentList(BaseModel):
    documents: list[DocumentRead]
    total: int
    has_more: bool


class SearchResult(BaseModel):
    document_id: str
    document_name: str
    chunk_index: int = Field(description="The passage number within its document, from 0")
    snippet: str = Field(description="Plain text around the match")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of the matched words within snippet"
    )
    score: float = Field(description="Relevance; higher is better")


class SearchResults(BaseModel):
    results: list[SearchResult]
    total: int
    has_more: bool
