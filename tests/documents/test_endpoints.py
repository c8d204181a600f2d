from __future__ import annotations

import select
import socket
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ba_assistant.config import Settings
from tests.conftest import ApiUser, LiveServer, make_settings
from tests.documents import sample_files as files

DOCUMENT_FIELDS = {"id", "project_id", "name", "content_type", "size_bytes", "created_at"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "message", "details", "request_id"}
    assert body["error"] == code
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def document_names(user: ApiUser, project_id: str) -> list[str]:
    response = user.get(f"/api/projects/{project_id}/documents")
    assert response.status_code == 200, response.text
    return [d["name"] for d in response.json()["documents"]]


def content_of(user: ApiUser, document_id: str) -> str:
    response = user.get(f"/api/documents/{document_id}")
    assert response.status_code == 200, response.text
    content: str = response.json()["content"]
    return content


@pytest.fixture
def project(alice: ApiUser) -> str:
    project_id: str = alice.project("Payments")["id"]
    return project_id


def word_with_structure() -> bytes:
    def build(document: Any) -> None:
        document.add_heading("Refund policy", 1)
        document.add_paragraph("Card payments", style="List Bullet")
        table = document.add_table(rows=2, cols=1)
        table.cell(0, 0).text = "Rule"
        table.cell(1, 0).text = "30 days"

    return files.word(build)


# Files refused with 415: a type we do not read, or content unlike its extension.
DISGUISED = [
    ("setup.exe", b"MZ\x90\x00" + bytes(100)),
    ("diagram.png", files.png()),
    ("README", b"Plain words without an extension"),
    ("policy.txt", files.pdf("A PDF in disguise")),
    ("policy.md", files.png()),
    ("scan.pdf", files.png()),
    ("notes.pdf", b"Just some text, not a PDF"),
    ("notes.docx", b"Just some text, not a Word document"),
    ("archive.docx", files.zip_archive({"readme.txt": b"not a Word document"})),
    ("old.docx", files.old_word()),
    ("binary.txt", bytes(range(256)) * 4),
]

# Files refused with 422, and a word the message must contain.
UNREADABLE = [
    ("empty.txt", b"", "empty"),
    ("blank.md", b" \r\n\n\t\n", "empty"),
    ("empty.pdf", files.pdf_without_pages(), "no pages"),
    ("locked.pdf", files.password_protected_pdf("Salaries"), "password"),
    ("locked.docx", files.password_protected_word(), "password"),
    ("scan.pdf", files.scanned_pdf(), "scan"),
    ("garbled.pdf", files.garbled_pdf(), "damaged"),
    ("truncated.pdf", files.truncated_pdf(), "damaged"),
    ("filter.pdf", files.pdf_with_unknown_filter(), "damaged"),
    ("corrupt.docx", files.corrupt_word(), "damaged"),
    ("inflate.docx", files.word_with_broken_compression(), "damaged"),
    ("rootless.docx", files.word_with_part("word/document.xml", b"<root/>"), "damaged"),
    ("bomb.docx", files.zip_bomb_word(), "unreasonable size"),
    ("crowded.docx", files.many_entries_word(), "unreasonable size"),
    ("blank.docx", files.word_paragraphs("", "  "), "no text"),
]


