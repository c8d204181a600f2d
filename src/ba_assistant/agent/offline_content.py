"""The domain knowledge of the offline assistant: what a senior business analyst would ask,
which edge cases they would hunt, and how they would lay out a first-draft deliverable.

Everything here is pure, deterministic and standard-library only: the same text always gives
the same key terms, topics, questions, edge cases and templates. The knowledge lives in
readable module-level tables; the functions below them only select and order.

Question and edge-case tables use a small notation:

- ``"[refund partial] How is …?"``: the entry applies only when one of the words ``refund…``
  or ``partial…`` occurs in the text; ``-window`` inside the brackets skips it when ``window…``
  occurs (usually because the text already answers it). Without brackets an entry always
  applies to its topic. Entries whose words occur rank before general ones.
- ``"concurrency [refund]: Situation. Question?"``: an edge case of that taxonomy category
  (keys in ``CATEGORIES``). The first sentence is the situation, written so that it reads
  after "When" in a Gherkin scenario; the rest is the question the room must answer.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Deliverable = Literal["user_story", "acceptance_criteria", "requirements_doc"]


@dataclass(frozen=True)
class Topic:
    id: str
    name: str


@dataclass(frozen=True)
class Passage:
    """A document passage found by search; cite it as ``[document_name, passage N]``."""

    document_name: str
    passage: int
    text: str


# --- the edge-case taxonomy (names exactly as in the system prompt) --------------------------

CATEGORIES: dict[str, str] = {
    "input": "invalid and extreme inputs",
    "empty": "empty and first-use states",
    "roles": "roles and permissions",
    "concurrency": "concurrency",
    "dependencies": "failures of dependencies",
    "retries": "timeouts and retries",
    "undo": "undo and reversibility",
    "notifications": "notifications",
    "audit": "audit, compliance and privacy",
    "accessibility": "accessibility",
    "locale": "localisation, time zones and currency",
    "scale": "performance and scale",
    "security": "security and abuse",
    "migration": "data migration",
    "reporting": "reporting",
}

# --- topics: (id, name, strong keywords, weak keywords) ---------------------------------------
# "*" matches any word ending, a space also matches a hyphen. A strong keyword scores 2 per
# occurrence, a weak one 1; a topic needs 2 points. Ties keep this order.

TOPICS: tuple[tuple[str, str, str, str], ...] = (
    (
        "payments",
        "Payments and refunds",
        "payment*, pay, pays, paid, paying, payout*, refund*, checkout*, check out, chargeback*, "
        "credit card*, debit card*, card details, apple pay, google pay, paypal, stripe, adyen, "
        "transaction*, receipt*, store credit",
        "card, cards, charge, charges, charged, wallet*, money, cash, fee, fees",
    ),
    (
        "auth",
        "Sign-in and authentication",
        "sign* in, signin, log* in, login*, logon, log out, logout, sign out, password*, "
        "passcode*, sso, single sign on, mfa, 2fa, two factor, multi factor, authenticat*, "
        "oauth, saml, openid, magic link*, passkey*, biometric*",
        "session*, locked out, lockout, credential*, verification code*, otp",
    ),
    (
        "notifications",
        "Notifications and alerts",
        "notif*, alert*, remind*, sms, text message*, push notification*, email*, e mail*, digest*",
        "push, unsubscribe*, opt out, opt in, let them know",
    ),
    (
        "search",
        "Search and filtering",
        "search*, filter*, autocomplete, auto complete, typeahead, facet*, lookup*, look up",
        "find, finding, sort, sorting, sorted, browse*, results",
    ),
    (
        "files",
        "File upload, import and export",
        "upload*, import*, export*, csv*, spreadsheet*, excel, attachment*, attach, file, files",
        "pdf*, download*, xml, json",
    ),
    (
        "reporting",
        "Reporting and dashboards",
        "report, reports, reporting, dashboard*, analytics, kpi*, metric*, chart*, insight*",
        "statistic*, trend*, visuali*, breakdown*, management information",
    ),
    (
        "scheduling",
        "Scheduling and bookings",
        "schedul*, calendar*, book, books, booked, booking*, appointment*, reservation*, "
        "rebook*, reschedul*, availability, time slot*, timeslot*, rota, rotas",
        "slot, slots, shift, shifts, diary, diaries, opening hours, waitlist*, waiting list*, "
        "no show*",
    ),
    (
        "accounts",
        "User accounts, roles and permissions",
        "role, roles, permission*, access control, access right*, user management, admin, "
        "admins, administrator*, user account*, account, accounts, profile*, invite*, "
        "invitation*, deactivat*, rbac",
        "access, team, teams, group, groups, member, members",
    ),
    (
        "mobile",
        "Mobile and offline use",
        "mobile*, ios, iphone*, android*, offline, tablet*, native app*, app store, "
        "poor signal, no signal, no connection",
        "app, apps, phone, phones, sync*, on the go",
    ),
    (
        "integrations",
        "Integrations, APIs and webhooks",
        "integrat*, api, apis, webhook*, third party, crm, erp, salesforce, hubspot, sap, xero, "
        "quickbooks, netsuite, zapier, connector*, endpoint*, sftp, edi",
        "sync*, feed, feeds, external system*, partner system*",
    ),
    (
        "migration",
        "Data migration",
        "migrat*, legacy, backfill*, cutover, cut over, data load*, existing record*, "
        "historical data, historic data, old system*, decommission*",
        "existing data, convert*, mapping*, go live",
    ),
    (
        "subscriptions",
        "Pricing, subscriptions and billing",
        "pricing, price, prices, subscription*, subscrib*, billing, invoic*, renewal*, renew*, "
        "free trial*, trial period*, discount*, coupon*, promo code*, voucher*, prorat*, "
        "upgrade*, downgrade*, vat, sales tax, credit note*",
        "plan, plans, tier, tiers, trial, trials, tax, taxes",
    ),
    (
        "orders",
        "Orders, inventory and shipping",
        "order, orders, ordered, ordering, inventory, stock, warehouse*, shipping, shipment*, "
        "ship, shipped, fulfil*, fulfill*, dispatch*, courier*, parcel*, tracking number*, "
        "sku*, basket*, cart, carts, backorder*, returns, return label*",
        "deliver*, track*, package*, item, items, product, products",
    ),
    (
        "onboarding",
        "Forms and onboarding",
        "onboard*, sign up, signup*, register, registration*, registering, form, forms, "
        "wizard*, questionnaire*, application form*, kyc, know your customer",
        "field, fields, mandatory, dropdown*, checkbox*, validation*",
    ),
    (
        "messaging",
        "Messaging and chat",
        "chat*, messag*, inbox*, direct message*, dm, dms, conversation*, live chat, reply, "
        "replies, replied, whatsapp",
        "thread, threads, comment, comments, mention*",
    ),
    (
        "approvals",
        "Approvals and workflow",
        "approv*, workflow*, sign off, signoff, escalat*, authoris*, authoriz*, reject*, "
        "four eyes, maker checker",
        "review, reviews, reviewed, queue*, status, statuses, stage, stages, hand off, sla, slas",
    ),
)

# Phrases that use a keyword in another sense; removed before topics are matched.
AMBIGUOUS_PHRASES = (
    r"in order (?:to|for|that)",
    r"(?:into|on) account(?: of)?",
    r"account for",
    r"order of magnitude",
    r"in (?:the|this|that|which) order",
    r"look(?:ing)? (?:at|into|for|forward)",
)

# --- core discovery questions: (key, question, "already answered" pattern) -------------------

CORE_QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "goal",
        "What problem does this solve today, and what happens if we do nothing?",
        r"\b(?:so that|so (?:they|we|it|customers|users) can|in order to|because|"
        r"the (?:goal|aim|problem|point|objective|reason) is|pain point|to (?:reduce|cut|stop|"
        r"avoid|improve|increase|save|prevent|speed up)|complain\w*)\b",
    ),
    (
        "users",
        "Who exactly will use this, and does each role need to see or do something different?",
        "",  # answered when the text names a role (see ROLE_NOUNS)
    ),
    (
        "success",
        "How will we know it worked: which number should move, and by how much?",
        r"(?:\b(?:measure\w*|metric\w*|kpis?|success|target\w*|percent|conversion)\b|\d\s?%)",
    ),
    (
        "scope",
        "What is the smallest first release that would be useful, and what is out of scope?",
        r"\b(?:scope|mvp|first (?:release|version|phase)|phase (?:1|one)|v1|pilot|for now)\b",
    ),
)

GENERAL_QUESTIONS: tuple[str, ...] = (
    "Can you walk me through the happy path, from what starts it to what the person sees?",
    "How is this handled today, and where does that process go wrong?",
    "Which existing systems or data does this need to read from or update?",
    "Is there a deadline, contract or regulation behind this?",
    "Who needs to sign off the requirements before work starts?",
)

TOPIC_QUESTIONS: dict[str, tuple[str, ...]] = {
    "payments": (
        "[partial] How is a partial refund worked out: by item and quantity, or any amount "
        "the customer chooses?",
        "[refund -window -days -weeks] How long after delivery can a customer ask for a refund, "
        "and what happens once that window has closed?",
        "[refund] Does the money always go back to the original payment method, or can it be "
        "store credit or a bank transfer?",
        "[refund] Is a refund paid automatically, or does someone approve it first, and above "
        "what amount?",
        "[partial] What happens to a discount or the delivery charge when only part of an "
        "order is refunded?",
        "[refund] Must the items be returned and checked before the money goes back?",
        "Which payment provider do we use, and which payment methods must work at launch?",
        "What should the customer see if their card is declined or the provider is down?",
        "[checkout card] Do we save cards for next time, and who can see or remove them?",
    ),
    "auth": (
        "Which sign-in methods are needed: email and password, the client's single sign-on, "
        "or both?",
        "Which roles need two-factor authentication, and what happens when someone loses "
        "their phone?",
        "How does someone reset a forgotten password, and what happens after several failed "
        "attempts?",
        "How long should a session last, and is that shorter on shared computers?",
        "When someone leaves the organisation, how quickly must their access be removed?",
    ),
    "notifications": (
        "Which events trigger a notification, and who receives each one?",
        "Which channels are needed (email, SMS, push or in-app), and can people opt out?",
        "How quickly must each notification arrive, and what happens if sending fails?",
        "Who writes and approves the wording, and is more than one language needed?",
        "Should many events for the same person be grouped into one digest?",
    ),
    "search": (
        "What do people search by most: names, reference numbers, dates or free text?",
        "Which filters matter most, and what should the default sort order be?",
        "Should search tolerate typos and partial words, so 'smyth' finds 'Smith'?",
        "Must results respect permissions, so people only find what they may open?",
        "How many records will be searched, and how fast must results appear?",
    ),
    "files": (
        "[import upload attach] Which file formats and what maximum file size must we accept?",
        "[import] When some rows of an import are invalid, do we reject the whole file or skip "
        "just those rows?",
        "[import] Does an import only create records, or also update existing ones, and how are "
        "they matched?",
        "[export download] Who opens the export: a person in Excel or another system, and which "
        "columns and format do they need?",
        "[export download] Who may export, and must exported files leave out personal or "
        "confidential data?",
        "[export] How large is the largest export today, and must it finish while the person "
        "waits?",
        "[upload attach] Must uploaded files be virus-scanned, and how long do we keep them?",
        "[-import -upload -export -download] Which file formats must we handle, and how large "
        "is the largest file we expect?",
    ),
    "reporting": (
        "Which decisions will this report support, and who makes them?",
        "How exactly is each figure defined, for example when does an order count as complete?",
        "How fresh must the data be: live, hourly or as of last night?",
        "Who may see which figures, for example a regional manager only their own region?",
        "Does it need exporting or emailing on a schedule, and in which format?",
    ),
    "scheduling": (
        "Who sets the available times, and how are holidays, breaks and closures handled?",
        "How far ahead can people book, and how late can they cancel or move a booking "
        "without a penalty?",
        "What happens when two people try to book the last slot at the same moment?",
        "Which time zone applies when the customer and the business are in different ones?",
        "Which reminders are sent, and how are no-shows handled?",
        "Must this sync with external calendars such as Outlook or Google Calendar?",
    ),
    "accounts": (
        "Which roles exist, and what can each one see, do and approve?",
        "Who creates accounts and assigns roles: an administrator, a team lead or the people "
        "themselves?",
        "What happens to someone's records and open work when their account is deactivated?",
        "Can one person hold several roles, or belong to several teams or organisations?",
        "Must every change to roles and permissions be recorded, and for how long?",
    ),
    "mobile": (
        "Which devices and operating system versions must be supported at launch?",
        "Which tasks must work with no signal, and for how long might someone be offline?",
        "When an offline change conflicts with a newer one on the server, which one wins?",
        "Is this a native app, a mobile web page, or both?",
        "What happens to data on a device that is lost or stolen?",
    ),
    "integrations": (
        "Which system is the source of truth for each piece of data we exchange?",
        "Does the other system offer an API today, and who owns it on their side?",
        "How fresh must the data be: real time, every few minutes or a nightly batch?",
        "What should happen when the other system is down or rejects our data, and who is told?",
        "What rate limits, costs or contract terms come with the other system's API?",
    ),
    "migration": (
        "How many records need migrating, and how far back does the history go?",
        "Which legacy records do not fit the new rules, and what should happen to them?",
        "Can the old and new systems run side by side during the cut-over, and for how long?",
        "Who signs off that the migrated data is correct, and by which checks?",
        "If the cut-over fails, how do we roll back, and how much downtime is acceptable?",
    ),
    "subscriptions": (
        "Which plans and prices exist at launch, and who can change them?",
        "[subscri plan upgrade downgrade] When a customer upgrades or downgrades mid-cycle, is "
        "the price prorated or changed at the next renewal?",
        "[subscri renew plan billing] What happens when a renewal payment fails: retries, a grace "
        "period, then suspension?",
        "[override] Who may override a price, by how much, and is a reason required?",
        "[price pricing -subscri -plan] When a price changes, what happens to quotes, baskets and "
        "orders already in progress?",
        "Which taxes and currencies apply, and must invoices meet local legal rules?",
        "[subscri plan] Can customers cancel by themselves, and do they keep access until the "
        "paid period ends?",
        "[discount coupon promo voucher] Can discount codes be combined, and when do they expire?",
    ),
    "orders": (
        "[history status track] How far back must order history go, and which statuses does "
        "the customer see?",
        "Up to which point can a customer change or cancel an order, for example until it is "
        "picked?",
        "What happens when an item goes out of stock after the order has been placed?",
        "Can one order be split across several shipments, and how is the customer kept informed?",
        "How are returns handled: who pays for return postage, and when is stock back on sale?",
        "Which courier or warehouse systems must this work with?",
    ),
    "onboarding": (
        "What is the minimum we must ask for on day one, and what can wait until later?",
        "Which fields are mandatory, and what are the validation rules for each?",
        "Can someone save a half-finished form and come back to it, and for how long?",
        "Do we need identity or eligibility checks, and what happens when a check fails?",
        "Where do people drop out today, and how will we measure completion?",
    ),
    "messaging": (
        "Who can message whom, and can either side block or report the other?",
        "How long must messages be kept, and can people delete them?",
        "Are attachments, read receipts or typing indicators needed in the first release?",
        "What response time is expected, and what happens outside business hours?",
        "Who moderates messages, and how is abusive content handled?",
    ),
    "approvals": (
        "Who approves at each step, and which thresholds decide the route?",
        "What happens when an approver is on leave or does not respond in time?",
        "Can an approver send a request back for changes, and what happens to it then?",
        "Can anyone approve their own request, or one raised by their manager?",
        "What audit trail does compliance need: who approved what, when and why?",
    ),
}

GENERIC_EDGE_CASES: tuple[str, ...] = (
    "input: Someone leaves fields blank or enters very long text, zero, negative numbers or "
    "duplicates. Which are rejected, and with what message?",
    "roles: Someone without the right role tries to open or change this. What exactly can each "
    "role see and do?",
    "dependencies: A system this relies on is slow or down. What does the person see, and is "
    "any work lost?",
    "concurrency: Two people change the same record at the same moment. Whose change wins, and "
    "is the other person told?",
    "undo: Someone makes a mistake here. What can be corrected or reversed, and what can never "
    "be undone?",
    "empty: A brand-new user opens this before there is any data. What do they see, and what "
    "should they do first?",
    "notifications: Something important changes. Who needs to be told, how, and can they opt out?",
    "audit: An auditor asks who changed this and when. Is it recorded, and is personal data "
    "involved?",
    "retries: The person clicks twice, or retries after a timeout. Could the action happen twice?",
    "security: A signed-in user changes an identifier in the address bar to open someone else's "
    "record. Is it blocked?",
    "scale: The largest customer has 100 times the typical volume. Does it still respond within "
    "2 seconds?",
    "accessibility: A keyboard-only or screen-reader user needs to complete this. Can they, and "
    "is the wording plain?",
    "locale: People use this from several countries. Which languages, date formats, time zones "
    "and currencies apply?",
    "migration: Existing records were created under the old rules. How do they fit the new ones?",
    "reporting: The business wants to measure success. Is the event we need recorded from day one?",
)

TOPIC_EDGE_CASES: dict[str, tuple[str, ...]] = {
    "payments": (
        "input [partial]: A partial refund is requested for more than is left to refund on the "
        "order. Is it blocked with a clear message, or capped at the remaining amount?",
        "concurrency [refund]: The customer submits the same refund twice, or an agent refunds "
        "the order at the same moment. Could the money go out twice?",
        "dependencies [refund]: The payment provider rejects the refund because the card has "
        "expired or the account is closed. Where does the money go instead?",
        "roles [refund]: A support agent refunds more than their approval limit. Who approves "
        "it, and what does the customer see meanwhile?",
        "notifications [refund]: The refund is paid but takes 5 to 10 working days to reach the "
        "card. What does the customer see, and when?",
        "locale [partial]: A £10 discount was spread across 3 items and only one is refunded. "
        "How is the amount worked out and rounded?",
        "undo [refund]: A refund is approved by mistake. Can it be stopped before the money "
        "leaves, and who can do that?",
        "security [refund]: A customer asks for refunds on many orders in one week. Is there a "
        "limit or a fraud check?",
        "audit [refund]: Finance reconciles refunds with the payment provider's statement. Is "
        "each refund recorded with who, when, why and how much?",
        "retries: The payment provider times out and the customer presses Pay again. Could "
        "the card be charged twice?",
        "dependencies: The card needs an extra security check (3-D Secure) that the customer "
        "abandons. Is the order kept, and for how long?",
        "locale: The customer pays in euros and the exchange rate moves before settlement. "
        "Which amount is shown on the receipt?",
    ),
    "auth": (
        "security: Someone tries thousands of passwords against one account. When are they "
        "slowed down or locked out, and how does the real owner get back in?",
        "dependencies: The client's single sign-on provider is down. Can anyone still sign in, "
        "for example an emergency administrator?",
        "roles: A person's role is removed while they are signed in. Does it apply at once or "
        "at their next sign-in?",
        "retries: The verification code arrives after it has expired. Can they request another, "
        "and how many times?",
        "accessibility: A screen-reader user meets a puzzle or a code that expires in 30 "
        "seconds. Can they still sign in?",
        "empty: A new user follows an invitation link that has already expired. What do they see?",
        "audit: Security asks who signed in from where last month. Are sign-ins and failed "
        "attempts logged, and for how long?",
    ),
    "notifications": (
        "notifications: One action triggers twenty messages to the same person within a minute. "
        "Are they grouped or rate-limited?",
        "dependencies: The email or SMS provider is down for an hour. Are messages queued and "
        "sent later, or lost?",
        "input: The email address bounces or the phone number is invalid. Who finds out, and is "
        "the record flagged?",
        "locale: A reminder is due at 9am for someone in another time zone. Whose 9am is it?",
        "audit: A customer has opted out of marketing. Do service messages still reach them, and "
        "is their consent recorded?",
        "accessibility: The email is read with a screen reader or with images blocked. Is the "
        "key information still in the text?",
    ),
    "search": (
        "empty: A search matches nothing. Does the screen suggest a next step, such as clearing "
        "the filters?",
        "input: Someone searches for one letter, 500 characters or only symbols. What happens?",
        "roles: A match belongs to a record the person may not open. Is it hidden, or shown "
        "without details?",
        "scale: The largest customer has 2 million records. Do results still appear within 2 "
        "seconds?",
        "security: A script pages through every result to copy the data. Is there a limit?",
        "concurrency: A record changes between the search and the click. Does the person see "
        "stale data?",
    ),
    "files": (
        "input [import upload]: The file has the wrong columns, another date format or 100,000 "
        "rows. Which are rejected, and with what message?",
        "undo [import]: An import overwrites 2,000 records with wrong values. Can it be rolled "
        "back?",
        "retries [upload import]: The upload fails at 90% on a slow connection. Can it resume, "
        "or must the person start again?",
        "concurrency [import]: Two colleagues import the same file. Are the records duplicated?",
        "roles [export download]: Someone exports records they can see on screen but may not "
        "share. Does the export apply the same permissions?",
        "security [upload attach]: An uploaded file contains a virus or a disguised program. Is "
        "it scanned before anyone can open it?",
        "audit [export download]: An export with personal data is emailed outside the company. "
        "Is the export logged, and should it be restricted?",
        "scale [export]: Someone exports 500,000 rows at peak time. Is it built in the "
        "background, with a message when it is ready?",
        "locale: A CSV file opened in Excel shows accented names or currency symbols as "
        "gibberish. Which encoding and separators do we use?",
        "empty [export]: Someone exports a filtered list with no matching rows. Do they get an "
        "empty file or a message?",
    ),
    "reporting": (
        "reporting: Two reports show different totals for the same month. Which definition is "
        "the official one?",
        "empty: A new customer opens the dashboard before there is any data. Does it show zeros, "
        "a blank or a helpful message?",
        "roles: A manager filters to a team they do not manage. Are those figures hidden?",
        "locale: A sale is made at 11pm on the last day of the month in another time zone. Which "
        "month does it count in?",
        "scale: The report covers three years of data for the largest customer. How long may it "
        "take to load?",
        "accessibility: A chart uses colour alone to show good and bad. Can colour-blind and "
        "screen-reader users read it?",
    ),
    "scheduling": (
        "concurrency: Two people book the last slot at the same moment. Who gets it, and what "
        "does the other person see?",
        "locale: A booking falls on the night the clocks change, or the customer is in another "
        "time zone. Which time is shown to whom?",
        "undo: The customer cancels 10 minutes before the appointment. Is there a fee, and is "
        "the slot released?",
        "input: Someone books a slot in the past, two years ahead or outside opening hours. "
        "Which limits apply?",
        "notifications: Staff move the appointment to another day. How and when is the customer "
        "told?",
        "dependencies: The external calendar sync fails. Could the same slot be booked twice?",
        "empty: No slots are free for the next month. Can the customer join a waiting list?",
    ),
    "accounts": (
        "roles: A user's role changes halfway through a task they started. What can they still "
        "see and finish?",
        "security: A user edits the address bar to open another organisation's record. Is it "
        "blocked and logged?",
        "undo: An account is deleted by mistake. Can it be restored with its history?",
        "audit: A customer asks for their personal data to be deleted. What must we keep for "
        "legal reasons?",
        "empty: The first administrator signs in to an empty organisation. What do they set up "
        "first?",
        "concurrency: Two administrators change the same person's permissions at once. Which "
        "change wins?",
        "migration: Existing users have permissions that do not map to the new roles. Who "
        "decides their new role?",
    ),
    "mobile": (
        "concurrency: The same record is edited offline on a phone and online on the web. "
        "Which change wins?",
        "retries: The phone loses signal while saving. Is the change kept and sent later, "
        "without duplicates?",
        "scale: Someone stays offline for a week and then syncs 500 changes. How long may it take?",
        "security: A phone with the app signed in is lost or stolen. Can its data be wiped or its "
        "access revoked remotely?",
        "accessibility: The person uses large text or the app one-handed. Do the key screens "
        "still work?",
        "dependencies: Someone runs an old app version the server no longer supports. Are they "
        "forced to update?",
    ),
    "integrations": (
        "dependencies: The other system is down or returns an error. Are changes queued and "
        "retried, and who is alerted?",
        "retries: The same webhook arrives twice or out of order. Is it processed once, in the "
        "right order?",
        "input: The other system sends a value we do not recognise, such as a new status code. "
        "Is it rejected or stored?",
        "concurrency: The same record changes in both systems at the same time. Which one wins?",
        "security: Someone sends a fake webhook to our endpoint. How do we verify it came from "
        "the partner?",
        "scale: The partner's rate limit is reached during the nightly sync. What is delayed, "
        "and for how long?",
    ),
    "migration": (
        "migration: Legacy records have blank mandatory fields or statuses the new system lacks. "
        "Are they fixed, mapped or left behind?",
        "input: The old system holds the same customer twice. Are the records merged, and who "
        "decides?",
        "concurrency: People keep working in the old system during the cut-over. How are those "
        "late changes carried over?",
        "undo: The migrated data turns out to be wrong after go-live. Can we roll back, and what "
        "is lost?",
        "audit: Migrated records need their original dates and history. Are they preserved?",
        "reporting: A report compares this year with last year across the migration. Do the "
        "figures still match?",
    ),
    "subscriptions": (
        "dependencies [subscri renew plan billing]: A renewal payment fails because the card has "
        "expired. How many retries, and when is access suspended?",
        "locale [subscri upgrade downgrade plan]: A customer upgrades halfway through the month "
        "in a country with different VAT. How are the prorated amount and tax worked out?",
        "undo [subscri cancel plan]: A customer cancels by mistake and wants to undo it the next "
        "day. Do they keep their old price?",
        "concurrency [price pricing override]: A price changes while a customer has the item in "
        "their basket. Which price do they pay?",
        "input [price pricing override]: A price is set to zero, below cost, or with too many "
        "decimal places. Is it rejected or flagged?",
        "roles [override]: A price override exceeds the person's limit. Who approves it, and "
        "what happens to the sale meanwhile?",
        "audit [override]: Head office asks who overrode which prices last month, and why. Is "
        "each override recorded with a reason?",
        "input [discount coupon promo voucher]: A discount code is expired, used up or combined "
        "with another. What does the customer see?",
        "notifications [trial]: A free trial ends tomorrow. Is the customer warned before the "
        "first charge?",
        "migration [subscri plan]: Existing customers are on plans that no longer exist. Do "
        "they keep their price, and for how long?",
        "reporting [revenue churn mrr finance]: Finance needs monthly recurring revenue and "
        "churn. Are upgrades, downgrades and refunds recorded to calculate them?",
    ),
    "orders": (
        "concurrency: Two customers buy the last item at the same moment. Who gets it, and what "
        "does the other one see?",
        "undo: The customer cancels after the order is picked but before it ships. Can it still "
        "be stopped?",
        "empty [history]: A new customer opens their order history before ordering anything. "
        "What do they see?",
        "dependencies: The courier's system does not respond when the label is created. Does "
        "the order wait, or go out without tracking?",
        "input: An order has 999 units of one item, or an address the courier cannot reach. "
        "Which limits apply?",
        "scale: A flash sale brings ten times the normal orders in an hour. Which parts must keep "
        "up?",
        "locale: An order is placed at 11:59pm on the last day of a promotion in another time "
        "zone. Does the promotion apply?",
    ),
    "onboarding": (
        "input: Someone enters a name with an apostrophe or accents, or an address without a "
        "postcode. Is it accepted?",
        "empty: Someone abandons the form halfway through. Is their progress saved, and are "
        "they reminded?",
        "accessibility: A screen-reader or keyboard-only user fills in the form. Are errors "
        "announced and linked to the right field?",
        "retries: The person presses Submit twice on a slow connection. Are two accounts or "
        "applications created?",
        "security: Bots submit thousands of sign-ups with fake emails. How are they stopped "
        "without blocking real people?",
        "audit: The form collects personal data from someone who never finishes it. Is consent "
        "recorded, and how long is the data kept?",
    ),
    "messaging": (
        "notifications: A message arrives while the recipient is offline. Are they told by email "
        "or push, and how often?",
        "security: A user sends abusive messages or spam links. Can they be reported, blocked and "
        "reviewed?",
        "audit: A user asks to delete their messages. Do they disappear for the other person "
        "too, and what must be kept?",
        "concurrency: Two agents reply to the same customer at the same moment. Does the "
        "customer get two answers?",
        "input: Someone sends an empty message, 10,000 characters, or only an attachment. What "
        "is allowed?",
        "empty: A new user opens an empty inbox. What do they see?",
    ),
    "approvals": (
        "roles: The approver is on leave or has left the company. Who approves instead, and who "
        "sets that up?",
        "retries: A request waits five working days with no decision. Is it escalated, or "
        "rejected automatically?",
        "concurrency: Two approvers act on the same request at once, one approving and one "
        "rejecting. Which decision stands?",
        "undo: An approval is given by mistake. Can it be withdrawn, and what has already "
        "happened downstream?",
        "security: Someone raises a request and approves it with a second account. How is that "
        "prevented?",
        "audit: An auditor asks why a request was approved a year ago. Are the decision, the "
        "approver and the reason recorded?",
        "input: The request is changed after it has been approved. Does it need approving again?",
    ),
}

# --- template material per topic -------------------------------------------------------------
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
    "files": (
        "a valid file of 1,000 rows (example value) | every row is processed and a summary "
        "shows what was imported or exported",
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
    "orders": "the warehouse and courier systems",
}


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- words --------------------------------------------------------------------------------------

STOP_WORDS = _word_set(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each else
    ever every few for from further had has have having he her here hers herself him himself his
    how however i if in into is it its itself just let me more most my myself no nor not now of
    off on once one only or other ought our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to
    too under until up upon us very was we were what when where whether which while who whom
    whose why will with within without would yet you your yours yourself yourselves per via
    never always often sometimes usually"""
)

