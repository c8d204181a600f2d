from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from ba_assistant.documents import search
from ba_assistant.documents.extract import Extracted
from ba_assistant.documents.passages import split_passages
from ba_assistant.models import Document, Project


@dataclass(frozen=True)
class PreparedDocument:
    """An upload ready to store: encrypted and split, so storing it is only database work."""

    name: str
    content_type: str
    size_bytes: int
    ciphertext: bytes
    passages: list[str]


def prepare_document(
    *, name: str, extracted: Extracted, size_bytes: int, fernet: MultiFernet
) -> PreparedDocument:
    """The CPU-heavy half of an upload; runs before the request takes its turn to write."""
    return PreparedDocument(
        name=name,
        content_type=extracted.content_type,
        size_bytes=size_bytes,
        ciphertext=fernet.encrypt(extracted.text.encode("utf-8")),
        passages=split_passages(extracted.text),
    )


def store_document(session: Session, project: Project, prepared: PreparedDocument) -> Document:
    """Stores the encrypted text and indexes its passages, in the caller's transaction."""
    document = Document(
        project_id=project.id,
        name=prepared.name,
        content_type=prepared.content_type,
        content_encrypted=prepared.ciphertext,
        size_bytes=prepared.size_bytes,
    )
    session.add(document)
    session.flush()
    search.index_passages(
        session, document_id=document.id, project_id=project.id, passages=prepared.passages
    )
    return document


def create_document(
    session: Session,
    project: Project,
    *,
    name: str,
    extracted: Extracted,
    size_bytes: int,
    fernet: MultiFernet,
) -> Document:
    """Both halves at once, for callers that hold no write gate (scripts, benchmarks)."""
    prepared = prepare_document(
        name=name, extracted=extracted, size_bytes=size_bytes, fernet=fernet
    )
    return store_document(session, project, prepared)


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
