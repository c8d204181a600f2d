"""Wire-level fakes of the Anthropic Messages API and the OpenAI Chat Completions API.

Each fake is a small HTTP/1.1 server written on raw asyncio, running in a background thread on
``127.0.0.1`` with a free port. Code under test talks to it through the *real* SDKs, so what is
exercised is the SDKs' own HTTP, SSE and retry machinery::

    with FakeAnthropic() as fake:
        client = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="test-key")
    with FakeOpenAI() as fake:
        client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test-key")

``fake.base_url`` is always what the SDK's ``base_url`` wants, verbatim:

- ``FakeAnthropic.base_url`` is ``http://127.0.0.1:PORT`` (the SDK appends ``/v1/messages``),
- ``FakeOpenAI.base_url`` is ``http://127.0.0.1:PORT/v1`` (the SDK appends ``/chat/completions``,
  and ``OPENAI_BASE_URL`` conventionally ends in ``/v1`` too).

``fake.root_url`` is ``http://127.0.0.1:PORT`` for both. A request to an unknown path (such as
``/v1/v1/chat/completions``) gets a 404 in the API's own error format, naming the path.

Protocols spoken
================

Anthropic, ``POST /v1/messages`` (and ``POST /v1/messages/count_tokens``, which consumes no script).
With ``"stream": true`` the body is ``text/event-stream``, sent with ``Transfer-Encoding: chunked``;
every event has an ``event:`` line (the SDK skips events without one) and a ``data:`` line::

    message_start        {"message": {"id", "model", "role", "content": [], "stop_reason": null,
                          "usage": {input_tokens, cache_creation_input_tokens,
                                    cache_read_input_tokens,
                                    cache_creation: {ephemeral_5m_input_tokens,
                                                     ephemeral_1h_input_tokens},
                                    output_tokens: 1,
                                    output_tokens_details: {thinking_tokens: 0},
                                    service_tier}}}
    ping
    content_block_start  {"index": i, "content_block": {"type": "text", "text": ""}}
                      or {"index": i, "content_block": {"type": "thinking", "thinking": "",
                                                        "signature": ""}}
                      or {"index": i, "content_block": {"type": "redacted_thinking",
                                                        "data": …}}  (no deltas follow)
                      or {"index": i, "content_block": {"type": "tool_use", "id", "name",
                                                        "input": {}}}
    content_block_delta  {"delta": {"type": "text_delta", "text": …}}
                      or {"delta": {"type": "thinking_delta", "thinking": …}}
                      or {"delta": {"type": "signature_delta", "signature": …}}  (one, last)
                      or {"delta": {"type": "input_json_delta", "partial_json": …}}  (first one "")
    content_block_stop
    message_delta        {"delta": {"stop_reason", "stop_sequence": null},
                          "usage": {input_tokens, cache_creation_input_tokens,
                                    cache_read_input_tokens, output_tokens,
                                    output_tokens_details: {thinking_tokens}}}
    message_stop
    error                {"type": "error", "error": {"type": "overloaded_error", "message": …}}

``message_start`` reports ``thinking_tokens: 0`` (nothing is generated yet, and the count must
stay within ``output_tokens``); ``message_delta`` has the reply's count, which the SDK's stream
accumulator copies into the final message. The cache breakdown (``cache_creation``) is only in
``message_start``, as the SDK only reads it there.

Without ``stream`` (or ``"stream": false``) the reply is one Messages JSON body, whose
``content`` has the same blocks (``{"type": "thinking", "thinking", "signature"}``,
``{"type": "redacted_thinking", "data"}``…) and whose ``usage`` has every field above. Requests
need an ``x-api-key`` or ``Authorization: Bearer`` header, else 401 ``authentication_error``,
and an ``anthropic-version`` header, else 400 ``invalid_request_error`` as the real API answers;
a body without ``model``, ``max_tokens`` or ``messages`` gets a 400 too, and so does one with
more than 4 cache breakpoints (``"A maximum of 4 blocks with cache_control may be provided.
Found N."``). With ``FakeAnthropic(models=[…])``, any other model gets 404 ``not_found_error``
``"model: <name>"``, the real API's answer for an unknown or retired model. Error bodies are
``{"type": "error", "error": {"type", "message"}, "request_id"}``; every response carries a
``request-id`` header.

OpenAI, ``POST /v1/chat/completions``. With ``"stream": true`` the body is ``data: {chunk}`` events
(no ``event:`` line) ending in ``data: [DONE]``: a first chunk with ``delta.role``; text in
``choices[0].delta.content``; thinking in ``choices[0].delta.reasoning_content`` (what vLLM,
Ollama and DeepSeek-style servers send; redacted thinking is left out, and a non-streaming
``message`` has it whole as ``reasoning_content``); tool calls in
``choices[0].delta.tool_calls`` (``index``, ``id``,
``type: "function"`` and ``function.name`` in the first delta of a call, then ``arguments`` over
several deltas); a last choice chunk with ``finish_reason`` (``stop``, ``tool_calls`` or
``length``); and, when ``stream_options.include_usage`` is set, every chunk has ``"usage": null``
and a final chunk with ``"choices": []`` carries ``usage`` (``prompt_tokens``,
``completion_tokens``, ``total_tokens``, ``prompt_tokens_details.cached_tokens``,
``completion_tokens_details.reasoning_tokens``). Requests need ``Authorization: Bearer …``, else
401; a body without ``model`` or ``messages`` gets a 400; with ``FakeOpenAI(models=[…])`` any
other model gets a 404 ``model_not_found``. Error bodies are
``{"error": {"message", "type", "param", "code"}}``; responses carry ``x-request-id``.

Usage mapping: a script's :class:`Usage` is in Anthropic's terms. OpenAI gets
``prompt_tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens``,
``prompt_tokens_details.cached_tokens = cache_read_input_tokens``,
``completion_tokens = output_tokens`` and ``reasoning_tokens = thinking_tokens``.

Without a ``Usage`` (``usage=None``), Anthropic's input numbers come from the prompt-cache
simulation below; OpenAI's ``input_tokens`` is the request body's bytes / 4, with no cache.
Fields of a given ``Usage`` are sent verbatim; one left ``None`` is estimated: ``input_tokens``
as the whole prompt (Anthropic: the sum of its blocks, below; OpenAI: bytes / 4), with the cache
fields as given (default 0). ``thinking_tokens`` is the thinking text's length / 4 (0 without
thinking) and ``output_tokens`` the reply's text and tool-input length / 4 (at least 1) plus
``thinking_tokens``: thinking counts inside the output, as the real API bills it.

Prompt caching (Anthropic)
==========================

``FakeAnthropic`` simulates Anthropic's prompt cache, so that a client's cache breakpoints have
a measurable effect. It runs on every request that gets a :class:`Reply` (also one that fails
mid-stream: the prompt was read by then; not on an ``HttpError``, nor on ``count_tokens``):

- The request is laid out as Anthropic processes it: ``tools`` (one block per tool), then
  ``system`` (a string is one text block, a list one block per entry), then ``messages`` (one
  block per content block; a string content is one text block). The message's role (and any
  other key of the message but ``content``) is part of each block's identity, and the model
  seeds the chain: caches are per model.
- A block's size is ``len(canonical JSON of the block without cache_control) // 4``, at least 1
  (canonical: sorted keys, no spaces); the prompt's total is the sum. ``count_tokens`` answers
  that total.
- Breakpoints are the blocks carrying ``cache_control`` (``{"type": "ephemeral"}``, with
  ``"ttl": "1h"`` for an hour, else 5 minutes), plus, when the body has a top-level
  ``cache_control`` (automatic caching), the last block of the messages (a block already marked
  keeps its own TTL and is not counted twice). More than 4 is a 400.
- A prefix is identified by a hash chained block by block, read at its last block. For each
  breakpoint the fake looks for a live cached prefix ending at it or at one of the 19 blocks
  before it (Anthropic's 20-block lookback), longest first; ``cache_read`` is the longest found
  over all breakpoints, and the entry found is refreshed (its TTL starts again). Then every
  breakpoint's prefix is written (an existing entry keeps the later expiry):
  ``cache_creation`` is the tokens from the end of the read prefix up to the last breakpoint,
  split into ``ephemeral_1h`` / ``ephemeral_5m`` by the TTL of the breakpoint each stretch ends
  at. ``input_tokens = total - cache_read - cache_creation``.
- A prefix shorter than ``min_cache_tokens`` (constructor argument, 1024 as for Sonnet) is
  neither written nor read. TTLs run on ``cache_clock`` (constructor argument,
  ``time.monotonic``): a test can pass its own clock to expire entries at once.
- Not simulated: thinking or ``tool_choice`` changes invalidating the cached messages, the
  order rule for mixed TTLs, and dropping earlier turns' thinking blocks from the prompt.

The cache is per fake instance; ``fake.clear()`` empties it along with the queue and the
records, ``fake.clear_cache()`` empties only it, and ``fake.cache_size`` counts its entries.
What was computed is on each :class:`RecordedRequest`: ``input_tokens``, ``cache_read``,
``cache_creation`` and ``breakpoints`` (block positions, sorted), also when the script's
explicit ``Usage`` made the reply report other numbers.

Scripting
=========

``fake.enqueue(*scripts)`` (thread-safe, callable while requests are in flight) appends to a FIFO
queue; every *accepted* model request consumes the next script. Requests rejected by validation
(401/400/404) and ``count_tokens`` consume nothing. An empty queue answers ``fake.default_reply``,
by default ``Reply(text("OK."))``, so nothing ever hangs.

``default_reply`` (constructor argument or attribute) may also be a :data:`Responder`, a
callable ``(RecordedRequest) -> Script`` called in the server thread for each request that finds
the queue empty, e.g. to answer summary requests by reading the body::

    fake.respond_with(
        lambda r: Reply(text("A summary.")) if "summar" in str(r.json.get("system")) else "OK."
    )

``fake.respond_with(fn)`` sets it. A responder that raises is answered with a 500
(``x-should-retry: false``) whose message is ``default_reply raised <the exception>``.

A script is one of:

``Reply(*parts, usage=None, stop_reason=None, first_token_delay=0.0, chunks_per_second=0.0,
model=None)``
    A model answer. ``parts`` are :func:`text` / :class:`Text` (a bare ``str`` works too),
    :func:`thinking` / :class:`Thinking` and :func:`tool` / :class:`ToolCall`, in any order
    (one Anthropic content block each: ``Reply(thinking("a"), text("x"), thinking("b"),
    tool(…))`` interleaves thinking and text between tool calls), optionally ending in one
    failure, :class:`StreamError` or :class:`Drop`, which then happens after the parts before
    it were sent. ``stop_reason`` defaults to ``"tool_use"`` when there is a tool call, else
    ``"end_turn"``; ``"max_tokens"`` is allowed (OpenAI: ``tool_calls``, ``stop``,
    ``length``). ``model`` defaults to the request's ``model``.

    Text and thinking go out as one delta per word (leading whitespace attached) or per
    ``chunk_size`` characters; tool input JSON is cut into ``pieces`` parts (Anthropic first
    sends an empty ``partial_json``, as the real API does). Deltas are paced at
    ``chunks_per_second`` (from the part, else the reply; 0 means no delay at all). A thinking
    block's ``signature_delta`` goes with its ``content_block_stop``, unpaced; a redacted one
    has no deltas, and its ``content_block_start`` is paced as one delta.

    ``first_token_delay`` is the time between the stream's preamble and the first content delta
    (text, thinking or tool). The preamble is sent at once with the response headers: Anthropic's
    ``message_start`` + ``ping``, OpenAI's ``role`` chunk. The first ``content_block_start`` is
    sent together with the first delta, after the delay. For a non-streaming request, the whole
    response (headers included) is sent after ``first_token_delay``.

``Thinking(text, signature=None, redacted=False, chunk_size=None, chunks_per_second=None)``
    A thinking part of a ``Reply`` (:func:`thinking` takes the same arguments). ``signature``
    (of a redacted block: its ``data``) defaults to an opaque base64 string derived from the
    text (``Thinking(text).opaque()``), so a replayed block hashes the same for the prompt
    cache. ``redacted=True`` sends a ``redacted_thinking`` block (its text is only used for the
    token estimate); OpenAI skips it.

``HttpError(status, retry_after=None, message=None, error_type=None, should_retry=None,
headers={})``
    An HTTP error response with the API's own JSON error body (Anthropic 429
    ``rate_limit_error``, 500 ``api_error``, 529 ``overloaded_error``…; OpenAI 429
    ``code: rate_limit_exceeded``, 5xx ``server_error``…). ``retry_after`` sets
    ``retry-after`` (whole seconds, rounded up) and, when it is not a whole number, also
    ``retry-after-ms``, which both SDKs read first: ``retry_after=0.2`` makes a fast retry.
    ``should_retry`` sets ``x-should-retry: true|false``, which both SDKs obey over the status.

``Hang(seconds, then=None)``
    Accept the request and send nothing, not even headers, for ``seconds``; then answer
    ``then`` (a :class:`Reply` or :class:`HttpError`) if given, and close the connection. A
    client that gives up first is noticed at once (``outcome == "client_disconnected"``).
    ``Hang(0)`` closes without a response: a drop before the headers, which the SDKs turn into
    a retryable ``APIConnectionError``.

``StreamError(error_type=None, message=None)``
    A mid-stream error: Anthropic ``event: error`` with ``{"type": "error", "error":
    {"type": "overloaded_error", "message": "Overloaded"}}`` by default; OpenAI a
    ``data: {"error": {"message", "type": "server_error", "param", "code"}}`` chunk. The body then
    ends cleanly (no ``message_stop``, no ``[DONE]``). On a non-streaming request it becomes
    an HTTP error (Anthropic 529 for ``overloaded_error`` else 500; OpenAI 500).

``Drop(reset=False)``
    Close the TCP connection mid-stream without the terminating zero-length chunk (the client
    sees an incomplete chunked body); ``reset=True`` sends a TCP RST instead of a FIN. On a
    non-streaming request the connection is closed before any response.

A bare ``Drop()``, ``StreamError()``, ``Text``, ``Thinking``, ``ToolCall`` or ``str`` passed to
``enqueue`` (or returned by a responder) is wrapped in a ``Reply``.

Recording and timing
====================

``fake.requests`` is a snapshot list of :class:`RecordedRequest`, in arrival order, including
rejected ones: ``method``, ``path``, ``headers`` (lower-case names), ``body`` (parsed JSON, or
None), ``script`` (what answered it), ``stream``, ``outcome``, the prompt accounting
(``input_tokens``, and for Anthropic ``cache_read``, ``cache_creation`` and ``breakpoints``;
None / ``()`` until a reply is sent) and timestamps, all from ``time.perf_counter()`` (the clock
a benchmark should use too):

- ``received_at``: the request's head and body were fully read;
- ``headers_sent_at``: the response headers were written;
- ``first_delta_at``: the first content delta (text, thinking or tool) was written to the
  socket (for a non-streaming reply: the body was written);
- ``finished_at``: the response ended (completed, failed, dropped, client gone or ``stop()``).

``first_token_delay`` holds the scripted delay and ``overhead`` is
``first_delta_at - received_at - first_token_delay``: what the fake itself added.
``fake.wait_for_requests(n)`` blocks until ``n`` requests have arrived.

What the SDKs do with the failures (anthropic 2.14, openai 3.57, both on ``httpx2``)
====================================================================================

- Anthropic ``event: error``: ``APIStatusError`` (the ``make_status_error`` class for the
  response's status), and since that status is the stream's 200, it is a plain
  ``APIStatusError`` with ``status_code == 200``, not ``OverloadedError``; the error's type is in
  ``err.type`` / ``err.body["error"]["type"]``. It is never retried (the stream had started).
- OpenAI ``data: {"error": …}``: a bare ``openai.APIError`` (not ``APIStatusError``: no
  ``status_code``), with ``err.body`` the inner ``error`` object; never retried.
- ``Drop`` mid-stream, and a read timeout once the headers are in (a ``first_token_delay``
  longer than the client's timeout): anthropic lets the transport's own exception out of the
  body iterator, unwrapped: ``httpx2.RemoteProtocolError`` ("incomplete chunked read") for a
  FIN, ``httpx2.ReadError`` for a RST, ``httpx2.ReadTimeout``. openai wraps them:
  ``openai.APIConnectionError`` / ``openai.APITimeoutError`` (the httpx2 error as
  ``__cause__``). Neither SDK retries anything once the response headers have arrived.
- Before the headers (``Hang``), both raise ``APITimeoutError`` / ``APIConnectionError`` and
  retry it while ``max_retries`` allows; each retry consumes the next script.
- 529 from Anthropic: ``anthropic.OverloadedError`` (a subclass of ``InternalServerError``),
  retried like any 5xx. OpenAI has no 529; the fake sends it as a ``server_error``, which the
  SDK raises as ``InternalServerError``. Both SDKs honour ``retry-after-ms`` before
  ``retry-after``, and ``x-should-retry`` before the status code.
- anthropic 2.14 sends ``api_key`` as ``Authorization: Bearer …``, not ``x-api-key``; the fake
  accepts either.

Performance: the server loop runs on uvloop when installed. 200 concurrent streams at 50
chunks/s for 10 s (100k SSE events) all end within 30 ms of their scripted 9.98 s and use about
0.4 of one core; with the clients in the same process they share its GIL.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import hashlib
import itertools
import json
import math
import re
import secrets
import socket
import string
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal, Self, TypeAlias

__all__ = [
    "Drop",
    "FakeAnthropic",
    "FakeOpenAI",
    "Hang",
    "HttpError",
    "Outcome",
    "RecordedRequest",
    "Reply",
    "Responder",
    "Script",
    "StreamError",
    "Text",
    "Thinking",
    "ToolCall",
    "Usage",
    "text",
    "thinking",
    "tool",
]

# --------------------------------------------------------------------------------------------
# Scripts
# --------------------------------------------------------------------------------------------

StopReason: TypeAlias = Literal["end_turn", "tool_use", "max_tokens"]

_WORDS = re.compile(r"\s*\S+|\s+$")


@dataclass(frozen=True)
class Usage:
    """Token counts, in Anthropic's terms (see the module docstring for the OpenAI mapping).

    ``None`` means "estimate": input from the request (Anthropic: its blocks, OpenAI: its
    size), output from the reply, thinking from the reply's thinking text. Giving a ``Usage``
    at all turns off the prompt-cache numbers: the cache fields are sent as given.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    thinking_tokens: int | None = None