FILLER_WORDS = _word_set(
    """able actually again ah already anyway anything around basically bit certain currently
    discuss discussed discussing draft easily easy etc everything example feature features
    generate get gets getting give go goes going good gonna got great guess guys hello help hey
    hi idea ideas just kind know lets like likely lot lots make maybe mean meeting might mention
    must need needs new nice now okay ok perhaps please pretty probably quick quickly quite
    really right said say says see seems should simply somehow something sort stuff sure talk
    talking tell thanks thing things think thinking today told try trying use using want wanted
    take taking pain hundred hundreds thousand thousands million millions billion
    wanting wants way well whatever write writing yeah yes"""
)

GENERIC_WORDS = _word_set(
    """app button customer customers data details field information list option options page
    pages people person process screen screens section staff system systems team time tool
    user users view"""
)

SHORT_TERMS = frozenset({"ai", "hr", "ui", "ux", "id"})

# Phrases kept whole by key_terms (a final "s" is optional, a space also matches a hyphen).
DOMAIN_PHRASES = (
    "single sign on, two factor authentication, multi factor authentication, password reset, "
    "magic link, store credit, gift card, credit card, debit card, bank transfer, direct "
    "debit, credit note, purchase order, promo code, free trial, out of stock, audit trail, "
    "audit log, time zone, opening hours, business hours, live chat, push notification, text "
    "message, personal data, data protection, terms and conditions, access control, legacy "
    "system, customer support, support agent, finance team, delivery address, billing "
    "address, approval limit, service level agreement, no show"
)
PHRASE_MODIFIERS = _word_set(
    """annual automatic automated bulk cancelled daily duplicate expired failed full late manual
    monthly overdue partial pending recurring scheduled unpaid weekly"""
)
PHRASE_HEADS = _word_set(
    """address code cycle date fee history level limit link log method number period plan
    policy provider request rule rules settings status template trail type window"""
)

