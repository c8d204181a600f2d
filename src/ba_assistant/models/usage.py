from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ba_assistant.models.base import Base, CreatedMixin, IdMixin


class AIUsage(IdMixin, CreatedMixin, Base):
    """What one call to a model cost a person: a reply, a title or a summary. Kept apart from
    threads so that deleting a thread or a project does not give the tokens back (the daily
    allowance counts these rows); it goes only with the account."""

    __tablename__ = "ai_usage"
    __table_args__ = (Index("idx_ai_usage_user", "user_id", "created_at"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # reply | title | summary
    model: Mapped[str] = mapped_column(String(100))
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cache_read_tokens: Mapped[int] = mapped_column(default=0)
    cache_write_tokens: Mapped[int] = mapped_column(default=0)
    # None when the model has no price (not built in, nor in AI_PRICES): "cost unknown", not $0.
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
