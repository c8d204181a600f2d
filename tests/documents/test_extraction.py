"""Hostile uploads: refused fast with a reason, within CPU, memory and time limits, while
everyone else's requests are answered."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from ba_assistant.config import Settings
from tests.conftest import ApiUser, LiveServer, make_settings
from tests.documents import sample_files as files
from tests.documents.test_endpoints import assert_error, document_names, multipart, read_reply


@pytest.fixture
def project(alice: ApiUser) -> str:
    project_id: str = alice.project("Payments")["id"]
    return project_id


def timed_upload(
    user: ApiUser, project: str, name: str, data: bytes
) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = user.upload(project, name, data)
    return response, time.monotonic() - start


class TestWhatAFileHolds:
    def test_millions_of_tiny_paragraphs_are_refused_in_a_moment(
        self, alice: ApiUser, project: str
    ) -> None:
        hostile = files.word_of_tiny_paragraphs(4_900_000)  # about 1 MB, 171 MB unpacked

        response, seconds = timed_upload(alice, project, "hostile.docx", hostile)

        error = assert_error(response, 422, "unprocessable")
        assert "more than 50,000 paragraphs" in error["message"]
        assert "Split it into smaller files" in error["message"]
        assert error["details"] == {"limit": "paragraphs", "max": 50_000}
        assert seconds < 10
        assert document_names(alice, project) == []

    def test_paragraphs_are_counted_whatever_the_namespace_prefix(
        self, alice: ApiUser, project: str
    ) -> None:
        response = alice.upload(
            project, "renamed.docx", files.word_of_tiny_paragraphs(50_001, prefix="ns0")
        )

        assert (
            "more than 50,000 paragraphs" in assert_error(response, 422, "unprocessable")["message"]
        )

    def test_too_many_table_cells_are_refused(self, alice: ApiUser, project: str) -> None:
        table = b"<w:tbl><w:tr>" + b"<w:tc/>" * 100_001 + b"</w:tr></w:tbl><w:p/>"

        response = alice.upload(project, "grid.docx", files.word_from_xml(table))

        error = assert_error(response, 422, "unprocessable")
        assert "more than 100,000 table cells" in error["message"]
        assert "Split its tables" in error["message"]

    def test_a_document_at_the_paragraph_limit_is_read(self, alice: ApiUser, project: str) -> None:
        response = alice.upload(project, "long.docx", files.word_of_tiny_paragraphs(50_000))

        assert response.status_code == 201, response.text


class TestTextLimit:
    """MAX_DOCUMENT_BYTES is 64 KiB here: no file yields more characters than that."""

    @pytest.fixture
    def settings(self, data_dir: Path) -> Settings:
        return make_settings(data_dir, max_document_bytes=64 * 1024)

    def test_a_small_file_that_unpacks_to_too_much_text_is_refused(
        self, alice: ApiUser, project: str
    ) -> None:
        words = b"<w:p><w:r><w:t>" + b"refund " * 20_000 + b"</w:t></w:r></w:p>"
        data = files.word_from_xml(words)
        assert len(data) < 64 * 1024

        error = assert_error(alice.upload(project, "dense.docx", data), 422, "unprocessable")

        assert "more than 65,536 characters of text" in error["message"]


class TestProcessingTime:
    """One second of CPU time for a file here; the slow file needs about ten."""

    @pytest.fixture
    def settings(self, data_dir: Path) -> Settings:
        return make_settings(data_dir, extract_cpu_seconds=1.0)

    def test_a_file_over_the_cpu_limit_is_refused_and_the_next_one_is_read(
        self, alice: ApiUser, project: str
    ) -> None:
        response, seconds = timed_upload(alice, project, "slow.docx", files.word_slow_to_read())

        error = assert_error(response, 422, "unprocessable")
        assert "needs more processing time to read than one upload may use" in error["message"]
        assert "Split it into smaller files" in error["message"]
        assert seconds < 8
        after = alice.upload(project, "policy.docx", files.word_paragraphs("Refunds in 30 days"))
        assert after.status_code == 201, after.text
        assert document_names(alice, project) == ["policy.docx"]


class TestWallClockTime:
    @pytest.fixture
    def settings(self, data_dir: Path) -> Settings:
        return make_settings(data_dir, extract_timeout_seconds=4.0)

    def test_a_file_still_read_at_the_timeout_is_refused_and_the_next_one_is_read(
        self, alice: ApiUser, project: str
    ) -> None:
        response, seconds = timed_upload(alice, project, "slow.docx", files.word_slow_to_read())

        assert "needs more time to read" in assert_error(response, 422, "unprocessable")["message"]
        assert seconds < 8
        after = alice.upload(project, "policy.docx", files.word_paragraphs("Refunds in 30 days"))
        assert after.status_code == 201, after.text


class TestMemory:
    @pytest.fixture
    def settings(self, data_dir: Path) -> Settings:
        return make_settings(data_dir, extract_memory_mb=64)

    def test_a_file_that_needs_more_memory_than_allowed_is_refused(
        self, alice: ApiUser, project: str
    ) -> None:
        response = alice.upload(project, "long.docx", files.word_of_tiny_paragraphs(50_000))

        assert "needs more memory" in assert_error(response, 422, "unprocessable")["message"]


class TestOthersMeanwhile:
    @pytest.fixture
    def settings(self, data_dir: Path) -> Settings:
        return make_settings(data_dir, extract_cpu_seconds=5.0)

    def test_other_users_are_answered_promptly_while_a_hostile_file_is_read(
        self, alice: ApiUser, bob: ApiUser, project: str, live_server: LiveServer
    ) -> None:
        bobs = bob.project("Bob's")["id"]
        hostile: dict[str, httpx.Response] = {}

        def upload_hostile() -> None:
            hostile["response"] = httpx.post(
                f"{live_server.url}/api/projects/{project}/documents",
                headers=alice.headers,
                files={"file": ("slow.docx", files.word_slow_to_read())},
                timeout=60,
            )

        reading = threading.Thread(target=upload_hostile)
        reading.start()
        time.sleep(1.0)  # the hostile file is being read now
        latencies: list[float] = []
        with httpx.Client(base_url=live_server.url, headers=bob.headers, timeout=30) as http:
            for n in range(5):
                start = time.monotonic()
                assert http.get("/api/projects").status_code == 200
                upload = http.post(
                    f"/api/projects/{bobs}/documents",
                    files={"file": (f"notes-{n}.txt", b"Refunds within 30 days.")},
                )
                assert upload.status_code == 201, upload.text
                latencies.append(time.monotonic() - start)
        still_reading = reading.is_alive()
        reading.join(60)

        assert still_reading
        assert max(latencies) < 1.0, latencies
        assert (
            "processing time" in assert_error(hostile["response"], 422, "unprocessable")["message"]
        )


class TestRequestOrder:
    def test_someone_elses_project_is_refused_before_the_body_is_read(
        self, alice: ApiUser, bob: ApiUser, project: str, live_server: LiveServer
    ) -> None:
        # Bob announces 9 MB and sends only the start: a server that read the body before
        # checking whose project it is would still be waiting for the rest.
        opening = multipart("hostile.docx", b"PK\x03\x04")[:-40]
        head = (
            f"POST /api/projects/{project}/documents HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{live_server.port}\r\n"
            f"Authorization: Bearer {bob.token}\r\n"
            "Content-Type: multipart/form-data; boundary=limit-test-boundary\r\n"
            f"Content-Length: {9 * 1024 * 1024}\r\n\r\n"
        ).encode()

        with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as sock:
            sock.sendall(head + opening)
            reply = read_reply(sock)

        assert reply.startswith(b"HTTP/1.1 403 "), reply[:200]

    def test_a_hostile_file_for_someone_elses_project_is_never_read(
        self, alice: ApiUser, bob: ApiUser, project: str
    ) -> None:
        slow = files.word_slow_to_read()  # ten seconds of reading, had it been read

        response, seconds = timed_upload(bob, project, "slow.docx", slow)

        assert_error(response, 403, "forbidden")
        assert seconds < 2
        assert document_names(alice, project) == []