ROLE_NOUNS = (
    "customer service agent, call centre agent, support agent, sales rep, account manager, "
    "store manager, regional manager, area manager, branch manager, line manager, team lead, "
    "team leader, finance team, warehouse staff, field worker, field engineer, service "
    "engineer, case worker, staff member, administrator, admin, accountant, agent, "
    "applicant, approver, auditor, buyer, candidate, caseworker, client, clinician, courier, "
    "customer, dispatcher, doctor, driver, employee, guest, landlord, manager, merchant, "
    "nurse, operator, patient, recruiter, reviewer, seller, shopper, student, subscriber, "
    "supplier, teacher, technician, tenant, vendor, visitor, volunteer"
)

ROLE_LABELS = {
    "admin": "administrator",
    "finance team": "finance team member",
    "warehouse staff": "warehouse worker",
    "caseworker": "case worker",
}

# --- patterns -----------------------------------------------------------------------------------


def _words_pattern(terms: Iterable[str], *, prefix: bool) -> re.Pattern[str]:
    """One regex for comma- or space-free terms: "*" is any ending, a space also a hyphen."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):  # the longest alternative first
        body = r"[\s-]+".join(re.escape(word).replace(r"\*", r"\w*") for word in term.split())
        parts.append(body + (r"\w*" if prefix else ""))
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b") if parts else re.compile(r"(?!)")


def _split_terms(spec: str) -> list[str]:
    return [term.strip() for term in spec.split(",") if term.strip()]


@dataclass(frozen=True)
class _TopicSpec:
    topic: Topic
    strong: re.Pattern[str]
    weak: re.Pattern[str]


_TOPIC_SPECS = tuple(
    _TopicSpec(
        Topic(topic_id, name),
        _words_pattern(_split_terms(strong), prefix=False),
        _words_pattern(_split_terms(weak), prefix=False),
    )
    for topic_id, name, strong, weak in TOPICS
)
_KEYWORDS = _words_pattern(
    [term for _id, _name, *specs in TOPICS for spec in specs for term in _split_terms(spec)],
    prefix=False,
)
_TOPIC_NAMES = {spec.topic.id: spec.topic.name for spec in _TOPIC_SPECS}
_AMBIGUOUS = re.compile(r"\b(?:" + "|".join(AMBIGUOUS_PHRASES) + r")\b")
_ROLE = re.compile(
    r"\b(?P<role>"
    + "|".join(r"[\s-]+".join(map(re.escape, r.split())) for r in _split_terms(ROLE_NOUNS))
    + r")s?\b"
)
_PHRASES = tuple((p, _words_pattern([p + "*"], prefix=False)) for p in _split_terms(DOMAIN_PHRASES))
_TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_ENTRY = re.compile(r"^(?:\[(?P<when>[^\]]*)\]\s*)?(?P<text>.+)$", re.DOTALL)
_EDGE = re.compile(r"^(?P<key>\w+)\s*(?:\[(?P<when>[^\]]*)\])?:\s*(?P<text>.+)$", re.DOTALL)
_CORE = tuple((key, q, re.compile(p) if p else None) for key, q, p in CORE_QUESTIONS)


@dataclass(frozen=True)
class _Entry:
    text: str
    category: str
    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None

    def relevance(self, text: str, known: str = "") -> int | None:
        """1 when its words occur, 0 when it always applies, None when it does not apply
        (also when ``known``, say a document passage, already answers it)."""
        if self.exclude is not None and self.exclude.search(f"{text} {known}"):
            return None
        if self.include is None:
            return 0
        return 1 if self.include.search(text) else None


def _entry(when: str | None, text: str, category: str = "") -> _Entry:
    words = (when or "").split()
    include = [w for w in words if not w.startswith("-")]
    exclude = [w[1:] for w in words if w.startswith("-")]
    return _Entry(
        " ".join(text.split()),
        category,
        _words_pattern(include, prefix=True) if include else None,
        _words_pattern(exclude, prefix=True) if exclude else None,
    )


def _parse_entry(raw: str) -> _Entry:
    match = _ENTRY.match(raw)
    assert match is not None
    return _entry(match["when"], match["text"])


def _parse_edge(raw: str) -> _Entry:
    match = _EDGE.match(raw)
    assert match is not None and match["key"] in CATEGORIES, raw
    return _entry(match["when"], match["text"], CATEGORIES[match["key"]])


_QUESTIONS = {k: tuple(map(_parse_entry, v)) for k, v in TOPIC_QUESTIONS.items()}
_EDGES = {k: tuple(map(_parse_edge, v)) for k, v in TOPIC_EDGE_CASES.items()}
_GENERIC_EDGES = tuple(map(_parse_edge, GENERIC_EDGE_CASES))
_REQUIREMENTS = {k: tuple(map(_parse_entry, v)) for k, v in TOPIC_REQUIREMENTS.items()}
_CONTEXTS = {k: tuple(map(_parse_entry, v)) for k, v in SCENARIO_CONTEXT.items()}
_OUT_OF_SCOPE = {k: _parse_entry(v) for k, v in TOPIC_OUT_OF_SCOPE.items()}


def _normalise(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


# --- key terms ----------------------------------------------------------------------------------


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_domain_word(word: str) -> bool:
    return _KEYWORDS.fullmatch(word) is not None


def key_terms(text: str, limit: int = 6) -> list[str]:
    """The message's most telling words for a document search, most specific first."""
    lowered = _AMBIGUOUS.sub(" ", _normalise(text))
    found: list[tuple[int, int, str]] = []  # (rank, position, term); lower rank = more specific
    taken: list[tuple[int, int]] = []
    for phrase, pattern in _PHRASES:
        for match in pattern.finditer(lowered):
            if not any(a < match.end() and match.start() < b for a, b in taken):
                taken.append(match.span())
                found.append((0, match.start(), phrase))
    tokens = [
        (m.start(), m.group().replace("’", "'"))
        for m in _TOKEN.finditer(lowered)
        if not any(a <= m.start() < b for a, b in taken)
    ]
    words: list[tuple[int, str]] = []
    for position, token in tokens:
        word = token.removesuffix("'s")
        if "'" in word or word.isdigit() or word in STOP_WORDS or word in FILLER_WORDS:
            words.append((position, ""))  # a gap: no phrase spans it
        elif len(word) >= 3 or word in SHORT_TERMS:
            words.append((position, word))
        else:
            words.append((position, ""))
    index = 0
    while index < len(words):
        position, word = words[index]
        following = words[index + 1][1] if index + 1 < len(words) else ""
        if word and following and word not in GENERIC_WORDS:
            modifier = word in PHRASE_MODIFIERS and following not in GENERIC_WORDS
            compound = _is_domain_word(word) and _singular(following) in PHRASE_HEADS
            if modifier or compound:
                found.append((0, position, f"{word} {_singular(following)}"))
                index += 2
                continue
        if word:
            rank = 3 if word in GENERIC_WORDS else 1 if _is_domain_word(word) else 2
            found.append((rank, position, word))
        index += 1
    seen: set[str] = set()
    result: list[str] = []
    for _rank, _position, term in sorted(found):
        keys = {_singular(w) for w in term.split()}
        if keys <= seen:
            continue
        seen |= keys
        result.append(term)
    return result[: max(limit, 0)]


