"""Deliverables are revised in place: the model sees the thread's artifacts, reads one, and
saves its next version instead of a new artifact; nothing outside the thread can be touched."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser, Event, read_events, sign_in, wait_for_reply
from tests.fakes.llm_servers import FakeAnthropic, Reply, text, tool

STORY = (
    "# Password reset\n\n"
    "As a customer, I want to reset my password by email, so that I can get back in.\n"
)
REVISED = STORY + "\nScenario: The reset link has expired\n  Given a link sent 25 hours ago\n"


def say(user: ApiUser, thread_id: str, content: str) -> list[Event]:
    sent = user.post(f"/api/threads/{thread_id}/messages", json={"content": content}).json()
    events = read_events(user, sent["stream_url"])
    wait_for_reply(user, thread_id)
    return events


def artifact_events(events: list[Event]) -> list[dict[str, Any]]:
    return [e.data for e in events if e.event == "artifact"]


class TestRevisingAStory:
    def test_add_a_scenario_becomes_version_2_of_the_same_artifact(
        self, claude: FakeAnthropic, analyst: ApiUser
    ) -> None:
        thread = analyst.thread(analyst.project("Accounts")["id"], title="Password reset")
        claude.enqueue(
            Reply(
                tool(
                    "ArtifactGenerator",
                    {"artifact_type": "user_story", "title": "Password reset", "content": STORY},
                )
            ),
            Reply(text("Drafted.")),
        )
        first = artifact_events(say(analyst, thread["id"], "Write the story"))
        artifact_id = first[0]["artifact_id"]
        assert first[0]["version"] == 1

        claude.enqueue(
            Reply(tool("ArtifactReader", {"artifact_id": artifact_id})),
            Reply(
                tool(
                    "ArtifactGenerator",
                    {
                        "artifact_type": "user_story",
                        "title": "Password reset",
                        "content": REVISED,
                        "artifact_id": artifact_id,
                    },
                )
            ),
            Reply(text("Added the expired-link scenario.")),
        )
        events = say(analyst, thread["id"], "Add the expired-link scenario to the story")
        assert artifact_events(events) == [
            {
                "artifact_id": artifact_id,
                "type": "user_story",
                "title": "Password reset",
                "version": 2,
            }
        ]
        # The model was shown the thread's artifacts, and read the current text on demand.
        turn = claude.requests[2].json["messages"][-1]["content"]
        listing = next(b["text"] for b in turn if "<thread_artifacts>" in b.get("text", ""))
        assert f'artifact_id={artifact_id} type=user_story version=1 title="Password reset"' in (
            listing
        )
        read = json.dumps(claude.requests[3].json["messages"][-1]["content"])
        assert "As a customer, I want to reset my password by email" in read

        stored = analyst.get(f"/api/artifacts/{artifact_id}").json()
        assert stored["version"] == 2 and stored["content"] == REVISED
        listed = analyst.get(f"/api/threads/{thread['id']}/artifacts").json()
        assert listed["total"] == 1  # one artifact, two versions
        versions = analyst.get(f"/api/artifacts/{artifact_id}/versions").json()["versions"]
        assert [v["version"] for v in versions] == [2, 1]

        # Each reply shows the version it wrote, and that there is a newer one.
        messages = analyst.get(f"/api/threads/{thread['id']}/messages").json()["messages"]
        assert messages[1]["artifacts"][0] | {"id": ""} == {
            "id": "",
            "type": "user_story",
            "title": "Password reset",
            "version": 1,
            "latest_version": 2,
        }
        assert messages[3]["artifacts"][0]["version"] == 2
        assert [(c["tool"], c["status"]) for c in messages[3]["tool_calls"]] == [
            ("ArtifactReader", "complete"),
            ("ArtifactGenerator", "complete"),
        ]
        # A replay from the database says the same as the live stream did.
        analyst.client.app.state.hub._logs.clear()
        replayed = read_events(
            analyst, f"/api/threads/{thread['id']}/stream?message_id={messages[3]['id']}"
        )
        assert artifact_events(replayed) == artifact_events(events)


class TestOnlyThisThreadsArtifacts:
    def test_another_threads_or_persons_artifact_cannot_be_read_or_revised(
        self, claude: FakeAnthropic, client: TestClient
    ) -> None:
        alice = sign_in(client, "alice@example.com")
        bob = sign_in(client, "bob@example.com")
        bobs_thread = bob.thread(bob.project("Payroll")["id"], title="Payroll")
        claude.enqueue(
            Reply(
                tool(
                    "ArtifactGenerator",
                    {"artifact_type": "custom", "title": "Payroll", "content": "BOBSECRET"},
                )
            ),
            Reply(text("Done.")),
        )
        bobs_id = artifact_events(say(bob, bobs_thread["id"], "Write it"))[0]["artifact_id"]

        thread = alice.thread(alice.project("Refunds")["id"], title="Refunds")
        claude.enqueue(
            Reply(tool("ArtifactReader", {"artifact_id": bobs_id})),
            Reply(
                tool(
                    "ArtifactGenerator",
                    {
                        "artifact_type": "custom",
                        "title": "Taken over",
                        "content": "overwritten",
                        "artifact_id": bobs_id,
                    },
                )
            ),
            Reply(text("I could not change that artifact.")),
        )
        events = say(alice, thread["id"], f"Revise artifact {bobs_id}")
        assert artifact_events(events) == []
        results = [e.data["result_preview"] for e in events if e.event == "tool_result"]
        assert results == ["No such artifact in this thread", "No such artifact in this thread"]
        told = json.dumps([r.json["messages"][-1] for r in claude.requests[-2:]])
        assert "BOBSECRET" not in told
        assert "is not an artifact of this thread" in told
        bobs = bob.get(f"/api/artifacts/{bobs_id}").json()
        assert bobs["version"] == 1 and bobs["content"] == "BOBSECRET"
