"""The LLM API fakes, driven through the real ``anthropic`` and ``openai`` SDKs (and raw httpx for
the wire format and the validation answers)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anthropic
import httpx
import httpx2
import openai
import pytest
from pydantic_ai import Agent, ModelRequest, PartEndEvent, ThinkingPart, ToolCallPart
from pydantic_ai.direct import model_request_stream
from pydantic_ai.models.anthropic import AnthropicModel, AnthropicModelSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from tests.fakes.llm_servers import (
    Drop,
    FakeAnthropic,
    FakeOpenAI,
    Hang,
    HttpError,
    RecordedRequest,
    Reply,
    Script,
    StreamError,
    Thinking,
    Usage,
    text,
    thinking,
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
        assert delayed.first_delta_at is not None
        # Headers come at once, well before the delayed first token.
        assert delayed.headers_sent_at < delayed.first_delta_at - 0.2
        assert paced.finished_at is not None
        assert paced.finished_at - paced.received_at >= 0.19  # 4 gaps of 50 ms, give or take
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


# --------------------------------------------------------------------------------------------
# Thinking
# --------------------------------------------------------------------------------------------


def sonnet(fake: FakeAnthropic, name: str = "claude-sonnet-5-5") -> AnthropicModel:
    """pydantic-ai's Anthropic model, on the fake."""
    client = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="k")
    return AnthropicModel(name, provider=AnthropicProvider(anthropic_client=client))


async def raw_claude_events(client: anthropic.AsyncAnthropic, **options: Any) -> list[Any]:
    stream = await client.messages.create(
        model=MODEL, max_tokens=1024, messages=USER, stream=True, **options
    )
    return [event async for event in stream]


def test_anthropic_stream_thinking_then_tool_use() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(
            Reply(
                thinking("Let me check the refund policy."),
                tool("DocumentSearch", {"query": "refund window"}),
            ),
            Reply(thinking("The policy says thirty days.", signature="sig-1"), text("30 days.")),
        )

        async def go() -> tuple[list[Any], Any]:
            client = claude(fake)
            events = await raw_claude_events(client, tools=TOOLS)
            async with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
                final = await s.get_final_message()
            return events, final

        events, final = run(go())
        starts = [e for e in events if e.type == "content_block_start"]
        assert [e.content_block.type for e in starts] == ["thinking", "tool_use"]
        assert (starts[0].content_block.thinking, starts[0].content_block.signature) == ("", "")
        block_zero = [e for e in events if getattr(e, "index", None) == 0]
        kinds = [e.delta.type if e.type == "content_block_delta" else e.type for e in block_zero]
        # word by word, then one signature just before the stop
        assert kinds == ["content_block_start"] + ["thinking_delta"] * 6 + [
            "signature_delta",
            "content_block_stop",
        ]
        pieces = [
            e.delta.thinking
            for e in block_zero
            if e.type == "content_block_delta" and e.delta.type == "thinking_delta"
        ]
        assert "".join(pieces) == "Let me check the refund policy."
        signature = block_zero[-2].delta.signature
        assert len(signature) > 40
        assert signature == Thinking("Let me check the refund policy.").opaque()  # stable

        assert [b.type for b in final.content] == ["thinking", "text"]
        assert isinstance(final.content[0], anthropic.types.ThinkingBlock)
        assert final.content[0].thinking == "The policy says thirty days."
        assert final.content[0].signature == "sig-1"
        assert final.content[1].text == "30 days."
        assert final.stop_reason == "end_turn"