# --- topics -------------------------------------------------------------------------------------


def _hits(pattern: re.Pattern[str], text: str) -> int:
    """Occurrences of a keyword family, each distinct word counted at most three times."""
    counts = Counter(" ".join(re.split(r"[\s-]+", m.group())) for m in pattern.finditer(text))
    return sum(min(count, 3) for count in counts.values())


@functools.lru_cache(maxsize=64)
def _topic_scores(text: str) -> tuple[tuple[Topic, int], ...]:
    cleaned = _AMBIGUOUS.sub(" ", _normalise(text))
    scored: list[tuple[int, int, Topic]] = []
    for order, spec in enumerate(_TOPIC_SPECS):
        score = 2 * _hits(spec.strong, cleaned) + _hits(spec.weak, cleaned)
        if score >= 2:
            scored.append((-score, order, spec.topic))
    return tuple((topic, -neg) for neg, _order, topic in sorted(scored, key=lambda s: s[:2]))


def detect_topics(text: str) -> list[Topic]:
    """Topics recognised in the text by keyword families, strongest match first."""
    return [topic for topic, _score in _topic_scores(text)]


# --- discovery questions ------------------------------------------------------------------------


def _roles(text: str) -> list[str]:
    """Role nouns named in the text, singular, in order of first mention."""
    roles: list[str] = []
    for match in _ROLE.finditer(_normalise(text)):
        role = " ".join(match["role"].replace("-", " ").split())
        role = ROLE_LABELS.get(role, role)
        if role not in roles:
            roles.append(role)
    return roles


