from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from ba_assistant.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `ba-assistant migrate`")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # The search index is created by hand in the migrations (FTS5 / tsvector).
    return not (name or "").startswith("document_chunks_fts") and name != "search_vector"


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