def test_anthropic_thinking_between_tool_calls_and_redacted() -> None:
    with FakeAnthropic() as fake:
        parts = (
            thinking("a first thought"),
            text("Searching."),
            thinking("", redacted=True),
            tool("DocumentSearch", {"query": "refunds"}),
            thinking("b second thought", chunk_size=3),
            tool("DocumentSearch", {"query": "returns"}),
        )
        fake.enqueue(Reply(*parts), Reply(*parts))

        async def go() -> tuple[Any, Any, list[Any]]:
            client = claude(fake)
            async with client.messages.stream(
                model=MODEL, max_tokens=64, messages=USER, tools=TOOLS
            ) as stream:
                events = [event async for event in stream]
                streamed = await stream.get_final_message()
            created = await client.messages.create(
                model=MODEL, max_tokens=64, messages=USER, tools=TOOLS
            )
            return streamed, created, events

        streamed, created, events = run(go())
        for message in (streamed, created):
            assert [b.type for b in message.content] == [
                "thinking",
                "text",
                "redacted_thinking",
                "tool_use",
                "thinking",
                "tool_use",
            ]
            assert message.content[0].thinking == "a first thought"
            redacted = message.content[2]
            assert isinstance(redacted, anthropic.types.RedactedThinkingBlock)
            assert redacted.data == Thinking("", redacted=True).opaque()
            assert message.content[4].thinking == "b second thought"
            assert message.content[4].signature == Thinking("b second thought").opaque()
            assert [b.input for b in message.content if b.type == "tool_use"] == [
                {"query": "refunds"},
                {"query": "returns"},
            ]
            assert message.stop_reason == "tool_use"
        # the redacted block came whole in its start event: no delta has index 2
        assert not [e for e in events if e.type == "content_block_delta" and e.index == 2]
        chunked = [e.thinking for e in events if e.type == "thinking"]
        assert chunked[-6:] == ["b s", "eco", "nd ", "tho", "ugh", "t"]


def test_thinking_tokens_in_usage() -> None:
    with FakeAnthropic() as fake:
        thought = "x" * 400  # 100 tokens at 4 characters a token
        fake.enqueue(
            Reply(thinking(thought), text("12345678")),  # estimated: 2 visible tokens
            Reply(
                thinking(thought), text("OK"), usage=Usage(output_tokens=500, thinking_tokens=450)
            ),
            Reply(thinking(thought), text("12345678")),
            Reply(text("No thinking.")),
        )

        async def go() -> list[Any]:
            client = claude(fake)
            messages: list[Any] = []
            for _ in range(2):
                async with client.messages.stream(model=MODEL, max_tokens=9, messages=USER) as s:
                    messages.append(await s.get_final_message())
            for _ in range(2):
                messages.append(
                    await client.messages.create(model=MODEL, max_tokens=9, messages=USER)
                )
            return messages

        estimated, given, created, plain = run(go())
        for message in (estimated, created):
            assert message.usage.output_tokens == 102  # thinking counted inside
            assert message.usage.output_tokens_details.thinking_tokens == 100
        assert given.usage.output_tokens == 500
        assert given.usage.output_tokens_details.thinking_tokens == 450
        assert plain.usage.output_tokens_details.thinking_tokens == 0

    # Raw: message_start reports nothing generated yet; message_delta has the count.
    with FakeAnthropic() as fake:
        fake.enqueue(Reply(thinking(thought)))
        events = run(raw_claude_events(claude(fake)))
        assert events[0].message.usage.output_tokens_details.thinking_tokens == 0
        assert events[-2].usage.output_tokens_details.thinking_tokens == 100