def _ranked(
    text: str, table: dict[str, tuple[_Entry, ...]], topics: list[Topic], known: str = ""
) -> list[_Entry]:
    """Entries of the recognised topics: triggered ones first, then by topic strength."""
    ranked: list[tuple[int, int, int, _Entry]] = []
    lowered, known = _normalise(text), _normalise(known)
    for topic_rank, topic in enumerate(topics):
        for position, entry in enumerate(table.get(topic.id, ())):
            relevance = entry.relevance(lowered, known)
            if relevance is not None:
                ranked.append((-relevance, topic_rank, position, entry))
    return [entry for *_key, entry in sorted(ranked, key=lambda r: r[:3])]


def discovery_questions(text: str, limit: int = 5) -> list[str]:
    """The next questions a senior BA would ask, most important first."""
    return _questions(text, limit)


def _questions(
    text: str, limit: int, known: str = "", topics: Sequence[Topic] | None = None
) -> list[str]:
    if limit <= 0:
        return []
    lowered = _normalise(text)
    core: list[str] = []
    for key, question, answered in _CORE:
        if key == "users":
            if not _roles(lowered):
                core.append(question)
        elif answered is None or not answered.search(lowered):
            core.append(question)
    topics = detect_topics(text) if topics is None else topics
    specific = [entry.text for entry in _ranked(text, _QUESTIONS, list(topics), known)]
    if specific and limit >= 3:
        core = core[: max(limit - 2, 1)]
    questions: list[str] = []
    for question in (*core, *specific, *GENERAL_QUESTIONS):
        if question not in questions:
            questions.append(question)
    return questions[:limit]


# --- edge cases ---------------------------------------------------------------------------------


