"""What a first-draft deliverable says for each kind of feature: the scenario context of a
happy path, the standard requirements, what is usually out of scope, the non-functional
targets, the dependency a feature relies on, and the usual reason for it.

Pure data, read by ``offline_content`` (the templates). Entries of the form ``"[refund] …"``
apply only when one of the bracketed words occurs (see ``offline_words.parse_entry``).
"""

from __future__ import annotations

# Scenario context, "Given | expected Then": the first entry that applies wins.

SCENARIO_CONTEXT: dict[str, tuple[str, ...]] = {
    "payments": (
        "[refund] a delivered order of 3 items totalling £120.00, paid by card (example "
        "values) | the refund is recorded against the original payment and the customer sees "
        "its amount and status",
        "a basket of 3 items totalling £120.00 (example values) | the card is charged once, "
        "the order is confirmed and the customer gets a receipt",
    ),
    "auth": ("an active account | they reach their home page and the sign-in is logged",),
    "notifications": (
        "their contact details are verified | they are notified once, on their chosen channel",
    ),
    "search": ("500 records they may see (example value) | matches appear within 2 seconds",),
    "files": ("a file of 2 MB in an accepted type (example value) | it is saved with the record",),
    "images": (
        "an inspection with 25 photos taken on the device (example value) | every photo is "
        "stored once with its capture time and location, and appears on the right record",
    ),
    "imports": (
        "a valid file of 1,000 rows (example value) | every row is processed and a summary "
        "shows what was created, updated and rejected",
    ),
    "loyalty": (
        "a balance of 2,000 points (example value) | the points are taken off, the order total "
        "drops by their value and the new balance is shown",
    ),
    "reporting": ("last month's data is complete | the figures match the agreed definitions",),
    "scheduling": (
        "a free slot tomorrow at 10:00 (example value) | the slot is reserved and both sides "
        "receive a confirmation",
    ),
    "accounts": (
        "a team of 10 people (example value) | the change applies immediately and is recorded"
        " in the audit log",
    ),
    "mobile": (
        "the app installed on their phone | the change is saved on the device and "
        "synchronised once there is a connection",
    ),
    "integrations": (
        "the other system is available | both systems show the same values within 1 minute",
    ),
    "migration": (
        "10,000 records in the old system (example value) | every record is migrated or "
        "listed with a reason, and the counts reconcile",
    ),
    "subscriptions": (
        "[subscri plan renew trial] a monthly plan at £20.00 (example value) | the plan, "
        "price and next invoice date are updated and the customer is told",
    ),
    "orders": (
        "[history status track] 3 past orders (example value) | each order shows its date, "
        "items, total and current status",
        "an item in stock | the order is confirmed, stock is reserved and a confirmation is sent",
    ),
    "onboarding": (
        "they have not registered yet | their details are saved and they see the next step",
    ),
    "messaging": ("two people allowed to message each other | the message is delivered once",),
    "approvals": (
        "a request above the approval threshold | the request goes to the right approver and "
        "the requester can see its status",
    ),
}

TOPIC_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "payments": (
        "[refund] The system must record each refund against the original payment, with "
        "amount, reason, requester and status.",
        "[refund] The system must prevent the total refunded from exceeding the amount paid.",
        "The customer must be able to see the status of each payment and refund.",
    ),
    "auth": (
        "The system must slow down or lock sign-in after repeated failed attempts.",
        "An administrator must be able to remove a person's access immediately.",
    ),
    "notifications": (
        "People must be able to choose their channels and opt out of non-essential messages.",
        "The system must retry failed sends and record whether each notification was delivered.",
    ),
    "search": (
        "Search must return only records the person is allowed to open.",
        "When nothing matches, the system must say so and suggest a next step.",
    ),
    "files": (
        "[import upload] The system must validate a file before importing it and list each "
        "rejected row with its reason.",
        "[import] The system must report how many records were created, updated and rejected.",
        "[export download] Exports must contain only records the person is allowed to see.",
    ),
    "reporting": (
        "Each figure must have a written definition available next to the report.",
        "Reports must show only data the viewer is allowed to see.",
    ),
    "scheduling": (
        "The system must prevent two bookings of the same slot.",
        "Times must be shown in the viewer's time zone, with the zone stated.",
    ),
    "accounts": (
        "The system must check the person's role on every action, not only when a page loads.",
        "Changes to roles and permissions must be recorded with who, when and what changed.",
    ),
    "mobile": (
        "The app must keep changes made offline and send them, once, when a connection returns.",
        "The app must show when it is offline and which data may be out of date.",
    ),
    "integrations": (
        "The system must retry failed calls and alert a named owner after repeated failures.",
        "Each incoming message must be processed once, even if it is delivered twice.",
    ),
    "migration": (
        "Migrated data must be reconciled against the source, with counts and totals signed off.",
        "Records that cannot be migrated must be listed with a reason for someone to resolve.",
    ),
    "subscriptions": (
        "[subscri plan upgrade downgrade] Plan changes mid-cycle must be charged according to "
        "the agreed proration rule.",
        "[subscri renew trial] The customer must be warned before a renewal or the end of a "
        "free trial.",
        "[override] Each price override must record who made it, the old and new price, and "
        "the reason.",
        "[price pricing -subscri -plan] A price change must apply from a set date and time, "
        "never to orders already placed.",
    ),
    "orders": (
        "[history status track] The customer must be able to see each order's current status.",
        "[stock inventory basket cart checkout] The system must reserve stock when an order is "
        "placed and release it on cancellation.",
    ),
    "onboarding": (
        "Each field must be validated as it is completed, with errors explained in plain words.",
        "The system must save progress so that a person can finish the form later.",
    ),
    "messaging": (
        "Users must be able to report and block another user.",
        "Recipients must be notified of new messages on their chosen channel.",
    ),
    "approvals": (
        "Each request must follow the approval route set by the agreed thresholds.",
        "Nobody may approve their own request.",
    ),
}