def test_pydantic_ai_gets_thinking_parts_and_sends_them_back() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(
            Reply(
                thinking("Let me check the refund policy."),
                tool("search", {"query": "refund window"}),
            ),
            Reply(thinking("Thirty days, says the policy."), text("30 days.")),
            Reply(thinking("", redacted=True), text("Done.")),
        )

        def search(query: str) -> str:
            """Search the project's documents."""
            return "Refunds within 30 days."

        async def go() -> tuple[list[Any], Any]:
            agent = Agent(sonnet(fake), tools=[search])
            async with agent.run_stream_events("What is our refund window?") as events:
                ended = [event.part async for event in events if isinstance(event, PartEndEvent)]
            request = [ModelRequest.user_text_prompt("hi")]
            async with model_request_stream(sonnet(fake), request) as stream:
                async for _ in stream:
                    pass
                return ended, stream.get()

        ended, response = run(go())
        assert [part.content for part in ended if isinstance(part, ThinkingPart)] == [
            "Let me check the refund policy.",
            "Thirty days, says the policy.",
        ]
        # The second request sends the thinking block back, signature and all.
        replayed = fake.requests[1].json["messages"][1]
        assert replayed["role"] == "assistant"
        assert replayed["content"][0] == {
            "type": "thinking",
            "thinking": "Let me check the refund policy.",
            "signature": Thinking("Let me check the refund policy.").opaque(),
        }
        redacted = response.parts[0]
        assert isinstance(redacted, ThinkingPart)
        assert redacted.id == "redacted_thinking"
        assert redacted.signature == Thinking("", redacted=True).opaque()
        assert response.parts[1].content == "Done."


def test_pydantic_ai_model_request_stream_thinking_part() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(
            Reply(
                thinking("Let me check the refund policy."),
                tool("search", {"query": "refund window"}),
            )
        )

        async def go() -> Any:
            async with model_request_stream(
                sonnet(fake), [ModelRequest.user_text_prompt("What is our refund window?")]
            ) as stream:
                async for _ in stream:
                    pass
                return stream.get()

        response = run(go())
        thought, call = response.parts
        assert isinstance(thought, ThinkingPart)
        assert thought.content == "Let me check the refund policy."
        assert thought.signature == Thinking("Let me check the refund policy.").opaque()
        assert isinstance(call, ToolCallPart)
        assert call.args_as_dict() == {"query": "refund window"}
        assert response.usage.details["thinking_tokens"] == 7


def test_openai_thinking_is_reasoning_content() -> None:
    with FakeOpenAI() as fake:
        parts = (
            thinking("Let me check the refund policy."),
            thinking("", redacted=True),
            text("Thirty days."),
        )
        fake.enqueue(Reply(*parts), Reply(*parts), Reply(*parts))

        async def go() -> tuple[list[Any], Any, Any]:
            client = gpt(fake)
            chunks = [
                chunk
                async for chunk in await client.chat.completions.create(
                    model="gpt-4o",
                    messages=[{"role": "user", "content": "hi"}],
                    stream=True,
                    stream_options={"include_usage": True},
                )
            ]
            created = await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
            model = OpenAIChatModel("qwen3", provider=OpenAIProvider(openai_client=client))
            async with model_request_stream(model, [ModelRequest.user_text_prompt("hi")]) as s:
                async for _ in s:
                    pass
                response = s.get()
            return chunks, created, response

        chunks, created, response = run(go())
        deltas = [c.choices[0].delta for c in chunks if c.choices]
        reasoning = [d.model_extra.get("reasoning_content") for d in deltas if d.model_extra]
        assert "".join(r for r in reasoning if r) == "Let me check the refund policy."
        assert "".join(d.content or "" for d in deltas) == "Thirty days."
        assert chunks[-1].usage.completion_tokens_details.reasoning_tokens == 7
        message = created.choices[0].message
        assert message.model_extra["reasoning_content"] == "Let me check the refund policy."
        assert message.content == "Thirty days."
        thought, answer = response.parts
        assert isinstance(thought, ThinkingPart)
        assert thought.content == "Let me check the refund policy."
        assert answer.content == "Thirty days."


# --------------------------------------------------------------------------------------------
# Prompt caching
# --------------------------------------------------------------------------------------------

LONG_SYSTEM = "You are a business analyst's assistant; follow the refund policy closely. " * 80
EPHEMERAL: Any = {"type": "ephemeral"}


