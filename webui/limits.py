"""A cap on the size of a request's body, for every route but Gradio's file upload (which has its own, per file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import PlainTextResponse

# Gradio keeps each session's latest inputs (for its deep links) until the session is forgotten: a body cap bounds
# what one session holds. A question (2,000 characters read) with its history is a few kB; the page's own requests
# carry the conversation shown (about 10 kB a turn), so this leaves room for about 100 turns.
MAX_BODY_BYTES = 2**20
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """ASGI middleware: a request with a body over `max_bytes` is answered 413 before the app reads any of it."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int = MAX_BODY_BYTES,
                 exempt: tuple[str, ...] = ("/upload",)) -> None:
        """Wrap `app`; paths ending with one of `exempt` (Gradio's upload route) pass unchecked."""
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its body read (up to the cap) and replayed, or refuse it."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") \
                or scope["path"].rstrip("/").endswith(self.exempt):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:  # a body without a length (chunked) is counted as it arrives
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, _replay(chunks, None, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = (f"the request's body is over {self.max_bytes:,} bytes: send a shorter question and history "
                   "(2,000 characters of a question are read), or start a new chat")
        await PlainTextResponse(message, status_code=413)(scope, receive, send)


def _replay(chunks: list[bytes], first: Message | None, receive: Receive) -> Receive:
    """A receive that gives the body already read as one message (or `first`), then defers to `receive`."""
    pending: list[Message] = [first] if first is not None else [
        {"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
