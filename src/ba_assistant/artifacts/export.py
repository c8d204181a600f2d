"""Artifacts as files a team uses: Markdown with a small header, Word, a Gherkin ``.feature``,
and CSV for Jira's and Azure DevOps' importers. (PDF is in ``pdf.py``.)

Stories are found as "As a …, I want …, so that …" sentences; scenarios as ``Scenario:`` lines
followed by Given/When/Then/And/But steps, inside or outside a ```gherkin block.
"""

from __future__ import annotations

import bisect
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
SCENARIO = re.compile(
    r"^\s*(Scenario Outline|Scenario Template|Scenario|Example|Background)\s*:\s*(.*)$"
)
EXAMPLES = re.compile(r"^\s*(Examples|Scenarios)\s*:\s*(.*)$")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
# Bounded repeats: a line of "As a x, I want y" repeated without "so that" must cost linear
# time, not a rescan of the line from every "As a".
STORY = re.compile(
    r"\bAs an? (?P<role>[^,\n]{1,120}?),[ \t]*I want (?P<want>[^\n]{1,600}?),?[ \t]*"
    r"so that (?P<benefit>[^\n]{1,600}?)\.?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
PRIORITY = re.compile(r"\bPriority:\s*\**\s*(Must|Should|Could|Won'?t)\b", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
HEADINGS = re.compile(r"^#{1,6}[ \t]+(.*)$", re.MULTILINE)
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
    keyword: str = "Scenario"
    # Steps, and under them (indented two spaces) their tables, doc strings and, for an
    # outline, "Examples:" with its table.
    steps: list[str] = field(default_factory=list)

    @property
    def has_steps(self) -> bool:
        return any(STEP.match(line) for line in self.steps)


def scenarios(text: str, *, background: bool = False) -> list[Scenario]:
    """The Gherkin scenarios in the text (and its Background when asked), with their data
    tables, doc strings and Examples, wherever they are: in a fenced block or not."""
    found: list[Scenario] = []
    current: Scenario | None = None
    doc_string = False
    for line in text.splitlines():
        if current is not None and line.strip().startswith('"""'):
            doc_string = not doc_string
            current.steps.append("  " + line.strip())
            continue
        if doc_string and current is not None:
            current.steps.append("  " + line.strip())
            continue
        header = SCENARIO.match(line)
        if header:
            keyword = (
                "Scenario Outline"
                if "Outline" in header[1] or "Template" in header[1]
                else ("Background" if header[1] == "Background" else "Scenario")
            )
            current = Scenario(header[2].strip() or f"Scenario {len(found) + 1}", keyword)
            found.append(current)
            continue
        if current is None:
            continue
        step = STEP.match(line)
        examples = EXAMPLES.match(line)
        if step:
            current.steps.append(f"{step.group(1)} {step.group(2).strip()}".rstrip())
        elif examples:
            current.steps.append(f"{examples[1]}: {examples[2]}".rstrip())
        elif TABLE_ROW.match(line) and current.steps:
            current.steps.append("  " + line.strip())
        elif line.strip().startswith("```") or HEADING.match(line):
            current = None
    return [s for s in found if s.has_steps and (background or s.keyword != "Background")]


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
    backgrounds = [
        s for s in scenarios(source.content, background=True) if s.keyword == "Background"
    ]
    for scenario in backgrounds[:1] + found:
        lines += ["", f"  {scenario.keyword}: {_one_line(scenario.name)}".rstrip()]
        lines += [f"    {_step_text(step)}" for step in scenario.steps]
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
    headings = [(h.start(), h.group(1).strip()) for h in HEADINGS.finditer(source.content)]
    starts = [start for start, _ in headings]
    rows = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(source.content)
        after = source.content[match.end() : end]
        above = bisect.bisect_right(starts, match.start())
        heading = headings[above - 1][1] if above else ""
        title = _story_title(match["want"], heading, source.title)
        criteria = ["\n".join([f"{s.keyword}: {s.name}", *s.steps]) for s in scenarios(after)]
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
                _not_a_formula(row.title),
                _not_a_formula(row.description),
                _not_a_formula(_plain("\n\n".join(row.criteria))),
                MOSCOW_TO_PRIORITY.get(row.moscow.lower(), ""),
                "MoSCoW-" + row.moscow.replace("'", "") if row.moscow else "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _not_a_formula(cell: str) -> str:
    """A cell Excel would run as a formula gets a leading apostrophe (OWASP's advice)."""
    return "'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell


def _story_title(want: str, heading: str, artifact_title: str) -> str:
    """The story's capability, as a work item title: "Request a partial refund"."""
    capability = re.sub(r"^(to be able to|to)\s+", "", _one_line(want), flags=re.IGNORECASE)
    if capability:
        return (capability[0].upper() + capability[1:])[:255]
    return (heading or artifact_title)[:255]


def _step_text(line: str) -> str:
    """A step without markdown marks; tables and doc strings exactly as written."""
    return line if line.startswith("  ") else _plain(line)


def _plain(text: str) -> str:
    """Markdown emphasis and code marks off: importers show them literally."""
    return re.sub(r"(\*\*|__|`)", "", text)


def _one_line(text: str) -> str:
    return " ".join(_plain(text).split())