def _edge_entries(text: str, limit: int, topics: Sequence[Topic] | None = None) -> list[_Entry]:
    ranked = _ranked(text, _EDGES, list(detect_topics(text) if topics is None else topics))
    lowered = _normalise(text)
    generic = [e for e in _GENERIC_EDGES if e.relevance(lowered) is not None]
    chosen: list[_Entry] = []
    for pool in (ranked, generic):  # one per category first, then the rest of the topic's
        for entry in pool:
            used = {e.category for e in chosen}
            if len(chosen) < limit and entry.category not in used:
                chosen.append(entry)
    for entry in ranked:
        if len(chosen) < limit and entry not in chosen:
            chosen.append(entry)
    # Keep the ranking order of whatever was chosen.
    order = {id(e): i for i, e in enumerate((*ranked, *generic))}
    return sorted(chosen, key=lambda e: order[id(e)])


def edge_cases(text: str, limit: int = 6) -> list[tuple[str, str]]:
    """(taxonomy category, concrete edge case) pairs for the recognised topics."""
    if limit <= 0:
        return []
    return [(entry.category, entry.text) for entry in _edge_entries(text, limit)]


# --- deliverable requests -----------------------------------------------------------------------

_REQUEST_LEAD = (
    r"write|draft|create|generate|produce|prepare|compile|add|update|revise|rewrite|redo|"
    r"refine|expand|put together|draw up|spell out|"
    r"turn [\w']+(?: [\w']+)? into|convert [\w']+(?: [\w']+)? into|"
    r"(?:give|send|show|make) (?:me|us)|(?:can|could|may) (?:i|we) (?:have|get|see)|"
    r"(?:i|we)(?:'d| would) like(?: to (?:see|have|get))?|"
    r"(?:i|we) need(?: to (?:see|have|get))?|let(?:'s| us) (?:have|get|do|see)|time for|"
    r"move on to|next up"
)
_REQUEST_GAP = (
    r"(?:\s+(?:a|an|the|some|me|us|up|out|our|my|your|it|this|that|these|those|as|in|into|for|"
    r"of|first|quick|short|few|couple|full|proper|rough|initial|detailed|draft|new|set|list|"
    r"then|also|now|just|brief|clear|formal|basic|simple|more|another|complete|testable|good|"
    r"two|three|2|3|4|5|please))*"
)
_DELIVERABLE_NOUN = (
    r"(?P<user_story>user[\s-]+stor(?:y|ies)|stor(?:y|ies))|"
    r"(?P<acceptance_criteria>acceptance[\s-]+criteri(?:a|on|as)|acs?|gherkin|"
    r"given[\s/-]+when[\s/-]+then|(?:test[\s-]+)?scenarios?)|"
    r"(?P<requirements_doc>(?:product[\s-]+|business[\s-]+|functional[\s-]+)?requirements?"
    r"(?:[\s-]+(?:docs?|documents?|specs?|specification))?|prd|brd|specs?|specification)"
)
_REQUEST = re.compile(
    rf"\b(?:{_REQUEST_LEAD}){_REQUEST_GAP}\s+(?:{_DELIVERABLE_NOUN})\b(?P<after>[^.?!\n]*)"
)
_POLITE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|right|great|so|now|and|then|next)\W+)*(?:the\s+|some\s+)?"
    rf"(?:{_DELIVERABLE_NOUN})(?P<after>\s+for\s+[^,.?!]{{1,80}})?[\s,]*please\b"
)
# A lead after these words is a statement or a question about the past, not a request...
_NOT_A_REQUEST = _word_set(
    "did do does have has had who already not never don't didn't doesn't haven't we they i you will"
)
# ...unless they follow one of these ("could we write", "can you draft").
_ASKING = _word_set("can could would will shall should please let let's and")


def _requests(text: str) -> Iterable[re.Match[str]]:
    lowered = _normalise(text)
    for match in _REQUEST.finditer(lowered):
        before = re.findall(r"[\w']+", lowered[: match.start()])
        previous = before[-1] if before else ""
        asking = len(before) >= 2 and before[-2] in _ASKING
        if previous in _NOT_A_REQUEST and not asking:
            continue
        yield match
    polite = _POLITE.search(lowered)
    if polite:
        yield polite


def requested_deliverable(text: str) -> Deliverable | None:
    """What the analyst asks to be written, if the message is such a request."""
    for match in _requests(text):
        if match["user_story"]:
            return "user_story"
        if match["acceptance_criteria"]:
            return "acceptance_criteria"
        return "requirements_doc"
    return None


# --- reading a conversation ---------------------------------------------------------------------

