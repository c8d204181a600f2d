from __future__ import annotations

import itertools
import random
import string
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from ba_assistant.documents.passages import (
    MAX_WORDS,
    OVERLAP_WORDS,
    TARGET_WORDS,
    split_passages,
)
from ba_assistant.documents.search import parse_terms, project_token
from tests.conftest import ApiUser


def words(count: int, prefix: str = "w") -> str:
    """Distinct numbered words, so that a test can tell exactly which ones a passage holds."""
    return " ".join(f"{prefix}{n}" for n in range(count))


def word_count(passage: str) -> int:
    return len(passage.split())


def document_text(seed: int) -> str:
    """Markdown with headings, short and very long paragraphs and lists, all words unique."""
    rng = random.Random(seed)
    blocks: list[str] = []
    for section in range(8):
        blocks.append(f"## Section s{seed}x{section}")
        for paragraph in range(rng.randint(1, 4)):
            length = rng.choice([5, 40, 150, 300, 900])
            blocks.append(words(length, f"s{section}p{paragraph}w"))
        items = [f"- item{section}i{n} " + words(8, f"s{section}l{n}w") for n in range(3)]
        blocks.append("\n".join(items))
    return "\n\n".join(blocks)


class TestSplitPassages:
    def test_a_short_text_is_one_passage(self) -> None:
        assert split_passages("Customers may ask for a refund.") == [
            "Customers may ask for a refund."
        ]

    def test_blank_text_has_no_passages(self) -> None:
        assert split_passages("  \n\n \n") == []

    def test_a_long_text_becomes_several_passages_of_at_most_max_words(self) -> None:
        passages = split_passages(document_text(seed=1))

        assert len(passages) > 10
        assert max(word_count(p) for p in passages) <= MAX_WORDS
        one_long_paragraph = split_passages(words(2_000))
        assert len(one_long_paragraph) >= 2_000 // TARGET_WORDS
        assert max(word_count(p) for p in one_long_paragraph) <= MAX_WORDS

    def test_each_heading_starts_a_new_passage(self) -> None:
        body = "\n\n".join(
            f"# Heading {n}\n\n{words(length, f'h{n}w')}"
            for n, length in enumerate([100, 220, 150, 500, 80])
        )

        passages = split_passages(body)

        for n in range(5):
            starting = [p for p in passages if p.startswith(f"# Heading {n}\n")]
            assert starting, f"no passage starts with heading {n}"
            assert not any(f"# Heading {n}\n" in p[1:] for p in passages)

    def test_consecutive_passages_overlap(self) -> None:
        passages = split_passages("# Scope\n\n" + words(1_000))

        for before, after in itertools.pairwise(passages):
            assert after.startswith("# Scope\n\n… ")
            overlap = after.removeprefix("# Scope\n\n… ").split()[:OVERLAP_WORDS]
            assert overlap == before.split()[-OVERLAP_WORDS:]

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_no_word_is_lost(self, seed: int) -> None:
        body = document_text(seed)

        passages = split_passages(body)

        found = {word for passage in passages for word in passage.split()}
        assert set(body.split()) <= found

    def test_text_is_kept_in_order(self) -> None:
        body = words(700)

        passages = split_passages(body)

        fresh = [
            p.split()[1 + OVERLAP_WORDS :] if p.startswith("… ") else p.split() for p in passages
        ]
        assert [word for part in fresh for word in part] == body.split()


class TestParseTerms:
    def test_operators_quotes_and_symbols_become_plain_words(self) -> None:
        terms = parse_terms('"refund" AND (policy OR NOT content:secret) NEAR(a b) ^x {c}: y')

        assert [t.word for t in terms] == [
            *["refund", "AND", "policy", "OR", "NOT", "content", "secret"],
            *["NEAR", "a", "b", "x", "c", "y"],
        ]
        assert not any(t.prefix for t in terms)

    def test_a_trailing_star_asks_for_a_prefix(self) -> None:
        assert [(t.word, t.prefix) for t in parse_terms("refu* policy")] == [
            ("refu", True),
            ("policy", False),
        ]

    def test_text_without_words_has_no_terms(self) -> None:
        assert parse_terms("🙂🎉 *** ( ) \" ' ^ _") == []


def search(user: ApiUser, project_id: str, q: str) -> list[dict[str, Any]]:
    response = user.get(f"/api/projects/{project_id}/search", params={"q": q})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def names(results: list[dict[str, Any]]) -> list[str]:
    return [r["document_name"] for r in results]


HOSTILE_QUERIES = [
    '"',
    "'",
    "AND",
    "OR",
    "NOT",
    "NEAR(a b)",
    "*",
    "(",
    ")",
    "content:secret",
    "project_id:xyz",
    "project:p00000000000040008000000000000000",
    "{project content}: refund",
    "{content}: x",
    "^x",
    "refund AND",
    "OR refund",
    '"refund',
    "refund*)",
    "🙂🎉",
    "東京 返金",
    "café naïve résumé",
    "\u202erefund\u202c",
    "_",
    "a" * 500,
]


