"""The offline assistant's domain knowledge: what an analyst sees in a meeting when no AI model
is configured. Outputs are deterministic, so the cases pin them down exactly where it matters."""

from __future__ import annotations

import re

import pytest

from ba_assistant.agent.offline_content import Passage, artifact_template, feature_name, key_terms
from ba_assistant.agent.offline_discovery import discovery_questions, edge_cases
from ba_assistant.agent.offline_knowledge import CATEGORIES
from ba_assistant.agent.offline_thread import Deliverable, requested_deliverable
from ba_assistant.agent.offline_words import detect_topics

REFUND = "We want customers to be able to request a partial refund from their order history page"
REFUND_CONVERSATION = [
    ("user", REFUND),
    ("assistant", "Who approves a refund, and is there a time limit?"),
    ("user", "Refunds over £500 must be approved by the finance team."),
    ("user", "Can you write the user stories?"),
]
POLICY = Passage("Refund policy.pdf", 3, "Refunds are accepted within 30 days of delivery...")
CITATION = "[Refund policy.pdf, passage 3]"
TAXONOMY = set(CATEGORIES.values())
GOAL_QUESTION = "What problem does this solve today, and what happens if we do nothing?"
USERS_QUESTION = (
    "Who exactly will use this, and does each role need to see or do something different?"
)
CORE = {
    GOAL_QUESTION,
    USERS_QUESTION,
    "How will we know it worked: which number should move, and by how much?",
    "What is the smallest first release that would be useful, and what is out of scope?",
}


# --- key terms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (REFUND, ["partial refund", "order history", "request", "customers", "page"]),
        (
            "In order to reduce churn we want to offer discount codes on annual plans",
            ["discount code", "annual plan", "reduce", "churn", "offer"],
        ),
        (
            "Let's talk about single sign-on with Azure AD for the admin portal",
            ["single sign on", "admin", "azure", "portal"],
        ),
        (
            "Support agents need to search orders by postcode and export the results to CSV",
            ["support agent", "search", "orders", "export", "results", "csv"],
        ),
        ("Can we talk about it now?", []),
        ("", []),
    ],
)
def test_key_terms(text: str, expected: list[str]) -> None:
    assert key_terms(text) == expected


def test_key_terms_respects_the_limit_and_keeps_the_most_specific() -> None:
    assert key_terms(REFUND, limit=2) == ["partial refund", "order history"]
    assert key_terms(REFUND, limit=0) == []


def test_key_terms_are_lower_case_and_free_of_stop_words() -> None:
    terms = key_terms("The CUSTOMERS want a REFUND because the Parcel never arrived")
    assert terms == [t.lower() for t in terms]
    assert not {"the", "want", "because", "never"} & set(terms)
    assert "refund" in terms and "parcel" in terms


# --- topics -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (REFUND, "payments"),
        ("Let's talk about single sign-on and password resets for staff", "auth"),
        ("Patients should get an SMS reminder 24 hours before their appointment", "notifications"),
        ("We're migrating 2 million customer records from the legacy CRM", "migration"),
        ("Managers should approve timesheets before payroll runs on Friday", "approvals"),
        ("Finance wants a dashboard of monthly revenue by region", "reporting"),
        ("Customers can upgrade their subscription plan mid-cycle", "subscriptions"),
        ("Field engineers work offline on their phones and sync later", "mobile"),
        ("Push new leads to Salesforce through the API", "integrations"),
    ],
)
def test_detect_topics_strongest_first(text: str, first: str) -> None:
    assert detect_topics(text)[0].id == first


@pytest.mark.parametrize(
    "text", ["Can we talk after lunch?", "", "Take into account the order of magnitude"]
)
def test_detect_topics_none(text: str) -> None:
    assert detect_topics(text) == []


def test_detect_topics_ignores_figures_of_speech() -> None:
    ids = [t.id for t in detect_topics("In order to reduce churn we want discount codes")]
    assert ids == ["subscriptions"]


def test_topics_have_readable_names() -> None:
    topic = detect_topics(REFUND)[0]
    assert topic.name == "Payments and refunds"
    assert [t.id for t in detect_topics(REFUND)] == ["payments", "orders"]


# --- discovery questions ------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, 1, 3, 5, 8])
@pytest.mark.parametrize("text", [REFUND, "Can we talk after lunch?", ""])
def test_discovery_questions_are_short_questions_within_the_limit(text: str, limit: int) -> None:
    questions = discovery_questions(text, limit=limit)
    assert len(questions) <= limit
    assert len(set(questions)) == len(questions)
    for question in questions:
        assert question.endswith("?")
        assert question.count("?") == 1 and "\n" not in question


def test_discovery_questions_put_the_topic_first_then_the_core() -> None:
    questions = discovery_questions("We need a way to export invoices")
    assert questions[0].startswith("Who opens the export")
    assert questions[3:] == [GOAL_QUESTION, USERS_QUESTION]
    assert all(q in CORE for q in discovery_questions("Can we talk after lunch?", limit=4))


