from __future__ import annotations

import sqlite3
import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from ba_assistant.config import Settings
from tests.conftest import ApiUser


class TestEncryptionAtRest:
    def test_document_text_never_reaches_the_disk_in_the_clear(
        self, alice: ApiUser, app: FastAPI, settings: Settings
    ) -> None:
        canary = f"quokka{uuid.uuid4().hex[:12]}"
        passage = f"The launch codename is {canary}. Keep it between us."
        project = alice.project("Launch")["id"]
        document = alice.document(project, "Codename.md", passage)

        database = settings.data_dir / "ba_assistant.db"
        files = [database, database.with_name(database.name + "-wal")]
        assert files[1].exists(), "the write-ahead log is where fresh writes land"
        for path in files:
            stored = path.read_bytes()
            assert canary.encode() not in stored, path
            assert canary.encode("utf-16-le") not in stored, path
            assert passage.encode() not in stored, path

        with (
            pytest.raises(sqlite3.DatabaseError),
            sqlite3.connect(database) as plain,
        ):
            plain.execute("SELECT count(*) FROM sqlite_master").fetchall()

        # Inside the encrypted file, the document itself is encrypted a second time.
        with app.state.db.engine.connect() as connection:
            ciphertext = connection.execute(
                text("SELECT content_encrypted FROM documents WHERE id = :id"),
                {"id": document["id"]},
            ).scalar_one()
        assert canary.encode() not in ciphertext

        read_back = alice.get(f"/api/documents/{document['id']}").json()
        assert read_back["content"] == passage
        found = alice.get(f"/api/projects/{project}/search", params={"q": canary}).json()
        assert [r["document_id"] for r in found["results"]] == [document["id"]]
