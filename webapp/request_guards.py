"""Two checks every request passes before any route sees it, as plain ASGI middleware (they read the raw
request, not a parsed one):

- `HostCheck`: the `Host` header must name this server (DNS rebinding: a web page on attacker.example whose name
  is made to resolve to 127.0.0.1 would otherwise reach the API and the data pages from the user's browser).
- `BodyLimit`: the request body is counted as it arrives, chunk by chunk, so a chunked body (no `Content-Length`)
  is held to the same limit as a declared one.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webapp.api_errors import error_response

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")
ANY_HOST = "*"


def host_name(host: str) -> str:
    """The name part of a Host header value or an --allowed-host entry, lower case: `[::1]:8000` -> `[::1]`."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal: its colons are not the port's
        return host[: host.find("]") + 1] if "]" in host else host
    if host.count(":") > 1:  # a bare IPv6 address, as --host ::1 gives it
        return f"[{host}]"
    return host.split(":", 1)[0]


def allowed_host_names(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The loopback names, the address the server is bound to (unless a wildcard) and the names the user added."""
    names = {host_name(name) for name in (*LOOPBACK_NAMES, *extra)}
    if bound_host not in ("0.0.0.0", "::", ""):
        names.add(host_name(bound_host))
    return frozenset(names)


class HostCheck:
    """Answers 421 to a request whose Host names another server, 400 to one without a Host (HTTP/1.0)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]):
        self.app, self.allowed = app, frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or ANY_HOST in self.allowed:
            return await self.app(scope, receive, send)
        host = Headers(scope=scope).get("host")
        if host is None:
            refusal = error_response(400, "the request has no Host header: send Host: 127.0.0.1:PORT")
        elif host_name(host) not in self.allowed:
            refusal = error_response(421, f"this server does not answer for Host {host[:200]!r} (it answers for "
                                          f"{', '.join(sorted(self.allowed))}); start it with --allowed-host NAME "
                                          "to add a name it is reached by", code="unknown_host")
        else:
            return await self.app(scope, receive, send)
        await refusal(scope, receive, send)


class BodyLimit:
    """Reads the whole body before the app runs (every route that takes one parses it whole) and answers 413 as
    soon as more than `max_bytes` have come, declared or not; the app then reads the body from memory and,
    after it, the connection's own messages (the disconnect that cancels a generation)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(f"request body of {int(declared):,} bytes", scope, receive, send)
        chunks, received = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before it finished sending: nobody to answer
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_bytes:
                return await self._refuse(f"request body of more than {self.max_bytes:,} bytes (chunked)", scope,
                                          receive, send)
            if not message.get("more_body", False):
                break
        body: Message | None = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        async def replay() -> Message:
            nonlocal body
            if body is None:
                return await receive()
            message, body = body, None
            return message

        await self.app(scope, replay, send)

    async def _refuse(self, what: str, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = error_response(413, f"{what}, over this server's limit of {self.max_bytes:,}")
        refusal.headers["Connection"] = "close"  # the rest of the body is never read
        await refusal(scope, receive, send)