def test_discovery_questions_skip_what_is_already_answered() -> None:
    named = discovery_questions(REFUND)
    assert USERS_QUESTION not in named
    assert GOAL_QUESTION in named
    with_goal = discovery_questions(REFUND + " so that support gets fewer calls")
    assert GOAL_QUESTION not in with_goal and USERS_QUESTION not in with_goal


def test_discovery_questions_for_a_refund() -> None:
    questions = discovery_questions(REFUND)
    assert questions[0].startswith("Is a refund paid automatically")
    assert GOAL_QUESTION in questions
    assert any("partial refund" in q for q in questions)
    assert any("refund" in q and q not in CORE for q in questions[:5])
    assert (
        "How is a partial refund worked out: by item and quantity, or any amount the customer "
        "chooses?" in questions
    )


def test_discovery_questions_follow_the_topic() -> None:
    sso = discovery_questions("Staff should sign in with single sign-on", limit=5)
    assert any("sign-in methods" in q for q in sso)
    export = discovery_questions("Support agents need to export the results to CSV", limit=5)
    assert any("export" in q.lower() for q in export if q not in CORE)


# --- edge cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [REFUND, "Can we talk after lunch?", "Upload a CSV of stock"])
def test_edge_cases_use_the_taxonomy(text: str) -> None:
    cases = edge_cases(text)
    assert 1 <= len(cases) <= 6
    assert {category for category, _ in cases} <= TAXONOMY
    assert len({category for category, _ in cases}) == len(cases)  # one per category
    assert all(case.endswith("?") for _, case in cases)


def test_edge_cases_for_a_refund_are_specific() -> None:
    cases = edge_cases(REFUND, limit=3)
    assert cases[0] == (
        "invalid and extreme inputs",
        "A partial refund is requested for more than is left to refund on the order. Is it "
        "blocked with a clear message, or capped at the remaining amount?",
    )
    assert [category for category, _ in cases] == [
        "invalid and extreme inputs",
        "concurrency",
        "failures of dependencies",
    ]
    assert all("refund" in case for _, case in cases)


def test_edge_cases_respect_the_limit() -> None:
    assert edge_cases(REFUND, limit=0) == []
    assert len(edge_cases(REFUND, limit=2)) == 2
    assert len(edge_cases(REFUND, limit=12)) == 12


# --- deliverable requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can you write a user story for this?", "user_story"),
        ("Generate user stories", "user_story"),
        ("Let's turn this conversation into user stories", "user_story"),
        ("OK, user stories please", "user_story"),
        ("Could we write the stories now?", "user_story"),
        ("Draft the acceptance criteria for partial refunds", "acceptance_criteria"),
        ("Give me Gherkin scenarios for the refund flow", "acceptance_criteria"),
        ("Write the AC", "acceptance_criteria"),
        ("We need acceptance criteria for this", "acceptance_criteria"),
        ("Turn this into a requirements doc", "requirements_doc"),
        ("Please write up a PRD", "requirements_doc"),
        ("Could you create the spec?", "requirements_doc"),
        ("I'd like to see the requirements document", "requirements_doc"),
        ("Write a user story with acceptance criteria", "user_story"),
        ("The acceptance criteria we discussed were vague", None),
        ("What are the requirements for refunds?", None),
        ("Did you write the user stories yet?", None),
        ("We write stories in Jira", None),
        ("The team will write the requirements next week", None),
        ("Can you check whether the requirements mention refunds?", None),
        ("What do the acceptance criteria say about refunds?", None),
        ("The story so far is that customers call support", None),
        (REFUND, None),
        ("", None),
    ],
)
def test_requested_deliverable(text: str, expected: str | None) -> None:
    assert requested_deliverable(text) == expected


# --- feature name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conversation", "expected"),
    [
        (REFUND_CONVERSATION, "Request a partial refund from the order history page"),
        (
            [("user", "Write user stories for partial refunds to the original card")],
            "Partial refunds to the original card",
        ),
        (
            [("user", "We need to let store managers override prices"), ("user", "Draft the AC")],
            "Let store managers override prices",
        ),
        (
            [("user", "Patients should get an SMS reminder 24 hours before their appointment")],
            "Get an SMS reminder 24 hours before the appointment",
        ),
        ([("assistant", "Hello, what are we discussing?")], "New feature"),
        ([], "New feature"),
    ],
)
def test_feature_name(conversation: list[tuple[str, str]], expected: str) -> None:
    assert feature_name(conversation) == expected


def test_feature_name_is_short_and_in_sentence_case() -> None:
    long = (
        "we want warehouse staff to be able to scan every parcel that arrives at the loading "
        "bay and match it against the purchase order from the supplier"
    )
    name = feature_name([("user", long)])
    assert len(name) <= 60
    assert name[0].isupper() and not name.endswith((" the", " and", " from"))


# --- templates ----------------------------------------------------------------------------------

