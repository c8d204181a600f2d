"""The LLM API fakes, driven through the real ``anthropic`` and ``openai`` SDKs (and raw httpx for
the wire format and the validation answers)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anthropic
import httpx
import httpx2
import openai
import pytest

from tests.fakes.llm_servers import (
    Drop,
    FakeAnthropic,
    FakeOpenAI,
    Hang,
    HttpError,
    RecordedRequest,
    Reply,
    StreamError,
    Usage,
    text,
    tool,
)

T = TypeVar("T")

MODEL = "claude-test-model"
USER: Any = [{"role": "user", "content": "What is our refund window?"}]
TOOLS: Any = [
    {
        "name": "DocumentSearch",
        "description": "Search the project's documents.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "max_results": {"type": "integer"}},
            "required": ["query"],
        },
    }
]
SEARCH_INPUT = {"query": "refund window", "max_results": 5, "filters": {"kind": ["pdf", "docx"]}}


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def claude(fake: FakeAnthropic, **options: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="test-key", **options)


def gpt(fake: FakeOpenAI, **options: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key="test-key", **options)


async def claude_stream(client: anthropic.AsyncAnthropic, texts: list[str]) -> Any:
    """Stream with the SDK helper, collecting text deltas as they arrive."""
    async with client.messages.stream(
        model=MODEL, max_tokens=1024, messages=USER, tools=TOOLS
    ) as stream:
        async for event in stream:
            if event.type == "text":
                texts.append(event.text)
        return await stream.get_final_message()


async def gpt_stream(client: openai.AsyncOpenAI, texts: list[str]) -> list[Any]:
    stream = await client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = []
    async for chunk in stream:
        chunks.append(chunk)
        if chunk.choices and chunk.choices[0].delta.content:
            texts.append(chunk.choices[0].delta.content)
    return chunks


# --------------------------------------------------------------------------------------------
# Anthropic
# --------------------------------------------------------------------------------------------


def test_anthropic_stream_text_then_tool_use_with_usage() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(
            Reply(
                text("Let me search the documents for that."),
                tool("DocumentSearch", SEARCH_INPUT, pieces=5),
                usage=Usage(
                    input_tokens=1200,
                    output_tokens=40,
                    cache_creation_input_tokens=300,
                    cache_read_input_tokens=900,
                ),
            )
        )
        texts: list[str] = []
        message = run(claude_stream(claude(fake), texts))

        assert len(texts) == 7  # word by word
        assert "".join(texts) == "Let me search the documents for that."
        assert [block.type for block in message.content] == ["text", "tool_use"]
        assert message.content[0].text == "Let me search the documents for that."
        tool_use = message.content[1]
        assert tool_use.name == "DocumentSearch"
        assert tool_use.input == SEARCH_INPUT
        assert tool_use.id.startswith("toolu_")
        assert message.stop_reason == "tool_use"
        assert message.model == MODEL
        assert message.usage.input_tokens == 1200
        assert message.usage.output_tokens == 40
        assert message.usage.cache_creation_input_tokens == 300
        assert message.usage.cache_read_input_tokens == 900

        (request,) = fake.requests
        assert request.method == "POST"
        assert request.path == "/v1/messages"
        assert request.stream
        assert request.outcome == "completed"
        assert request.json["tools"][0]["name"] == "DocumentSearch"
        assert request.json["messages"] == USER
        assert request.headers["anthropic-version"]
        assert fake.pending == 0


def test_anthropic_create_stream_raw_events_and_tool_round_trip() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(
            Reply(tool("DocumentSearch", {"query": "refund window"}, id="toolu_fixed", pieces=3)),
            Reply(text("Based on [Refund policy, passage 2] it is 30 days.", chunk_size=8)),
        )

        async def go() -> tuple[list[Any], list[Any]]:
            client = claude(fake)
            first = [
                e
                async for e in await client.messages.create(
                    model=MODEL, max_tokens=512, messages=USER, tools=TOOLS, stream=True
                )
            ]
            followup: Any = [
                *USER,
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_fixed",
                            "name": "DocumentSearch",
                            "input": {"query": "refund window"},
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_fixed",
                            "content": "Refunds within 30 days.",
                        }
                    ],
                },
            ]
            second = [
                e
                async for e in await client.messages.create(
                    model=MODEL,
                    max_tokens=512,
                    system=[
                        {
                            "type": "text",
                            "text": "You are a BA assistant.",
                            "cache_control": {"type": "ephemeral"},
                        }
                    ],
                    messages=followup,
                    tools=TOOLS,
                    stream=True,
                )
            ]
            return first, second

        first, second = run(go())
        types = [e.type for e in first]
        assert types[0] == "message_start"
        assert types[1] == "content_block_start"
        assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
        start = first[1].content_block
        assert (start.type, start.id, start.name, start.input) == (
            "tool_use",
            "toolu_fixed",
            "DocumentSearch",
            {},
        )
        pieces = [e.delta.partial_json for e in first if e.type == "content_block_delta"]
        assert pieces[0] == ""  # as the real API starts
        assert len(pieces) == 4
        assert json.loads("".join(pieces)) == {"query": "refund window"}
        assert first[-2].delta.stop_reason == "tool_use"

        deltas = [e.delta.text for e in second if e.type == "content_block_delta"]
        assert all(len(d) <= 8 for d in deltas)
        assert "".join(deltas) == "Based on [Refund policy, passage 2] it is 30 days."
        assert second[-2].delta.stop_reason == "end_turn"

        body = fake.requests[1].json
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert body["messages"][2]["content"][0]["tool_use_id"] == "toolu_fixed"
        assert body["messages"][2]["content"][0]["content"] == "Refunds within 30 days."


def test_anthropic_wire_format_is_server_sent_events() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply(text("Hi there"), StreamError()))
        with httpx.stream(
            "POST",
            fake.base_url + "/v1/messages",
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
            json={"model": MODEL, "max_tokens": 10, "messages": USER, "stream": True},
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["transfer-encoding"] == "chunked"
            assert response.headers["request-id"]
            raw = response.read().decode()
    events = [block.split("\n") for block in raw.strip().split("\n\n")]
    names = []
    for lines in events:
        assert len(lines) == 2
        assert lines[0].startswith("event: ")
        assert lines[1].startswith("data: ")
        name = lines[0].removeprefix("event: ")
        assert json.loads(lines[1].removeprefix("data: "))["type"] == name
        names.append(name)
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "error",
    ]
    assert json.loads(events[-1][1].removeprefix("data: ")) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


def test_anthropic_non_streaming_and_default_reply() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply("Refund window summary", usage=Usage(input_tokens=50, output_tokens=4)))

        async def go() -> tuple[Any, Any]:
            client = claude(fake)
            first = await client.messages.create(model="claude-haiku", max_tokens=20, messages=USER)
            second = await client.messages.create(model=MODEL, max_tokens=20, messages=USER)
            return first, second

        titled, default = run(go())
        assert titled.content[0].text == "Refund window summary"
        assert titled.model == "claude-haiku"
        assert titled.stop_reason == "end_turn"
        assert (titled.usage.input_tokens, titled.usage.output_tokens) == (50, 4)
        assert default.content[0].text == "OK."  # the queue was empty
        assert [r.stream for r in fake.requests] == [False, False]
        assert [r.outcome for r in fake.requests] == ["completed", "completed"]


def test_anthropic_429_is_retried_after_retry_after() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(HttpError(429, retry_after=1), Reply(text("After the wait.")))
        texts: list[str] = []
        message = run(claude_stream(claude(fake, max_retries=2), texts))
        assert message.content[0].text == "After the wait."
        limited, retried = fake.requests
        assert limited.outcome == "http_error"
        assert retried.outcome == "completed"
        assert retried.headers["x-stainless-retry-count"] == "1"
        assert limited.finished_at is not None
        assert retried.received_at - limited.finished_at >= 0.95


def test_anthropic_429_without_retries_raises_rate_limit_error() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(HttpError(429, retry_after=1))
        with pytest.raises(anthropic.RateLimitError) as caught:
            run(claude_stream(claude(fake, max_retries=0), []))
        assert caught.value.status_code == 429
        assert caught.value.response.headers["retry-after"] == "1"
        assert caught.value.type == "rate_limit_error"
        assert caught.value.body["type"] == "error"  # type: ignore[index]


def test_anthropic_529_and_500() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(HttpError(529), HttpError(500, should_retry=False))
        with pytest.raises(anthropic.OverloadedError) as overloaded:
            run(claude_stream(claude(fake, max_retries=0), []))
        assert isinstance(overloaded.value, anthropic.InternalServerError)
        assert overloaded.value.status_code == 529
        assert overloaded.value.type == "overloaded_error"
        assert overloaded.value.api_message == "Overloaded"
        # x-should-retry: false beats the SDK's "retry every 5xx" even with retries left
        with pytest.raises(anthropic.InternalServerError) as internal:
            run(claude_stream(claude(fake, max_retries=3), []))
        assert internal.value.status_code == 500
        assert internal.value.type == "api_error"
        assert len(fake.requests) == 2


def test_anthropic_hang_times_out_before_headers() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Hang(10))
        started = time.perf_counter()
        with pytest.raises(anthropic.APITimeoutError):
            run(claude_stream(claude(fake, timeout=0.3, max_retries=0), []))
        assert time.perf_counter() - started < 2
        (request,) = fake.requests
        wait_until(lambda: request.outcome == "client_disconnected")
        assert request.headers_sent_at is None


def test_anthropic_hang_then_reply_and_hang_zero_is_retried() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Hang(0.3, then=Reply(text("Late but fine."))), Hang(0), Reply("Retried."))
        late = run(claude_stream(claude(fake), []))
        retried = run(claude_stream(claude(fake, max_retries=1), []))
        assert late.content[0].text == "Late but fine."
        assert retried.content[0].text == "Retried."
        hung, dropped, answered = fake.requests
        assert hung.headers_sent_at is not None
        assert hung.headers_sent_at - hung.received_at >= 0.3
        assert dropped.outcome == "hang_expired"
        assert answered.headers["x-stainless-retry-count"] == "1"


def test_anthropic_error_event_mid_stream() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply(text("The refund window is"), StreamError()), Reply("unused"))
        texts: list[str] = []
        with pytest.raises(anthropic.APIStatusError) as caught:
            run(claude_stream(claude(fake, max_retries=3), texts))
        assert "".join(texts) == "The refund window is"
        # The SDK builds the error from the stream's 200 response: not an OverloadedError.
        assert type(caught.value) is anthropic.APIStatusError
        assert caught.value.status_code == 200
        assert caught.value.type == "overloaded_error"
        assert caught.value.body == {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
        }
        assert fake.requests[0].outcome == "stream_error"
        assert fake.pending == 1  # not retried


@pytest.mark.parametrize("reset", [False, True])
def test_anthropic_drop_mid_stream(reset: bool) -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply(text("The refund window is thirty"), Drop(reset=reset)))
        texts: list[str] = []
        # anthropic 2.14 does not wrap transport errors raised while iterating the body
        expected = httpx2.ReadError if reset else httpx2.RemoteProtocolError
        with pytest.raises(expected):
            run(claude_stream(claude(fake, max_retries=3), texts))
        assert "".join(texts) == "The refund window is thirty"
        assert fake.requests[0].outcome == "dropped"
        assert len(fake.requests) == 1


def test_anthropic_slow_first_token_after_headers_is_a_raw_read_timeout() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply(text("Too late."), first_token_delay=5))
        with pytest.raises(httpx2.ReadTimeout):
            run(claude_stream(claude(fake, timeout=0.3, max_retries=2), []))
        assert len(fake.requests) == 1  # not retried: the headers had arrived


def test_anthropic_timing_is_recorded() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply(text("one two three four five"), first_token_delay=0.3))
        fake.enqueue(Reply(text("one two three four five"), chunks_per_second=20))

        async def timed() -> tuple[float, float]:
            started = time.perf_counter()
            first: float | None = None
            async with claude(fake).messages.stream(
                model=MODEL, max_tokens=10, messages=USER
            ) as stream:
                async for event in stream:
                    if event.type == "text" and first is None:
                        first = time.perf_counter()
            assert first is not None
            return first - started, time.perf_counter() - started

        ttft, _ = run(timed())
        _, paced_total = run(timed())
        delayed, paced = fake.requests
        assert ttft >= 0.3  # lower bounds only: this machine may be busy
        assert delayed.first_token_delay == 0.3
        assert delayed.time_to_first_delta is not None
        assert delayed.time_to_first_delta >= 0.3
        assert delayed.overhead is not None
        assert delayed.overhead >= 0
        assert delayed.headers_sent_at is not None
        # Headers come at once, well before the delayed first token.
        assert delayed.headers_sent_at < delayed.first_delta_at - 0.2
        assert paced.finished_at is not None
        assert paced.finished_at - paced.received_at >= 0.2  # 4 gaps of 50 ms
        assert paced_total >= 0.2


def test_anthropic_validation_and_wrong_base_url() -> None:
    with FakeAnthropic(api_key="right-key") as fake:
        url = fake.base_url + "/v1/messages"
        body = {"model": MODEL, "max_tokens": 10, "messages": USER}
        no_key = httpx.post(url, headers={"anthropic-version": "2023-06-01"}, json=body)
        assert no_key.status_code == 401
        assert no_key.json()["error"]["type"] == "authentication_error"
        no_version = httpx.post(url, headers={"x-api-key": "right-key"}, json=body)
        assert no_version.status_code == 400
        assert "anthropic-version" in no_version.json()["error"]["message"]
        no_max_tokens = httpx.post(
            url,
            headers={"x-api-key": "right-key", "anthropic-version": "2023-06-01"},
            json={"model": MODEL, "messages": USER},
        )
        assert no_max_tokens.status_code == 400
        with pytest.raises(anthropic.AuthenticationError):
            run(claude_stream(claude(fake, max_retries=0), []))  # sends "test-key"
        wrong = anthropic.AsyncAnthropic(
            base_url=fake.base_url + "/v1", api_key="right-key", max_retries=0
        )
        with pytest.raises(anthropic.NotFoundError, match="base_url"):
            run(claude_stream(wrong, []))
        assert [r.outcome for r in fake.requests] == ["rejected"] * 5
        assert fake.bodies == []


# --------------------------------------------------------------------------------------------
# OpenAI
# --------------------------------------------------------------------------------------------


def test_openai_stream_text_tool_calls_and_usage_chunk() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(
            Reply(
                text("Searching now."),
                tool("DocumentSearch", SEARCH_INPUT, pieces=4),
                tool("ArtifactGenerator", {"kind": "user_story", "title": "Refunds"}),
                usage=Usage(input_tokens=1000, output_tokens=42, cache_read_input_tokens=800),
            )
        )
        texts: list[str] = []
        chunks = run(gpt_stream(gpt(fake), texts))

        assert "".join(texts) == "Searching now."
        assert chunks[0].choices[0].delta.role == "assistant"
        calls: dict[int, dict[str, str]] = {}
        argument_deltas = 0
        for chunk in chunks:
            if not chunk.choices:
                continue
            for call in chunk.choices[0].delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                if call.id:
                    assert call.type == "function"
                    entry["id"] = call.id
                if call.function and call.function.name:
                    entry["name"] = call.function.name
                if call.function and call.function.arguments:
                    entry["arguments"] += call.function.arguments
                    argument_deltas += 1
        assert [calls[i]["name"] for i in sorted(calls)] == ["DocumentSearch", "ArtifactGenerator"]
        assert json.loads(calls[0]["arguments"]) == SEARCH_INPUT
        assert json.loads(calls[1]["arguments"]) == {"kind": "user_story", "title": "Refunds"}
        assert all(calls[i]["id"].startswith("call_") for i in calls)
        assert argument_deltas == 8

        finish = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finish[-1] == "tool_calls"
        assert all(reason is None for reason in finish[:-1])
        usage_chunk = chunks[-1]
        assert usage_chunk.choices == []
        assert usage_chunk.usage is not None
        assert usage_chunk.usage.prompt_tokens == 1800
        assert usage_chunk.usage.completion_tokens == 42
        assert usage_chunk.usage.total_tokens == 1842
        assert usage_chunk.usage.prompt_tokens_details is not None
        assert usage_chunk.usage.prompt_tokens_details.cached_tokens == 800
        assert all(c.usage is None for c in chunks[:-1])

        (request,) = fake.requests
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer test-key"
        assert request.json["stream_options"] == {"include_usage": True}


def test_openai_stream_helper_and_no_usage_without_include_usage() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(text("Hello there."), stop_reason="max_tokens"))
        fake.enqueue(Reply(tool("DocumentSearch", {"query": "refund window"})))

        async def go() -> tuple[list[Any], Any]:
            client = gpt(fake)
            raw = await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            chunks = [c async for c in raw]
            async with client.chat.completions.stream(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            ) as stream:
                async for _ in stream:
                    pass
                final = await stream.get_final_completion()
            return chunks, final

        chunks, final = run(go())
        assert all(c.choices for c in chunks)  # no usage chunk
        assert chunks[-1].choices[0].finish_reason == "length"
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello there."
        call = final.choices[0].message.tool_calls[0]
        assert call.function.name == "DocumentSearch"
        assert json.loads(call.function.arguments) == {"query": "refund window"}
        assert final.choices[0].finish_reason == "tool_calls"


def test_openai_wire_format_ends_with_done() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(text("a b")))
        with httpx.stream(
            "POST",
            fake.base_url + "/chat/completions",
            headers={"Authorization": "Bearer k"},
            json={"model": "gpt-4o", "messages": [], "stream": True},
        ) as response:
            raw = response.read().decode()
        assert response.headers["x-request-id"]
    blocks = raw.strip().split("\n\n")
    assert all(block.startswith("data: ") and "\n" not in block for block in blocks)
    assert blocks[-1] == "data: [DONE]"
    assert json.loads(blocks[0].removeprefix("data: "))["object"] == "chat.completion.chunk"


def test_openai_non_streaming() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(
            Reply("A title", usage=Usage(input_tokens=30, output_tokens=3)),
            Reply(text("Calling."), tool("DocumentSearch", {"query": "x"}, id="call_1")),
        )

        async def go() -> tuple[Any, Any]:
            client = gpt(fake)
            messages: Any = [{"role": "user", "content": "hi"}]
            return (
                await client.chat.completions.create(model="gpt-4o-mini", messages=messages),
                await client.chat.completions.create(model="gpt-4o", messages=messages),
            )

        titled, called = run(go())
        assert titled.choices[0].message.content == "A title"
        assert titled.choices[0].finish_reason == "stop"
        assert titled.model == "gpt-4o-mini"
        assert titled.usage is not None
        assert (titled.usage.prompt_tokens, titled.usage.completion_tokens) == (30, 3)
        call = called.choices[0].message.tool_calls[0]
        assert (call.id, call.function.name, call.function.arguments) == (
            "call_1",
            "DocumentSearch",
            '{"query":"x"}',
        )
        assert called.choices[0].finish_reason == "tool_calls"


def test_openai_429_retried_with_retry_after_ms_then_raised_without_retries() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(HttpError(429, retry_after=0.3), Reply("Done."))
        texts: list[str] = []
        run(gpt_stream(gpt(fake, max_retries=2), texts))
        assert "".join(texts) == "Done."
        limited, retried = fake.requests
        assert limited.finished_at is not None
        assert retried.received_at - limited.finished_at >= 0.28

        fake.enqueue(HttpError(429, retry_after=1))
        with pytest.raises(openai.RateLimitError) as caught:
            run(gpt_stream(gpt(fake, max_retries=0), []))
        assert caught.value.status_code == 429
        assert caught.value.response.headers["retry-after"] == "1"
        assert caught.value.code == "rate_limit_exceeded"
        assert caught.value.body["type"] == "requests"  # type: ignore[index]


def test_openai_500_and_529() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(HttpError(500), HttpError(529))
        with pytest.raises(openai.InternalServerError) as internal:
            run(gpt_stream(gpt(fake, max_retries=0), []))
        assert internal.value.status_code == 500
        assert internal.value.type == "server_error"
        with pytest.raises(openai.InternalServerError) as overloaded:
            run(gpt_stream(gpt(fake, max_retries=0), []))
        assert overloaded.value.status_code == 529


def test_openai_hang_times_out() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Hang(10))
        with pytest.raises(openai.APITimeoutError):
            run(gpt_stream(gpt(fake, timeout=0.3, max_retries=0), []))
        wait_until(lambda: fake.requests[0].outcome == "client_disconnected")

        fake.enqueue(Hang(10), Reply("Second attempt."))  # a timeout before headers is retried
        texts: list[str] = []
        run(gpt_stream(gpt(fake, timeout=0.3, max_retries=1), texts))
        assert "".join(texts) == "Second attempt."
        assert fake.requests[2].headers["x-stainless-retry-count"] == "1"


def test_openai_slow_first_token_after_headers_is_an_api_timeout() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(text("Too late."), first_token_delay=5))
        with pytest.raises(openai.APITimeoutError) as caught:
            run(gpt_stream(gpt(fake, timeout=0.3, max_retries=2), []))
        assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)
        assert len(fake.requests) == 1  # not retried: the headers had arrived


def test_openai_error_chunk_mid_stream() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(text("The refund window"), StreamError()))
        texts: list[str] = []
        with pytest.raises(openai.APIError) as caught:
            run(gpt_stream(gpt(fake), texts))
        assert "".join(texts) == "The refund window"
        assert not isinstance(caught.value, openai.APIStatusError)
        assert caught.value.type == "server_error"
        assert "Sorry about that" in caught.value.message
        assert fake.requests[0].outcome == "stream_error"


def test_openai_drop_mid_stream() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(text("The refund window is"), Drop()))
        texts: list[str] = []
        # openai 3.57 wraps transport errors raised while iterating the body
        with pytest.raises(openai.APIConnectionError) as caught:
            run(gpt_stream(gpt(fake, max_retries=3), texts))
        assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)
        assert "".join(texts) == "The refund window is"
        assert len(fake.requests) == 1


def test_openai_validation() -> None:
    with FakeOpenAI(api_key="right-key") as fake:
        url = fake.base_url + "/chat/completions"
        body = {"model": "gpt-4o", "messages": []}
        no_key = httpx.post(url, json=body)
        assert no_key.status_code == 401
        assert no_key.json()["error"]["type"] == "invalid_request_error"
        no_messages = httpx.post(url, headers={"Authorization": "Bearer right-key"}, json={})
        assert no_messages.status_code == 400
        with pytest.raises(openai.AuthenticationError) as caught:
            run(gpt_stream(gpt(fake, max_retries=0), []))  # sends "test-key"
        assert caught.value.code == "invalid_api_key"
        mis_wired = openai.AsyncOpenAI(base_url=fake.root_url, api_key="right-key", max_retries=0)
        with pytest.raises(openai.NotFoundError, match="base_url"):
            run(gpt_stream(mis_wired, []))


def test_enqueue_from_another_thread_while_waiting() -> None:
    with FakeOpenAI() as fake:
        records: list[RecordedRequest] = []

        async def go() -> str:
            client = gpt(fake)
            response = await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
            return response.choices[0].message.content or ""

        fake.enqueue("From the queue.")
        assert run(go()) == "From the queue."
        records = fake.wait_for_requests(1, timeout=1)
        assert records[0].outcome == "completed"
        with pytest.raises(TimeoutError):
            fake.wait_for_requests(2, timeout=0.05)
