from __future__ import annotations

import asyncio
import re
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ba_assistant.agent.hub import EventHub, StreamEvent
from ba_assistant.agent.runs import MAX_RUNNING_PER_USER, ReplyJob, RunManager
from ba_assistant.db import Database, DatabaseDep, SessionDep
from ba_assistant.deps import (
    CurrentUser,
    HubDep,
    OwnedProject,
    OwnedThread,
    ProjectAccess,
    RunsDep,
    ThreadAccess,
)
from ba_assistant.errors import NotFound, RateLimited
from ba_assistant.models import Message, Thread, User
from ba_assistant.openapi import STREAM_RESPONSES
from ba_assistant.schemas import Page, page_params
from ba_assistant.threads import service as threads
from ba_assistant.threads.schemas import (
    MessageCreate,
    MessageList,
    MessageSent,
    ReplyStatus,
    ThreadCreate,
    ThreadCreated,
    ThreadList,
    ThreadRead,
    ThreadUpdate,
    UsagePeriod,
    UsageRead,
)

router = APIRouter(prefix="/api", tags=["threads"])
CANCEL_WAIT_SECONDS = 10.0


def stream_url(thread_id: str, message_id: str) -> str:
    return f"/api/threads/{thread_id}/stream?message_id={message_id}"


async def reserve_reply(runs: RunManager, database: Database, user: User) -> None:
    """Takes one of the person's two reply slots (before any await, so parallel requests
    cannot all pass), then checks the daily token budget if one is set. The caller starts the
    run, which uses the slot, or gives it back with ``runs.release``."""
    if not runs.reserve(user.id):
        raise RateLimited(
            5,
            f"You already have {MAX_RUNNING_PER_USER} replies being written. Wait for one to "
            "finish, or stop it, before sending another message.",
        )
    limit = runs.settings.ai_daily_token_limit_per_user
    if limit is None:
        return
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        used = (
            await database.read(lambda session: threads.tokens_used(session, user.id, midnight))
        ).tokens
    except BaseException:
        runs.release(user.id)
        raise
    if used >= limit:
        runs.release(user.id)
        retry_after = int((midnight + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(
            retry_after,
            f"You have used today's AI allowance ({limit:,} tokens). It renews at midnight UTC.",
        )


@asynccontextmanager
async def reply_slot(
    runs: RunManager, database: Database, user: User, *, needed: bool = True
) -> AsyncIterator[None]:
    """A reply slot for the writes that come before ``runs.start``, given back if they fail."""
    if not needed:
        yield
        return
    await reserve_reply(runs, database, user)
    try:
        yield
    except BaseException:
        runs.release(user.id)
        raise


@router.get("/projects/{project_id}/threads", response_model=ThreadList, summary="List threads")
def list_threads(
    project: OwnedProject, session: SessionDep, page: Annotated[Page, Depends(page_params)]
) -> ThreadList:
    """Most recently active first."""
    items, total = threads.list_threads(session, project, limit=page.limit, offset=page.offset)
    return ThreadList(threads=items, total=total, has_more=page.offset + len(items) < total)


@router.post(
    "/projects/{project_id}/threads",
    response_model=ThreadCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Start a thread",
)
async def create_thread(
    body: ThreadCreate,
    project: ProjectAccess,
    user: CurrentUser,
    database: DatabaseDep,
    runs: RunsDep,
) -> ThreadCreated:
    """With `initial_message`, the AI starts replying at once: follow `stream_url`."""

    def create(session: Session) -> ThreadCreated:
        thread, posted = threads.start_thread(session, project.id, body)
        read = threads.read_thread(session, thread)
        if posted is None:
            return ThreadCreated(**read.model_dump())
        return ThreadCreated(
            **read.model_dump(),
            message_id=posted.message_id,
            reply_id=posted.reply_id,
            stream_url=stream_url(thread.id, posted.message_id),
        )

    async with reply_slot(runs, database, user, needed=body.initial_message is not None):
        created = await database.write(create)
    if created.message_id is not None and created.reply_id is not None:
        runs.start(ReplyJob(user.id, project.id, created.id, created.message_id, created.reply_id))
    return created


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
def delete_thread(thread: OwnedThread, session: SessionDep, runs: RunsDep) -> None:
    runs.cancel_where(thread_id=thread.id)
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


@router.post(
    "/threads/{thread_id}/messages",
    response_model=MessageSent,
    status_code=status.HTTP_201_CREATED,
    summary="Send a message; the AI replies in the background",
    responses={409: {"description": "The client_message_id was used for other text"}},
)
async def send_message(
    body: MessageCreate,
    thread: ThreadAccess,
    user: CurrentUser,
    database: DatabaseDep,
    runs: RunsDep,
) -> MessageSent:
    """Stores the message and starts the reply, which goes on whatever the connection does:
    follow it at `stream_url` (and again after a reconnect, with `Last-Event-ID`).

    Send a `client_message_id` to make retries safe: the same key in the same thread is
    answered with the first message's `message_id`, `reply_id` and `stream_url` (201 again, as
    if it were the first time), and no second reply is started."""
    if body.client_message_id is None:
        posted = await _post(body.content, None, thread, user, database, runs)
    else:
        key = str(body.client_message_id)
        async with _one_at_a_time(thread.id, key):
            earlier = await database.read(
                lambda session: threads.sent_before(session, thread.id, key, body.content)
            )
            posted = earlier or await _post(body.content, key, thread, user, database, runs)
    return MessageSent(
        message_id=posted.message_id,
        reply_id=posted.reply_id,
        stream_url=stream_url(thread.id, posted.message_id),
    )


async def _post(
    content: str,
    key: str | None,
    thread: Thread,
    user: User,
    database: Database,
    runs: RunManager,
) -> threads.PostedMessage:
    async with reply_slot(runs, database, user):
        posted = await database.write(
            lambda session: threads.post_message(session, thread.id, content, client_message_id=key)
        )
    if posted.created:
        runs.start(
            ReplyJob(user.id, thread.project_id, thread.id, posted.message_id, posted.reply_id)
        )
    else:  # another server process stored it first, and started its reply
        runs.release(user.id)
    return posted


# Requests sending the same message (thread, client_message_id) on this event loop, one at a
# time: the second finds the first's message instead of being refused a reply slot meanwhile.
# An asyncio lock belongs to one loop; another loop (another app in the process) has its own,
# and between them, as between instances, the unique index decides.
_sending: weakref.WeakValueDictionary[tuple[int, str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


@asynccontextmanager
async def _one_at_a_time(thread_id: str, key: str) -> AsyncIterator[None]:
    name = (id(asyncio.get_running_loop()), thread_id, key)
    lock = _sending.get(name)
    if lock is None:
        lock = _sending[name] = asyncio.Lock()
    async with lock:
        yield


async def _stream_key(database: Database, thread_id: str, message_id: str) -> str:
    """The analyst's message the reply answers (the stream's key), from either id."""
    if not _is_uuid(message_id):
        raise NotFound("Message not found")
    message = await database.read(lambda session: session.get(Message, message_id))
    if message is None or message.thread_id != thread_id:
        raise NotFound("Message not found")
    if message.role == "assistant":
        if message.reply_to_id is None:
            raise NotFound("This message is not a reply")
        return message.reply_to_id
    return message.id


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.get(
    "/threads/{thread_id}/stream",
    response_class=StreamingResponse,
    summary="Follow a reply as it is written (server-sent events)",
    responses=STREAM_RESPONSES,
)
async def stream_reply(
    thread: ThreadAccess,
    request: Request,
    database: DatabaseDep,
    runs: RunsDep,
    hub: HubDep,
    message_id: Annotated[str, Query(description="Your message (or the reply) to follow")],
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    """Events `start`, `chunk`, `tool_call`, `tool_result`, `artifact`, then `complete` or
    `error`, each with an `id:`. Reconnect with `Last-Event-ID` to get exactly the events after
    it. A finished reply replays from the database, beginning with `start` (a client starts
    the reply afresh on `start`). A `: ping` comment keeps quiet connections open."""
    key = await _stream_key(database, thread.id, message_id)
    after = _event_id(last_event_id)
    ping = runs.settings.sse_ping_seconds
    if runs.is_running(key) or hub.has(key):
        logged = hub.position(key)
        if logged is not None and logged.finished and after >= logged.last_id:
            return Response(status_code=status.HTTP_204_NO_CONTENT)  # has everything: stop
        body = _live(hub, key, after, ping)
    else:
        events = await database.read(lambda session: threads.replay_events(session, key))
        if after and after >= len(events):
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        body = _replay(events)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _event_id(header: str | None) -> int:
    """A Last-Event-ID as sent back by a client; anything else counts as none."""
    if header and re.fullmatch(r"[0-9]{1,9}", header.strip()):
        return int(header.strip())
    return 0


async def _live(hub: EventHub, key: str, after: int, ping: float) -> AsyncIterator[bytes]:
    async for item in hub.follow(key, after, wait=ping):
        yield item.encode() if item is not None else b": ping\n\n"


async def _replay(events: list[tuple[str, dict[str, object]]]) -> AsyncIterator[bytes]:
    for number, (event, data) in enumerate(events, start=1):
        yield StreamEvent(number, event, dict(data)).encode()


@router.post(
    "/threads/{thread_id}/messages/{message_id}/cancel",
    response_model=ReplyStatus,
    summary="Stop a reply; the text written so far is kept",
)
async def cancel_reply(
    thread: ThreadAccess, message_id: str, database: DatabaseDep, runs: RunsDep
) -> ReplyStatus:
    """Works with the id of your message or of the reply. A reply that has already finished
    keeps its status."""
    key = await _stream_key(database, thread.id, message_id)
    if runs.cancel(key):
        # The run saves its text and ends; if that takes long, answer with the status so far.
        await asyncio.wait({asyncio.ensure_future(runs.wait(key))}, timeout=CANCEL_WAIT_SECONDS)
    reply = await database.read(
        lambda session: session.scalars(select(Message).where(Message.reply_to_id == key)).first()
    )
    if reply is None:
        raise NotFound("Reply not found")
    return ReplyStatus(message_id=reply.id, status=reply.status)


@router.get("/me/usage", response_model=UsageRead, summary="Your AI usage: tokens and cost")
async def usage(user: CurrentUser, database: DatabaseDep, runs: RunsDep) -> UsageRead:
    """Today and this calendar month (UTC), with the daily token allowance if one is set."""
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)

    def read(session: Session) -> UsageRead:
        day = threads.tokens_used(session, user.id, today)
        this_month = threads.tokens_used(session, user.id, month)
        return UsageRead(
            today=UsagePeriod(
                tokens=day.tokens,
                cost_usd=float(day.cost_usd),
                unpriced_tokens=day.unpriced_tokens,
            ),
            month=UsagePeriod(
                tokens=this_month.tokens,
                cost_usd=float(this_month.cost_usd),
                unpriced_tokens=this_month.unpriced_tokens,
            ),
            daily_token_limit=runs.settings.ai_daily_token_limit_per_user,
        )

    return await database.read(read)