def _split_text(text: str, chunk_size: int | None) -> list[str]:
    """Deltas that concatenate back to ``text``: per word, or per ``chunk_size`` characters."""
    if chunk_size is not None:
        size = max(1, chunk_size)
        return [text[i : i + size] for i in range(0, len(text), size)]
    return _WORDS.findall(text)


@dataclass(frozen=True)
class Text:
    """Streamed text: one delta per word, or per ``chunk_size`` characters."""

    text: str
    chunk_size: int | None = None
    chunks_per_second: float | None = None

    def pieces(self) -> list[str]:
        """The deltas, which concatenate back to ``text``."""
        return _split_text(self.text, self.chunk_size)


@dataclass(frozen=True)
class Thinking:
    """A thinking block, streamed like text; ``redacted`` sends an opaque block instead.

    ``signature`` (or, redacted, the block's ``data``) defaults to an opaque string derived
    from ``text``, so the same thinking always carries the same signature.
    """

    text: str
    signature: str | None = None
    redacted: bool = False
    chunk_size: int | None = None
    chunks_per_second: float | None = None

    def pieces(self) -> list[str]:
        """The ``thinking_delta`` texts, which concatenate back to ``text``."""
        return _split_text(self.text, self.chunk_size)

    def opaque(self) -> str:
        """The signature (or redacted ``data``): given, or base64 of a digest of the text."""
        if self.signature is not None:
            return self.signature
        # Real signatures are long base64 blobs; a digest keeps this one stable across replays,
        # so a conversation that sends the block back hashes the same for the prompt cache.
        kind = b"redacted" if self.redacted else b"thinking"
        digest = hashlib.sha256(kind + b"\0" + self.text.encode()).digest()
        return "Eq" + base64.b64encode(b"\x12\x18" + digest * 3).decode()