class TestUploadDocument:
    def test_json_text_is_stored(self, alice: ApiUser, project: str) -> None:
        response = alice.post(
            f"/api/projects/{project}/documents",
            json={"name": "Refund policy.md", "content": "# Refunds\n\nWithin 30 days – ✓"},
        )

        assert response.status_code == 201, response.text
        document = response.json()
        assert set(document) == DOCUMENT_FIELDS
        assert uuid.UUID(document["id"]).version == 4
        assert document["project_id"] == project
        assert document["name"] == "Refund policy.md"
        assert document["content_type"] == "text/markdown"
        assert document["size_bytes"] == len("# Refunds\n\nWithin 30 days – ✓".encode())
        assert document["created_at"].endswith("Z")
        assert content_of(alice, document["id"]) == "# Refunds\n\nWithin 30 days – ✓"

    @pytest.mark.parametrize(
        ("name", "data", "content_type", "content"),
        [
            ("notes.txt", b"Refunds within 30 days.\r\n", "text/plain", "Refunds within 30 days."),
            ("notes.md", b"# Scope\n\n- refunds\n", "text/markdown", "# Scope\n\n- refunds"),
            (
                "policy.pdf",
                files.pdf("Refund policy", "Approvals"),
                "application/pdf",
                "Refund policy\n\nApprovals",
            ),
            (
                "policy.docx",
                word_with_structure(),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "# Refund policy\n\n- Card payments\n\n| Rule |\n| --- |\n| 30 days |",
            ),
        ],
        ids=["txt", "md", "pdf", "docx"],
    )
    def test_a_supported_file_is_stored_with_its_text(
        self,
        alice: ApiUser,
        project: str,
        name: str,
        data: bytes,
        content_type: str,
        content: str,
    ) -> None:
        response = alice.upload(project, name, data)

        assert response.status_code == 201, response.text
        document = response.json()
        assert set(document) == DOCUMENT_FIELDS
        assert document["name"] == name
        assert document["content_type"] == content_type
        assert document["size_bytes"] == len(data)
        assert content_of(alice, document["id"]) == content

    @pytest.mark.parametrize(("name", "data"), DISGUISED, ids=[c[0] for c in DISGUISED])
    def test_a_type_we_do_not_read_or_a_disguised_file_is_refused(
        self, alice: ApiUser, project: str, name: str, data: bytes
    ) -> None:
        response = alice.upload(project, name, data)

        assert_error(response, 415, "unsupported_media_type")
        assert document_names(alice, project) == []

    @pytest.mark.parametrize(
        ("name", "data", "message"), UNREADABLE, ids=[c[0] for c in UNREADABLE]
    )
    def test_a_file_we_cannot_read_is_refused_with_a_reason(
        self, alice: ApiUser, project: str, name: str, data: bytes, message: str
    ) -> None:
        response = alice.upload(project, name, data)

        body = assert_error(response, 422, "unprocessable")
        assert message in body["message"]
        assert document_names(alice, project) == []

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("../../etc/passwd.txt", "passwd.txt"),
            ("C:\\Users\\x\\notes.md", "notes.md"),
            ("/var/tmp/./policy.txt", "policy.txt"),
        ],
    )
    def test_directories_are_dropped_from_an_uploaded_files_name(
        self, alice: ApiUser, project: str, given: str, stored: str
    ) -> None:
        response = alice.upload(project, given, b"Refunds within 30 days.")

        assert response.status_code == 201, response.text
        assert response.json()["name"] == stored
        assert document_names(alice, project) == [stored]

    def test_control_and_bidi_characters_are_dropped_from_a_name(
        self, alice: ApiUser, project: str
    ) -> None:
        names = {
            "re\x00port\x07.txt": "report.txt",
            "\u202eevil\u202c\u200f.md": "evil.md",
            "..\\..\\boot.ini.txt": "boot.ini.txt",
        }

        stored = {given: alice.document(project, given, "Some text") for given in names}

        assert {given: doc["name"] for given, doc in stored.items()} == names
        assert all(uuid.UUID(doc["id"]).version == 4 for doc in stored.values())

    def test_json_without_text_is_a_validation_error(self, alice: ApiUser, project: str) -> None:
        url = f"/api/projects/{project}/documents"

        blank = alice.post(url, json={"name": "a.md", "content": " \n "})
        missing = alice.post(url, json={"content": "words"})
        broken = alice.post(url, content=b"{not json", headers={"Content-Type": "application/json"})

        assert "content" in assert_error(blank, 400, "validation_error")["details"]
        assert "name" in assert_error(missing, 400, "validation_error")["details"]
        assert_error(broken, 400, "validation_error")
        assert document_names(alice, project) == []

    def test_a_form_without_exactly_one_file_is_a_validation_error(
        self, alice: ApiUser, project: str
    ) -> None:
        url = f"/api/projects/{project}/documents"

        no_file = alice.post(url, files={"attachment": ("x.txt", b"words")})
        two_files = alice.post(
            url, files=[("file", ("a.txt", b"one")), ("file", ("b.txt", b"two"))]
        )

        assert "file" in assert_error(no_file, 400, "validation_error")["details"]
        assert_error(two_files, 400, "validation_error")
        assert document_names(alice, project) == []

    def test_other_body_types_are_refused(self, alice: ApiUser, project: str) -> None:
        response = alice.post(
            f"/api/projects/{project}/documents",
            content=b"Refunds",
            headers={"Content-Type": "text/plain"},
        )

        assert_error(response, 415, "unsupported_media_type")

    def test_only_the_owner_can_upload(self, alice: ApiUser, bob: ApiUser, project: str) -> None:
        response = bob.upload(project, "notes.txt", b"Bob's words")

        assert_error(response, 403, "forbidden")
        assert document_names(alice, project) == []


LIMIT = 64 * 1024


def multipart(name: str, data: bytes, boundary: str = "limit-test-boundary") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


