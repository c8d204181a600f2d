from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ba_assistant.models.base import Base, CreatedMixin, IdMixin, TimestampMixin, utcnow


class Thread(IdMixin, TimestampMixin, Base):
    __tablename__ = "threads"
    __table_args__ = (
        Index("idx_threads_project", "project_id", "last_message_at"),
        Index("idx_threads_last_message", "last_message_at"),
    )

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The rolling summary of the messages that have left the AI's history window, and the last
    # message folded into it (by created_at, then id, the order of the conversation).
    memory: Mapped[str | None] = mapped_column(Text)
    memory_through_at: Mapped[datetime | None]
    memory_through_id: Mapped[str | None] = mapped_column(String(36))


class Message(IdMixin, CreatedMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("idx_messages_thread", "thread_id", "created_at"),
        Index("idx_messages_status", "status"),
        # A message sent again (a retry, a second tab) is found by its key, not stored twice.
        Index("uq_messages_thread_client_message", "thread_id", "client_message_id", unique=True),
    )

    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    # complete | streaming | error | cancelled | interrupted
    status: Mapped[str] = mapped_column(String(16), default="complete")
    reply_to_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    model: Mapped[str | None] = mapped_column(String(100))
    token_count: Mapped[int | None]
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cache_read_tokens: Mapped[int | None]
    cache_write_tokens: Mapped[int | None]
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    error_message: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    # The sender's idempotency key (a UUID the client made when the message was written).
    client_message_id: Mapped[str | None] = mapped_column(String(36))


class ToolCall(IdMixin, CreatedMixin, Base):
    """One tool the agent used while writing a reply, kept for debugging and display."""

    __tablename__ = "tool_calls"
    __table_args__ = (Index("idx_tool_calls_message", "message_id"),)

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    tool_name: Mapped[str] = mapped_column(String(64))
    input_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="executing")
    result_preview: Mapped[str | None] = mapped_column(Text)
    # What a search found, as JSON: the passages the reply may cite.
    result_json: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