_CAPABILITY = re.compile(
    r"\b(?:be able to|the ability to|a way to|(?:allow|allows|enable|enables|let|lets)\s+"
    r"(?:\w+\s+){0,2}?(?:to\s+)?(?=\w)|(?:want|wants|would like|'d like|need|needs)\s+"
    r"(?:(?:\w+\s+){0,3}?to\s+(?:be able to\s+)?)|(?:should|must|can)\s+"
    r"(?:be able to\s+)?)(?P<what>[^.?!;\n]{3,})",
    re.IGNORECASE,
)
_META_VERBS = _word_set(
    """i it not never that they this we you
    ask agree brainstorm begin capture clarify cover decide discuss document draft explore
    figure focus go know look make start talk think understand write"""
)
# Stripped from the start of a capability: "to", adverbs, and "let customers" (the role is
# named elsewhere): "let store managers override prices" → "override prices".
_CAPABILITY_NOISE = re.compile(
    r"^(?:(?:be able to|to|also|easily|quickly|simply|just|automatically)\s+)*"
    r"(?:(?:let|allow|enable|help)\s+(?:the\s+|our\s+)?"
    + _ROLE.pattern.removeprefix(r"\b")
    + r"\s+(?:to\s+)?)?",
    re.IGNORECASE,
)
_LEADING = re.compile(
    r"^(?:(?:be able to|to|also|easily|quickly|simply|just|automatically)\s+)*", re.IGNORECASE
)
_PASSIVE_OK = re.compile(
    r"be (?:notified|told|alerted|reminded|warned|shown|sent|emailed|offered|asked|redirected)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s*(?:,|;|:|\s-\s|—|\bso that\b|\bso (?:they|we|it|the)\b|\bbecause\b|\bin order to\b|"
    r"\bwhich\b|\bunless\b|\bbut\b|\bas long as\b|\bsince\b|\be\.g\.)",
    re.IGNORECASE,
)
_GOAL = re.compile(
    r"\b(?:so that|so (?=(?:they|we|i|you|it)\b)|in order to|"
    r"the (?:goal|aim|point|objective) is(?: to)?|"
    r"(?=(?:reduce|cut|stop|avoid|improve|increase|save|prevent|speed up)\b))\s*"
    r"(?P<goal>[^.?!;\n]{3,160})",
    re.IGNORECASE,
)
_PROBLEM = re.compile(
    r"\b(?:because|the problem is(?: that)?|the issue is(?: that)?|currently|right now|"
    r"at the moment)\s*,?\s*(?P<problem>[^.?!;\n]{3,160})",
    re.IGNORECASE,
)
_SUCCESS = re.compile({k: p for k, _q, p in CORE_QUESTIONS}["success"], re.IGNORECASE)
_CONSTRAINT = re.compile(
    r"\d|[£$€]|\b(?:must|never|only|cannot|can't|at least|at most|no more than|up to|within|"
    r"maximum|minimum|limit|deadline|always|regulat\w*|law|legal|policy)\b",
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^(?:for|about|on|covering)\s+(?P<what>[^.?!;\n]{3,})", re.IGNORECASE)
_VAGUE = re.compile(
    r"^(?:this|that|it|these|those|them|the above|what we|everything|all of|the feature)\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:(?:ok(?:ay)?|so|right|well|now|hi|hello)\W+)*(?:(?:(?:we(?:'re| are)|i(?:'m| am)) "
    r"(?:looking at|discussing|talking about|working on|thinking about)|let's (?:talk about|"
    r"discuss|look at)|the (?:next )?(?:feature|idea|topic) is(?: about)?|today(?:'s topic)? is)"
    r"\s+|(?:we(?:'re| are)|i(?:'m| am))\s+(?=\w+ing\b))",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"\b(?:their|his|her|your|our|my)\b", re.IGNORECASE)
_TRAILING = re.compile(
    r"(?:\s+(?:a|an|the|and|or|of|to|for|from|in|on|at|with|by|as|their|our|my|your|etc|too|"
    r"as well|also))+$",
    re.IGNORECASE,
)
TITLE_LENGTH = 60


def _user_texts(conversation: Sequence[tuple[str, str]]) -> list[str]:
    """The analyst's messages (the offline assistant's own replies teach nothing)."""
    return [
        "\n".join(" ".join(line.split()) for line in text.replace("`", "'").splitlines())
        for role, text in conversation
        if role == "user" and text.strip()
    ]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _clause(text: str) -> str:
    cut = _CLAUSE_END.search(text)
    clause = text[: cut.start()] if cut else text
    return _TRAILING.sub("", clause.strip(" \t'\"“”")).strip()


def _capability(text: str, *, keep_role: bool = False) -> tuple[str, str]:
    """The first capability stated ("… to request a partial refund …") as said, and the
    benefit given in the same sentence ("… so that …"), if any. Without ``keep_role``,
    "let store managers override prices" becomes "override prices"."""
    for match in _CAPABILITY.finditer(text):
        what = (_LEADING if keep_role else _CAPABILITY_NOISE).sub("", match["what"].strip())
        first = what.split()[0].lower() if what.split() else ""
        if not first or first in _META_VERBS or requested_deliverable(what):
            continue
        if first == "be" and not _PASSIVE_OK.match(what):
            continue  # "refunds must be approved by finance" is a rule, not a capability
        clause = _clause(what)
        if len(clause.split()) >= 2:
            goal = _GOAL.search(what[len(clause) :])
            return clause, _clause(goal["goal"]) if goal else ""
    return "", ""


def _shorten(text: str, length: int = TITLE_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) > length:
        text = text[: length + 1].rsplit(" ", 1)[0]
        text = _TRAILING.sub("", text)
    return text[:length].strip()


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _first_match(pattern: re.Pattern[str], group: str, texts: Iterable[str]) -> str:
    for text in texts:
        for sentence in _sentences(text):
            if requested_deliverable(sentence):
                continue
            match = pattern.search(sentence)
            if match:
                found = _clause(match[group])
                if len(found.split()) >= 2:
                    return found
    return ""


def feature_name(conversation: list[tuple[str, str]]) -> str:
    """A short sentence-case title for the feature discussed."""
    texts = _user_texts(conversation)
    subject = ""
    for text in texts:  # "write user stories for partial refunds": the analyst named it
        for match in _requests(text):
            after = _SUBJECT.match(match["after"].strip()) if match["after"] else None
            if after and not _VAGUE.match(after["what"]):
                subject = _clause(after["what"])
    candidates = itertools.chain(
        [subject],
        (_capability(t, keep_role=True)[0] for t in texts),
        _described(texts),
    )
    for candidate in candidates:
        title = _shorten(_POSSESSIVE.sub("the", candidate))
        if len(title.split()) >= 2:
            return _sentence_case(title)
    topics = detect_topics(" ".join(texts))
    return topics[0].name if topics else "New feature"


def _described(texts: list[str]) -> Iterator[str]:
    """Sentences that describe something (not requests or small talk), lead-ins removed."""
    for text in texts:
        for sentence in _sentences(text):
            if not requested_deliverable(sentence) and len(key_terms(sentence)) >= 2:
                yield _clause(_LEAD_IN.sub("", sentence))


@dataclass(frozen=True)
class _Brief:
    """What the conversation says about the feature, as the analyst said it."""

    feature: str
    capability: str
    benefit: str
    roles: tuple[str, ...]
    goal: str
    problem: str
    success: str
    constraints: tuple[str, ...]
    text: str
    topics: tuple[Topic, ...]


def _feature_topics(text: str, capability: str) -> tuple[Topic, ...]:
    """The conversation's topics, those of the capability itself first."""
    core = detect_topics(capability) if capability else []
    return tuple([*core, *(t for t in detect_topics(text) if t not in core)])


def _brief(conversation: list[tuple[str, str]]) -> _Brief:
    texts = _user_texts(conversation)
    joined = "\n".join(texts)
    capability, benefit = next((c for c in map(_capability, texts) if c[0]), ("", ""))
    constraints: list[str] = []
    success = ""
    for text in texts:
        for sentence in _sentences(text):
            if requested_deliverable(sentence):
                continue
            if not success and _SUCCESS.search(sentence):
                success = sentence
            said = _shorten(sentence, 200)
            if _CONSTRAINT.search(sentence) and said not in constraints:
                constraints.append(said)
    return _Brief(
        feature=feature_name(conversation),
        capability=capability,
        benefit=benefit,
        roles=tuple(_roles(joined)),
        goal=_first_match(_GOAL, "goal", texts),
        problem=_first_match(_PROBLEM, "problem", texts),
        success=success,
        constraints=tuple(constraints[:5]),
        text=joined,
        topics=_feature_topics(joined, capability),
    )


# --- templates ----------------------------------------------------------------------------------

CONFIRM = "**To confirm:**"
# Inside a ```gherkin block markdown is not rendered, and the .feature export must stay clean.
PLAIN_CONFIRM = "TO CONFIRM:"
# Roles that play the customer's part in the edge cases, which speak of "the customer".
CUSTOMER_LIKE = _word_set("patient client guest member shopper buyer student tenant subscriber")
_CUSTOMER = re.compile(r"\b((?:[Aa]|[Tt]he) )customer\b")


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


def _lower_first(text: str) -> str:
    """'A refund …' → 'a refund …', leaving 'I', 'SMS' and 'Excel' alone."""
    word = text.split(" ", 1)[0]
    if word == "I" or (len(word) > 1 and not word[1:].islower()) or word in _PROPER:
        return text
    return text[:1].lower() + text[1:]


_PROPER = _word_set("Excel Outlook Google Apple Android Stripe PayPal Salesforce Monday Friday")


def _first_person(phrase: str) -> str:
    return _POSSESSIVE.sub("my", phrase)


def _benefit(brief: _Brief, role: str) -> str:
    """The story's "so that", from the sentence that stated the capability."""
    plural = re.escape(role) + "s?"
    return re.sub(
        rf"^(?:the\s+)?(?:they|{plural})\s+can\b", "I can", brief.benefit, flags=re.IGNORECASE
    )


def _context(brief: _Brief) -> tuple[str, str]:
    """(Given context, expected outcome) for the strongest topic, if it has one that fits."""
    lowered = _normalise(brief.text)
    for topic in brief.topics[:1]:
        for entry in _CONTEXTS.get(topic.id, ()):
            if entry.relevance(lowered) is not None:
                given, _, then = entry.text.partition(" | ")
                return given, then
    return "", ""


def _quote(passage: Passage, words: int = 30) -> str:
    parts = passage.text.replace("`", "'").split()
    text = " ".join(parts[:words]) + (" …" if len(parts) > words else "")
    return f"“{text}” [{passage.document_name}, passage {passage.passage}]"


def _situation(edge: str) -> tuple[str, str]:
    """'Situation. Question?' → ('situation', 'Question?')."""
    match = re.match(r"(?P<situation>.+?[.])\s+(?P<question>.+)$", edge)
    if not match:
        return edge.rstrip(".?"), ""
    return match["situation"].rstrip("."), match["question"]


def _scenarios(brief: _Brief, role: str, edges: list[tuple[str, str]], indent: str) -> list[str]:
    given, then = _context(brief)
    signed_in = "" if any(t.id == "auth" for t in brief.topics) else " who is signed in"
    givens = [f"Given {_article(role)}{signed_in}"] + ([f"And {given}"] if given else [])
    action = brief.capability or "use the feature"
    lines = [
        f"Scenario: Happy path — {_article(role)} {_third_person(action)}",
        *(f"  {g}" for g in givens),
        f"  When the {role} {_third_person(action)}",
        f"  Then {PLAIN_CONFIRM} {then or f'what the {role} sees next, and what is saved'}",
    ]
    for category, case in edges:
        situation, question = _situation(case)
        short = _shorten(re.split(r",| because | but ", situation)[0], 70)
        lines += [
            "",
            f"# Edge case: {category}",
            f"Scenario: {_sentence_case(category)} — {_lower_first(short)}",
            *(f"  {g}" for g in givens),
            f"  When {_lower_first(situation)}",
            f"  Then {PLAIN_CONFIRM} {_lower_first(question) or 'the expected outcome'}",
        ]
    return [indent + line if line else "" for line in lines]


def _sources(passages: list[Passage]) -> list[str]:
    if not passages:
        return [f"- {CONFIRM} no project document was found on this; ask who owns the policy."]
    return [f"- Documents state: {_quote(p)}" for p in passages]


def _said(brief: _Brief) -> list[str]:
    return [f"- Said in the meeting: “{c}”" for c in brief.constraints]


def _edges(brief: _Brief, limit: int) -> list[tuple[str, str]]:
    """Edge cases for the feature, told from the point of view of its main role."""
    role = brief.roles[0] if brief.roles else ""
    edges = _edge_entries(brief.text, limit, brief.topics)
    if role in CUSTOMER_LIKE:  # "the customer cancels…" → "the patient cancels…"
        return [(e.category, _CUSTOMER.sub(rf"\1{role}", e.text)) for e in edges]
    return [(e.category, e.text) for e in edges]


def _open_questions(brief: _Brief, passages: list[Passage], limit: int = 5) -> list[str]:
    known = " ".join(p.text for p in passages)
    questions = _questions(brief.text, limit, known, brief.topics)
    return [f"{n}. {q}" for n, q in enumerate(questions, start=1)]


def _user_story(brief: _Brief, passages: list[Passage]) -> str:
    roles = brief.roles or ("user",)
    role = roles[0]
    lines = [f"# {brief.feature}", ""]
    capability = _first_person(brief.capability) if brief.capability else ""
    for number, story_role in enumerate(roles[:3], start=1):
        lines.append(f"## Story {number}: {_sentence_case(story_role)}")
        lines.append("")
        want = f"to {capability}" if number == 1 and capability else "<capability to confirm>"
        benefit = _benefit(brief, story_role) if number == 1 else ""
        so_that = benefit or "<benefit to confirm>"
        lines += [f"As {_article(story_role)}, I want {want}, so that {so_that}.", ""]
        if not brief.roles:
            lines.append(f"- {CONFIRM} the role. Who exactly does this: which kind of user?")
        if number == 1 and not capability:
            lines.append(f"- {CONFIRM} what the {story_role} needs to be able to do.")
        if number > 1:
            lines.append(
                f"- {CONFIRM} what the {story_role} needs here, or whether this is a separate "
                "story."
            )
        if not benefit:
            lines.append(
                f"- {CONFIRM} the benefit. What does the {story_role} gain, and what do they "
                "do today instead?"
            )
        if lines[-1]:
            lines.append("")
    dependency = next(
        (TOPIC_DEPENDENCIES[t.id] for t in brief.topics if t.id in TOPIC_DEPENDENCIES), ""
    )
    too_big = len(roles) > 1 or " and " in f" {brief.capability} "
    lines += [
        "## INVEST check",
        "",
        "- **Independent:** "
        + (
            f"relies on {dependency}; {CONFIRM} it is available."
            if dependency
            else f"no dependency on other stories found yet. {CONFIRM} with the team."
        ),
        "- **Negotiable:** the details are a starting point for discussion, not a contract.",
        "- **Valuable:** "
        + (
            f"yes, so that {brief.benefit or brief.goal}."
            if brief.benefit or brief.goal
            else f"{CONFIRM} the benefit is not stated yet."
        ),
        "- **Estimable:** once the open questions below are answered.",
        "- **Small:** "
        + (
            "probably too big: split by role, or the happy path versus the exceptions."
            if too_big
            else f"likely fits in one sprint. {CONFIRM} with the team."
        ),
        "- **Testable:** yes, see the scenarios below.",
        "",
        "## Acceptance criteria",
        "",
        "```gherkin",
        *_scenarios(brief, role, _edges(brief, 3), ""),
        "```",
        "",
        "## Business rules and sources",
        "",
        *_said(brief),
        *_sources(passages),
        "",
        "Priority: Should (to confirm)",
        "",
        "## Open questions",
        "",
        *_open_questions(brief, passages),
    ]
    return "\n".join(lines)


def _acceptance_criteria(brief: _Brief, passages: list[Passage]) -> str:
    role = (brief.roles or ("user",))[0]
    capability = _first_person(brief.capability) if brief.capability else ""
    benefit = _benefit(brief, role)
    lines = [
        f"# {brief.feature}",
        "",
        "```gherkin",
        f"Feature: {brief.feature}",
        f"  As {_article(role)}",
        f"  I want {'to ' + capability if capability else '<capability to confirm>'}",
        f"  So that {benefit or '<benefit to confirm>'}",
        "",
        *_scenarios(brief, role, _edges(brief, 6), "  "),
        "```",
        "",
        "## To confirm",
        "",
        f"- {CONFIRM} the expected outcome of every scenario marked as such, with the product "
        "owner.",
    ]
    if not brief.roles:
        lines.append(f"- {CONFIRM} the role: who does this?")
    if not benefit:
        lines.append(f"- {CONFIRM} the benefit: why does the {role} need this?")
    lines += ["", "## Sources", "", *_said(brief), *_sources(passages)]
    return "\n".join(lines)


def _requirements_doc(brief: _Brief, passages: list[Passage]) -> str:
    roles = brief.roles or ()
    role = roles[0] if roles else "user"
    topic_ids = [t.id for t in brief.topics]
    lowered = _normalise(brief.text)
    frs: list[str] = []
    if brief.capability:
        frs.append(
            f"The system must let {_article(role)} {_POSSESSIVE.sub('their', brief.capability)}."
        )
    else:
        frs.append(f"{CONFIRM} the main capability: what must the {role} be able to do?")
    frs += [f"The system must meet this stated rule: “{c.rstrip('.')}”." for c in brief.constraints]
    frs += [
        f"The system must follow the documented rule {_quote(p)}. {CONFIRM} it applies here."
        for p in passages
    ]
    for topic_id in topic_ids[:3]:
        frs += [e.text for e in _REQUIREMENTS.get(topic_id, ()) if e.relevance(lowered) is not None]
    nfrs = [
        f"Performance: 95% of actions complete within 2 seconds at peak load. {CONFIRM} the peak "
        "volume (people or transactions per hour) and the target.",
        f"Accessibility: meets WCAG 2.2 AA, including keyboard-only use and screen readers. "
        f"{CONFIRM} any further client standard.",
        f"Security and privacy: only authorised roles can see or change this data, and personal "
        f"data is kept no longer than needed. {CONFIRM} the retention period.",
        f"Audit: every change is recorded with who, what and when, and kept for 7 years. "
        f"{CONFIRM} the period compliance requires.",
        f"Availability: 99.9% each month. {CONFIRM} the target and the support hours.",
        *(TOPIC_NFRS[t] for t in topic_ids if t in TOPIC_NFRS),
    ]
    assumptions = [
        "People use this while signed in to their existing account."
        if "auth" not in topic_ids
        else "",
        "The first release is for the web; native mobile apps come later."
        if "mobile" not in topic_ids
        else "",
        "One language and one currency at launch.",
        f"Existing {_TOPIC_NAMES[topic_ids[0]].lower()} processes stay as they are unless stated."
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
    edges = _edges(brief, 6)
    goal = brief.goal and f"so that {brief.goal}"
    lines = [
        f"# {brief.feature}",
        "",
        "## 1. Overview and goal",
        "",
        f"- **Feature:** {brief.feature}.",
        f"- **Goal:** {goal}."
        if goal
        else f"- **Goal:** {CONFIRM} the problem this solves and for whom.",
        f"- **Problem today:** {brief.problem}."
        if brief.problem
        else f"- **Problem today:** {CONFIRM} how this is handled now and what goes wrong.",
        f"- **Who benefits:** {', '.join(roles)}."
        if roles
        else f"- **Who benefits:** {CONFIRM} the users and their roles.",
        f"- **Success measure:** “{brief.success}”. {CONFIRM} the target and how it is measured."
        if brief.success
        else f"- **Success measure:** {CONFIRM} which number should move, and by how much.",
        "",
        "## 2. Scope",
        "",
        f"- In this release: {_article(role)} can {brief.capability}."
        if brief.capability
        else f"- {CONFIRM} what this release covers.",
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
        *(f"- {CONFIRM} {a}" for a in assumptions if a),
        "",
        "## 6. Open questions",
        "",
        *(f"{line} Owner: to confirm." for line in _open_questions(brief, passages)),
        "",
        "Edge cases to decide:",
        "",
        *(f"- **{category}:** {case}" for category, case in edges),
        "",
        "## 7. Out of scope",
        "",
        *(f"- {CONFIRM} {item}" for item in out_of_scope),
        "",
        "## 8. Sources",
        "",
        "- The meeting conversation (the analyst's statements quoted above).",
        *([f"- {_quote(p)}" for p in passages] or [f"- {CONFIRM} no project document was cited."]),
    ]
    return "\n".join(lines)


def artifact_template(
    kind: Deliverable, conversation: list[tuple[str, str]], passages: list[Passage]
) -> tuple[str, str]:
    """(title, markdown) of a template deliverable filled from the conversation."""
    brief = _brief(conversation)
    passages = list(dict.fromkeys(passages))  # the same passage found twice is cited once

    if kind == "user_story":
        body = _user_story(brief, passages)
    elif kind == "acceptance_criteria":
        body = _acceptance_criteria(brief, passages)
    else:
        body = _requirements_doc(brief, passages)
    return brief.feature, body + "\n"
