"""What a senior business analyst knows about common kinds of feature: the topics the offline
assistant recognises and the discovery questions it asks for each, with what answers them.

Pure data, read by ``offline_words`` (topics) and ``offline_discovery`` (questions).

A question (``Ask``) carries:

- ``when``: the words that make it apply, e.g. ``"refund partial"`` (any word starting so);
  ``"-window"`` skips it when the analyst already said "window…". Without words it always
  applies to its topic. Questions whose words the analyst used rank first.
- ``settled``: a regular expression over one lower-case sentence. A sentence of the documents
  (or of what the analyst said) that matches answers the question, so it is not asked: the
  reply quotes the sentence instead, naming what it settles (``about``).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        "klarna, transaction*, receipt*, store credit",
        "card, cards, charge, charges, charged, wallet*, money, cash, fee, fees, bank detail*",
    ),
    (
        "auth",
        "Sign-in and authentication",
        "sign* in, signin, log* in, login*, logon, log out, logout, sign out, password*, "
        "passcode*, sso, single sign on, mfa, 2fa, two factor, two step, multi factor, "
        "second factor*, authenticat*, oauth, saml, openid, magic link*, passkey*, biometric*, "
        "totp, webauthn, recovery code*, reset link*",
        "session*, locked out, lockout, credential*, verification code*, otp, security key*",
    ),
    (
        "notifications",
        "Notifications and alerts",
        "notif*, alert*, remind*, sms, text message*, push notification*, email*, e mail*, "
        "digest*, preference centre*, preference center*, marketing message*, opt out*, opt in*",
        "push, unsubscribe*, let them know, message, messages, consent*, quiet hours",
    ),
    (
        "search",
        "Search and filtering",
        "search*, filter*, autocomplete, auto complete, typeahead, facet*, lookup*, look up",
        "find, finding, sort, sorting, sorted, browse*, results",
    ),
    (
        "images",
        "Photo and image upload",
        "photo*, image, images, picture*, avatar*, selfie*, profile pic*, camera*, jpeg, jpg, "
        "png, heic, thumbnail*, screenshot*",
        "upload*, gallery, crop*, blur*",
    ),
    (
        "imports",
        "Data import and export",
        "import*, export*, csv*, spreadsheet*, excel, xlsx, bulk upload*, bulk load*, price list*",
        "upload*, download*, rows, columns, xml, json, template file*",
    ),
    (
        "files",
        "File upload and attachments",
        "upload*, attachment*, attach, file, files, document upload*",
        "pdf*, download*, docx",
    ),
    (
        "reporting",
        "Reporting and dashboards",
        "report, reports, reporting, dashboard*, analytics, kpi*, metric*, chart*, insight*, "
        "looker, tableau, power bi",
        "statistic*, trend*, visuali*, breakdown*, management information, revenue, mrr",
    ),
    (
        "scheduling",
        "Scheduling, bookings and rosters",
        "schedul*, calendar*, book, books, booked, booking*, appointment*, reservation*, "
        "rebook*, reschedul*, availability, time slot*, timeslot*, rota, rotas, roster*, "
        "swap shift*, shift swap*",
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
        "poor signal, no signal, weak signal, no connection",
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
        "ship, ships, shipped, fulfil*, fulfill*, dispatch*, courier*, parcel*, tracking number*, "
        "sku*, basket*, cart, carts, backorder*, returns, return label*",
        "deliver*, track*, package*, item, items, product, products",
    ),
    (
        "onboarding",
        "Registration, forms and onboarding",
        "onboard*, sign up, signup*, register, registration*, registering, form, forms, "
        "wizard*, questionnaire*, application form*, kyc, know your customer",
        "field, fields, mandatory, dropdown*, checkbox*, validation*",
    ),
    (
        "messaging",
        "Messaging and chat",
        "chat*, inbox*, direct message*, dm, dms, conversation*, live chat, whatsapp, "
        "instant messag*, messaging",
        "message, messages, reply, replies, replied, thread, threads, comment, comments, mention*",
    ),
    (
        "approvals",
        "Approvals and workflow",
        "approv*, workflow*, sign off, signoff, escalat*, authoris*, authoriz*, reject*, "
        "four eyes, maker checker, delegat*",
        "review, reviews, reviewed, queue*, status, statuses, stage, stages, hand off, sla, slas",
    ),
    (
        "loyalty",
        "Loyalty points and rewards",
        "loyalty, reward*, redeem*, redemption*, cashback, points balance, stamp card*",
        "points, tier, tiers, gold, member, members",
    ),
)

# A specialised topic makes its general one redundant: a photo upload is not generic file work.
SUPERSEDES: dict[str, str] = {"images": "files", "imports": "files"}

# Phrases that use a keyword in another sense; removed before topics are matched.
AMBIGUOUS_PHRASES = (
    r"in order (?:to|for|that)",
    r"(?:into|on) account(?: of)?",
    r"account for",
    r"order of magnitude",
    r"in (?:the|this|that|which) order",
    r"look(?:ing)? (?:at|into|for|forward)",
    r"(?:every|each) time",
)

# How things are done today ("instead of emailing them", "replace email approvals with…"):
# not what the feature is about, so not counted for its topics.
CURRENT_STATE = (
    r"\b(?:instead of|rather than)\b[^.,;:!?\n]*",
    r"(?<=\breplac)(?:e|es|ed|ing)\s+(?:the\s+|our\s+|their\s+)?[^.,;:!?\n]{0,60}?(?=\s+with\b)",
)


@dataclass(frozen=True)
class Ask:
    """A discovery question; see the module docstring."""

    text: str
    when: str = ""
    settled: str = ""
    about: str = ""


# --- what answers a question: parts of the ``settled`` patterns -------------------------------

NUM = r"\d[\d,.]*"
RANGE = rf"{NUM}(?:\s*(?:-|–|to)\s*{NUM})?"
TIME_UNIT = (
    r"(?:seconds?|minutes?|mins?|hours?|hrs?|(?:working |business |calendar )?days?|weeks?|"
    r"months?|years?)"
)
DURATION = rf"{RANGE}[\s-]*{TIME_UNIT}\b"
MONEY = rf"(?:[£$€]\s?{NUM}|{NUM}\s?(?:euros?|pounds?|dollars?|gbp|eur|usd|chf)\b)"
PERCENT = rf"{NUM}\s?(?:%|per ?cent)"
SIZE = rf"{NUM}\s?(?:kb|mb|gb|megabytes?|gigabytes?)\b"
VOLUME = rf"{RANGE}\s+(?:[\w&'-]+\s+){{0,5}}(?:a|per|each|every)\s+(?:hour|day|week|month|year)\b"
MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
CLOCK = r"\d{1,2}[:.]\d{2}"
DEVICES = r"\b(?:iphones?|android|ios \d+|ios|ipads?|windows laptops?|company (?:phones|devices))\b"

REFUND_WINDOW = (
    rf"(?:refund|return|cancel)\w*[^.]{{0,80}}\bwithin {DURATION}|"
    rf"within {DURATION} of (?:the )?(?:delivery|purchase|order|payment|receipt)|"
    r"\d+[- ]day (?:refund |return )?(?:window|period)"
)
REFUND_APPROVAL = (
    rf"(?:refund|credit)\w*[^.]{{0,80}}(?:above|over|more than|up to|exceed\w*)\s+{MONEY}"
    rf"[^.]{{0,60}}(?:approv|authori|sign)|approv\w*[^.]{{0,60}}(?:above|over|up to)\s+{MONEY}|"
    r"approval (?:limit|threshold|matrix)|may approve up to|authority matrix"
)
APPROVAL_THRESHOLD = (
    rf"approv\w*[^.]{{0,60}}(?:up to|above|over|below|under|more than)\s+{MONEY}|"
    rf"(?:above|over|more than)\s+{MONEY}[^.]{{0,60}}(?:approv|authori|sign)|"
    r"approval (?:matrix|limits?|thresholds?)|may approve up to|authority matrix"
)
FILE_LIMITS = (
    rf"\b(?:jpe?g|png|heic|gif|webp|tiff?|pdf|docx?|xlsx?|csv|txt)\b[^.]{{0,80}}{SIZE}|"
    rf"{SIZE}[^.]{{0,80}}\b(?:jpe?g|png|heic|gif|webp|pdf|docx?|xlsx?|csv)\b|"
    rf"(?:photo|image|picture|file|upload)s?[^.]{{0,40}}(?:at most|up to|maximum|max|no (?:larger|"
    rf"bigger) than|limit)[^.]{{0,12}}{SIZE}"
)
STORED_FOR = rf"(?:kept|retained|stored|held) for {DURATION}|deleted after|retention period"

# --- core discovery questions: (key, question, answered by the analyst, settled by documents) --

CORE_QUESTIONS: tuple[tuple[str, Ask, str], ...] = (
    (
        "goal",
        Ask(
            "What problem does this solve today, and what happens if we do nothing?",
            settled=r"\bproblem:|\bgoal:|complain\w*|pain point|by hand|manually|"
            r"\btoday\b[^.]{0,80}(?:takes|wrong|error|mistake)",
            about="the problem today",
        ),
        r"\b(?:so that|so (?:they|we|it|customers|users) can|in order to|because|"
        r"the (?:goal|aim|problem|point|objective|reason) is|pain point|to (?:reduce|cut|stop|"
        r"avoid|improve|increase|save|prevent|speed up)|complain\w*)\b",
    ),
    (
        "users",
        Ask("Who exactly will use this, and does each role need to see or do something different?"),
        "",  # answered when the text names a role (see ROLE_NOUNS)
    ),
    (
        "success",
        Ask(
            "How will we know it worked: which number should move, and by how much?",
            settled=rf"success (?:measure|metric|criteri)|\btarget\b[^.]{{0,40}}{PERCENT}|"
            rf"(?:cut|reduce|increase|raise|grow)\w*[^.]{{0,50}}by {PERCENT}",
            about="the success measure",
        ),
        r"(?:\b(?:measure\w*|metric\w*|kpis?|success|target\w*|percent|conversion)\b|\d\s?%)",
    ),
    (
        "scope",
        Ask(
            "What is the smallest first release that would be useful, and what is out of scope?",
            settled=r"\bout of scope\b|\bnot in scope\b|\bscope:",
            about="the scope",
        ),
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

# --- questions per topic, most important first --------------------------------------------------

TOPIC_QUESTIONS: dict[str, tuple[Ask, ...]] = {
    "payments": (
        Ask(
            "Is a refund paid automatically, or does someone approve it first, and above what "
            "amount?",
            "refund",
            REFUND_APPROVAL,
            "who approves refunds",
        ),
        Ask(
            "How long after delivery can a customer ask for a refund, and what happens once that "
            "window has closed?",
            "refund -window -days -weeks -instant",
            REFUND_WINDOW,
            "the refund window",
        ),
        Ask(
            "How is a partial refund worked out: by item and quantity, or any amount the "
            "customer chooses?",
            "partial",
            r"partial refund\w*[^.]{0,80}\b(?:by item|per item|quantit|pro rata|proportion)",
            "how partial refunds are worked out",
        ),
        Ask(
            "Does the money always go back to the original payment method, or can it be store "
            "credit or a bank transfer?",
            "refund",
            r"(?:refund\w*|money)[^.]{0,40}\b(?:original payment method|original card|same card|"
            r"store credit|gift card)|\b(?:go|goes|paid|returned|made) (?:back )?to the original",
            "where refunds go",
        ),
        Ask(
            "Who carries the cost when an instant refund turns out to be wrong, and how is the "
            "money recovered?",
            "instant",
            r"recover\w*[^.]{0,60}(?:from|payout)|(?:seller|merchant)s? (?:pays?|is charged|"
            r"are charged|is liable)",
            "who carries the cost",
        ),
        Ask(
            "What happens to a discount or the delivery charge when only part of an order is "
            "refunded?",
            "partial",
            r"(?:discount|promotion|delivery charge|shipping)\w*[^.]{0,80}(?:recalculat|deduct)",
            "discounts and delivery charges",
        ),
        Ask(
            "Must the items be returned and checked before the money goes back?",
            "refund -instant",
            r"refund\w*[^.]{0,40}(?:once|after|when) (?:the )?(?:items?|goods|parcel)[^.]{0,20}"
            r"(?:returned|received|checked)|(?:before|until)[^.]{0,30}refund",
            "returning items first",
        ),
        Ask(
            "How long may a refund take to reach the customer, and what do they see meanwhile?",
            "refund cancel",
            rf"refund\w*[^.]{{0,80}}(?:reach|arrive|take|paid out|credited|processed)\w*"
            rf"[^.]{{0,40}}{DURATION}",
            "how long refunds take",
        ),
        Ask(
            "Which payment provider do we use, and which payment methods must work at launch?",
            "-refund",
            r"\b(?:adyen|stripe|paypal|braintree|worldpay|klarna|square|mollie|gocardless)\b",
            "the payment provider",
        ),
        Ask(
            "What should the customer see if their card is declined or the provider is down?",
            "pay checkout card -refund",
        ),
        Ask(
            "Do we save cards for next time, and who can see or remove them?",
            "checkout card",
            r"card (?:details )?(?:are|is) (?:never )?(?:saved|stored)|tokeni[sz]",
            "saved cards",
        ),
    ),
    "auth": (
        Ask(
            "Which second factors are allowed, for example an authenticator app, passkeys or "
            "text-message codes?",
            "2fa mfa two factor multi factor second",
            r"\b(?:totp|authenticator apps?|webauthn|passkeys?|security keys?)\b|"
            r"second factors?[^.]{0,40}(?:permitted|allowed|accepted)",
            "the permitted second factors",
        ),
        Ask(
            "Which roles must use two-factor authentication, and from when?",
            "2fa mfa two factor multi factor",
            rf"(?:mandatory|required|compulsory|must (?:use|enrol))[^.]{{0,80}}"
            rf"(?:from|by|before) (?:\d|{MONTH})",
            "who must enrol, and by when",
        ),
        Ask(
            "What happens when someone loses their phone or every factor: recovery codes, or a "
            "reset by support?",
            "2fa mfa two factor multi factor second",
            r"recovery codes?|backup codes?",
            "recovery codes",
        ),
        Ask(
            "How does support verify someone's identity before resetting their access, so that "
            "a caller cannot talk their way in?",
            "support reset helpdesk",
            r"identity check|verify (?:the )?(?:caller|identity)|must answer",
            "identity checks before a reset",
        ),
        Ask(
            "Which sign-in methods are needed: email and password, the client's single sign-on, "
            "or both?",
            "-2fa -mfa -two -multi",
            r"\b(?:single sign on|sso|saml|oidc|openid|azure ad|entra|okta)\b",
            "the sign-in methods",
        ),
        Ask(
            "How many failed attempts lock an account, for how long, and who is told?",
            "",
            rf"(?:after|following) {NUM} (?:consecutive )?(?:failed|wrong|unsuccessful)|"
            rf"locked (?:out )?for {DURATION}",
            "the lock-out rule",
        ),
        Ask(
            "Is there a grace period for people who have not enrolled by the deadline, and what "
            "do they see?",
            "2fa mfa two factor multi factor enrol",
            r"grace period",
            "the grace period",
        ),
        Ask(
            "How does someone reset a forgotten password, and how long does a reset link stay "
            "valid?",
            "-2fa -mfa -two -multi",
            rf"(?:reset|magic|sign in|email) link[^.]{{0,60}}(?:valid|expire)\w*[^.]{{0,30}}"
            rf"{DURATION}",
            "how long links stay valid",
        ),
        Ask(
            "How long should a session last, and may a device be remembered so the second factor "
            "is skipped?",
            "",
            rf"remember (?:this|the|my) device|session\w*[^.]{{0,40}}(?:expire|last|time out)"
            rf"[^.]{{0,30}}{DURATION}",
            "sessions and remembered devices",
        ),
        Ask(
            "When someone leaves the organisation, how quickly must their access be removed?",
            "",
            r"(?:leave|leaver)\w*[^.]{0,60}access[^.]{0,40}(?:removed|revoked)",
            "removing leavers' access",
        ),
    ),
    "notifications": (
        Ask("Which events trigger a notification, and who receives each one?", "-preference"),
        Ask(
            "Which messages can never be switched off, for example security or legal notices?",
            "preference consent opt setting control",
            r"cannot be (?:switched|turned) off|(?:not|never) be (?:switched|turned) off|"
            r"always (?:go|goes|sent)",
            "messages that cannot be switched off",
        ),
        Ask(
            "How quickly must an opt-out take effect on every channel, including messages "
            "already scheduled?",
            "preference consent opt marketing unsubscribe",
            rf"opt[ -]?outs?[^.]{{0,60}}(?:within|take\w* effect)[^.]{{0,30}}{DURATION}",
            "how fast an opt-out applies",
        ),
        Ask(
            "Which channels are needed (email, SMS, push or in-app), and can people opt out of "
            "each?",
            "",
            r"(?:opt[ -]?in|opt[ -]?out)[^.]{0,60}\bper channel|channel[^.]{0,40}opt[ -]?in",
            "opt-ins per channel",
        ),
        Ask(
            "Where are preferences stored today, and which system wins when they disagree?",
            "preference consent",
            r"(?:consent|preferences?|settings)[^.]{0,40}(?:lives?|stored|held|kept) in|"
            r"source of truth",
            "where preferences live",
        ),
        Ask(
            "Must every consent change be recorded, with which details and for how long?",
            "consent preference marketing",
            r"consent change\w*[^.]{0,60}record|record\w*[^.]{0,60}consent",
            "the consent record",
        ),
        Ask(
            "Are there quiet hours when no messages may be sent, and in whose time zone?",
            "sms push marketing remind",
            rf"quiet hours|no (?:sms|push|messages?|marketing)[^.]{{0,40}}between {CLOCK}",
            "quiet hours",
        ),
        Ask(
            "How quickly must each notification arrive, and what happens if sending fails?",
            "-preference",
        ),
        Ask("Who writes and approves the wording, and is more than one language needed?"),
        Ask("Should many events for the same person be grouped into one digest?", "-preference"),
    ),
    "search": (
        Ask("What do people search by most: names, reference numbers, dates or free text?"),
        Ask("Which filters matter most, and what should the default sort order be?"),
        Ask("Should search tolerate typos and partial words, so 'smyth' finds 'Smith'?"),
        Ask("Must results respect permissions, so people only find what they may open?"),
        Ask(
            "How many records will be searched, and how fast must results appear?",
            "",
            rf"{NUM} (?:records|documents|items|products)",
            "the number of records",
        ),
    ),
    "images": (
        Ask(
            "Which image formats and what maximum size per photo must we accept, and are large "
            "photos shrunk on the device first?",
            "",
            FILE_LIMITS,
            "photo formats and size",
        ),
        Ask(
            "How many photos may one record hold, and what happens when someone needs more?",
            "",
            rf"(?:up to|at most|maximum of|no more than|limit of) {NUM} (?:photos|images|pictures)"
            rf"|{NUM}[- ](?:photo|image|picture) limit",
            "how many photos are allowed",
        ),
        Ask(
            "Must the upload work with a weak or no signal, keeping photos on the device until "
            "a connection returns?",
            "app mobile phone field site inspection visit",
            r"(?:uploads?|photos?)[^.]{0,40}(?:must|should) work offline|queued (?:on the device|"
            r"offline)",
            "offline uploads",
        ),
        Ask(
            "Must photos keep their capture time and location, and who may see that location?",
            "",
            r"\bgps\b|geo ?tag|capture time|exif|location (?:data|metadata)",
            "capture time and location",
        ),
        Ask(
            "Must faces, number plates or other personal details be blurred or checked before "
            "others see a photo?",
            "",
            r"\bblurr?\w*|redact\w*|moderat\w*",
            "blurring or moderation",
        ),
        Ask(
            "Can someone delete or replace a photo after uploading it, and until when?",
            "",
            r"(?:delete|remove|replace)\w*[^.]{0,40}(?:photo|image|picture)|"
            r"(?:photo|image|picture)s?[^.]{0,60}(?:withdrawn|deleted|removed)",
            "deleting photos",
        ),
        Ask(
            "Which devices must be supported, for example older phones, or photos picked from "
            "the gallery?",
            "app mobile phone",
            DEVICES,
            "the devices in use",
        ),
        Ask(
            "Could a picture show something inappropriate or someone else's private data, and "
            "who reviews it?",
            "avatar profile public publish review",
            r"moderat\w*|review\w* before[^.]{0,30}(?:shown|published|visible)",
            "moderation",
        ),
        Ask("Should people crop or rotate a photo before it is saved?", "avatar profile crop"),
        Ask(
            "How long are photos kept, and who may view or download the originals?",
            "",
            rf"(?:photo|image|original)s?[^.]{{0,60}}(?:{STORED_FOR})",
            "how long photos are kept",
        ),
    ),
    "imports": (
        Ask(
            "What exactly must the file contain: which columns, which of them are mandatory, and "
            "in which date and number formats?",
            "import upload csv spreadsheet",
            r"(?:required|mandatory|optional) (?:columns?|fields?)|columns?:|header row|"
            r"first row is the header|separator|delimiter",
            "the file layout",
        ),
        Ask(
            "Which character encodings must we accept, for example files saved from Excel?",
            "import csv",
            r"\butf[ -]?8\b|\bencoding\b|windows[ -]1252",
            "the encoding",
        ),
        Ask(
            "How large can a file be, in rows and in megabytes?",
            "import upload",
            rf"{NUM} rows|{SIZE}",
            "file size limits",
        ),
        Ask(
            "When some rows are invalid, do we reject the whole file, or apply the valid rows "
            "and report the rest?",
            "import",
            r"(?:whole|entire) file (?:is )?rejected|all[- ]or[- ]nothing|"
            r"(?:bad|invalid|valid|rejected) rows?\b",
            "what happens to invalid rows",
        ),
        Ask(
            "Does an import only add records, or also update or remove existing ones, and how "
            "are they matched?",
            "import",
            r"\b(?:replace|update|upsert|merge) mode|mode \W?(?:replace|update)|"
            r"deactivat\w*[^.]{0,40}missing|matched (?:by|on)",
            "adding, updating or replacing",
        ),
        Ask(
            "Should people see a preview of the changes, with every error, before anything is "
            "applied?",
            "import",
            r"\bpreview",
            "a preview",
        ),
        Ask(
            "Can an import be undone if it turns out to be wrong, and for how long?",
            "import",
            r"roll(?:ed)? ?back|\bundo|\brevert",
            "undoing an import",
        ),
        Ask(
            "Who opens the export: a person in Excel or another system, and which columns and "
            "format do they need?",
            "export download",
        ),
        Ask(
            "Who may export, and must exported files leave out personal or confidential data?",
            "export download",
        ),
        Ask(
            "How large is the largest export today, and must it finish while the person waits?",
            "export",
        ),
    ),
    "files": (
        Ask(
            "Which file types and what maximum file size must we accept?",
            "",
            FILE_LIMITS,
            "file types and size",
        ),
        Ask(
            "Must uploaded files be scanned for viruses before anyone can open them?",
            "upload attach",
            r"\bvirus|malware|scanned",
            "virus scanning",
        ),
        Ask(
            "Who may see, download or delete an uploaded file, and how long is it kept?",
            "",
            STORED_FOR,
            "how long files are kept",
        ),
        Ask(
            "Can someone replace a file with a new version, and must the old one be kept?",
            "upload attach document",
        ),
    ),
    "reporting": (
        Ask("Which decisions will this report support, and who makes them?"),
        Ask(
            "How exactly is each figure defined, for example when does an order count as complete?",
            "",
            r"\bdefin(?:ed|ition)|\bkpi definitions?|\bminus\b|\bexcludes?\b",
            "how the figures are defined",
        ),
        Ask(
            "Which currency are figures shown in, and which exchange rate applies?",
            "revenue currency region country sales",
            r"exchange rate|\bconverted\b|reference rate|all reports are in",
            "currency and exchange rates",
        ),
        Ask(
            "Which regions or groups are needed, and how is each customer assigned to one?",
            "region country",
            r"assigned to a region|by (?:their )?(?:billing|shipping) (?:address|country)",
            "the regions",
        ),
        Ask(
            "Are periods calendar months or financial periods, and when is a month final?",
            "month monthly quarter year",
            r"calendar months?|fiscal|financial year|books close",
            "the reporting calendar",
        ),
        Ask(
            "Where does each figure's data come from, and is it complete?",
            "",
            r"\blands? in\b|data (?:comes|is loaded) from|\b(?:snowflake|bigquery|redshift|"
            r"data warehouse)\b",
            "where the data comes from",
        ),
        Ask(
            "How fresh must the data be: live, hourly or as of last night?",
            "",
            rf"(?:every night|nightly|hourly|daily|every day) at {CLOCK}",
            "how fresh the data is",
        ),
        Ask("Who may see which figures, for example a regional manager only their own region?"),
        Ask("Does it need exporting or emailing on a schedule, and in which format?"),
    ),
    "scheduling": (
        Ask(
            "How late can people cancel or move a booking without a penalty, and is there a fee "
            "after that?",
            "book appointment reschedul cancel reservation -shift",
            rf"(?:cancel|reschedul|change|move)\w*[^.]{{0,80}}(?:up to|at least|until|no later "
            rf"than)\s+{DURATION}|free of charge up to|late (?:cancellation )?fees?|"
            rf"{PERCENT} of the (?:appointment|booking)",
            "the cut-off and the late fee",
        ),
        Ask(
            "Which working-time rules must a change respect: rest between shifts, weekly hours, "
            "nights in a row?",
            "shift roster rota swap",
            rf"(?:rest|hours a week|consecutive|working time)[^.]{{0,60}}{NUM}|"
            rf"{NUM} hours?[^.]{{0,40}}(?:rest|between shifts|a week)",
            "the working-time rules",
        ),
        Ask(
            "Which staffing minimums must every shift keep, such as a senior or qualified person "
            "in charge?",
            "shift roster rota swap ward",
            r"every shift[^.]{0,60}(?:needs|must|requires)|at least one[^.]{0,60}(?:in charge|"
            r"qualified|senior)|minimum staffing",
            "staffing minimums",
        ),
        Ask(
            "Does a swap always need a manager's approval, or only when it breaks a rule?",
            "shift swap",
        ),
        Ask(
            "Can shifts booked through an agency or another system be swapped too?",
            "shift swap roster",
            r"agency shifts?[^.]{0,40}(?:swap|cannot|read only)",
            "agency shifts",
        ),
        Ask(
            "How many future bookings may one person hold, and how far ahead can they book?",
            "book appointment reservation -shift",
            rf"(?:at most|up to|no more than|maximum of) {NUM} (?:future |upcoming |open )?"
            rf"(?:appointments|bookings|reservations)",
            "the booking limits",
        ),
        Ask(
            "What happens when two people try to take the last slot at the same moment?",
            "book slot appointment reservation",
        ),
        Ask(
            "Who sets the available times, and how are holidays, breaks and closures handled?",
            "-shift -roster -rota",
            rf"opening hours|\bopen {CLOCK}|diar(?:y|ies)[^.]{{0,40}}(?:kept|managed) in",
            "who manages availability",
        ),
        Ask(
            "Which reminders are sent and when, and how are no-shows handled?",
            "book appointment reservation",
            rf"reminder[^.]{{0,60}}{DURATION}|{DURATION}[^.]{{0,30}}reminder",
            "reminders",
        ),
        Ask(
            "Which time zone applies when the customer and the business are in different ones?",
            "",
            r"local (?:uk )?time|time zones?|\butc\b|\bgmt\b|europe/",
            "the time zone",
        ),
        Ask(
            "Must this stay in step with another calendar or diary system, such as Outlook or a "
            "practice system?",
            "",
            r"\b(?:cliniko|outlook|google calendar|ical|calendly)\b|through its api",
            "the calendar system",
        ),
    ),
    "accounts": (
        Ask("Which roles exist, and what can each one see, do and approve?"),
        Ask(
            "Who creates accounts and assigns roles: an administrator, a team lead or the people "
            "themselves?"
        ),
        Ask("What happens to someone's records and open work when their account is deactivated?"),
        Ask("Can one person hold several roles, or belong to several teams or organisations?"),
        Ask(
            "Must every change to roles and permissions be recorded, and for how long?",
            "",
            r"audit log|(?:changes?|every)[^.]{0,40}(?:logged|recorded)",
            "the audit log",
        ),
    ),
    "mobile": (
        Ask(
            "Which tasks must work with no signal, and for how long might someone be offline?",
            "",
            r"(?:must|should) work offline|offline (?:mode|for up to)",
            "offline use",
        ),
        Ask(
            "Which devices and operating system versions must be supported at launch?",
            "",
            DEVICES,
            "the devices in use",
        ),
        Ask(
            "Are people on company devices, their own, or both, and what may the app keep on them?",
            "",
            r"company (?:phones|iphones|devices)|their own (?:\w+ )?(?:phones|devices)|\bbyod\b",
            "company or own devices",
        ),
        Ask(
            "When an offline change conflicts with a newer one on the server, which one wins?",
            "offline sync signal",
        ),
        Ask("Is this a native app, a mobile web page, or both?", "-app"),
        Ask("What happens to data on a device that is lost or stolen?"),
    ),
    "integrations": (
        Ask(
            "Which system is the source of truth for each piece of data we exchange?",
            "",
            r"source of truth|master (?:record|data)",
            "the source of truth",
        ),
        Ask("Does the other system offer an API today, and who owns it on their side?"),
        Ask(
            "How fresh must the data be: real time, every few minutes or a nightly batch?",
            "",
            rf"sync\w*[^.]{{0,40}}(?:every|nightly|each night)|(?:every night|nightly) at {CLOCK}",
            "how often data is synchronised",
        ),
        Ask(
            "What should happen when the other system is down or rejects our data, and who is told?"
        ),
        Ask(
            "What rate limits, costs or contract terms come with the other system's API?",
            "",
            r"rate limit",
            "the rate limit",
        ),
    ),
    "migration": (
        Ask(
            "How many records need migrating, and how far back does the history go?",
            "",
            rf"{NUM} (?:records|customers|accounts|rows)|complete from",
            "how much data there is",
        ),
        Ask("Which legacy records do not fit the new rules, and what should happen to them?"),
        Ask("Can the old and new systems run side by side during the cut-over, and for how long?"),
        Ask("Who signs off that the migrated data is correct, and by which checks?"),
        Ask("If the cut-over fails, how do we roll back, and how much downtime is acceptable?"),
    ),
    "subscriptions": (
        Ask("Which plans and prices exist at launch, and who can change them?", "-import"),
        Ask(
            "When a customer upgrades or downgrades mid-cycle, is the price prorated or changed "
            "at the next renewal?",
            "subscri plan upgrade downgrade",
            r"prorat\w*|at the next renewal",
            "mid-cycle changes",
        ),
        Ask(
            "What happens when a renewal payment fails: retries, a grace period, then suspension?",
            "subscri renew plan billing",
        ),
        Ask("Who may override a price, by how much, and is a reason required?", "override"),
        Ask(
            "Must customers be told before a price rises, and how far ahead?",
            "price pricing",
            rf"(?:increase|rise)s?[^.]{{0,60}}(?:announced|notice|told)[^.]{{0,30}}{DURATION}|"
            rf"{DURATION} (?:ahead|notice)",
            "notice of price rises",
        ),
        Ask(
            "When a price changes, what happens to quotes, baskets and orders already in progress?",
            "price pricing -subscri -plan",
            r"orders already placed keep|already placed[^.]{0,30}keep",
            "orders in progress",
        ),
        Ask(
            "Which taxes and currencies apply, and must invoices meet local legal rules?",
            "-import",
            r"\b(?:gbp|eur|usd)\b[^.]{0,40}(?:currency|only)|contract currency",
            "currencies",
        ),
        Ask(
            "Can customers cancel by themselves, and do they keep access until the paid period "
            "ends?",
            "subscri plan",
        ),
        Ask("Can discount codes be combined, and when do they expire?", "discount coupon promo"),
    ),
    "orders": (
        Ask(
            "Up to which point can a customer cancel or change an order, for example until it is "
            "picked or shipped?",
            "cancel change amend",
            r"cancel\w*[^.]{0,100}\b(?:until|before|up to|only within|no later than)\b"
            r"[^.]{0,60}(?:dispatch|ship|pick|pack|releas|hour|minute|day)|"
            r"(?:cannot|can't|can no longer) be (?:cancelled|changed)",
            "the cancellation cut-off",
        ),
        Ask(
            "Can single lines be cancelled, or only the whole order, and what happens then to "
            "promotions and delivery charges?",
            "cancel",
            r"partial cancellation|some (?:order )?lines|single lines?|recalculat",
            "cancelling single lines",
        ),
        Ask(
            "Are some products different, such as made-to-order items that cannot be cancelled "
            "once production starts?",
            "cancel",
            r"made[- ]to[- ]order|personalised|custom[- ]made",
            "made-to-order items",
        ),
        Ask(
            "How is the customer told that the cancellation worked and when the money comes back?",
            "cancel",
            r"confirmation (?:email|message)|(?:email|sms) confirmation",
            "the confirmation",
        ),
        Ask(
            "How far back must order history go, and which statuses does the customer see?",
            "history status track",
        ),
        Ask(
            "What happens when an item goes out of stock after the order has been placed?",
            "-cancel -refund",
        ),
        Ask(
            "Can one order be split across several shipments, and how is the customer kept "
            "informed?",
            "ship deliver -cancel",
        ),
        Ask(
            "How are returns handled: who pays for return postage, and when is stock back on sale?",
            "return",
            r"return postage|returns? (?:is|are) free|postage is (?:free|paid)",
            "return postage",
        ),
        Ask(
            "Which order management, warehouse or courier systems must this work with?",
            "",
            r"\b(?:oms|wms|order management|warehouse management)\b|"
            r"\b(?:dpd|ups|fedex|dhl|royal mail|evri)\b",
            "the order systems",
        ),
    ),
    "onboarding": (
        Ask(
            "Which checks must pass before someone is approved or can be paid: identity, bank "
            "details, certificates?",
            "register registration supplier vendor onboard kyc applicant",
            r"\bverif(?:y|ied|ication)\b|confirmation of payee|certificate|checked (?:with|by)",
            "the checks before approval",
        ),
        Ask(
            "Who approves a registration, and may the person who entered it approve it too?",
            "register registration supplier vendor onboard",
            r"(?:registrations?|applications?|suppliers?) (?:are|is) approved by|"
            r"cannot approve[^.]{0,60}(?:themselves|own)|no single person",
            "who approves registrations",
        ),
        Ask(
            "How are changes after approval handled, for example new bank details, and who "
            "confirms them?",
            "supplier vendor bank payee",
            r"change of bank details|bank[- ]details? changes?|second approver",
            "changes after approval",
        ),
        Ask(
            "What is the minimum we must ask for on day one, and what can wait until later?",
            "",
            r"register\w* (?:through|with|in)\b[^.]{0,80}(?:name|number|address)|"
            r"(?:required|mandatory) fields?",
            "what is collected",
        ),
        Ask(
            "How long is the data kept, also when a registration is rejected or abandoned?",
            "register registration supplier applicant form",
            STORED_FOR,
            "how long data is kept",
        ),
        Ask("Which fields are mandatory, and what are the validation rules for each?"),
        Ask("Can someone save a half-finished form and come back to it, and for how long?"),
        Ask("Where do people drop out today, and how will we measure completion?", "-supplier"),
    ),
    "messaging": (
        Ask("Who can message whom, and can either side block or report the other?"),
        Ask("How long must messages be kept, and can people delete them?", "", STORED_FOR),
        Ask("Are attachments, read receipts or typing indicators needed in the first release?"),
        Ask("What response time is expected, and what happens outside business hours?"),
        Ask("Who moderates messages, and how is abusive content handled?"),
    ),
    "approvals": (
        Ask(
            "Which thresholds decide who approves, and do they apply per request or add up over "
            "a period?",
            "",
            APPROVAL_THRESHOLD,
            "the approval thresholds",
        ),
        Ask(
            "Who approves while an approver is on leave, and may a stand-in go beyond their own "
            "limit?",
            "",
            r"delegation (?:rules?|is allowed|is permitted)|delegates? (?:may|can|must)",
            "delegation",
        ),
        Ask(
            "How long does an approval stay valid, and what happens when nobody decides in time?",
            "",
            rf"(?:approvals?|requests?)[^.]{{0,60}}(?:expire|lapse|escalate)\w*|"
            rf"older than {DURATION}",
            "when approvals expire",
        ),
        Ask(
            "Can anyone approve their own request, or one raised by their manager?",
            "",
            r"(?:never|cannot|can't|may not|must not|no single person)[^.]{0,60}approv\w*"
            r"[^.]{0,60}(?:own|themselves|raised|registered)|segregation of duties",
            "approving your own request",
        ),
        Ask(
            "How many requests are there a month, and how many of them need approval?",
            "",
            VOLUME,
            "the volumes",
        ),
        Ask("Can an approver send a request back for changes, and what happens to it then?"),
        Ask(
            "What audit trail does compliance need: who approved what, when and why?",
            "",
            r"audit (?:trail|log)",
            "the audit trail",
        ),
    ),
    "loyalty": (
        Ask(
            "How many points make a pound off, and is there a cap on how much of an order "
            "points can pay?",
            "",
            rf"{NUM} points?[^.]{{0,30}}(?:=|equals?|is worth|for)\s*{MONEY}|"
            rf"(?:up to|at most|capped at|maximum of) {PERCENT}",
            "what points are worth, and the cap",
        ),
        Ask(
            "Can points be combined with other discounts or promotions?",
            "",
            r"(?:cannot|can't|may not|not) be combined|combined with",
            "combining points with discounts",
        ),
        Ask(
            "What happens to the points when an order is refunded or cancelled?",
            "",
            r"refund\w*[^.]{0,60}points|points[^.]{0,60}refund",
            "points on refunds",
        ),
        Ask("What happens at checkout when the loyalty platform is slow or down?"),
        Ask(
            "Which members and markets are eligible, for example an age limit or certain "
            "countries?",
            "",
            r"must be \d+ or older|available in the \w+ only|\bonly in the\b",
            "eligibility",
        ),
        Ask(
            "Do points expire, and are members warned first?",
            "",
            rf"points? expire|expir\w*[^.]{{0,40}}{DURATION}",
            "points expiry",
        ),
    ),
}