@dataclass(frozen=True)
class ToolCall:
    """A tool call whose JSON input is streamed in ``pieces`` parts.

    ``raw_json`` replaces the serialised ``input`` verbatim (e.g. malformed JSON, to test how a
    caller copes); non-streaming Anthropic replies then carry ``input`` parsed from it, or ``{}``.
    """

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None
    pieces: int = 4
    chunks_per_second: float | None = None
    raw_json: str | None = None

    def arguments(self, *, compact: bool) -> str:
        """The input as JSON text: compact as OpenAI sends it, spaced as Anthropic does."""
        if self.raw_json is not None:
            return self.raw_json
        separators = (",", ":") if compact else (", ", ": ")
        return json.dumps(self.input, ensure_ascii=False, separators=separators)

    def split(self, *, compact: bool) -> list[str]:
        """The JSON text cut into ``pieces`` roughly equal, non-empty parts."""
        payload = self.arguments(compact=compact)
        count = max(1, min(self.pieces, len(payload)))
        bounds = [round(i * len(payload) / count) for i in range(count + 1)]
        return [payload[a:b] for a, b in itertools.pairwise(bounds) if a < b]


@dataclass(frozen=True)
class StreamError:
    """A mid-stream error event; ``None`` fields take each API's defaults."""

    error_type: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Drop:
    """Close the connection abruptly: FIN without the last chunk, or RST with ``reset=True``."""

    reset: bool = False


Part: TypeAlias = Text | ToolCall | Thinking


@dataclass(frozen=True, init=False)
class Reply:
    """A scripted model answer: content parts, optionally ending in a failure."""

    parts: tuple[Part, ...]
    failure: StreamError | Drop | None
    usage: Usage | None
    stop_reason: StopReason | None
    first_token_delay: float
    chunks_per_second: float
    model: str | None

    def __init__(
        self,
        *parts: Part | str | StreamError | Drop,
        usage: Usage | None = None,
        stop_reason: StopReason | None = None,
        first_token_delay: float = 0.0,
        chunks_per_second: float = 0.0,
        model: str | None = None,
    ) -> None:
        content: list[Part] = []
        failure: StreamError | Drop | None = None
        for i, part in enumerate(parts):
            if isinstance(part, StreamError | Drop):
                if i != len(parts) - 1:
                    raise ValueError("a StreamError or Drop must be the last part of a Reply")
                failure = part
            elif isinstance(part, str):
                content.append(Text(part))
            elif isinstance(part, Text | ToolCall | Thinking):
                content.append(part)
            else:
                raise TypeError(f"not a Reply part: {part!r}")
        object.__setattr__(self, "parts", tuple(content))
        object.__setattr__(self, "failure", failure)
        object.__setattr__(self, "usage", usage)
        object.__setattr__(self, "stop_reason", stop_reason)
        object.__setattr__(self, "first_token_delay", first_token_delay)
        object.__setattr__(self, "chunks_per_second", chunks_per_second)
        object.__setattr__(self, "model", model)

    @property
    def resolved_stop_reason(self) -> StopReason:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if any(isinstance(p, ToolCall) for p in self.parts) else "end_turn"

    def interval(self, part: Part) -> float:
        """Seconds between two deltas of ``part``."""
        rate = self.chunks_per_second if part.chunks_per_second is None else part.chunks_per_second
        return 1.0 / rate if rate > 0 else 0.0

    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, Text))

    def reasoning(self) -> str:
        """The text of the thinking parts that are not redacted."""
        return "".join(p.text for p in self.thinking_parts() if not p.redacted)

    def thinking_parts(self) -> list[Thinking]:
        return [p for p in self.parts if isinstance(p, Thinking)]

    def tool_calls(self) -> list[ToolCall]:
        return [p for p in self.parts if isinstance(p, ToolCall)]


@dataclass(frozen=True)
class HttpError:
    """An HTTP error response with the API's own error body."""

    status: int
    retry_after: float | None = None
    message: str | None = None
    error_type: str | None = None
    should_retry: bool | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def response_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = str(math.ceil(self.retry_after))
            if self.retry_after != math.ceil(self.retry_after):
                headers["retry-after-ms"] = str(round(self.retry_after * 1000))
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        headers.update({k.lower(): v for k, v in self.headers.items()})
        return headers


