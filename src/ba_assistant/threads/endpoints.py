from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from ba_assistant.db import SessionDep
from ba_assistant.deps import OwnedProject, OwnedThread
from ba_assistant.schemas import Page, page_params
from ba_assistant.threads import service as threads
from ba_assistant.threads.schemas import (
    MessageList,
    ThreadCreate,
    ThreadList,
    ThreadRead,
    ThreadUpdate,
)

router = APIRouter(prefix="/api", tags=["threads"])


@router.get("/projects/{project_id}/threads", response_model=ThreadList, summary="List threads")
def list_threads(
    project: OwnedProject, session: SessionDep, page: Annotated[Page, Depends(page_params)]
) -> ThreadList:
    """Most recently active first."""
    items, total = threads.list_threads(session, project, limit=page.limit, offset=page.offset)
    return ThreadList(threads=items, total=total, has_more=page.offset + len(items) < total)


@router.post(
    "/projects/{project_id}/threads",
    response_model=ThreadRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start a thread",
)
def create_thread(body: ThreadCreate, project: OwnedProject, session: SessionDep) -> ThreadRead:
    thread = threads.create_thread(session, project, body)
    return threads.read_thread(session, thread)


@router.get("/threads/{thread_id}", response_model=ThreadRead, summary="Get a thread")
def get_thread(thread: OwnedThread, session: SessionDep) -> ThreadRead:
    return threads.read_thread(session, thread)


@router.patch("/threads/{thread_id}", response_model=ThreadRead, summary="Rename a thread")
def update_thread(body: ThreadUpdate, thread: OwnedThread, session: SessionDep) -> ThreadRead:
    threads.update_thread(session, thread, body)
    return threads.read_thread(session, thread)


@router.delete(
    "/threads/{thread_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a thread with its messages and artifacts",
)
def delete_thread(thread: OwnedThread, session: SessionDep) -> None:
    threads.delete_thread(session, thread)


@router.get(
    "/threads/{thread_id}/messages", response_model=MessageList, summary="Read the conversation"
)
def list_messages(
    thread: OwnedThread, session: SessionDep, page: Annotated[Page, Depends(page_params)]
) -> MessageList:
    """Oldest first, with the artifacts each reply produced."""
    items, total = threads.list_messages(session, thread, limit=page.limit, offset=page.offset)
    return MessageList(messages=items, total=total, has_more=page.offset + len(items) < total)