def text_of_size(size: int) -> bytes:
    line = b"Refunds are paid back within thirty days of the request.\n"
    return (line * (size // len(line) + 1))[:size]


class TestUploadSizeLimit:
    """MAX_DOCUMENT_BYTES is 64 KiB here, so that refusing large bodies stays fast."""

    @pytest.fixture
    def settings(self, data_dir: Path) -> Settings:
        return make_settings(data_dir, max_document_bytes=LIMIT)

    def test_a_file_at_the_limit_is_accepted(self, alice: ApiUser, project: str) -> None:
        response = alice.upload(project, "big.txt", text_of_size(LIMIT))

        assert response.status_code == 201, response.text
        assert response.json()["size_bytes"] == LIMIT

    def test_a_file_over_the_limit_is_refused(self, alice: ApiUser, project: str) -> None:
        just_over = alice.upload(project, "big.txt", text_of_size(LIMIT + 1))
        far_over = alice.upload(project, "huge.txt", text_of_size(10 * LIMIT))

        # The endpoint refuses the first, the body limit (before reading it all) the second;
        # either way the person is told the document limit, not the wire limit.
        for response in (just_over, far_over):
            error = assert_error(response, 413, "payload_too_large")
            assert error["details"] == {"max_bytes": LIMIT}
            assert "0.0625 MB limit" in error["message"]
        assert document_names(alice, project) == []

    def test_json_text_over_the_limit_is_refused(self, alice: ApiUser, project: str) -> None:
        over = text_of_size(LIMIT + 1).decode()
        escaped = "\n" * (LIMIT + 1)  # each newline is two bytes of JSON

        for content in (over, escaped, over * 4):
            response = alice.post(
                f"/api/projects/{project}/documents", json={"name": "a.txt", "content": content}
            )
            assert_error(response, 413, "payload_too_large")
        assert document_names(alice, project) == []

    def test_a_chunked_body_without_length_is_refused_while_it_is_read(
        self, alice: ApiUser, project: str, live_server: LiveServer
    ) -> None:
        body = multipart("big.txt", text_of_size(4 * LIMIT))

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), 8192):
                yield body[start : start + 8192]

        response = httpx.post(
            f"{live_server.url}/api/projects/{project}/documents",
            content=chunks(),
            headers={
                **alice.headers,
                "Content-Type": "multipart/form-data; boundary=limit-test-boundary",
            },
            timeout=10,
        )

        assert "content-length" not in response.request.headers
        assert assert_error(response, 413, "payload_too_large")["details"] == {"max_bytes": LIMIT}
        assert document_names(alice, project) == []

    def test_a_stream_that_never_ends_is_refused_once_over_the_limit(
        self, alice: ApiUser, project: str, live_server: LiveServer
    ) -> None:
        head = (
            f"POST /api/projects/{project}/documents HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{live_server.port}\r\n"
            f"Authorization: Bearer {alice.token}\r\n"
            "Content-Type: multipart/form-data; boundary=limit-test-boundary\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        opening = multipart("endless.txt", b"")[: -len(b"\r\n--limit-test-boundary--\r\n")]

        with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
            sock.sendall(head + chunk(opening))
            endless = (chunk(text_of_size(8192)) for _ in range(LIMIT * 8 // 8192))
            reply = send_until_answered(sock, endless)

        assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
        assert document_names(alice, project) == []

    def test_a_body_longer_than_its_content_length_is_never_stored(
        self, alice: ApiUser, project: str, live_server: LiveServer
    ) -> None:
        body = multipart("liar.txt", text_of_size(4 * LIMIT))
        head = (
            f"POST /api/projects/{project}/documents HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{live_server.port}\r\n"
            f"Authorization: Bearer {alice.token}\r\n"
            "Content-Type: multipart/form-data; boundary=limit-test-boundary\r\n"
            "Content-Length: 1000\r\n\r\n"
        ).encode()

        with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
            reply = send_until_answered(sock, [head, body])

        # The server reads no further than the declared length: it answers the rest as a
        # malformed request, or just closes the connection.
        assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:300]
        assert document_names(alice, project) == []


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def send_until_answered(sock: socket.socket, pieces: Iterable[bytes]) -> bytes:
    """Sends the pieces until the server answers or closes, then returns its reply.

    An empty reply means the server closed the connection without answering.
    """
    for piece in pieces:
        if select.select([sock], [], [], 0)[0]:  # something to read: an answer, or EOF
            break
        try:
            sock.sendall(piece)
        except OSError:  # the server stopped reading or closed the connection on us
            break
    return read_reply(sock)


def read_reply(sock: socket.socket) -> bytes:
    reply = b""
    try:
        while b"\r\n\r\n" not in reply:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    except (ConnectionResetError, TimeoutError):
        pass
    return reply


class TestListDocuments:
    def test_documents_are_listed_newest_first_in_pages(self, alice: ApiUser, project: str) -> None:
        for n in range(3):
            alice.document(project, f"doc{n}.md", f"Document number {n}")
        url = f"/api/projects/{project}/documents"

        first = alice.get(url, params={"limit": 2}).json()
        second = alice.get(url, params={"limit": 2, "offset": 2}).json()

        assert [d["name"] for d in first["documents"]] == ["doc2.md", "doc1.md"]
        assert (first["total"], first["has_more"]) == (3, True)
        assert [d["name"] for d in second["documents"]] == ["doc0.md"]
        assert (second["total"], second["has_more"]) == (3, False)
        assert set(first["documents"][0]) == DOCUMENT_FIELDS

    def test_an_empty_project_has_no_documents(self, alice: ApiUser, project: str) -> None:
        body = alice.get(f"/api/projects/{project}/documents").json()

        assert body == {"documents": [], "total": 0, "has_more": False}

    def test_paging_outside_its_bounds_is_a_validation_error(
        self, alice: ApiUser, project: str
    ) -> None:
        url = f"/api/projects/{project}/documents"

        for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
            assert_error(alice.get(url, params=params), 400, "validation_error")

    def test_another_users_project_is_forbidden(
        self, alice: ApiUser, bob: ApiUser, project: str
    ) -> None:
        assert_error(bob.get(f"/api/projects/{project}/documents"), 403, "forbidden")
        assert_error(alice.get(f"/api/projects/{uuid.uuid4()}/documents"), 404, "not_found")


class TestGetDocument:
    def test_the_document_comes_with_its_text(self, alice: ApiUser, project: str) -> None:
        document = alice.document(project, "notes.md", "# Notes\n\nRefunds within 30 days.")

        response = alice.get(f"/api/documents/{document['id']}")

        assert response.status_code == 200
        assert response.json() == {**document, "content": "# Notes\n\nRefunds within 30 days."}

    def test_only_the_owner_can_read_it(self, alice: ApiUser, bob: ApiUser, project: str) -> None:
        document = alice.document(project, "notes.md", "Private words")

        assert_error(bob.get(f"/api/documents/{document['id']}"), 403, "forbidden")
        assert_error(alice.get(f"/api/documents/{uuid.uuid4()}"), 404, "not_found")
        assert_error(alice.get("/api/documents/not-an-id"), 404, "not_found")
        assert_error(alice.client.get(f"/api/documents/{document['id']}"), 401, "unauthorized")


class TestDeleteDocument:
    def test_a_deleted_document_is_gone_with_its_passages(
        self, alice: ApiUser, project: str
    ) -> None:
        kept = alice.document(project, "kept.md", "Shipping takes three days.")
        gone = alice.document(project, "gone.md", "Refunds take thirty days. Shipping too.")

        response = alice.delete(f"/api/documents/{gone['id']}")

        assert response.status_code == 204
        assert response.content == b""
        assert_error(alice.get(f"/api/documents/{gone['id']}"), 404, "not_found")
        assert_error(alice.delete(f"/api/documents/{gone['id']}"), 404, "not_found")
        assert document_names(alice, project) == ["kept.md"]
        search = f"/api/projects/{project}/search"
        assert alice.get(search, params={"q": "refunds"}).json()["results"] == []
        shipping = alice.get(search, params={"q": "shipping"}).json()["results"]
        assert [r["document_id"] for r in shipping] == [kept["id"]]

    def test_only_the_owner_can_delete_it(self, alice: ApiUser, bob: ApiUser, project: str) -> None:
        document = alice.document(project, "notes.md", "Private words")

        assert_error(bob.delete(f"/api/documents/{document['id']}"), 403, "forbidden")
        assert document_names(alice, project) == ["notes.md"]


class TestSearchDocuments:
    def test_results_are_passages_with_highlights(self, alice: ApiUser, project: str) -> None:
        document = alice.document(project, "refunds.md", "Refunds are paid within 30 days.")

        response = alice.get(f"/api/projects/{project}/search", params={"q": "refund"})

        assert response.status_code == 200
        body = response.json()
        assert (body["total"], body["has_more"]) == (1, False)
        (result,) = body["results"]
        assert result["document_id"] == document["id"]
        assert result["document_name"] == "refunds.md"
        assert result["chunk_index"] == 0
        assert result["snippet"] == "Refunds are paid within 30 days."
        assert result["highlights"] == [[0, 7]]
        assert result["score"] > 0

    def test_a_missing_or_empty_query_is_a_validation_error(
        self, alice: ApiUser, project: str
    ) -> None:
        url = f"/api/projects/{project}/search"

        for params in ({}, {"q": ""}, {"q": "refund", "limit": 0}, {"q": "refund", "limit": 51}):
            body = assert_error(alice.get(url, params=params), 400, "validation_error")
            assert set(body["details"]) <= {"q", "limit"}

    def test_only_the_owner_can_search(self, alice: ApiUser, bob: ApiUser, project: str) -> None:
        alice.document(project, "notes.md", "Private words")

        assert_error(
            bob.get(f"/api/projects/{project}/search", params={"q": "private"}), 403, "forbidden"
        )