@dataclass(frozen=True)
class Hang:
    """Send nothing for ``seconds``; then answer ``then`` (if any) and close the connection."""

    seconds: float
    then: Reply | HttpError | None = None


Script: TypeAlias = Reply | HttpError | Hang | StreamError | Drop | Text | ToolCall | Thinking | str


def text(
    text: str, *, chunk_size: int | None = None, chunks_per_second: float | None = None
) -> Text:
    """Streamed text, word by word unless ``chunk_size`` is given."""
    return Text(text, chunk_size=chunk_size, chunks_per_second=chunks_per_second)


def thinking(
    text: str,
    *,
    signature: str | None = None,
    redacted: bool = False,
    chunk_size: int | None = None,
    chunks_per_second: float | None = None,
) -> Thinking:
    """A thinking block (word by word unless ``chunk_size``); ``redacted`` sends no text."""
    return Thinking(
        text,
        signature=signature,
        redacted=redacted,
        chunk_size=chunk_size,
        chunks_per_second=chunks_per_second,
    )


def tool(
    name: str,
    input: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    pieces: int = 4,
    chunks_per_second: float | None = None,
    raw_json: str | None = None,
) -> ToolCall:
    """A tool call; ``id`` defaults to a fresh ``toolu_…`` / ``call_…`` id."""
    return ToolCall(
        name,
        dict(input or {}),
        id=id,
        pieces=pieces,
        chunks_per_second=chunks_per_second,
        raw_json=raw_json,
    )


def _as_script(item: Script) -> Reply | HttpError | Hang:
    if isinstance(item, Reply | HttpError | Hang):
        return item
    if isinstance(item, StreamError | Drop | Text | ToolCall | Thinking | str):
        return Reply(item)
    raise TypeError(f"not a script: {item!r}")


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------

Outcome: TypeAlias = Literal[
    "pending",  # still being answered
    "completed",  # a full reply was sent
    "rejected",  # failed validation (401/400/404/405); consumed no script
    "http_error",  # a scripted HttpError was sent
    "stream_error",  # a mid-stream error event was sent
    "dropped",  # the connection was dropped as scripted
    "hang_expired",  # a Hang without `then` ran its course; the connection was closed
    "client_disconnected",  # the client went away before the reply ended
    "server_stopped",  # stop() cut the reply short
]


