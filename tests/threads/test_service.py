from __future__ import annotations

import uuid

from fastapi import FastAPI
from sqlalchemy import func, select

from ba_assistant.models import Message
from ba_assistant.threads import service as threads
from tests.conftest import ApiUser


class TestPostMessage:
    def test_a_key_stored_meanwhile_by_another_process_answers_with_its_message(
        self, alice: ApiUser, app: FastAPI
    ) -> None:
        """What a request finds when another server process stored the same message after
        this one looked: the unique index refuses the second copy, and the request's
        transaction carries on with the first."""
        thread = alice.thread(alice.project()["id"])
        key = str(uuid.uuid4())
        with app.state.db.session() as session:
            first = threads.post_message(session, thread["id"], "Refunds?", client_message_id=key)
        with app.state.db.session() as session:
            again = threads.post_message(session, thread["id"], "Refunds?", client_message_id=key)
            # Still usable: the failed insert was rolled back to its savepoint only.
            count = session.scalar(
                select(func.count()).select_from(Message).where(Message.thread_id == thread["id"])
            )
        assert first.created and not again.created
        assert (again.message_id, again.reply_id) == (first.message_id, first.reply_id)
        assert count == 2