class TestSearch:
    @pytest.fixture
    def project(self, alice: ApiUser) -> str:
        project_id: str = alice.project("Payments")["id"]
        alice.document(
            project_id,
            "Refund policy.md",
            "# Refunds\n\nCustomers may ask for a refund within 30 days. "
            "A refund is paid to the original card. Refunds over 500 EUR need approval.",
        )
        alice.document(
            project_id,
            "Shipping.md",
            "# Shipping\n\nParcels leave the warehouse daily. Refunding postage is rare.",
        )
        alice.document(
            project_id,
            "International.txt",
            "東京 オフィス 返金 ポリシー\n\nLe café propose un résumé naïf des règles.",
        )
        return project_id

    def test_results_are_ranked_passages(self, alice: ApiUser, project: str) -> None:
        results = search(alice, project, "refund")

        assert names(results) == ["Refund policy.md", "Shipping.md"]
        assert set(results[0]) == {
            "document_id",
            "document_name",
            "chunk_index",
            "snippet",
            "highlights",
            "score",
        }
        assert results[0]["chunk_index"] == 0
        scores = [r["score"] for r in results]
        assert scores == sorted(scores, reverse=True)
        assert all(s > 0 for s in scores)

    def test_highlights_point_at_the_matched_words(self, alice: ApiUser, project: str) -> None:
        results = search(alice, project, "refund approval")

        (result,) = results
        snippet = result["snippet"]
        marked = [snippet[start:end] for start, end in result["highlights"]]
        assert sorted({m.lower() for m in marked}) == ["approval", "refund", "refunds"]
        assert "\ue000" not in snippet and "\ue001" not in snippet

    def test_a_trailing_star_finds_words_by_prefix(self, alice: ApiUser, project: str) -> None:
        assert names(search(alice, project, "warehou*")) == ["Shipping.md"]
        assert search(alice, project, "warehou") == []

    def test_words_match_whatever_their_ending(self, alice: ApiUser, project: str) -> None:
        assert "Shipping.md" in names(search(alice, project, "refunds"))
        assert names(search(alice, project, "parcel")) == ["Shipping.md"]

    def test_if_no_passage_has_every_word_any_word_will_do(
        self, alice: ApiUser, project: str
    ) -> None:
        assert names(search(alice, project, "warehouse zebra")) == ["Shipping.md"]

    def test_accented_and_cjk_words_are_found(self, alice: ApiUser, project: str) -> None:
        assert names(search(alice, project, "返金")) == ["International.txt"]
        assert names(search(alice, project, "cafe resume")) == ["International.txt"]
        (result,) = search(alice, project, "naïf")
        snippet, highlights = result["snippet"], result["highlights"]
        assert [snippet[start:end] for start, end in highlights] == ["naïf"]

    def test_limit_caps_the_results(self, alice: ApiUser, project: str) -> None:
        response = alice.get(f"/api/projects/{project}/search", params={"q": "refund", "limit": 1})

        body = response.json()
        assert len(body["results"]) == 1
        assert body["has_more"] is True

    def test_hostile_queries_are_answered_as_plain_words(
        self, alice: ApiUser, project: str
    ) -> None:
        rng = random.Random(3)
        alphabet = string.printable + "éüß東京返金🙂\u202e\u200b\x00"
        junk = "".join(rng.choice(alphabet) for _ in range(10_000))

        statuses = {
            query[:40]: alice.get(f"/api/projects/{project}/search", params={"q": query})
            for query in [*HOSTILE_QUERIES, junk]
        }

        failed = {
            q: (r.status_code, r.text[:200]) for q, r in statuses.items() if r.status_code != 200
        }
        assert failed == {}
        assert all(isinstance(r.json()["results"], list) for r in statuses.values())
        assert names(search(alice, project, '"refund" (approval')) == ["Refund policy.md"]

    def test_operators_in_the_query_cannot_widen_it(self, alice: ApiUser, project: str) -> None:
        assert search(alice, project, "zebra OR refund") != []
        assert search(alice, project, "project_id:zebra") == []
        assert search(alice, project, "NOT zebra") == []

    def test_another_users_documents_are_never_found(
        self, alice: ApiUser, bob: ApiUser, project: str
    ) -> None:
        bobs = bob.project("Bob's")["id"]
        bob.document(bobs, "Secret.md", "The quarterly bobsecret forecast.")

        assert search(alice, project, "bobsecret") == []
        assert search(alice, project, "bobsecr*") == []
        # Naming Bob's project as the index spells it is just another word to search for.
        assert search(alice, project, f"project:{project_token(bobs)} OR bobsecret") == []
        assert search(alice, project, f"{project_token(bobs)}") == []
        assert names(search(bob, bobs, "bobsecret")) == ["Secret.md"]

    def test_one_projects_documents_are_not_found_in_another(
        self, alice: ApiUser, project: str
    ) -> None:
        other = alice.project("Other")["id"]
        alice.document(other, "Other.md", "Only the other project mentions walrus.")

        assert search(alice, project, "walrus") == []
        assert search(alice, other, "refund") == []
        assert names(search(alice, other, "walrus")) == ["Other.md"]

    def test_a_deleted_projects_passages_are_gone(
        self, alice: ApiUser, app: FastAPI, project: str
    ) -> None:
        assert passage_count(app, "warehouse") == 1

        assert alice.delete(f"/api/projects/{project}").status_code == 204

        assert passage_count(app, "warehouse") == 0
        assert table_rows(app) == 0


def passage_count(app: FastAPI, word: str) -> int:
    """Passages the full-text index itself holds for a word, and rows that back them."""
    with app.state.db.engine.connect() as connection:
        indexed = connection.execute(
            text("SELECT count(*) FROM document_chunks_fts WHERE document_chunks_fts MATCH :w"),
            {"w": f'"{word}"'},
        ).scalar_one()
        stored = connection.execute(
            text("SELECT count(*) FROM document_chunks WHERE content LIKE :w"), {"w": f"%{word}%"}
        ).scalar_one()
    assert indexed == stored
    return int(indexed)


def table_rows(app: FastAPI) -> int:
    with app.state.db.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM document_chunks")).scalar_one())
