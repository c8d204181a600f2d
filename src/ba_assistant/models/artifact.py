from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ba_assistant.models.base import Base, CreatedMixin, IdMixin, TimestampMixin


class Artifact(IdMixin, TimestampMixin, Base):
    """A deliverable the AI wrote: user story, acceptance criteria, requirements document…"""

    __tablename__ = "artifacts"
    __table_args__ = (
        Index("idx_artifacts_message", "message_id"),
        Index("idx_artifacts_thread", "thread_id"),
    )

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)


class ArtifactVersion(IdMixin, CreatedMixin, Base):
    """Every saved state of an artifact; the artifact row holds the latest."""

    __tablename__ = "artifact_versions"
    __table_args__ = (
        UniqueConstraint("artifact_id", "version"),
        Index("idx_artifact_versions_message", "message_id"),
    )

    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id", ondelete="CASCADE"))
    # The AI reply that wrote this version; none for the analyst's own edits.
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
