"""What can go wrong, per kind of feature: the edge cases a senior business analyst hunts, and
the standard negative paths every set of acceptance criteria should cover.

Pure data, read by ``offline_discovery`` (edge cases) and ``offline_content`` (the negative
paths of acceptance criteria).

Edge cases read ``"concurrency [refund]: Situation. Question?"``: an edge case of that taxonomy
category (keys of ``CATEGORIES``), applying only when one of the bracketed words occurs
(``-word`` skips it). The first sentence is the situation, written so that it reads after
"When" in a Gherkin scenario; the rest is the question the room must answer.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        "security [instant]: A buyer claims an item never arrived to get an instant refund, many "
        "times. Which checks or limits apply before the money goes out?",
        "undo [instant]: An instant refund is paid and the parcel turns up the next day. Can the "
        "money be recovered, and from whom?",
        "notifications [refund]: The refund is paid but takes 5 to 10 working days to reach the "
        "card. What does the customer see, and when?",
        "locale [partial]: A £10 discount was spread across 3 items and only one is refunded. "
        "How is the amount worked out and rounded?",
        "undo [refund -instant]: A refund is approved by mistake. Can it be stopped before the "
        "money leaves, and who can do that?",
        "security [refund -instant]: A customer asks for refunds on many orders in one week. Is "
        "there a limit or a fraud check?",
        "audit [refund]: Finance reconciles refunds with the payment provider's statement. Is "
        "each refund recorded with who, when, why and how much?",
        "retries [-refund]: The payment provider times out and the customer presses Pay again. "
        "Could the card be charged twice?",
        "dependencies [-refund]: The card needs an extra security check (3-D Secure) that the "
        "customer abandons. Is the order kept, and for how long?",
        "locale [-refund]: The customer pays in euros and the exchange rate moves before "
        "settlement. Which amount is shown on the receipt?",
    ),
    "auth": (
        "security: Someone tries thousands of passwords or codes against one account. When are "
        "they slowed down or locked out, and how does the real owner get back in?",
        "security [support reset helpdesk 2fa mfa two]: A caller talks support into resetting "
        "someone else's second factor. Which identity checks stop that?",
        "audit: Security asks who signed in, enrolled or reset a factor last month. Are those "
        "events logged, and for how long?",
        "accessibility: A screen-reader user meets a puzzle or a code that expires in 30 "
        "seconds. Can they still sign in?",
        "empty [2fa mfa two owner]: The only owner of an account loses every second factor. How "
        "do they get back in, and how long does it take?",
        "dependencies: The client's single sign-on provider is down. Can anyone still sign in, "
        "for example an emergency administrator?",
        "roles: A person's role is removed while they are signed in. Does it apply at once or "
        "at their next sign-in?",
        "retries: The verification code arrives after it has expired. Can they request another, "
        "and how many times?",
        "empty [-2fa -mfa -two]: A new user follows an invitation link that has already "
        "expired. What do they see?",
    ),
    "notifications": (
        "concurrency [preference consent opt]: A customer opts out in the app while staff change "
        "the same preference in another system. Which change wins, and how fast do both agree?",
        "audit [preference consent opt marketing]: A regulator asks when a customer opted out "
        "and through which channel. Is every change recorded with its source?",
        "migration [preference consent]: Existing customers never set their preferences. What "
        "is each one's setting on day one?",
        "notifications [-preference -consent]: One action triggers twenty messages to the same "
        "person within a minute. Are they grouped or rate-limited?",
        "dependencies: The email or SMS provider is down for an hour. Are messages queued and "
        "sent later, or lost?",
        "input: The email address bounces or the phone number is invalid. Who finds out, and is "
        "the record flagged?",
        "locale: A message is due at 9am for someone in another time zone, or during quiet "
        "hours. Whose 9am is it, and is it held back?",
        "roles [joint shared household]: Two people share one account. Can one change the "
        "other's preferences?",
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
    "images": (
        "input: A 25 MB photo from a new phone, a HEIC file, or a screenshot arrives instead of "
        "a photo. Which are accepted, converted or refused, and with what message?",
        "retries: The signal drops halfway through uploading 30 photos. Do the uploaded ones "
        "stay, and does the rest resume without duplicates?",
        "audit: A photo carries its GPS location, or shows a bystander's face or a number plate. "
        "Who may see that, and is it removed or blurred first?",
        "scale: At peak, thousands of people upload several 6 MB photos at once. How much "
        "storage and upload time does that need, and do previews stay fast?",
        "undo: A photo is attached to the wrong record, or taken by mistake. Can it be moved or "
        "withdrawn, and is the original kept?",
        "security: Someone uploads an unrelated or offensive picture, or a file disguised as an "
        "image. Is it checked before others see it?",
        "input [avatar profile crop]: The picture is sideways, tiny or not square. Is it rotated "
        "and cropped, or refused?",
        "concurrency: Two people add photos to the same record from different devices. Are both "
        "kept, in the right order?",
        "accessibility: A screen-reader user needs to know what a photo shows. Is a caption or "
        "description required?",
        "empty: A record has no photos yet. What does the screen show, and can it be submitted "
        "without any?",
    ),
    "imports": (
        "input [import upload csv spreadsheet]: The file has the wrong columns, dates written "
        "as 31/03/2025, prices with a currency symbol, or trailing empty rows. Which rows are "
        "rejected, and with what message?",
        "undo [import]: An import overwrites 2,000 records with wrong values. Can it be rolled "
        "back, and by whom?",
        "locale [csv excel import]: A file saved from Excel uses another encoding or semicolons "
        "as separators. Are accented names read correctly, or is the file refused?",
        "scale [import upload]: The largest customer uploads 45,000 rows at once. Must the "
        "import finish while they wait, or run in the background with a message at the end?",
        "concurrency [import]: Two colleagues import the same file at the same time. Are the "
        "records duplicated?",
        "retries [upload import]: The upload fails at 90% on a slow connection. Can it resume, "
        "or must the person start again?",
        "migration [import replace]: The file leaves out records that exist today. Are they "
        "deactivated, or left alone?",
        "roles [export download]: Someone exports records they can see on screen but may not "
        "share. Does the export apply the same permissions?",
        "audit [export download]: An export with personal data is emailed outside the company. "
        "Is the export logged, and should it be restricted?",
        "scale [export]: Someone exports 500,000 rows at peak time. Is it built in the "
        "background, with a message when it is ready?",
        "empty [export]: Someone exports a filtered list with no matching rows. Do they get an "
        "empty file or a message?",
    ),
    "files": (
        "input: A file is too large, empty, or of a type we do not accept. Which are refused, "
        "and with what message?",
        "security: An uploaded file contains a virus or a disguised program. Is it scanned "
        "before anyone can open it?",
        "retries: The upload fails at 90% on a slow connection. Can it resume, or must the "
        "person start again?",
        "roles: Someone opens a link to a file they may not see. Is it blocked?",
        "undo: The wrong file is attached. Can it be replaced, and is the old one kept?",
        "audit: A file holds personal data. How long is it kept, and who downloaded it?",
    ),
    "reporting": (
        "reporting: Two reports show different totals for the same month. Which definition is "
        "the official one?",
        "migration: Older records have blank fields the report groups by, such as a missing "
        "country. Where do they go?",
        "roles: A manager filters to a team or region they do not manage. Are those figures "
        "hidden?",
        "locale: A sale is made at 11pm on the last day of the month in another time zone, or "
        "in another currency. Which month and which rate does it count in?",
        "empty: A new customer opens the dashboard before there is any data. Does it show zeros, "
        "a blank or a helpful message?",
        "audit: Figures change after the month was reported, because of late refunds or "
        "corrections. Are early figures labelled, and is the change visible?",
        "scale: The report covers three years of data for the largest customer. How long may it "
        "take to load?",
        "accessibility: A chart uses colour alone to show good and bad. Can colour-blind and "
        "screen-reader users read it?",
    ),
    "scheduling": (
        "concurrency [book appointment slot reservation reschedul]: Two people take the last "
        "slot at the same moment. Who gets it, and what does the other person see?",
        "undo [reschedul move]: The new slot is confirmed but the old one is not released, or "
        "the other way round. Is a move all or nothing?",
        "roles [shift swap roster rota]: A swap would leave a shift without a senior or "
        "qualified person in charge. Is it blocked, or sent to a manager?",
        "input [shift swap roster rota]: A swap breaks a working-time rule, such as too little "
        "rest between shifts. Is it refused, or approved by a manager with a reason?",
        "concurrency [shift swap roster rota]: Two colleagues accept the same swap offer, or the "
        "roster changes while a swap awaits agreement. Which one wins?",
        "audit [shift swap roster rota]: Someone later asks who swapped which shift and who "
        "agreed. Is each swap recorded?",
        "notifications: A time is moved to another day. How and when is everyone affected told?",
        "dependencies: The calendar or diary system does not answer, or rejects the change. "
        "Could the same slot be taken twice?",
        "locale: A booking falls on the night the clocks change, or the customer is in another "
        "time zone. Which time is shown to whom?",
        "undo [book appointment cancel]: The customer cancels 10 minutes before the appointment. "
        "Is there a fee, and is the slot released?",
        "input [book appointment slot reservation]: Someone books a slot in the past, two years "
        "ahead or outside opening hours. Which limits apply?",
        "empty [book appointment slot]: No slots are free for the next month. Can the customer "
        "join a waiting list?",
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
        "input [price prices pricing import]: A price changes tenfold because of a misplaced "
        "decimal point. Is a change that large flagged before customers see it?",
        "concurrency [price pricing override basket cart]: A price changes while a customer has "
        "the item in their basket. Which price do they pay?",
        "dependencies [subscri renew plan billing]: A renewal payment fails because the card has "
        "expired. How many retries, and when is access suspended?",
        "locale [subscri upgrade downgrade plan]: A customer upgrades halfway through the month "
        "in a country with different VAT. How are the prorated amount and tax worked out?",
        "undo [subscri cancel plan]: A customer cancels by mistake and wants to undo it the next "
        "day. Do they keep their old price?",
        "input [override]: A price is set to zero, below cost, or with too many decimal places. "
        "Is it rejected or flagged?",
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
        "concurrency [cancel]: The customer cancels at the moment the warehouse starts picking "
        "the order. Which wins, and what is the customer told?",
        "dependencies [cancel refund]: The order is cancelled but the refund fails at the "
        "payment provider. Is the customer told, and who follows it up?",
        "undo [cancel]: The customer cancels after the order is picked but before it ships. Can "
        "it still be stopped, or must they return it?",
        "retries [cancel]: The customer paid twice by double-clicking and wants one order "
        "cancelled. Is the duplicate spotted and refunded?",
        "concurrency [-cancel]: Two customers buy the last item at the same moment. Who gets "
        "it, and what does the other one see?",
        "empty [history]: A new customer opens their order history before ordering anything. "
        "What do they see?",
        "dependencies [-cancel]: The courier's system does not respond when the label is "
        "created. Does the order wait, or go out without tracking?",
        "input: An order has 999 units of one item, or an address the courier cannot reach. "
        "Which limits apply?",
        "scale: A peak such as Black Friday brings ten times the normal orders in an hour. Which "
        "parts must keep up?",
        "locale: An order is placed at 11:59pm on the last day of a promotion in another time "
        "zone. Does the promotion apply?",
    ),
    "onboarding": (
        "security [supplier vendor bank payee]: A fraudster emails a request to change a "
        "supplier's bank details. How is the change verified, and by whom?",
        "roles [supplier vendor approv registration]: The person who entered a registration "
        "also tries to approve it. Is that blocked?",
        "dependencies [verif check supplier bank]: The bank-details check or another external "
        "check does not answer. Does the registration wait, and is anyone paid meanwhile?",
        "input: Someone enters a name with an apostrophe or accents, or an address without a "
        "postcode. Is it accepted?",
        "empty: Someone abandons the form halfway through. Is their progress saved, and are "
        "they reminded?",
        "accessibility: A screen-reader or keyboard-only user fills in the form. Are errors "
        "announced and linked to the right field?",
        "retries: The person presses Submit twice on a slow connection. Are two accounts or "
        "applications created?",
        "security [-supplier -vendor]: Bots submit thousands of sign-ups with fake emails. How "
        "are they stopped without blocking real people?",
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
        "security: Someone splits one large request into several small ones, each just under "
        "the limit. Do the limits add up per customer or per period?",
        "retries: A request waits five working days with no decision. Is it escalated, or does "
        "it expire?",
        "concurrency: Two approvers act on the same request at once, one approving and one "
        "rejecting. Which decision stands?",
        "audit: An auditor asks why a request was approved a year ago. Are the decision, the "
        "approver and the reason recorded?",
        "undo: An approval is given by mistake. Can it be withdrawn, and what has already "
        "happened downstream?",
        "input: The request is changed after it has been approved. Does it need approving again?",
    ),
    "loyalty": (
        "dependencies: The loyalty platform does not answer at checkout, for example during "
        "maintenance. Can the member still pay without points, and are points added later?",
        "undo: An order paid partly with points is refunded or cancelled. Are the points given "
        "back, and the points it earned taken back?",
        "input: The member has fewer points than the smallest reward, or tries to pay the whole "
        "order with points. What do they see?",
        "retries: The payment fails after the points were taken off. Are the points given back "
        "at once?",
        "concurrency: The member spends points on two devices at the same moment. Could the "
        "same points be spent twice?",
        "security: Someone takes over a member's account to spend their points. How is that "
        "noticed and put right?",
    ),
}


# --- standard negative paths for acceptance criteria -----------------------------------------


@dataclass(frozen=True)
class NegativePath:
    """A negative scenario every feature of a kind should have. ``when`` and ``then`` are
    Gherkin steps; ``{role}``, ``{action}`` ("cancel the order") and ``{dependency}`` are
    filled from the thread. ``applies``: words that make it apply (none: always);
    ``raised``: words that show the analyst already brought it up."""

    title: str
    when: str
    then: str
    applies: str = ""
    raised: str = ""


GENERIC_PATHS: tuple[NegativePath, ...] = (
    NegativePath(
        "Permission denied",
        "someone without the required role tries to {action}",
        "it is refused with a clear message, nothing changes, and the attempt is logged",
        raised="permission denied unauthori forbidden role",
    ),
    NegativePath(
        "Dependency unavailable",
        "{dependency} does not respond",
        "nothing is lost or done twice, and the {role} sees that it did not go through and "
        "can try again",
        raised="down unavailable outage not respond",
    ),
)

NEGATIVE_PATHS: dict[str, tuple[NegativePath, ...]] = {
    "auth": (
        NegativePath(
            "Expired link",
            "they open a sign-in or reset link that has expired",
            "they see that the link has expired and can ask for a new one, and nothing changes",
            "link reset password magic invit email",
            "expired expiry",
        ),
        NegativePath(
            "Link used twice",
            "they open a link that has already been used",
            "it is refused and the account stays as it was",
            "link reset password magic invit",
            "reused used twice",
        ),
        NegativePath(
            "Unknown account",
            "someone asks for a reset or a code for an email address that has no account",
            "they see the same message as for a known address, so the reply does not reveal "
            "whether an account exists",
            "",
            "unknown account enumerat",
        ),
        NegativePath(
            "Too many failed attempts",
            "someone enters a wrong password or code 5 times in a row",
            "further attempts are refused for 15 minutes, the account owner is told, and the "
            "attempts are logged (5 and 15 are example values)",
            "",
            "lock attempts brute",
        ),
    ),
    "payments": (
        NegativePath(
            "Payment declined",
            "the payment is declined",
            "no money is taken, nothing is confirmed, and the {role} can try another way to pay",
            "pay checkout card -refund",
            "declin",
        ),
        NegativePath(
            "Refund of more than was paid",
            "a refund is requested for more than is left to refund",
            "it is refused with a message stating the amount that can still be refunded",
            "refund",
            "more than exceed",
        ),
        NegativePath(
            "Submitted twice",
            "the same request is submitted twice within a few seconds",
            "it is processed once, and the second attempt shows the first one's result",
            "",
            "twice double duplicate",
        ),
    ),
    "images": (
        NegativePath(
            "Photo too large or in another format",
            "they choose a photo above the size limit or in a format that is not accepted",
            "it is refused before upload with a message giving the limit and the formats, and "
            "the other photos are kept",
            "",
            "too large format size",
        ),
        NegativePath(
            "Upload interrupted",
            "the connection drops during the upload",
            "the photos stay on the device and upload once the connection returns, each one once",
            "",
            "offline signal interrupt drop",
        ),
    ),
    "imports": (
        NegativePath(
            "Rows with errors",
            "the file has rows with missing or invalid values",
            "nothing is applied before they confirm, and each rejected row is listed with its "
            "line number and the reason",
            "import upload csv",
            "invalid error bad row",
        ),
        NegativePath(
            "Wrong file",
            "they upload a file that is not in the expected format or encoding",
            "it is refused with a message naming the expected format, and nothing changes",
            "import upload csv",
            "format encoding wrong file",
        ),
    ),
    "files": (
        NegativePath(
            "File refused",
            "they upload a file that is too large or of a type that is not accepted",
            "it is refused with a message giving the limit and the accepted types",
            "",
            "too large type size",
        ),
    ),
    "scheduling": (
        NegativePath(
            "Slot taken meanwhile",
            "the chosen slot is taken by someone else before they confirm",
            "they are told it is no longer free and shown the nearest free slots",
            "book appointment slot reservation reschedul",
            "taken same slot",
        ),
        NegativePath(
            "Too late to change",
            "they try to cancel or move it after the free-change cut-off",
            "they see the fee or the reason before they confirm, and nothing changes until they do",
            "book appointment reschedul cancel reservation -shift",
            "late cut off fee",
        ),
        NegativePath(
            "Change breaks a rule",
            "the change would break a working-time or staffing rule",
            "it is not applied and goes to the manager with the rule it breaks",
            "shift swap roster rota",
            "rule break",
        ),
    ),
    "approvals": (
        NegativePath(
            "Approving one's own request",
            "the person who raised a request tries to approve it",
            "the approval is refused and the request stays with the next approver",
            "",
            "own request segregation",
        ),
        NegativePath(
            "Approval not given in time",
            "nobody decides on a request within the time limit",
            "the request expires or is escalated, and the requester is told",
            "",
            "expire escalat",
        ),
    ),
    "orders": (
        NegativePath(
            "Too late to cancel",
            "they try to cancel an order the warehouse has already started on",
            "the cancellation is refused, and they see what they can do instead, such as a return",
            "cancel",
            "too late picked released",
        ),
        NegativePath(
            "Out of stock",
            "an item runs out after the order was placed",
            "the {role} is told before payment is taken for it, and can choose a replacement or "
            "a refund",
            "-cancel",
            "out of stock",
        ),
    ),
    "notifications": (
        NegativePath(
            "Opted out",
            "the person has opted out of this kind of message on this channel",
            "nothing is sent on that channel, including messages already scheduled",
            "",
            "opt out opted",
        ),
        NegativePath(
            "Message not delivered",
            "the message bounces or cannot be delivered",
            "the failure is recorded and the message is retried or sent on another channel",
            "",
            "bounce fail",
        ),
    ),
    "loyalty": (
        NegativePath(
            "Not enough points",
            "the member has fewer points than the reward needs",
            "no points are taken, their balance is shown, and they can pay without points",
            "",
            "not enough insufficient",
        ),
        NegativePath(
            "Refund of an order paid with points",
            "an order paid partly with points is refunded",
            "the points used are given back and the points it earned are taken back",
            "",
            "refund",
        ),
    ),
    "reporting": (
        NegativePath(
            "No data for the period",
            "they open the report for a period with no data",
            "it says there is no data for that period instead of showing zeros",
        ),
    ),
    "mobile": (
        NegativePath(
            "No connection",
            "they save while the device has no connection",
            "the change is kept on the device and sent once when the connection returns",
            "",
            "offline signal connection",
        ),
    ),
    "search": (
        NegativePath(
            "No results",
            "a search matches nothing",
            "they see that nothing matched and how to widen the search",
        ),
    ),
    "accounts": (
        NegativePath(
            "Deactivated account",
            "a deactivated person tries to sign in or use a saved link",
            "access is refused and nothing of the organisation's data is shown",
            "",
            "deactivat",
        ),
    ),
    "onboarding": (
        NegativePath(
            "Mandatory details missing",
            "they submit with a mandatory field empty",
            "nothing is submitted, the missing field is named, and their other answers are kept",
            "",
            "mandatory missing required",
        ),
        NegativePath(
            "Already registered",
            "someone registers with details that already belong to an account",
            "no duplicate is created, and the message does not reveal who holds the account",
            "",
            "duplicate already registered",
        ),
    ),
    "integrations": (
        NegativePath(
            "Message received twice",
            "the same message from the other system arrives twice",
            "it is processed once",
            "",
            "twice duplicate",
        ),
    ),
    "subscriptions": (
        NegativePath(
            "Renewal payment fails",
            "the renewal payment fails",
            "the customer is told, payment is retried on the agreed schedule, and access "
            "continues during the grace period",
            "subscri renew plan billing",
            "fail",
        ),
    ),
    "migration": (
        NegativePath(
            "Record that does not fit",
            "a legacy record misses a mandatory value",
            "it is not migrated silently: it is listed with the reason for someone to fix",
        ),
    ),
    "messaging": (
        NegativePath(
            "Blocked sender",
            "someone the recipient blocked sends a message",
            "it is not delivered, and the sender is not told they are blocked",
            "",
            "block",
        ),
    ),
}