@dataclass
class RecordedRequest:
    """One request the fake received, with what it answered and when (``perf_counter`` s)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    script: Reply | HttpError | Hang | None = None
    stream: bool = False
    first_token_delay: float = 0.0
    headers_sent_at: float | None = None
    first_delta_at: float | None = None
    finished_at: float | None = None
    outcome: Outcome = "pending"
    # The prompt accounting of an answered model request (None before, or when rejected):
    # Anthropic's cache simulation, OpenAI's size estimate (no cache numbers).
    input_tokens: int | None = None
    cache_read: int | None = None
    cache_creation: int | None = None
    breakpoints: tuple[int, ...] = ()

    @property
    def json(self) -> dict[str, Any]:
        """The body as a dict (``{}`` when it was not a JSON object)."""
        return self.body if isinstance(self.body, dict) else {}

    @property
    def time_to_first_delta(self) -> float | None:
        if self.first_delta_at is None:
            return None
        return self.first_delta_at - self.received_at

    @property
    def overhead(self) -> float | None:
        """Time to first delta minus the scripted ``first_token_delay``."""
        ttfd = self.time_to_first_delta
        return None if ttfd is None else ttfd - self.first_token_delay


Responder: TypeAlias = Callable[[RecordedRequest], Script]
"""Answers a request that finds the queue empty (called in the server thread)."""


# --------------------------------------------------------------------------------------------
# Prompt caching (Anthropic)
# --------------------------------------------------------------------------------------------

_MAX_BREAKPOINTS = 4
_LOOKBACK_BLOCKS = 20  # a breakpoint finds an entry ending at it or at the 19 blocks before it
_TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _ttl_seconds(cache_control: Any) -> float | None:
    """The lifetime a ``cache_control`` asks for; None when it is not a breakpoint."""
    if not isinstance(cache_control, dict):
        return None
    return _TTL_SECONDS["1h"] if cache_control.get("ttl") == "1h" else _TTL_SECONDS["5m"]


def _prompt_blocks(body: Mapping[str, Any]) -> Iterable[tuple[Any, Any, bool]]:
    """(context, block, in_messages) for every block, in the order Anthropic processes them.

    The context is part of a block's identity: its section, or for a message block every key
    of its message but ``content`` (the role, mostly).
    """
    tools = body.get("tools")
    for tool_definition in tools if isinstance(tools, list) else []:
        yield "tools", tool_definition, False
    system = body.get("system")
    if isinstance(system, str):
        # A string is the same prompt as one text block, so it should cache the same.
        system = [{"type": "text", "text": system}] if system else []
    for block in system if isinstance(system, list) else []:
        yield "system", block, False
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            yield "messages", message, True
            continue
        context = {key: value for key, value in message.items() if key != "content"}
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        for block in content if isinstance(content, list) else [content]:
            yield context, block, True


@dataclass(frozen=True)
class _Prompt:
    """A request's blocks as prefix hashes, prefix sizes and cache breakpoints."""

    hashes: tuple[bytes, ...]  # hashes[i] identifies the prefix that ends at block i
    ends: tuple[int, ...]  # ends[i]: the tokens of that prefix
    breakpoints: Mapping[int, float]  # block position -> TTL in seconds

    @property
    def total(self) -> int:
        return self.ends[-1] if self.ends else 1

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> _Prompt:
        # Caches are per model, as Anthropic's are: the model seeds the hash chain.
        digest = hashlib.blake2b(_canonical(body.get("model")).encode(), digest_size=16).digest()
        hashes: list[bytes] = []
        ends: list[int] = []
        breakpoints: dict[int, float] = {}
        total = 0
        last_message_block: int | None = None
        for position, (context, block, in_messages) in enumerate(_prompt_blocks(body)):
            cache_control = block.get("cache_control") if isinstance(block, dict) else None
            if isinstance(block, dict):
                block = {key: value for key, value in block.items() if key != "cache_control"}
            content = _canonical(block)
            total += max(1, len(content) // 4)
            link = _canonical(context) + "\0" + content
            digest = hashlib.blake2b(digest + link.encode(), digest_size=16).digest()
            hashes.append(digest)
            ends.append(total)
            if (ttl := _ttl_seconds(cache_control)) is not None:
                breakpoints[position] = ttl
            if in_messages:
                last_message_block = position
        automatic = _ttl_seconds(body.get("cache_control"))
        if automatic is not None and last_message_block is not None:
            # Automatic caching marks the last block; one already marked keeps its own TTL.
            breakpoints.setdefault(last_message_block, automatic)
        return cls(tuple(hashes), tuple(ends), breakpoints)


@dataclass(frozen=True)
class _PromptCost:
    """What one request's prompt cost: read from the cache, written to it, and the rest."""

    total: int
    cache_read: int
    cache_creation: int
    cache_creation_1h: int
    breakpoints: tuple[int, ...]

    @property
    def input_tokens(self) -> int:
        return self.total - self.cache_read - self.cache_creation


class _PromptCache:
    """Cached prefixes (by the hash at their last block) and when each expires."""

    def __init__(self, min_tokens: int, clock: Callable[[], float]) -> None:
        self.min_tokens = min_tokens
        self.clock = clock
        self._entries: dict[bytes, tuple[float, float]] = {}  # hash -> (expires at, TTL)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def process(self, prompt: _Prompt) -> _PromptCost:
        """Read the longest cached prefix, then write every breakpoint's prefix."""
        with self._lock:
            now = self.clock()
            self._entries = {h: e for h, e in self._entries.items() if e[0] > now}
            read_end = self._read(prompt, now)
            cache_read = prompt.ends[read_end] if read_end >= 0 else 0
            creation, creation_1h = self._write(prompt, now, cache_read)
        return _PromptCost(
            total=prompt.total,
            cache_read=cache_read,
            cache_creation=creation,
            cache_creation_1h=creation_1h,
            breakpoints=tuple(sorted(prompt.breakpoints)),
        )

    def _read(self, prompt: _Prompt, now: float) -> int:
        """The last block of the longest cached prefix a breakpoint finds, or -1."""
        found = -1
        for position in prompt.breakpoints:
            for candidate in range(position, max(position - _LOOKBACK_BLOCKS, -1), -1):
                entry = self._entries.get(prompt.hashes[candidate])
                if entry is None or prompt.ends[candidate] < self.min_tokens:
                    continue
                self._entries[prompt.hashes[candidate]] = (now + entry[1], entry[1])
                found = max(found, candidate)
                break
        return found

    def _write(self, prompt: _Prompt, now: float, cached: int) -> tuple[int, int]:
        """Store every breakpoint's prefix; (tokens written, of which for an hour)."""
        written = written_1h = 0
        for position in sorted(prompt.breakpoints):
            end = prompt.ends[position]
            if end < self.min_tokens:
                continue  # too short to cache at all
            ttl = prompt.breakpoints[position]
            expires, kept_ttl = self._entries.get(prompt.hashes[position], (0.0, 0.0))
            self._entries[prompt.hashes[position]] = (
                max(expires, now + ttl),
                max(kept_ttl, ttl),
            )
            if end > cached:
                # The tokens from the end of what was cached so far up to this breakpoint are
                # written under its TTL, as Anthropic splits ephemeral_5m / ephemeral_1h.
                written += end - cached
                written_1h += end - cached if ttl == _TTL_SECONDS["1h"] else 0
                cached = end
        return written, written_1h


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------

_ALNUM = string.ascii_letters + string.digits
_REASONS = {529: "Site Overloaded"}


def _random_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _REASONS.get(status, "Unknown")


def _new_event_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class _ClientGone(Exception):
    """The client closed the connection."""


@dataclass
class _HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any
    keep_alive: bool
    prompt: _Prompt | None = None  # Anthropic: laid out by validation
    cost: _PromptCost | None = None  # Anthropic: what the prompt cache made of it

    def json_dict(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    def json_model(self) -> str:
        model = self.json_dict().get("model")
        return model if isinstance(model, str) else "unknown-model"


@dataclass(frozen=True)
class _Tokens:
    """One reply's usage, in Anthropic's terms."""

    input: int
    output: int  # thinking included
    cache_creation: int
    cache_read: int
    cache_creation_1h: int  # of cache_creation, written with a one-hour TTL
    thinking: int


@dataclass
class _HttpResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Event:
    """Bytes of one or more SSE events, sent ``gap`` seconds after the previous ``_Event``."""

    data: bytes
    gap: float = 0.0
    content: bool = False


@dataclass
class _StreamPlan:
    preamble: bytes
    events: list[_Event]
    failure: StreamError | Drop | None


class _Connection:
    """One client connection: reads HTTP/1.1 requests, writes raw responses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read_request(self) -> _HttpRequest | None:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raw_body = await self._read_chunked()
        else:
            raw_body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        try:
            body: Any = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection and (
            version.upper() == "HTTP/1.1" or "keep-alive" in connection
        )
        path = target.split("?", 1)[0]
        return _HttpRequest(method.upper(), path, headers, raw_body, body, keep_alive)

    async def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def head(self, status: int, headers: Mapping[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_reason(status)}"]
        lines.append(f"date: {email.utils.formatdate(usegmt=True)}")
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise _ClientGone
        self.writer.write(data)
        try:
            await self.writer.drain()
        except ConnectionError as exc:
            raise _ClientGone from exc

    async def wait_or_client_gone(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the client closes first; True if it is still there.

        Bytes the client sends meanwhile are discarded: HTTP/1.1 clients do not pipeline.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except TimeoutError:
                return True
            except ConnectionError:
                return False
            if not data:
                return False
        return True

    def close(self, *, reset: bool = False) -> None:
        if reset:
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.writer.transport.abort()
        else:
            self.writer.close()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class _FakeLLMServer:
    """The threaded asyncio HTTP server and the script queue; subclasses speak one API."""

    request_id_header = "request-id"
    id_prefix = "req_"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        default_reply: Script | Responder | None = None,
        models: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        use_uvloop: bool = True,
    ) -> None:
        """Configure (``start()`` or ``with`` serves).

        ``api_key``: if set, any other key gets a 401; if None, any non-empty key passes.
        ``default_reply``: what answers a request that finds the queue empty: a script, or a
        :data:`Responder` called with the request's record.
        ``models``: if set, a request for any other model gets a 404 and consumes no script.
        ``use_uvloop``: run the server's loop on uvloop when it is installed (it comes with
        ``uvicorn[standard]``); it needs about 40% less CPU per streamed chunk than asyncio's.
        """
        self.api_key = api_key
        self.use_uvloop = use_uvloop
        self.default_reply: Script | Responder = default_reply or Reply(text("OK."))
        self.models: frozenset[str] | None = None if models is None else frozenset(models)
        self.host = host
        self.port = port
        self._lock = threading.Condition()
        self._queue: deque[Reply | HttpError | Hang] = deque()
        self._records: list[RecordedRequest] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a background thread; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("already started")
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = _new_event_loop(self.use_uvloop)
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(
                        self._handle, self.host, self.port, backlog=2048, limit=1 << 20
                    )
                )
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                started.set()
                loop.close()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close the listener and every connection (hung ones included), then the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        self._thread = None
        self._loop = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test-facing API -----------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url``, verbatim."""
        return self.root_url

    def enqueue(self, *scripts: Script) -> None:
        """Queue scripted answers; each accepted request consumes the next one."""
        items = [_as_script(s) for s in scripts]
        with self._lock:
            self._queue.extend(items)

    @property
    def pending(self) -> int:
        """Scripts not yet consumed."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot list)."""
        with self._lock:
            return list(self._records)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the requests that were answered by a script (not rejected)."""
        return [r.json for r in self.requests if r.outcome != "rejected"]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests have arrived (TimeoutError otherwise)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._records) >= count, timeout):
                raise TimeoutError(f"{len(self._records)} of {count} requests after {timeout}s")
            return list(self._records)

    def clear(self) -> None:
        """Forget queued scripts and recorded requests."""
        with self._lock:
            self._queue.clear()
            self._records.clear()

    def respond_with(self, responder: Responder) -> None:
        """Answer requests that find the queue empty with ``responder(record)``."""
        self.default_reply = responder

    # -- request handling ----------------------------------------------------------------------

    def _next_script(self, record: RecordedRequest) -> Reply | HttpError | Hang:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            default = self.default_reply
        if not callable(default):
            return _as_script(default)
        # Outside the lock: a responder may well look at fake.requests or enqueue.
        try:
            return _as_script(default(record))
        except Exception as exc:  # shown to the client, so the failing test names the cause
            return HttpError(500, message=f"default_reply raised {exc!r}", should_retry=False)

    def _record(self, request: _HttpRequest) -> RecordedRequest:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=request.headers,
            body=request.body,
            received_at=time.perf_counter(),
            stream=isinstance(request.body, dict) and request.body.get("stream") is True,
        )
        with self._lock:
            self._records.append(record)
            self._lock.notify_all()
        return record

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = _Connection(reader, writer)
        try:
            while True:
                request = await conn.read_request()
                if request is None:
                    break
                if not await self._serve(conn, request) or not request.keep_alive:
                    break
        except (_ClientGone, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass  # stop() closes every connection; asyncio 3.11 would log a cancelled handler
        finally:
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _serve(self, conn: _Connection, request: _HttpRequest) -> bool:
        """Answer one request; False when the connection must not be reused."""
        record = self._record(request)
        try:
            rejection = self._validate(request)
            if rejection is not None:
                await self._send_json(conn, record, rejection, outcome="rejected")
                return True
            if self._is_side_route(request):
                response = self._side_route(request)
                await self._send_json(conn, record, response, outcome="completed")
                return True
            script = self._next_script(record)
            record.script = script
            return await self._answer(conn, request, record, script)
        except _ClientGone:
            self._finish(record, "client_disconnected")
            return False
        except asyncio.CancelledError:
            self._finish(record, "server_stopped")
            raise
        finally:
            if record.outcome == "pending":
                self._finish(record, "client_disconnected")

    async def _answer(
        self,
        conn: _Connection,
        request: _HttpRequest,
        record: RecordedRequest,
        script: Reply | HttpError | Hang,
    ) -> bool:
        if isinstance(script, Hang):
            if not await conn.wait_or_client_gone(script.seconds):
                self._finish(record, "client_disconnected")
                return False
            if script.then is None:
                self._finish(record, "hang_expired")
            else:
                await self._answer(conn, request, record, script.then)
            conn.close()
            return False
        if isinstance(script, HttpError):
            await self._send_json(conn, record, self._http_error(script), outcome="http_error")
            return True
        record.first_token_delay = script.first_token_delay
        self._account(request, record)
        if record.stream:
            return await self._stream(conn, request, record, script)
        return await self._reply_json(conn, request, record, script)

    async def _reply_json(
        self, conn: _Connection, request: _HttpRequest, record: RecordedRequest, reply: Reply
    ) -> bool:
        if reply.first_token_delay > 0 and not await conn.wait_or_client_gone(
            reply.first_token_delay
        ):
            self._finish(record, "client_disconnected")
            return False
        if isinstance(reply.failure, Drop):
            self._finish(record, "dropped")
            conn.close(reset=reply.failure.reset)
            return False
        if isinstance(reply.failure, StreamError):
            error = self._http_error(self._stream_error_as_http(reply.failure))
            await self._send_json(conn, record, error, outcome="stream_error")
            return True
        response = _HttpResponse(200, self._message_body(reply, request))
        record.first_delta_at = time.perf_counter()
        await self._send_json(conn, record, response, outcome="completed")
        return True

    async def _send_json(
        self, conn: _Connection, record: RecordedRequest, response: _HttpResponse, outcome: Outcome
    ) -> None:
        payload = _dumps(response.body).encode()
        headers = {
            "content-type": "application/json",
            "content-length": str(len(payload)),
            self.request_id_header: _random_id(self.id_prefix, 24),
            **response.headers,
        }
        record.headers_sent_at = time.perf_counter()
        await conn.send(conn.head(response.status, headers) + payload)
        self._finish(record, outcome)

    async def _stream(
        self, conn: _Connection, request: _HttpRequest, record: RecordedRequest, reply: Reply
    ) -> bool:
        plan = self._stream_plan(reply, request)
        headers = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
            self.request_id_header: _random_id(self.id_prefix, 24),
        }
        loop = asyncio.get_running_loop()
        record.headers_sent_at = time.perf_counter()
        await conn.send(conn.head(200, headers) + _chunk(plan.preamble))
        due = loop.time()
        batch: list[bytes] = []
        for event in plan.events:
            due += event.gap
            if (wait := due - loop.time()) > 0:
                if batch:
                    await conn.send(b"".join(batch))
                    batch.clear()
                await asyncio.sleep(wait)
            if event.content and record.first_delta_at is None:
                await conn.send(b"".join(batch) + _chunk(event.data))
                batch.clear()
                record.first_delta_at = time.perf_counter()
            elif event.data:
                batch.append(_chunk(event.data))
        if isinstance(plan.failure, Drop):
            if batch:
                await conn.send(b"".join(batch))
            self._finish(record, "dropped")
            conn.close(reset=plan.failure.reset)
            return False
        batch.append(b"0\r\n\r\n")
        await conn.send(b"".join(batch))
        self._finish(record, "stream_error" if plan.failure else "completed")
        return True

    def _finish(self, record: RecordedRequest, outcome: Outcome) -> None:
        record.finished_at = time.perf_counter()
        record.outcome = outcome

    @staticmethod
    def _estimate_output(reply: Reply) -> int:
        """Visible output (text and tool input) at 4 characters a token."""
        chars = len(reply.text()) + sum(len(t.arguments(compact=True)) for t in reply.tool_calls())
        return max(1, chars // 4)

    @staticmethod
    def _estimate_thinking(reply: Reply) -> int:
        chars = sum(len(part.text) for part in reply.thinking_parts())
        return max(1, chars // 4) if chars else 0

    def _estimate_input(self, request: _HttpRequest) -> int:
        return max(1, len(request.raw_body) // 4)

    def _account(self, request: _HttpRequest, record: RecordedRequest) -> None:
        """Work out (and record) the prompt's tokens, just before a reply is sent."""
        record.input_tokens = self._estimate_input(request)

    def _tokens(self, reply: Reply, request: _HttpRequest) -> _Tokens:
        """The usage to report: the script's numbers where given, else estimates."""
        thinking_tokens = self._estimate_thinking(reply)
        if reply.usage is None and request.cost is not None:
            cost = request.cost
            return _Tokens(
                input=cost.input_tokens,
                output=self._estimate_output(reply) + thinking_tokens,
                cache_creation=cost.cache_creation,
                cache_read=cost.cache_read,
                cache_creation_1h=cost.cache_creation_1h,
                thinking=thinking_tokens,
            )
        usage = reply.usage or Usage()
        if usage.thinking_tokens is not None:
            thinking_tokens = usage.thinking_tokens
        output = usage.output_tokens
        if output is None:
            output = self._estimate_output(reply) + thinking_tokens
        return _Tokens(
            input=self._estimate_input(request)
            if usage.input_tokens is None
            else usage.input_tokens,
            output=output,
            cache_creation=usage.cache_creation_input_tokens,
            cache_read=usage.cache_read_input_tokens,
            cache_creation_1h=0,
            thinking=thinking_tokens,
        )

    @staticmethod
    def _plan_events(
        reply: Reply, blocks: list[tuple[bytes, list[bytes], bytes, float]], failure: bytes | None
    ) -> list[_Event]:
        """Pace the content deltas of ``blocks`` (start, deltas, stop, interval).

        The first content delta comes ``first_token_delay`` after the preamble and each later
        one an interval after the one before; a block's start goes with its first delta and
        its stop with whatever comes next.
        """
        events: list[_Event] = []
        first = True
        carry = b""
        last_interval = 0.0
        for start, deltas, stop, interval in blocks:
            carry += start
            for delta in deltas:
                gap = reply.first_token_delay if first else interval
                events.append(_Event(carry + delta, gap=gap, content=True))
                carry = b""
                first = False
            carry += stop
            last_interval = interval
        if failure is not None:
            gap = reply.first_token_delay if first else last_interval
            events.append(_Event(carry + failure, gap=gap))
        elif carry:
            events.append(_Event(carry))
        return events

    # -- the API dialect (subclasses) ----------------------------------------------------------

    def _validate(self, request: _HttpRequest) -> _HttpResponse | None:
        raise NotImplementedError

    def _is_side_route(self, request: _HttpRequest) -> bool:
        return False

    def _side_route(self, request: _HttpRequest) -> _HttpResponse:
        raise NotImplementedError

    def _http_error(self, error: HttpError) -> _HttpResponse:
        raise NotImplementedError

    def _stream_error_as_http(self, error: StreamError) -> HttpError:
        raise NotImplementedError

    def _message_body(self, reply: Reply, request: _HttpRequest) -> dict[str, Any]:
        raise NotImplementedError

    def _stream_plan(self, reply: Reply, request: _HttpRequest) -> _StreamPlan:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# Anthropic
# --------------------------------------------------------------------------------------------

_ANTHROPIC_ERROR_TYPES = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "Not found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization. Please try again later.",
    ),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def _sse(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {_dumps(data)}\n\n".encode()


def _block_start(index: int, block: Mapping[str, Any]) -> bytes:
    return _sse(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def _block_delta(index: int, delta: Mapping[str, Any]) -> bytes:
    return _sse(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


class FakeAnthropic(_FakeLLMServer):
    """A fake Anthropic Messages API. Give the SDK ``base_url=fake.base_url``.

    Example::

        with FakeAnthropic() as fake:
            fake.enqueue(Reply(text("Hello!"), tool("DocumentSearch", {"query": "refunds"})))
            client = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="test-key")
            async with client.messages.stream(model=..., max_tokens=..., messages=...) as s:
                message = await s.get_final_message()
            assert fake.requests[0].json["messages"][0]["role"] == "user"
            print(fake.requests[0].cache_read, fake.requests[0].cache_creation)
    """

    request_id_header = "request-id"
    id_prefix = "req_011C"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        default_reply: Script | Responder | None = None,
        models: Iterable[str] | None = None,
        min_cache_tokens: int = 1024,
        cache_clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        use_uvloop: bool = True,
    ) -> None:
        """Configure, as for every fake, plus the prompt cache.

        ``min_cache_tokens``: the shortest prefix the cache keeps (1024, as for Sonnet).
        ``cache_clock``: what the cache's TTLs are measured on, in seconds; a test can pass
        its own to expire entries without waiting five minutes.
        """
        super().__init__(
            api_key=api_key,
            default_reply=default_reply,
            models=models,
            host=host,
            port=port,
            use_uvloop=use_uvloop,
        )
        self._cache = _PromptCache(min_cache_tokens, cache_clock)

    @property
    def min_cache_tokens(self) -> int:
        return self._cache.min_tokens

    @property
    def cache_size(self) -> int:
        """How many prefixes the prompt cache holds (expired ones go at the next request)."""
        return len(self._cache)

    def clear(self) -> None:
        """Forget queued scripts, recorded requests and the prompt cache."""
        super().clear()
        self.clear_cache()

    def clear_cache(self) -> None:
        """Empty the prompt cache, as if every entry had expired."""
        self._cache.clear()

    def _error(self, status: int, error_type: str, message: str) -> _HttpResponse:
        body = {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": _random_id(self.id_prefix, 20),
        }
        return _HttpResponse(status, body)

    def _validate(self, request: _HttpRequest) -> _HttpResponse | None:
        if request.path not in ("/v1/messages", "/v1/messages/count_tokens"):
            return self._error(
                404,
                "not_found_error",
                f"Not found: {request.method} {request.path} (FakeAnthropic serves /v1/messages;"
                f" give the SDK base_url={self.base_url!r})",
            )
        if request.method != "POST":
            return self._error(405, "invalid_request_error", f"Method {request.method} not allowed")
        key = request.headers.get("x-api-key")
        authorization = request.headers.get("authorization", "")
        if not key and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        if not key:
            return self._error(401, "authentication_error", "x-api-key header is required")
        if self.api_key is not None and key != self.api_key:
            return self._error(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return self._error(
                400, "invalid_request_error", "anthropic-version: header is required"
            )
        body = request.body
        if not isinstance(body, dict):
            return self._error(400, "invalid_request_error", "The request body is not valid JSON.")
        required = ["model", "messages"]
        if request.path == "/v1/messages":
            required.append("max_tokens")
        for name in required:
            if name not in body:
                return self._error(400, "invalid_request_error", f"{name}: Field required")
        if not isinstance(body["messages"], list):
            return self._error(400, "invalid_request_error", "messages: Input should be a list")
        if self.models is not None and body["model"] not in self.models:
            # What the real API answers for a model name it does not serve (or has retired).
            return self._error(404, "not_found_error", f"model: {body['model']}")
        request.prompt = _Prompt.of(body)
        found = len(request.prompt.breakpoints)
        if found > _MAX_BREAKPOINTS:
            return self._error(
                400,
                "invalid_request_error",
                f"A maximum of {_MAX_BREAKPOINTS} blocks with cache_control may be provided."
                f" Found {found}.",
            )
        return None

    def _is_side_route(self, request: _HttpRequest) -> bool:
        return request.path == "/v1/messages/count_tokens"

    def _side_route(self, request: _HttpRequest) -> _HttpResponse:
        return _HttpResponse(200, {"input_tokens": self._estimate_input(request)})

    def _estimate_input(self, request: _HttpRequest) -> int:
        if request.prompt is None:
            return super()._estimate_input(request)
        return request.prompt.total

    def _account(self, request: _HttpRequest, record: RecordedRequest) -> None:
        if request.prompt is None:
            super()._account(request, record)
            return
        cost = self._cache.process(request.prompt)
        request.cost = cost
        record.input_tokens = cost.input_tokens
        record.cache_read = cost.cache_read
        record.cache_creation = cost.cache_creation
        record.breakpoints = cost.breakpoints

    def _http_error(self, error: HttpError) -> _HttpResponse:
        default_type, default_message = _ANTHROPIC_ERROR_TYPES.get(
            error.status,
            ("api_error", "Internal server error")
            if error.status >= 500
            else ("invalid_request_error", "Invalid request"),
        )
        response = self._error(
            error.status, error.error_type or default_type, error.message or default_message
        )
        response.headers.update(error.response_headers())
        return response

    def _stream_error_as_http(self, error: StreamError) -> HttpError:
        error_type = error.error_type or "overloaded_error"
        status = 529 if error_type == "overloaded_error" else 500
        return HttpError(status, message=error.message, error_type=error_type)

    @staticmethod
    def _usage(tokens: _Tokens, *, output: int, thinking: int) -> dict[str, Any]:
        return {
            "input_tokens": tokens.input,
            "cache_creation_input_tokens": tokens.cache_creation,
            "cache_read_input_tokens": tokens.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": tokens.cache_creation - tokens.cache_creation_1h,
                "ephemeral_1h_input_tokens": tokens.cache_creation_1h,
            },
            "output_tokens": output,
            "output_tokens_details": {"thinking_tokens": thinking},
            "service_tier": "standard",
        }

    def _tool_ids(self, reply: Reply) -> list[str]:
        return [t.id or _random_id("toolu_01", 22) for t in reply.tool_calls()]

    @staticmethod
    def _content_block(part: Part, ids: Iterator[str]) -> dict[str, Any]:
        """A part as a block of a non-streaming reply's ``content``."""
        if isinstance(part, Text):
            return {"type": "text", "text": part.text}
        if isinstance(part, Thinking):
            if part.redacted:
                return {"type": "redacted_thinking", "data": part.opaque()}
            return {"type": "thinking", "thinking": part.text, "signature": part.opaque()}
        try:
            tool_input = json.loads(part.arguments(compact=False))
        except ValueError:
            tool_input = {}
        return {"type": "tool_use", "id": next(ids), "name": part.name, "input": tool_input}

    def _message_body(self, reply: Reply, request: _HttpRequest) -> dict[str, Any]:
        tokens = self._tokens(reply, request)
        ids = iter(self._tool_ids(reply))
        return {
            "id": _random_id("msg_01", 22),
            "type": "message",
            "role": "assistant",
            "model": reply.model or request.json_model(),
            "content": [self._content_block(part, ids) for part in reply.parts],
            "stop_reason": reply.resolved_stop_reason,
            "stop_sequence": None,
            "usage": self._usage(tokens, output=tokens.output, thinking=tokens.thinking),
        }

    @staticmethod
    def _stream_block(
        index: int, part: Part, ids: Iterator[str]
    ) -> tuple[bytes, list[bytes], bytes]:
        """A part's ``content_block_start``, its deltas, and what goes just before its stop."""
        if isinstance(part, Thinking) and part.redacted:
            # A redacted block has no deltas: its start event is the content, paced as one.
            start = _block_start(index, {"type": "redacted_thinking", "data": part.opaque()})
            return b"", [start], b""
        if isinstance(part, Thinking):
            deltas = [
                _block_delta(index, {"type": "thinking_delta", "thinking": piece})
                for piece in part.pieces()
            ]
            # The signature comes once, after the text, right before the block stops.
            signature = _block_delta(index, {"type": "signature_delta", "signature": part.opaque()})
            block: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
            return _block_start(index, block), deltas, signature
        if isinstance(part, Text):
            deltas = [
                _block_delta(index, {"type": "text_delta", "text": piece})
                for piece in part.pieces()
            ]
            return _block_start(index, {"type": "text", "text": ""}), deltas, b""
        block = {"type": "tool_use", "id": next(ids), "name": part.name, "input": {}}
        deltas = [
            _block_delta(index, {"type": "input_json_delta", "partial_json": piece})
            for piece in ["", *part.split(compact=False)]  # the real API starts with ""
        ]
        return _block_start(index, block), deltas, b""

    @staticmethod
    def _stream_failure(failure: StreamError | Drop | None) -> bytes | None:
        if isinstance(failure, StreamError):
            error = {
                "type": failure.error_type or "overloaded_error",
                "message": failure.message or "Overloaded",
            }
            return _sse("error", {"type": "error", "error": error})
        return b"" if isinstance(failure, Drop) else None

    def _stream_end(self, reply: Reply, tokens: _Tokens) -> bytes:
        usage = {
            "input_tokens": tokens.input,
            "cache_creation_input_tokens": tokens.cache_creation,
            "cache_read_input_tokens": tokens.cache_read,
            "output_tokens": tokens.output,
            "output_tokens_details": {"thinking_tokens": tokens.thinking},
        }
        delta = {"stop_reason": reply.resolved_stop_reason, "stop_sequence": None}
        return _sse(
            "message_delta", {"type": "message_delta", "delta": delta, "usage": usage}
        ) + _sse("message_stop", {"type": "message_stop"})

    def _stream_plan(self, reply: Reply, request: _HttpRequest) -> _StreamPlan:
        tokens = self._tokens(reply, request)
        message: dict[str, Any] = {
            "id": _random_id("msg_01", 22),
            "type": "message",
            "role": "assistant",
            "model": reply.model or request.json_model(),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # Nothing generated yet: thinking_tokens must stay <= output_tokens.
            "usage": self._usage(tokens, output=1, thinking=0),
        }
        preamble = _sse("message_start", {"type": "message_start", "message": message})
        preamble += _sse("ping", {"type": "ping"})
        blocks: list[tuple[bytes, list[bytes], bytes, float]] = []
        ids = iter(self._tool_ids(reply))
        for index, part in enumerate(reply.parts):
            start, deltas, before_stop = self._stream_block(index, part, ids)
            is_last = index == len(reply.parts) - 1
            stop = (
                b""  # a failure cuts the last block short
                if is_last and reply.failure is not None
                else before_stop
                + _sse("content_block_stop", {"type": "content_block_stop", "index": index})
            )
            blocks.append((start, deltas, stop, reply.interval(part)))
        failure = self._stream_failure(reply.failure)
        if reply.failure is None:
            blocks.append((b"", [], self._stream_end(reply, tokens), 0.0))
        events = self._plan_events(reply, blocks, failure)
        return _StreamPlan(preamble, events, reply.failure)


# --------------------------------------------------------------------------------------------
# OpenAI
# --------------------------------------------------------------------------------------------

_OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}

_FINISH_REASONS = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}