REQUIRED = {
    "user_story": [
        "As a customer, I want to request a partial refund from my order history page, so that",
        "## INVEST check",
        "Scenario:",
        "Given",
        "When",
        "Then",
        "Priority: Should (to confirm)",
        "## Open questions",
    ],
    "acceptance_criteria": [
        "Feature: Request a partial refund from the order history page",
        "Scenario: Happy path",
        "Given",
        "When",
        "Then",
    ],
    "requirements_doc": [
        "Overview and goal",
        "## 2. Scope",
        "Functional requirements",
        "**FR-1:**",
        "Non-functional requirements",
        "**NFR-1:**",
        "Assumptions",
        "Open questions",
        "Out of scope",
        "Sources",
    ],
}


@pytest.mark.parametrize("kind", ["user_story", "acceptance_criteria", "requirements_doc"])
def test_artifact_template_sections_and_citation(kind: Deliverable) -> None:
    title, content = artifact_template(kind, REFUND_CONVERSATION, [POLICY])
    assert title == "Request a partial refund from the order history page"
    assert content.startswith(f"# {title}\n")
    for marker in REQUIRED[kind]:
        assert marker in content, marker
    assert "**To confirm:**" in content
    assert CITATION in content
    assert "Refunds over £500 must be approved by the finance team" in content  # what was said


def test_user_story_follows_the_story_format_with_a_negative_scenario() -> None:
    _, content = artifact_template("user_story", REFUND_CONVERSATION, [POLICY])
    assert re.search(r"^As an? .+, I want .+, so that .+\.$", content, re.MULTILINE)
    assert (
        "As a customer, I want to request a partial refund from my order history page, so that"
        in content
    )
    scenarios = re.findall(r"^Scenario: (.+)$", content, re.MULTILINE)
    assert scenarios[0].startswith("Happy path")
    assert "Refund of more than was paid" in scenarios  # a standard negative path
    assert "When the customer requests a partial refund from their order history page" in content
    assert "Scenario: Invalid and extreme inputs — a partial refund is requested" in content
    for step in ("Given", "When", "Then"):
        assert content.count(f"  {step} ") >= len(scenarios)


def test_acceptance_criteria_cover_the_edge_cases() -> None:
    _, content = artifact_template("acceptance_criteria", REFUND_CONVERSATION, [])
    for category, _case in edge_cases("\n".join(t for r, t in REFUND_CONVERSATION if r == "user")):
        assert f"# Edge case: {category}" in content
    assert "Then TO CONFIRM: is it blocked with a clear message" in content


def test_requirements_doc_numbers_requirements_and_cites_documents() -> None:
    _, content = artifact_template("requirements_doc", REFUND_CONVERSATION, [POLICY])
    frs = [int(n) for n in re.findall(r"\*\*FR-(\d+):\*\*", content)]
    nfrs = [int(n) for n in re.findall(r"\*\*NFR-(\d+):\*\*", content)]
    assert frs == list(range(1, len(frs) + 1)) and len(frs) >= 3
    assert nfrs == list(range(1, len(nfrs) + 1)) and len(nfrs) >= 3
    assert (
        "**FR-1:** The system must let a customer request a partial refund from their order "
        "history page." in content
    )
    assert f"“Refunds are accepted within 30 days of delivery...” {CITATION}" in content
    sections = [
        "Overview and goal",
        "Scope",
        "Functional requirements",
        "Non-functional requirements",
        "Assumptions",
        "Open questions",
        "Out of scope",
        "Sources",
    ]
    positions = [content.index(f". {s}\n") for s in sections]
    assert positions == sorted(positions)


def test_templates_mark_what_is_unknown() -> None:
    conversation = [("user", "Hello"), ("user", "Write a requirements doc")]
    _, content = artifact_template("requirements_doc", conversation, [])
    assert "**Problem today:** **To confirm:**" in content
    assert "no project document was cited" in content
    _, story = artifact_template("user_story", conversation, [])
    assert (
        "As a user, I want to do what this feature is for (to confirm), so that I can do this "
        "myself, without waiting for someone else." in story
    )
    assert (
        "- Assumption (to confirm): the benefit; nobody has said why the user needs this." in story
    )
    assert "<" not in story.split("```")[0]


def test_documents_answer_open_questions() -> None:
    _, content = artifact_template("user_story", REFUND_CONVERSATION, [POLICY])
    assert "How long after delivery can a customer ask for a refund" not in content
    _, without = artifact_template("user_story", REFUND_CONVERSATION, [])
    assert "How long after delivery can a customer ask for a refund" in without


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user_story", "acceptance_criteria", "requirements_doc"])
def test_templates_are_deterministic(kind: Deliverable) -> None:
    first = artifact_template(kind, list(REFUND_CONVERSATION), [POLICY])
    second = artifact_template(kind, list(REFUND_CONVERSATION), [POLICY])
    assert first == second


def test_functions_are_deterministic() -> None:
    assert key_terms(REFUND) == key_terms(REFUND)
    assert detect_topics(REFUND) == detect_topics(REFUND)
    assert discovery_questions(REFUND) == discovery_questions(REFUND)
    assert edge_cases(REFUND) == edge_cases(REFUND)
    assert requested_deliverable(REFUND) == requested_deliverable(REFUND)
    assert feature_name(REFUND_CONVERSATION) == feature_name(REFUND_CONVERSATION)
