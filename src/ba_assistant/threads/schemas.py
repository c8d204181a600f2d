from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from ba_assistant.schemas import NonBlank, ReadModel, UTCDatetime

TITLE_MAX = 200
MESSAGE_MAX = 50_000


def _clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


class ThreadCreate(BaseModel):
    title: str | None = Field(None, max_length=TITLE_MAX)
    initial_message: Annotated[str, NonBlank] | None = Field(
        None, max_length=MESSAGE_MAX, description="The first message of the conversation"
    )

    _title = field_validator("title")(_clean_title)

    @field_validator("initial_message")
    @classmethod
    def _message(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("The message must not be empty")
        return value


class ThreadUpdate(BaseModel):
    title: str | None = Field(None, max_length=TITLE_MAX)
    summary: str | None = Field(None, max_length=5000)

    _title = field_validator("title")(_clean_title)


class ThreadRead(ReadModel):
    id: str
    project_id: str
    title: str | None
    summary: str | None
    message_count: int
    last_message_at: UTCDatetime
    created_at: UTCDatetime
    updated_at: UTCDatetime


class ThreadList(BaseModel):
    threads: list[ThreadRead]
    total: int
    has_more: bool


class ArtifactRef(ReadModel):
    id: str
    type: str
    title: str
    version: int = Field(1, description="The version of the artifact this reply wrote")
    latest_version: int = Field(1, description="The artifact's newest version")


class PassageRef(BaseModel):
    document_id: str
    document_name: str
    passage: int = Field(description="The passage number, as the reply cites it (from 1)")


class ToolCallRef(BaseModel):
    tool: str = Field(
        description="DocumentSearch | ArtifactGenerator | ArtifactReader | ThreadSummarizer"
    )
    input: dict[str, Any] = Field(description="What the AI asked the tool for")
    status: str = Field(description="executing | complete | error")
    result_preview: str | None = Field(description="What the tool found, in short")
    passages: list[PassageRef] = Field(
        default_factory=list, description="For a search: the passages it found, best first"
    )


class MessageRead(ReadModel):
    id: str
    thread_id: str
    role: str = Field(description="user | assistant")
    content: str
    status: str = Field(description="complete | streaming | error | cancelled | interrupted")
    reply_to: str | None = Field(None, description="For a reply: the user message it answers")
    client_message_id: str | None = Field(
        None, description="For a message you sent: the key it was sent with, if any"
    )
    model: str | None
    token_count: int | None
    artifacts: list[ArtifactRef]
    tool_calls: list[ToolCallRef] = Field(
        default_factory=list, description="For a reply: the tools it used, in order"
    )
    created_at: UTCDatetime


class MessageList(BaseModel):
    messages: list[MessageRead]
    total: int
    has_more: bool


class MessageCreate(BaseModel):
    content: Annotated[str, NonBlank] = Field(min_length=1, max_length=MESSAGE_MAX)
    client_message_id: UUID | None = Field(
        None,
        description="A UUID the client makes once, when the message is written, and sends with "
        "every attempt: a message sent again with the same key (per thread) is stored once and "
        "answered like the first time, with no second reply",
    )

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The message must not be empty")
        return value


class MessageSent(BaseModel):
    message_id: str = Field(description="Your message; the stream's key")
    reply_id: str = Field(description="The assistant's reply being written")
    stream_url: str = Field(description="GET it (text/event-stream) to follow the reply")


class ThreadCreated(ThreadRead):
    """With `initial_message`, the reply to it is being written: follow `stream_url`."""

    message_id: str | None = None
    reply_id: str | None = None
    stream_url: str | None = None


class ReplyStatus(BaseModel):
    message_id: str = Field(description="The reply")
    status: str


class UsagePeriod(BaseModel):
    tokens: int
    cost_usd: float = Field(description="The cost of the priced tokens, in US dollars")
    unpriced_tokens: int = Field(
        0,
        description="Tokens of models with no known price (not built in, nor in AI_PRICES): "
        "their cost is unknown, not zero",
    )


class UsageRead(BaseModel):
    today: UsagePeriod
    month: UsagePeriod
    daily_token_limit: int | None = Field(
        description="Tokens allowed per day (AI_DAILY_TOKEN_LIMIT_PER_USER), or null"
    )
