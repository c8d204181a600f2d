from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ba_assistant.models.base import Base, CreatedMixin, IdMixin


class Document(IdMixin, CreatedMixin, Base):
    """An uploaded document. Its text is Fernet-encrypted; the id is ours, never the filename."""

    __tablename__ = "documents"
    __table_args__ = (Index("idx_documents_project", "project_id", "created_at"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    # Deferred: lists and ownership checks never need the (large) encrypted text.
    content_encrypted: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size_bytes: Mapped[int]


class DocumentChunk(Base):
    """A passage of a document, as indexed for full-text search.

    The integer id is the FTS rowid. The project id is repeated here so that search can
    filter without touching ``documents``.
    """

    __tablename__ = "document_chunks"
    __table_args__ = (
        UniqueConstraint("document_id", "chunk_index"),
        Index("idx_document_chunks_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    chunk_index: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