def block_tokens(block: Any) -> int:
    """The spec's estimate: canonical JSON without cache_control, 4 characters a token."""
    if isinstance(block, str):
        block = {"type": "text", "text": block}
    block = {k: v for k, v in block.items() if k != "cache_control"}
    canonical = json.dumps(block, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return max(1, len(canonical) // 4)


def prompt_tokens(system: list[Any], messages: list[Any], tools: list[Any] = ()) -> int:  # type: ignore[assignment]
    content = [
        block
        for message in messages
        for block in (
            [message["content"]] if isinstance(message["content"], str) else message["content"]
        )
    ]
    return sum(block_tokens(block) for block in [*tools, *system, *content])


def cached_system(**cache_control: Any) -> list[Any]:
    return [{"type": "text", "text": LONG_SYSTEM, "cache_control": {**EPHEMERAL, **cache_control}}]


def conversation(turns: list[tuple[str, str]]) -> list[Any]:
    """Messages with a cache breakpoint on the last block only, as a caching client sends."""
    messages: list[Any] = [
        {"role": role, "content": [{"type": "text", "text": content}]} for role, content in turns
    ]
    messages[-1]["content"][0]["cache_control"] = EPHEMERAL
    return messages


async def claude_create(fake: FakeAnthropic, **options: Any) -> Any:
    client = claude(fake, max_retries=0)
    return await client.messages.create(**{"model": MODEL, "max_tokens": 64, **options})


def test_prompt_cache_reads_a_shared_system_prompt() -> None:
    with FakeAnthropic() as fake:
        system = cached_system()
        other: Any = [{"role": "user", "content": "And for digital goods?"}]

        async def go() -> tuple[Any, Any, Any]:
            first = await claude_create(fake, system=system, messages=USER)
            async with claude(fake).messages.stream(
                model=MODEL, max_tokens=64, system=system, messages=other
            ) as stream:
                second = await stream.get_final_message()
            counted = await claude(fake).messages.count_tokens(
                model=MODEL, system=system, messages=USER
            )
            return first, second, counted

        first, second, counted = run(go())
        prefix = block_tokens(system[0])
        assert prefix > 1024
        assert first.usage.cache_read_input_tokens == 0
        assert first.usage.cache_creation_input_tokens == prefix
        assert first.usage.cache_creation.ephemeral_5m_input_tokens == prefix
        assert first.usage.cache_creation.ephemeral_1h_input_tokens == 0
        assert first.usage.input_tokens == prompt_tokens(system, USER) - prefix
        # streamed: message_start and message_delta carry the same numbers
        assert second.usage.cache_read_input_tokens == prefix
        assert second.usage.cache_creation_input_tokens == 0
        assert second.usage.input_tokens == prompt_tokens(system, other) - prefix
        assert counted.input_tokens == prompt_tokens(system, USER)

        one, two, count = fake.requests
        assert (one.cache_read, one.cache_creation, one.breakpoints) == (0, prefix, (0,))
        assert (two.cache_read, two.cache_creation, two.breakpoints) == (prefix, 0, (0,))
        assert two.input_tokens == second.usage.input_tokens
        assert count.cache_read is None  # count_tokens neither reads nor writes
        assert fake.cache_size == 1


def test_prompt_cache_follows_a_growing_conversation() -> None:
    with FakeAnthropic() as fake:
        system: list[Any] = [{"type": "text", "text": LONG_SYSTEM}]
        turns: list[tuple[str, str]] = []
        totals: list[int] = []
        for turn in range(4):
            if turn:
                turns.append(("assistant", f"Answer number {turn}, which is about refunds."))
            turns.append(("user", f"Question number {turn}: what about case {turn}?"))
            messages = conversation(turns)
            run(claude_create(fake, system=system, messages=messages))
            totals.append(prompt_tokens(system, messages))

        records = fake.requests
        assert [r.breakpoints for r in records] == [(1,), (3,), (5,), (7,)]
        assert [r.cache_read for r in records] == [0, *totals[:-1]]
        assert [r.cache_creation for r in records] == [
            totals[0],
            *(b - a for a, b in itertools.pairwise(totals)),
        ]
        assert [r.input_tokens for r in records] == [0, 0, 0, 0]  # all of it is cached


def test_prompt_cache_misses_when_the_prefix_changes() -> None:
    with FakeAnthropic() as fake:
        turns = [("user", "What is our refund window?"), ("assistant", "30 days."), ("user", "Ok?")]
        system: list[Any] = [{"type": "text", "text": LONG_SYSTEM}]
        run(claude_create(fake, system=system, messages=conversation(turns)))
        edited = [("user", "What is our return window?"), *turns[1:]]
        run(claude_create(fake, system=system, messages=conversation(edited)))
        run(claude_create(fake, system=system, messages=conversation(turns), model="other-model"))
        roles = [("assistant", "What is our refund window?"), *turns[1:]]  # role is identity
        run(claude_create(fake, system=system, messages=conversation(roles)))
        run(claude_create(fake, system=system, messages=conversation(turns)))  # the original
        total = prompt_tokens(system, conversation(turns))
        reads = [r.cache_read for r in fake.requests]
        assert reads == [0, 0, 0, 0, total]
        assert fake.requests[1].cache_creation == prompt_tokens(system, conversation(edited))


def test_prompt_cache_lookback_is_twenty_blocks() -> None:
    with FakeAnthropic() as fake:
        system = cached_system()
        prefix = block_tokens(system[0])
        run(claude_create(fake, system=system, messages=USER))
        plain_system: Any = [{"type": "text", "text": LONG_SYSTEM}]  # same block, no breakpoint
        blocks = [{"type": "text", "text": f"Note {i}."} for i in range(20)]

        def last_marked(count: int) -> list[Any]:
            content = [dict(block) for block in blocks[:count]]
            content[-1]["cache_control"] = EPHEMERAL
            return [{"role": "user", "content": content}]

        run(claude_create(fake, system=plain_system, messages=last_marked(20)))  # at block 20
        run(claude_create(fake, system=plain_system, messages=last_marked(19)))  # at block 19
        _, far, near = fake.requests
        assert (far.breakpoints, far.cache_read) == ((20,), 0)
        # Block 19 looks back to block 0 (the cached system prompt), and not to block 20.
        assert (near.breakpoints, near.cache_read) == ((19,), prefix)
        assert near.cache_creation == prompt_tokens(plain_system, last_marked(19)) - prefix


def test_prompt_cache_automatic_breakpoint_and_the_limit_of_four() -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(Reply("kept"))
        system: Any = [{"type": "text", "text": LONG_SYSTEM}]
        turns = [("user", "What is our refund window?")]
        first: Any = [{"role": "user", "content": "What is our refund window?"}]
        second: Any = [
            *first,
            {"role": "assistant", "content": "30 days."},
            {"role": "user", "content": "And for digital goods?"},
        ]
        run(claude_create(fake, system=system, messages=first, cache_control=EPHEMERAL))
        run(claude_create(fake, system=system, messages=second, cache_control=EPHEMERAL))
        one, two = fake.requests
        assert (one.breakpoints, two.breakpoints) == ((1,), (3,))
        assert two.cache_read == prompt_tokens(system, first)
        assert one.script == Reply("kept")

        five: Any = [
            {"type": "text", "text": f"Part {i}: " + LONG_SYSTEM, "cache_control": EPHEMERAL}
            for i in range(5)
        ]
        with pytest.raises(anthropic.BadRequestError) as caught:
            run(claude_create(fake, system=five, messages=conversation(turns)))
        assert caught.value.type == "invalid_request_error"
        assert caught.value.api_message == (
            "A maximum of 4 blocks with cache_control may be provided. Found 6."
        )
        with pytest.raises(anthropic.BadRequestError, match="Found 5"):
            run(claude_create(fake, system=five[:4], messages=USER, cache_control=EPHEMERAL))
        # the automatic one on an already marked block is the same breakpoint
        run(
            claude_create(
                fake, system=five[:3], messages=conversation(turns), cache_control=EPHEMERAL
            )
        )
        assert fake.requests[-1].breakpoints == (0, 1, 2, 3)
        assert [r.outcome for r in fake.requests[2:4]] == ["rejected", "rejected"]
        assert fake.requests[2].cache_read is None


def test_prompt_cache_needs_min_cache_tokens() -> None:
    short: Any = [{"type": "text", "text": "You are terse.", "cache_control": EPHEMERAL}]
    with FakeAnthropic() as fake:
        assert fake.min_cache_tokens == 1024
        for _ in range(2):
            run(claude_create(fake, system=short, messages=USER))
        total = prompt_tokens(short, USER)
        assert [(r.cache_read, r.cache_creation, r.input_tokens) for r in fake.requests] == [
            (0, 0, total),
            (0, 0, total),
        ]
        assert fake.requests[0].breakpoints == (0,)
        assert fake.cache_size == 0
    with FakeAnthropic(min_cache_tokens=4) as fake:
        for _ in range(2):
            run(claude_create(fake, system=short, messages=USER))
        assert [r.cache_read for r in fake.requests] == [0, block_tokens(short[0])]


def test_prompt_cache_ttl_refresh_expiry_and_clear() -> None:
    now = [0.0]
    with FakeAnthropic(cache_clock=lambda: now[0]) as fake:
        hourly = cached_system(ttl="1h")
        five_minutes = [
            {"type": "text", "text": "Also: " + LONG_SYSTEM, "cache_control": EPHEMERAL}
        ]
        created = run(claude_create(fake, system=[*hourly, *five_minutes], messages=USER))
        hour, five = block_tokens(hourly[0]), block_tokens(five_minutes[0])
        assert created.usage.cache_creation.ephemeral_1h_input_tokens == hour
        assert created.usage.cache_creation.ephemeral_5m_input_tokens == five

        def read() -> int:
            run(claude_create(fake, system=[*hourly, *five_minutes], messages=USER))
            value = fake.requests[-1].cache_read
            assert value is not None
            return value

        now[0] = 299
        assert read() == hour + five  # and that refreshed the 5-minute entry
        now[0] = 598
        assert read() == hour + five
        now[0] = 899
        assert read() == hour  # the 5-minute entry expired, the hour one did not
        assert fake.requests[-1].cache_creation == five  # written again
        fake.clear_cache()
        assert fake.cache_size == 0
        assert read() == 0
        fake.clear()
        assert fake.requests == []
        assert fake.cache_size == 0


def test_explicit_usage_is_sent_verbatim_but_the_cache_still_runs() -> None:
    with FakeAnthropic() as fake:
        system = cached_system()
        fake.enqueue(Reply("Scripted.", usage=Usage(input_tokens=7, output_tokens=3)))
        fake.enqueue(Reply("Estimated input.", usage=Usage(output_tokens=3)))
        scripted = run(claude_create(fake, system=system, messages=USER))
        estimated = run(claude_create(fake, system=system, messages=USER))
        assert (scripted.usage.input_tokens, scripted.usage.cache_creation_input_tokens) == (7, 0)
        assert estimated.usage.input_tokens == prompt_tokens(system, USER)
        assert estimated.usage.cache_read_input_tokens == 0
        # what the cache did is still recorded
        prefix = block_tokens(system[0])
        assert [(r.cache_read, r.cache_creation) for r in fake.requests] == [
            (0, prefix),
            (prefix, 0),
        ]


def test_prompt_cache_through_pydantic_ai_run_usage() -> None:
    with FakeAnthropic() as fake:
        settings = AnthropicModelSettings(
            max_tokens=256, anthropic_cache_instructions=True, anthropic_cache_tool_definitions=True
        )

        def search(query: str) -> str:
            """Search the project's documents."""
            return "Refunds within 30 days."

        fake.enqueue(Reply(tool("search", {"query": "refunds"})), Reply("30 days."))

        async def go() -> tuple[Any, Any]:
            agent = Agent(sonnet(fake), instructions=LONG_SYSTEM, tools=[search])
            first = await agent.run("What is our refund window?", model_settings=settings)
            second = await agent.run(
                "And digital goods?", model_settings=settings, message_history=first.all_messages()
            )
            return first.usage, second.usage

        first, second = run(go())
        records = fake.requests
        assert [r.breakpoints for r in records] == [(0, 1)] * 3  # the tool, the instructions
        prefix = records[0].cache_creation
        assert prefix is not None
        assert prefix > 1024
        assert [(r.cache_read, r.cache_creation) for r in records] == [
            (0, prefix),
            (prefix, 0),
            (prefix, 0),
        ]
        assert (first.cache_write_tokens, first.cache_read_tokens) == (prefix, prefix)
        assert (second.cache_write_tokens, second.cache_read_tokens) == (0, prefix)
        assert second.input_tokens == (records[2].input_tokens or 0) + prefix


# --------------------------------------------------------------------------------------------
# Models and responders
# --------------------------------------------------------------------------------------------


def test_unknown_model_is_a_404_that_consumes_no_script() -> None:
    with FakeAnthropic(models=["claude-sonnet-5-5", "claude-haiku-5-5"]) as fake:
        fake.enqueue(Reply("For the real model."))
        with pytest.raises(anthropic.NotFoundError) as caught:
            run(claude_create(fake, messages=USER, model="claude-3-opus-20240229"))
        assert caught.value.type == "not_found_error"
        assert caught.value.api_message == "model: claude-3-opus-20240229"
        with pytest.raises(anthropic.NotFoundError):
            run(claude(fake).messages.count_tokens(model="claude-retired", messages=USER))
        assert fake.pending == 1
        served = run(claude_create(fake, messages=USER, model="claude-haiku-5-5"))
        assert served.content[0].text == "For the real model."
        assert [r.outcome for r in fake.requests] == ["rejected", "rejected", "completed"]
    with FakeOpenAI(models=["gpt-4o"]) as openai_fake:
        with pytest.raises(openai.NotFoundError) as missing:
            run(
                gpt(openai_fake, max_retries=0).chat.completions.create(
                    model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hi"}]
                )
            )
        assert missing.value.code == "model_not_found"


def test_responder_answers_unscripted_requests() -> None:
    seen: list[RecordedRequest] = []

    def respond(record: RecordedRequest) -> Script:
        seen.append(record)
        system = json.dumps(record.json.get("system", ""))
        if "summar" in system:
            return Reply(text(f"Summary of {len(record.json['messages'])} messages."))
        if record.json["messages"][-1]["content"] == "fail":
            return HttpError(503, should_retry=False)
        return "Plain answer."

    with FakeAnthropic(default_reply=respond) as fake:
        fake.enqueue(Reply("From the queue."))

        async def ask(content: str, system: str = "") -> str:
            message = await claude_create(
                fake, system=system, messages=[{"role": "user", "content": content}]
            )
            return str(message.content[0].text)

        assert run(ask("hi", system="Please summarise.")) == "From the queue."  # queue first
        assert run(ask("hi", system="Please summarise.")) == "Summary of 1 messages."
        assert run(ask("hi")) == "Plain answer."
        with pytest.raises(anthropic.APIStatusError) as unavailable:
            run(ask("fail"))
        assert unavailable.value.status_code == 503
        assert [r.path for r in seen] == ["/v1/messages"] * 3
        assert seen[0] is fake.requests[1]

        def broken(record: RecordedRequest) -> Script:
            raise KeyError("summary")

        fake.respond_with(broken)
        with pytest.raises(anthropic.InternalServerError, match="default_reply raised KeyError"):
            run(ask("hi"))
        fake.respond_with(lambda record: "Set by respond_with.")
        assert run(ask("hi")) == "Set by respond_with."
        assert fake.requests[-1].script == Reply("Set by respond_with.")