class FakeOpenAI(_FakeLLMServer):
    """A fake OpenAI Chat Completions API. Give the SDK ``base_url=fake.base_url`` (ends in /v1).

    Example::

        with FakeOpenAI() as fake:
            fake.enqueue(Reply(text("Hello!"), tool("DocumentSearch", {"query": "refunds"})))
            client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test-key")
            stream = await client.chat.completions.create(
                model="gpt-4o", messages=[...], stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in stream: ...
    """

    request_id_header = "x-request-id"
    id_prefix = "req_"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: what ``openai.OpenAI(base_url=…)`` wants."""
        return self.root_url + "/v1"

    def _error(
        self,
        status: int,
        error_type: str,
        message: str,
        code: str | None = None,
        param: str | None = None,
    ) -> _HttpResponse:
        body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
        return _HttpResponse(status, body)

    def _validate(self, request: _HttpRequest) -> _HttpResponse | None:
        if request.path != "/v1/chat/completions":
            return self._error(
                404,
                "invalid_request_error",
                f"Invalid URL ({request.method} {request.path}) (FakeOpenAI serves"
                f" /v1/chat/completions; give the SDK base_url={self.base_url!r})",
            )
        if request.method != "POST":
            return self._error(405, "invalid_request_error", f"Method {request.method} not allowed")
        authorization = request.headers.get("authorization", "")
        key = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        if not key:
            return self._error(
                401,
                "invalid_request_error",
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if self.api_key is not None and key != self.api_key:
            return self._error(
                401,
                "invalid_request_error",
                f"Incorrect API key provided: {key[:3]}***. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        body = request.body
        if not isinstance(body, dict):
            return self._error(400, "invalid_request_error", "We could not parse the JSON body.")
        if "model" not in body:
            return self._error(
                400, "invalid_request_error", "you must provide a model parameter", param="model"
            )
        if not isinstance(body.get("messages"), list):
            return self._error(
                400,
                "invalid_request_error",
                "Missing required parameter: 'messages'.",
                code="missing_required_parameter",
                param="messages",
            )
        if self.models is not None and body["model"] not in self.models:
            return self._error(
                404,
                "invalid_request_error",
                f"The model `{body['model']}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return None

    def _http_error(self, error: HttpError) -> _HttpResponse:
        default = _OPENAI_ERRORS.get(error.status)
        if default is None:
            default = (
                ("server_error", None, "The server is overloaded or not ready yet.")
                if error.status >= 500
                else ("invalid_request_error", None, "Invalid request.")
            )
        error_type, code, message = default
        response = self._error(
            error.status, error.error_type or error_type, error.message or message, code=code
        )
        response.headers.update(error.response_headers())
        return response

    def _stream_error_as_http(self, error: StreamError) -> HttpError:
        return HttpError(500, message=error.message, error_type=error.error_type)

    def _usage(self, reply: Reply, request: _HttpRequest) -> dict[str, Any]:
        tokens = self._tokens(reply, request)
        prompt = tokens.input + tokens.cache_read + tokens.cache_creation
        return {
            "prompt_tokens": prompt,
            "completion_tokens": tokens.output,
            "total_tokens": prompt + tokens.output,
            "prompt_tokens_details": {"cached_tokens": tokens.cache_read, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": tokens.thinking,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _tool_ids(self, reply: Reply) -> list[str]:
        return [t.id or _random_id("call_", 24) for t in reply.tool_calls()]

    def _message_body(self, reply: Reply, request: _HttpRequest) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text() if any(isinstance(p, Text) for p in reply.parts) else None,
            "refusal": None,
            "annotations": [],
        }
        if reasoning := reply.reasoning():
            message["reasoning_content"] = reasoning  # as vLLM, Ollama and DeepSeek send it
        calls = reply.tool_calls()
        if calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments(compact=True)},
                }
                for call, call_id in zip(calls, self._tool_ids(reply), strict=True)
            ]
        return {
            "id": _random_id("chatcmpl-", 29),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or request.json_model(),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": _FINISH_REASONS[reply.resolved_stop_reason],
                }
            ],
            "usage": self._usage(reply, request),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def _stream_plan(self, reply: Reply, request: _HttpRequest) -> _StreamPlan:
        body = request.json_dict()
        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(
            stream_options.get("include_usage")
        )
        base = {
            "id": _random_id("chatcmpl-", 29),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": reply.model or request.json_model(),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            data: dict[str, Any] = {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
            }
            if include_usage:
                data["usage"] = None
            return f"data: {_dumps(data)}\n\n".encode()

        preamble = chunk({"role": "assistant", "content": "", "refusal": None})
        blocks: list[tuple[bytes, list[bytes], bytes, float]] = []
        ids = iter(self._tool_ids(reply))
        tool_index = 0
        for part in reply.parts:
            if isinstance(part, Thinking):
                if part.redacted:
                    continue  # Chat Completions has nothing to carry an opaque block in
                deltas = [chunk({"reasoning_content": piece}) for piece in part.pieces()]
            elif isinstance(part, Text):
                deltas = [chunk({"content": piece}) for piece in part.pieces()]
            else:
                first = {
                    "index": tool_index,
                    "id": next(ids),
                    "type": "function",
                    "function": {"name": part.name, "arguments": ""},
                }
                deltas = [chunk({"tool_calls": [first]})]
                deltas += [
                    chunk({"tool_calls": [{"index": tool_index, "function": {"arguments": a}}]})
                    for a in part.split(compact=True)
                ]
                tool_index += 1
            blocks.append((b"", deltas, b"", reply.interval(part)))
        failure: bytes | None = None
        if isinstance(reply.failure, StreamError):
            error = {
                "message": reply.failure.message
                or "The server had an error while processing your request. Sorry about that!",
                "type": reply.failure.error_type or "server_error",
                "param": None,
                "code": None,
            }
            failure = f"data: {_dumps({'error': error})}\n\n".encode()
        elif isinstance(reply.failure, Drop):
            failure = b""
        else:
            tail = chunk({}, _FINISH_REASONS[reply.resolved_stop_reason])
            if include_usage:
                usage_chunk = {**base, "choices": [], "usage": self._usage(reply, request)}
                tail += f"data: {_dumps(usage_chunk)}\n\n".encode()
            tail += b"data: [DONE]\n\n"
            blocks.append((b"", [], tail, 0.0))
        events = self._plan_events(reply, blocks, failure)
        return _StreamPlan(preamble, events, reply.failure)
