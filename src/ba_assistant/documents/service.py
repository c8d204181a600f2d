from __future__ import annotations

from cryptography.fernet import MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from ba_assistant.documents import search
from ba_assistant.documents.extract import Extracted
from ba_assistant.models import Document, Project


def create_document(
    session: Session,
    project: Project,
    *,
    name: str,
    extracted: Extracted,
    size_bytes: int,
    fernet: MultiFernet,
) -> Document:
    """Stores the text encrypted and indexes its passages, in the caller's transaction."""
    document = Document(
        project_id=project.id,
        name=name,
        content_type=extracted.content_type,
        content_encrypted=fernet.encrypt(extracted.text.encode("utf-8")),
        size_bytes=size_bytes,
    )
    session.add(document)
    session.flush()
    search.index_document(
        session, document_id=document.id, project_id=project.id, body=extracted.text
    )
    return document


def read_content(document: Document, fernet: MultiFernet) -> str:
    return fernet.decrypt(document.content_encrypted).decode("utf-8")


def list_documents(
    session: Session, project: Project, *, limit: int, offset: int
) -> tuple[list[Document], int]:
    total = (
        session.scalar(
            select(func.count()).select_from(Document).where(Document.project_id == project.id)
        )
        or 0
    )
    documents = session.scalars(
        select(Document)
        .where(Document.project_id == project.id)
        .order_by(Document.created_at.desc(), Document.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(documents), total


def delete_document(session: Session, document: Document) -> None:
    """Deletes the document and its passages (and so its search entries)."""
    session.delete(document)
    session.flush()


def rotate_keys(session: Session, fernet: MultiFernet, *, batch: int = 200) -> int:
    """Re-encrypts every document with the first key of DB_ENCRYPTION_KEY. Returns the count."""
    count = 0
    last_id = ""
    while True:
        documents = session.scalars(
            select(Document)
            .options(undefer(Document.content_encrypted))
            .where(Document.id > last_id)
            .order_by(Document.id)
            .limit(batch)
        ).all()
        if not documents:
            return count
        for document in documents:
            document.content_encrypted = fernet.rotate(document.content_encrypted)
            count += 1
        last_id = documents[-1].id
        session.flush()