TOPIC_OUT_OF_SCOPE: dict[str, str] = {
    "payments": "[refund] Refunds to a different payment method, such as store credit or a bank "
    "transfer.",
    "auth": "Changes to the client's identity provider.",
    "notifications": "Marketing campaigns and newsletters.",
    "search": "Searching inside attached files.",
    "files": "File formats other than those agreed.",
    "reporting": "Self-service report building.",
    "scheduling": "Two-way sync with personal calendars.",
    "accounts": "Custom roles defined by customers.",
    "mobile": "Layouts designed for tablets.",
    "integrations": "Real-time sync (a scheduled batch in the first release).",
    "migration": "Records older than the agreed cut-off date.",
    "subscriptions": "[subscri plan] Usage-based or metered pricing.",
    "orders": "[ship deliver courier] International shipping.",
    "onboarding": "Identity checks beyond those required by regulation.",
    "messaging": "Group chats and voice or video calls.",
    "approvals": "Approval routes configured by customers.",
}

TOPIC_NFRS: dict[str, str] = {
    "payments": "Card data is never stored by us; payments and refunds go through a PCI DSS "
    "compliant provider.",
    "auth": "Sessions expire after 30 minutes without activity. **To confirm:** the period.",
    "files": "Files up to 20 MB upload within 10 seconds on a 10 Mbit/s connection. "
    "**To confirm:** the size limit.",
    "mobile": "Offline work is kept for at least 7 days without a connection. "
    "**To confirm:** the period.",
    "integrations": "Changes reach the other system within 5 minutes in 99% of cases. "
    "**To confirm:** the target.",
    "search": "95% of searches return within 1 second. **To confirm:** the target.",
}

TOPIC_DEPENDENCIES: dict[str, str] = {
    "payments": "the payment provider",
    "auth": "the identity provider",
    "notifications": "the email and SMS providers",
    "integrations": "the other system's API",
    "migration": "the legacy system's data",
    "orders": "the order management system",
    "images": "the photo storage service",
    "imports": "the price or product database",
    "loyalty": "the loyalty platform",
    "scheduling": "the booking system",
}

# The story's "so that" when the thread has not said why: the usual reason for the kind of
# feature, always marked as an assumption to confirm.
TOPIC_BENEFITS: dict[str, str] = {
    "payments": "I get my money back without having to chase anyone",
    "auth": "my account stays protected even if my password is stolen",
    "notifications": "I only get the messages I want, on the channels I choose",
    "search": "I find what I need quickly",
    "images": "the evidence reaches the right record without being sent by hand",
    "imports": "my data is up to date without anyone retyping it",
    "files": "the documents are kept with the record they belong to",
    "reporting": "decisions are based on one agreed set of figures",
    "scheduling": "I can change my plans without phoning anyone",
    "accounts": "people can do exactly what their role allows",
    "mobile": "I can work wherever I am, even without a signal",
    "integrations": "both systems show the same data without retyping",
    "migration": "no record is lost when the old system is switched off",
    "subscriptions": "I pay the right amount for what I use",
    "orders": "I stay in control of my order without contacting support",
    "onboarding": "I can get started without paperwork",
    "messaging": "I get answers without phoning",
    "approvals": "decisions are made quickly by the right person",
    "loyalty": "my points are worth something where I actually shop",
}
DEFAULT_BENEFIT = "I can do this myself, without waiting for someone else"
