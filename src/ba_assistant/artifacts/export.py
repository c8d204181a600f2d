"""Artifacts as files a team uses: Markdown with a small header, Word, a Gherkin ``.feature``,
and CSV for Jira's and Azure DevOps' importers. (PDF is in ``pdf.py``.)

Stories are found as "As a …, I want …, so that …" sentences; scenarios as ``Scenario:`` lines
followed by Given/When/Then/And/But steps, inside or outside a ```gherkin block.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from ba_assistant.errors import Unprocessable

TYPE_LABELS = {
    "user_story": "User story",
    "acceptance_criteria": "Acceptance criteria",
    "requirements_doc": "Requirements document",
    "custom": "Document",
}
STEP = re.compile(r"^\s*(Given|When|Then|And|But)\b\s*(.*)$")
SCENARIO = re.compile(r"^\s*(Scenario(?: Outline)?|Example)\s*:\s*(.*)$")
STORY = re.compile(
    r"\bAs an? (?P<role>[^,]+?),\s*I want (?P<want>.+?),?\s*so that (?P<benefit>[^\n]+?)\.?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
PRIORITY = re.compile(r"\bPriority:\s*\**\s*(Must|Should|Could|Won'?t)\b", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
# Azure DevOps priorities run 1 (highest) to 4. Column names are Azure DevOps field names (it
# refuses others); Jira's importer lets each be mapped, Tags to Labels. A tag has no spaces.
MOSCOW_TO_PRIORITY = {"must": "1", "should": "2", "could": "3", "won't": "4", "wont": "4"}
CSV_COLUMNS = [
    "Work Item Type",
    "Title",
    "Description",
    "Acceptance Criteria",
    "Priority",
    "Tags",
]


@dataclass(frozen=True)
class ExportSource:
    title: str
    type: str
    content: str
    project: str
    version: int
    exported_on: date


def without_title(source: ExportSource) -> str:
    """The content without a first heading that repeats the title: the header names it."""
    body = source.content.strip()
    lines = body.splitlines()
    if lines and lines[0].startswith("#") and lines[0].lstrip("# ").strip() == source.title.strip():
        return "\n".join(lines[1:]).strip()
    return body


def to_markdown(source: ExportSource) -> str:
    body = without_title(source)
    label = TYPE_LABELS.get(source.type, "Document")
    return (
        f"# {source.title}\n\n"
        f"*Project:* {source.project} · *Type:* {label} · *Version:* {source.version} · "
        f"*Exported:* {source.exported_on.isoformat()}\n\n---\n\n{body}\n"
    )


@dataclass
class Scenario:
    name: str
    steps: list[str] = field(default_factory=list)


def scenarios(text: str) -> list[Scenario]:
    found: list[Scenario] = []
    current: Scenario | None = None
    for line in text.splitlines():
        header = SCENARIO.match(line)
        if header:
            current = Scenario(header.group(2).strip() or f"Scenario {len(found) + 1}")
            found.append(current)
            continue
        step = STEP.match(line)
        if step and current is not None:
            current.steps.append(f"{step.group(1)} {step.group(2).strip()}".rstrip())
        elif line.strip().startswith("```") or HEADING.match(line):
            current = None
    return [s for s in found if s.steps]


def to_feature(source: ExportSource) -> str:
    found = scenarios(source.content)
    if not found:
        raise Unprocessable(
            "This artifact has no Given/When/Then scenarios, so there is nothing to put in a "
            ".feature file. Export it as Markdown, PDF or Word, or ask for acceptance criteria."
        )
    lines = [f"Feature: {_one_line(source.title)}"]
    story = STORY.search(source.content)
    if story:
        lines += [
            f"  As a {_one_line(story['role'])}",
            f"  I want {_one_line(story['want'])}",
            f"  So that {_one_line(story['benefit'])}",
        ]
    for scenario in found:
        lines += ["", f"  Scenario: {_one_line(scenario.name)}"]
        lines += [f"    {_plain(step)}" for step in scenario.steps]
    return "\n".join(lines) + "\n"


@dataclass
class StoryRow:
    title: str
    description: str
    criteria: list[str]
    moscow: str


def stories(source: ExportSource) -> list[StoryRow]:
    """One row per "As a … I want … so that …" story, with the scenarios and the MoSCoW
    priority that follow it (up to the next story)."""
    matches = list(STORY.finditer(source.content))
    rows = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(source.content)
        after = source.content[match.end() : end]
        before = source.content[: match.start()]
        headings = [HEADING.match(line) for line in before.splitlines()]
        heading = next((h.group(1).strip() for h in reversed(headings) if h), "")
        title = _story_title(match["want"], heading, source.title)
        criteria = ["\n".join([f"Scenario: {s.name}", *s.steps]) for s in scenarios(after)]
        priority = PRIORITY.search(after) or (
            PRIORITY.search(source.content) if index == 0 else None
        )
        rows.append(
            StoryRow(
                title=title,
                description=_plain(match.group(0).strip()),
                criteria=criteria,
                moscow=priority.group(1).capitalize() if priority else "",
            )
        )
    return rows


def to_csv(source: ExportSource) -> bytes:
    """UTF-8 with a BOM (so Excel reads accents), every field quoted, CRLF line ends."""
    rows = stories(source)
    if not rows:
        raise Unprocessable(
            'This artifact has no user stories ("As a …, I want …, so that …") to import as '
            "work items. Export it as Markdown, PDF or Word, or ask for user stories."
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                "User Story",
                row.title,
                row.description,
                _plain("\n\n".join(row.criteria)),
                MOSCOW_TO_PRIORITY.get(row.moscow.lower(), ""),
                "MoSCoW-" + row.moscow.replace("'", "") if row.moscow else "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _story_title(want: str, heading: str, artifact_title: str) -> str:
    """The story's capability, as a work item title: "Request a partial refund"."""
    capability = re.sub(r"^(to be able to|to)\s+", "", _one_line(want), flags=re.IGNORECASE)
    if capability:
        return (capability[0].upper() + capability[1:])[:255]
    return (heading or artifact_title)[:255]


def _plain(text: str) -> str:
    """Markdown emphasis and code marks off: importers show them literally."""
    return re.sub(r"(\*\*|__|`)", "", text)


def _one_line(text: str) -> str:
    return " ".join(_plain(text).split())
