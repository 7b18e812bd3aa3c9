"""OpenAI-compatible routes: `POST /v1/chat/completions`, `POST /v1/completions` (streamed as server-sent
events or not) and `GET /v1/models`. Requests are checked against the server's limits before they are queued,
so a bad one is refused at once with a 4xx that says what to change; generation runs on the queue's thread."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from model.errors import ModelInputError
from model.sampling import OPENAI_DEFAULTS, Sampling
from webapp.api_errors import APIError
from webapp.generation import Completion, GenerationRequest
from webapp.generation_queue import GenerationJob
from webapp.openai_schemas import ChatCompletionRequest, CompletionRequest, SamplingRequest

router = APIRouter()
MAX_STOP_STRINGS = 4  # as OpenAI's API
CLIENT_CLOSED = 499  # nginx's status for a client that left before the answer (nobody reads it)


class GenerationStream(StreamingResponse):
    """Server-sent events that cancel their generation job when the response ends for any reason: a client that
    disconnects mid-stream frees the generation thread at its next token."""

    def __init__(self, job: GenerationJob, events: AsyncIterator[str]):
        super().__init__(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        self.job = job

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.job.cancel()


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _usage(completion: Completion) -> dict:
    return {"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
            "total_tokens": completion.prompt_tokens + completion.completion_tokens}


def _sampling(request: Request, body: SamplingRequest) -> GenerationRequest:
    """The body's sampling settings, within the server's limits; OpenAI's defaults where it gives none."""
    server = request.app.state.server
    if body.model != server.model.name:
        raise APIError(404, f"model {body.model!r} does not exist on this server; GET /v1/models lists "
                            f"{server.model.name!r}", "model", "model_not_found")
    max_tokens = body.requested_max_tokens() or server.limits.default_max_tokens
    if max_tokens > server.limits.max_tokens:
        raise APIError(400, f"max_tokens {max_tokens} is over this server's limit of {server.limits.max_tokens}",
                       "max_tokens")
    stops = body.stop_strings()
    if len(stops) > MAX_STOP_STRINGS:
        raise APIError(400, f"stop: {len(stops)} strings given, at most {MAX_STOP_STRINGS}", "stop")
    sampling = Sampling(
        temperature=OPENAI_DEFAULTS.temperature if body.temperature is None else body.temperature,
        top_k=body.top_k or OPENAI_DEFAULTS.top_k, top_p=OPENAI_DEFAULTS.top_p if body.top_p is None else body.top_p,
        repetition_penalty=body.repetition_penalty or OPENAI_DEFAULTS.repetition_penalty, seed=body.torch_seed())
    try:
        return GenerationRequest(max_tokens, sampling, stops)
    except ModelInputError as err:  # a stop string over the length StopText accepts
        raise APIError(400, str(err), "stop") from None


async def _check_off_the_event_loop(check: Callable, *args, param: str) -> None:
    """A check that tokenises the request (up to max_messages × max_message_chars of text): on a worker thread,
    so that /health and the other requests are answered meanwhile; its ModelInputError is a 400."""
    try:
        await run_in_threadpool(check, *args)
    except ModelInputError as err:
        raise APIError(400, str(err), param) from None


async def _client_gone(request: Request) -> None:
    """Returns once the client has disconnected (the body has been read: the next message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _chat_messages(request: Request, body: ChatCompletionRequest) -> list[dict]:
    limits = request.app.state.server.limits
    if len(body.messages) > limits.max_messages:
        raise APIError(400, f"messages: {len(body.messages)} given, this server takes at most {limits.max_messages}",
                       "messages")
    turns = [m.as_turn() for m in body.messages]
    for index, turn in enumerate(turns):
        if len(turn["content"]) > limits.max_message_chars:
            raise APIError(400, f"messages.{index}.content has {len(turn['content']):,} characters, over this "
                                f"server's limit of {limits.max_message_chars:,}", f"messages.{index}.content",
                           "message_too_long")
    return turns


async def _events(job: GenerationJob, head: dict, piece: Callable[[str | None, str | None], dict],
                  include_usage: bool, first: dict | None = None) -> AsyncIterator[str]:
    """The SSE body: an optional first chunk, one chunk per text piece, the finish chunk, usage, [DONE]."""
    if first is not None:
        yield _sse({**head, "choices": [first]})
    async for item in job.stream():
        if isinstance(item, str):
            yield _sse({**head, "choices": [piece(item, None)]})
        elif item.error is not None:
            yield _sse({"error": {"message": f"generation failed ({type(item.error).__name__}); see the server log",
                                  "type": "server_error", "param": None, "code": None}})
        elif isinstance(item.result, Completion):
            yield _sse({**head, "choices": [piece(None, item.result.finish_reason)]})
            if include_usage:
                yield _sse({**head, "choices": [], "usage": _usage(item.result)})
    yield "data: [DONE]\n\n"


@router.get("/v1/models")
async def list_models(request: Request) -> dict:
    server = request.app.state.server
    return {"object": "list", "data": [{"id": server.model.name, "object": "model", "created": server.started,
                                        "owned_by": "hindi-slm", "root": str(server.model.checkpoint)}]}


@router.post("/v1/chat/completions")
async def chat_completions(body: ChatCompletionRequest, request: Request):
    sampling = _sampling(request, body)
    messages = _chat_messages(request, body)
    server = request.app.state.server
    model = server.model
    with server.queue.admit() as submit:  # 429 before any tokenising when the queue is full
        await _check_off_the_event_loop(model.check_chat, messages, sampling.max_tokens, param="messages")
        job = submit(lambda emit: model.chat(messages, sampling, emit))
    head = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": model.name}
    if body.stream:
        def piece(text, finish):
            return {"index": 0, "delta": {} if text is None else {"content": text}, "finish_reason": finish}

        first = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return GenerationStream(job, _events(job, {**head, "object": "chat.completion.chunk"}, piece,
                                             include_usage, first))
    completion = await job.result(lambda: _client_gone(request))
    if completion is None:
        return Response(status_code=CLIENT_CLOSED)
    message = {"role": "assistant", "content": completion.text}
    return {**head, "object": "chat.completion", "usage": _usage(completion),
            "choices": [{"index": 0, "message": message, "finish_reason": completion.finish_reason}]}


@router.post("/v1/completions")
async def completions(body: CompletionRequest, request: Request):
    sampling = _sampling(request, body)
    prompt = body.prompt_text()
    limits, model = request.app.state.server.limits, request.app.state.server.model
    if prompt is None:
        raise APIError(400, "prompt: give one string (this server makes one completion per request)", "prompt")
    if len(prompt) > limits.max_message_chars:
        raise APIError(400, f"prompt has {len(prompt):,} characters, over this server's limit of "
                            f"{limits.max_message_chars:,}", "prompt", "message_too_long")
    with request.app.state.server.queue.admit() as submit:  # 429 before any tokenising when the queue is full
        await _check_off_the_event_loop(model.completion_prompt, prompt, sampling.max_tokens, param="prompt")
        job = submit(lambda emit: model.complete(prompt, sampling, emit))
    head = {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "object": "text_completion", "created": int(time.time()),
            "model": model.name}
    if body.stream:
        def piece(text, finish):
            return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}

        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return GenerationStream(job, _events(job, head, piece, include_usage))
    completion = await job.result(lambda: _client_gone(request))
    if completion is None:
        return Response(status_code=CLIENT_CLOSED)
    return {**head, "usage": _usage(completion),
            "choices": [{"index": 0, "text": completion.text, "logprobs": None,
                         "finish_reason": completion.finish_reason}]}
