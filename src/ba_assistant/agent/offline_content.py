"""The offline assistant's first-draft deliverables: user stories, acceptance criteria and a
requirements document, filled from the thread and the documents found.

Every slot is filled from what was said ("As a customer, I want to cancel a paid order …");
where the thread is silent the draft still reads as a sentence and the gap is listed under it
as an assumption to confirm. Acceptance criteria always carry the standard negative paths for
the kind of feature; those nobody confirmed are marked "Assumption (to confirm)".

The reading of words, topics, questions and the thread lives in the ``offline_*`` modules this
one imports; the names other modules use (``feature_name``, ``key_terms``, ``Passage``,
``artifact_template``) stay importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ba_assistant.agent.offline_discovery import (
    discover,
    edge_entries,
    situation,
    without_instructions,
)
from ba_assistant.agent.offline_edge_cases import GENERIC_PATHS, NEGATIVE_PATHS, NegativePath
from ba_assistant.agent.offline_requirements import (
    DEFAULT_BENEFIT,
    SCENARIO_CONTEXT,
    TOPIC_BENEFITS,
    TOPIC_DEPENDENCIES,
    TOPIC_NFRS,
    TOPIC_OUT_OF_SCOPE,
    TOPIC_REQUIREMENTS,
)
from ba_assistant.agent.offline_thread import (
    Brief,
    Deliverable,
    Story,
    feature_name,
    read_brief,
    sentence_case,
    shorten,
)
from ba_assistant.agent.offline_words import (
    TOPIC_NAMES,
    Passage,
    entry,
    key_terms,
    normalise,
    parse_entry,
    roles,
    word_set,
)
from ba_assistant.documents.excerpts import excerpt

__all__ = ["Deliverable", "Passage", "artifact_template", "feature_name", "key_terms"]

CONFIRM = "**To confirm:**"
ASSUMPTION = "Assumption (to confirm):"
# Inside a ```gherkin block markdown is not rendered, and the .feature export must stay clean.
PLAIN_CONFIRM = "TO CONFIRM:"
QUOTE_WORDS = 40
# Roles that play the customer's part in the edge cases, which speak of "the customer".
CUSTOMER_LIKE = word_set(
    "patient client guest member shopper buyer student tenant subscriber supplier"
)
_CUSTOMER = re.compile(r"\b((?:[Aa]|[Tt]he) )customer\b")
_PROPER = word_set("Excel Outlook Google Apple Android Stripe PayPal Salesforce Monday Friday")
_POSSESSIVE = re.compile(r"\b(?:their|his|her|your|our)\b", re.IGNORECASE)
_THIRD_TO_FIRST = {
    "themselves": "myself",
    "himself": "myself",
    "herself": "myself",
    "they've": "I've",
    "they're": "I'm",
    "they": "I",
    "them": "me",
}
_BASE_FORM_KEEPS = word_set(
    "open visit edit offer enter order deliver filter listen answer register monitor credit "
    "limit happen cancel travel label"
)

_REQUIREMENTS = {k: tuple(map(parse_entry, v)) for k, v in TOPIC_REQUIREMENTS.items()}
_CONTEXTS = {k: tuple(map(parse_entry, v)) for k, v in SCENARIO_CONTEXT.items()}
_OUT_OF_SCOPE = {k: parse_entry(v) for k, v in TOPIC_OUT_OF_SCOPE.items()}


# --- wording ------------------------------------------------------------------------------------


def _article(noun: str) -> str:
    lowered = noun.lower()
    vowel = lowered[:1] in ("a", "e", "i", "o", "u") and not lowered.startswith(("us", "uni", "eu"))
    return ("an " if vowel or lowered.startswith("hour") else "a ") + noun


def _third_person(phrase: str) -> str:
    """'request a refund' → 'requests a refund'."""
    verb, _, rest = phrase.partition(" ")
    irregular = {"be": "is", "have": "has", "do": "does", "go": "goes"}
    if verb.lower() in irregular:
        verb = irregular[verb.lower()]
    elif not verb.isalpha():
        return phrase
    elif verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        verb += "es"
    elif verb.endswith("y") and verb[-2:-1] not in ("a", "e", "i", "o", "u"):
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb} {rest}".strip()


def _base_form(phrase: str) -> str:
    """'redeeming points' → 'redeem points', 'swapping shifts' → 'swap shifts'."""
    verb, _, rest = phrase.partition(" ")
    if not verb.endswith("ing") or len(verb) < 6:
        return phrase
    stem = verb[:-3]
    if stem in _BASE_FORM_KEEPS:
        pass
    elif len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        stem = stem[:-1]  # swapp → swap
    elif stem.endswith("ll") and stem[:-1] in _BASE_FORM_KEEPS:
        stem = stem[:-1]  # cancell → cancel
    elif re.search(r"(?:^|[^aeiou])[aeiou][^aeiouwxy]$", stem) or re.search(r"[^aeiou][uv]$", stem):
        stem += "e"  # reschedul → reschedule, shar → share
    return f"{stem} {rest}".strip()


def _lower_first(text: str) -> str:
    """'A refund …' → 'a refund …', leaving 'I', 'SMS' and 'Excel' alone."""
    word = text.split(" ", 1)[0]
    if word == "I" or (len(word) > 1 and not word[1:].islower()) or word in _PROPER:
        return text
    return text[:1].lower() + text[1:]


def _first_person(phrase: str) -> str:
    """'cancel their order themselves' → 'cancel my order myself'."""
    phrase = _POSSESSIVE.sub("my", phrase)
    return re.sub(
        r"\b(" + "|".join(map(re.escape, _THIRD_TO_FIRST)) + r")\b",
        lambda m: _THIRD_TO_FIRST[m[1].lower()],
        phrase,
        flags=re.IGNORECASE,
    )


def _quote(passage: Passage, query: str) -> str:
    """The whole sentences of a passage that best match ``query``, with the citation."""
    text = excerpt(without_instructions(passage.text), query, max_words=QUOTE_WORDS)
    text = " ".join(text.replace("`", "'").split())
    return f"“{text}” [{passage.document_name}, passage {passage.passage}]"


# --- stories ------------------------------------------------------------------------------------


def _main_role(brief: Brief, passages: Sequence[Passage]) -> tuple[str, bool]:
    """(role, whether the thread named it): from the thread, else from the documents."""
    if brief.roles:
        return brief.roles[0], True
    found = roles(" ".join(p.text for p in passages))
    return (found[0] if found else "user"), False


def _capability(brief: Brief) -> str:
    """What the main story's role wants to do, as said; the feature's name when no sentence
    states it ("Write the stories for redeeming points at checkout")."""
    if brief.capability:
        return brief.capability
    if brief.feature == "New feature" or brief.feature in TOPIC_NAMES.values():
        return "do what this feature is for (to confirm)"  # the thread is silent
    return _base_form(_lower_first(brief.feature))


def _benefit(story: Story, brief: Brief) -> tuple[str, bool]:
    """(the story's "so that", whether the thread said it)."""
    if story.benefit:
        plural = re.escape(story.role) + "s?"
        pattern = rf"^(?:the\s+)?(?:they|{plural})\s+can\b"
        benefit = re.sub(pattern, "I can", story.benefit, flags=re.IGNORECASE)
        benefit = re.sub(r"\bthey are\b", "I am", benefit, flags=re.IGNORECASE)
        benefit = re.sub(r"\bthey were\b", "I was", benefit, flags=re.IGNORECASE)
        return _first_person(benefit), True
    if brief.relief:
        return f"this no longer depends on {_POSSESSIVE.sub('the', brief.relief)}", True
    if brief.goal:
        return _first_person(brief.goal), True
    topic = next((t.id for t in brief.topics if t.id in TOPIC_BENEFITS), "")
    return TOPIC_BENEFITS.get(topic, DEFAULT_BENEFIT), False


def _stories(brief: Brief, passages: Sequence[Passage]) -> list[tuple[Story, bool, bool]]:
    """(story, role said, benefit said) for each story of the draft."""
    role, role_said = _main_role(brief, passages)
    stories = list(brief.stories) or [Story(role, _capability(brief), brief.benefit)]
    result = []
    for story in stories:
        story_role = story.role if role_said else role
        filled = Story(story_role, story.capability, story.benefit)
        benefit, benefit_said = _benefit(filled, brief)
        result.append((Story(story_role, filled.capability, benefit), role_said, benefit_said))
    return result


def _story_line(story: Story) -> str:
    want = _first_person(story.capability)
    return f"As {_article(story.role)}, I want to {want}, so that {story.benefit}."


def _assumptions(role: str, role_said: bool, benefit_said: bool) -> list[str]:
    lines = []
    if not role_said:
        lines.append(f"- {ASSUMPTION} the role ({role}) comes from the documents, not the room.")
    if not benefit_said:
        lines.append(f"- {ASSUMPTION} the benefit; nobody has said why the {role} needs this.")
    return lines


# --- scenarios ----------------------------------------------------------------------------------


def _context(brief: Brief) -> tuple[str, str]:
    """(Given context, expected outcome) for the strongest topic, if it has one that fits."""
    lowered = normalise(brief.text)
    for topic in brief.topics[:1]:
        for item in _CONTEXTS.get(topic.id, ()):
            if item.relevance(lowered) is not None:
                given, _, then = item.text.partition(" | ")
                return given, then
    return "", ""


def _dependency(brief: Brief) -> str:
    found = (TOPIC_DEPENDENCIES[t.id] for t in brief.topics if t.id in TOPIC_DEPENDENCIES)
    return next(found, "a system this feature depends on")


def negative_paths(brief: Brief) -> list[tuple[NegativePath, bool]]:
    """The standard negative paths for the feature's kind, each with whether the thread
    raised it (otherwise it is an assumption to confirm)."""
    lowered = normalise(brief.text)
    paths: list[NegativePath] = []
    for topic in brief.topics[:1]:
        paths += NEGATIVE_PATHS.get(topic.id, ())
    paths += GENERIC_PATHS
    chosen = []
    for path in dict.fromkeys(paths):
        if entry(path.applies, "").relevance(lowered) is None:
            continue
        raised = bool(path.raised) and entry(path.raised, "").relevance(lowered) == 2
        chosen.append((path, raised))
    return chosen


def _edges(brief: Brief, limit: int) -> list[tuple[str, str]]:
    """Edge cases for the feature, told from the point of view of its main role."""
    role = brief.roles[0] if brief.roles else ""
    found = edge_entries(normalise(brief.text), "", brief.topics, limit)
    if role in CUSTOMER_LIKE:  # "the customer cancels…" → "the patient cancels…"
        return [(e.category, _CUSTOMER.sub(rf"\1{role}", e.text)) for e in found]
    return [(e.category, e.text) for e in found]


def _scenarios(brief: Brief, story: Story, edges: int, indent: str) -> list[str]:
    given, then = _context(brief)
    role, action = story.role, story.capability
    signed_in = "" if any(t.id == "auth" for t in brief.topics) else " who is signed in"
    givens = [f"Given {_article(role)}{signed_in}"] + ([f"And {given}"] if given else [])
    lines = [
        f"Scenario: Happy path — {_article(role)} {_third_person(action)}",
        *(f"  {g}" for g in givens),
        f"  When the {role} {_third_person(action)}",
        f"  Then {then or f'{PLAIN_CONFIRM} what the {role} sees next, and what is saved'}",
    ]
    fill = {"role": role, "action": action, "dependency": _dependency(brief)}
    for path, raised in negative_paths(brief):
        lines += [""]
        if not raised:
            lines.append(f"# {ASSUMPTION} a standard negative path nobody has confirmed yet")
        lines += [
            f"Scenario: {path.title}",
            *(f"  {g}" for g in givens),
            f"  When {path.when.format(**fill)}",
            f"  Then {path.then.format(**fill)}",
        ]
    for category, case in _edges(brief, edges):
        happening, question = situation(case)
        short = shorten(re.split(r",| because | but ", happening)[0], 70)
        lines += [
            "",
            f"# Edge case: {category}",
            f"Scenario: {sentence_case(category)} — {_lower_first(short)}",
            *(f"  {g}" for g in givens),
            f"  When {_lower_first(happening)}",
            f"  Then {PLAIN_CONFIRM} {_lower_first(question) or 'the expected outcome'}",
        ]
    return [indent + line if line else "" for line in lines]


# --- sections shared by the templates ----------------------------------------------------------


def _sources(brief: Brief, passages: Sequence[Passage]) -> list[str]:
    if not passages:
        return [f"- {CONFIRM} no project document was found on this; ask who owns the policy."]
    query = " ".join(key_terms(brief.text, limit=8))
    return [f"- Documents state: {_quote(p, query)}" for p in passages]


def _said(brief: Brief) -> list[str]:
    return [f"- Said in the meeting: “{c}”" for c in brief.constraints]


def _open_questions(brief: Brief, passages: Sequence[Passage], limit: int = 5) -> list[str]:
    questions = discover(brief.text, passages, questions=limit, edges=0).questions
    return [f"{n}. {q}" for n, q in enumerate(questions, start=1)]


def _changes(revision: str | None) -> list[str]:
    if not revision:
        return []
    return ["## Changes in this version", "", f"- Asked in the meeting: “{revision.strip()}”", ""]


# --- the templates ------------------------------------------------------------------------------


def _user_story(brief: Brief, passages: Sequence[Passage], revision: str | None) -> str:
    stories = _stories(brief, passages)
    lines = [f"# {brief.feature}", "", *_changes(revision)]
    for number, (story, role_said, benefit_said) in enumerate(stories, start=1):
        lines += [f"## Story {number}: {sentence_case(shorten(story.capability))}", ""]
        lines += [_story_line(story), ""]
        if not role_said or not benefit_said:
            lines += [*_assumptions(story.role, role_said, benefit_said), ""]
        lines += [
            "Acceptance criteria:",
            "",
            "```gherkin",
            *_scenarios(brief, story, 3 if number == 1 else 0, ""),
            "```",
            "",
        ]
    dependency = _dependency(brief)
    lines += [
        "## INVEST check",
        "",
        f"- **Independent:** relies on {dependency}; {CONFIRM} it is available.",
        "- **Negotiable:** the details are a starting point for discussion, not a contract.",
        "- **Valuable:** " + stories[0][0].benefit + ".",
        "- **Estimable:** once the open questions below are answered.",
        "- **Small:** "
        + (
            "split by story above; each fits in one sprint if the open questions are answered."
            if len(stories) > 1
            else f"likely fits in one sprint. {CONFIRM} with the team."
        ),
        "- **Testable:** yes, see the scenarios.",
        "",
        "## Business rules and sources",
        "",
        *_said(brief),
        *_sources(brief, passages),
        "",
        "Priority: Should (to confirm)",
        "",
        "## Open questions",
        "",
        *_open_questions(brief, passages),
    ]
    return "\n".join(lines)


def _acceptance_criteria(brief: Brief, passages: Sequence[Passage], revision: str | None) -> str:
    story, role_said, benefit_said = _stories(brief, passages)[0]
    lines = [
        f"# {brief.feature}",
        "",
        *_changes(revision),
        "```gherkin",
        f"Feature: {brief.feature}",
        f"  As {_article(story.role)}",
        f"  I want to {_first_person(story.capability)}",
        f"  So that {story.benefit}",
        "",
        *_scenarios(brief, story, 4, "  "),
        "```",
        "",
        "## To confirm",
        "",
        f"- {CONFIRM} the expected outcome of every scenario marked as such, with the product "
        "owner.",
        f"- {CONFIRM} every scenario marked *{ASSUMPTION}*: a standard negative path nobody has "
        "confirmed for this feature yet.",
        *_assumptions(story.role, role_said, benefit_said),
        "",
        "## Sources",
        "",
        *_said(brief),
        *_sources(brief, passages),
    ]
    return "\n".join(lines)


def _requirements_doc(brief: Brief, passages: Sequence[Passage], revision: str | None) -> str:
    role = _main_role(brief, passages)[0]
    story = _stories(brief, passages)[0][0]
    topic_ids = [t.id for t in brief.topics]
    lowered = normalise(brief.text)
    query = " ".join(key_terms(brief.text, limit=8))
    frs = [
        f"The system must let {_article(role)} {_POSSESSIVE.sub('their', s.capability)}."
        for s, _r, _b in _stories(brief, passages)
    ]
    frs += [f"The system must meet this stated rule: “{c.rstrip('.')}”." for c in brief.constraints]
    frs += [
        f"The system must follow the documented rule {_quote(p, query)}. {CONFIRM} it applies here."
        for p in passages
    ]
    for topic_id in topic_ids[:3]:
        frs += [e.text for e in _REQUIREMENTS.get(topic_id, ()) if e.relevance(lowered) is not None]
    nfrs = [
        f"Performance: 95% of actions complete within 2 seconds at peak load. {CONFIRM} the peak "
        "volume (people or transactions per hour) and the target.",
        "Accessibility: meets WCAG 2.2 AA, including keyboard-only use and screen readers. "
        f"{CONFIRM} any further client standard.",
        "Security and privacy: only authorised roles can see or change this data, and personal "
        f"data is kept no longer than needed. {CONFIRM} the retention period.",
        "Audit: every change is recorded with who, what and when, and kept for 7 years. "
        f"{CONFIRM} the period compliance requires.",
        f"Availability: 99.9% each month. {CONFIRM} the target and the support hours.",
        *(TOPIC_NFRS[t] for t in topic_ids if t in TOPIC_NFRS),
    ]
    assumptions = [
        "" if "auth" in topic_ids else "People use this while signed in to their existing account.",
        "One language and one currency at launch.",
        f"Existing {TOPIC_NAMES[topic_ids[0]].lower()} processes stay as they are unless stated."
        if topic_ids
        else "",
    ]
    out_of_scope = [
        _OUT_OF_SCOPE[t].text
        for t in topic_ids[:3]
        if t in _OUT_OF_SCOPE and _OUT_OF_SCOPE[t].relevance(lowered) is not None
    ]
    if "migration" not in topic_ids:
        out_of_scope.append("Migrating historical records.")
    lines = [
        f"# {brief.feature}",
        "",
        *_changes(revision),
        "## 1. Overview and goal",
        "",
        f"- **Feature:** {brief.feature}.",
        f"- **Goal:** so that {story.benefit}.",
        f"- **Problem today:** {brief.problem or brief.relief}."
        if brief.problem or brief.relief
        else f"- **Problem today:** {CONFIRM} how this is handled now and what goes wrong.",
        f"- **Who benefits:** {', '.join(brief.roles)}."
        if brief.roles
        else f"- **Who benefits:** {CONFIRM} the users and their roles.",
        f"- **Success measure:** “{brief.success}”. {CONFIRM} the target and how it is measured."
        if brief.success
        else f"- **Success measure:** {CONFIRM} which number should move, and by how much.",
        "",
        "## 2. Scope",
        "",
        f"- In this release: {_article(role)} can {story.capability}.",
        *(f"- Covers: {t.name.lower()}." for t in brief.topics[:3]),
        *_said(brief),
        "",
        "## 3. Functional requirements",
        "",
        *(f"- **FR-{n}:** {fr}" for n, fr in enumerate(frs, start=1)),
        "",
        "## 4. Non-functional requirements",
        "",
        *(f"- **NFR-{n}:** {nfr}" for n, nfr in enumerate(nfrs, start=1)),
        "",
        "## 5. Assumptions",
        "",
        *(f"- {ASSUMPTION} {a}" for a in assumptions if a),
        "",
        "## 6. Open questions",
        "",
        *(f"{line} Owner: to confirm." for line in _open_questions(brief, passages)),
        "",
        "Edge cases to decide:",
        "",
        *(f"- **{category}:** {case}" for category, case in _edges(brief, 6)),
        "",
        "## 7. Out of scope",
        "",
        *(f"- {CONFIRM} {item}" for item in out_of_scope),
        "",
        "## 8. Sources",
        "",
        "- The meeting conversation (the analyst's statements quoted above).",
        *(
            [f"- {_quote(p, query)}" for p in passages]
            or [f"- {CONFIRM} no project document was cited."]
        ),
    ]
    return "\n".join(lines)


def artifact_template(
    kind: Deliverable,
    conversation: list[tuple[str, str]],
    passages: list[Passage],
    *,
    revision: str | None = None,
) -> tuple[str, str]:
    """(title, markdown) of a template deliverable filled from the conversation; with
    ``revision`` (the analyst's request), the next version of one, saying what changed."""
    brief = read_brief(conversation)
    unique = list(dict.fromkeys(passages))  # the same passage found twice is cited once
    if kind == "user_story":
        body = _user_story(brief, unique, revision)
    elif kind == "acceptance_criteria":
        body = _acceptance_criteria(brief, unique, revision)
    else:
        body = _requirements_doc(brief, unique, revision)
    return brief.feature, body + "\n"
