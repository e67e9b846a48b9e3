"""Loopback fake venue harness: request log, signature check, and injectable faults."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class Stall:
    """Process the request (the venue DOES act on it), then hold the answer this long."""

    seconds: float


@dataclass(frozen=True)
class HttpStatus:
    """Answer with a bare HTTP status before doing anything (429, 502, 503...)."""

    status: int
    body: str = ""


@dataclass(frozen=True)
class Reject:
    """Answer with a venue error code before doing anything."""

    code: int
    message: str


Fault = Stall | HttpStatus | Reject


class VenueError(Exception):
    """Raised by a handler to answer with a venue error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class FakeVenue(ABC):
    """Base of the fake venues: one catch-all route, faults queued per (method, path)."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.unknown: list[tuple[str, str]] = []
        self.bad_signatures = 0
        self._faults: dict[tuple[str, str], deque[Fault]] = {}
        self._stopping = asyncio.Event()
        self._server: TestServer | None = None

    # --- test controls -------------------------------------------------------------------
    def fail_next(self, method: str, path: str, *faults: Fault) -> None:
        self._faults.setdefault((method, path), deque()).extend(faults)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p == path)

    def params_of(self, method: str, path: str) -> list[dict[str, Any]]:
        return [params for m, p, params in self.requests if m == method and p == path]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return f"http://127.0.0.1:{self._server.port}"

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            await self._server.close()

    # --- subclass hooks ------------------------------------------------------------------
    @abstractmethod
    async def params(self, request: web.Request) -> dict[str, Any]:
        """Venue-specific."""

    @abstractmethod
    def signature_ok(self, request: web.Request, raw_body: str) -> bool:
        """Venue-specific."""

    @abstractmethod
    def is_private(self, path: str) -> bool:
        """Venue-specific."""

    @abstractmethod
    def handle(self, method: str, path: str, params: dict[str, Any]) -> Any:
        """Venue-specific."""

    @abstractmethod
    def ok(self, result: Any) -> web.Response:
        """Venue-specific."""

    @abstractmethod
    def error(self, code: int, message: str) -> web.Response:
        """Venue-specific."""

    # --- dispatch ------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        method, path = request.method, request.path
        raw_body = await request.text()
        params = await self.params(request)
        self.requests.append((method, path, params))
        queue = self._faults.get((method, path))
        fault = queue.popleft() if queue else None
        if isinstance(fault, HttpStatus):
            return web.Response(status=fault.status, text=fault.body)
        if self.is_private(path) and not self.signature_ok(request, raw_body):
            self.bad_signatures += 1
            return self.error(10004, "error sign!")
        if isinstance(fault, Reject):
            return self.error(fault.code, fault.message)
        try:
            result = self.handle(method, path, params)
        except VenueError as e:
            return self.error(e.code, e.message)
        except KeyError:
            self.unknown.append((method, path))
            return web.Response(status=404, text="not found")
        if isinstance(fault, Stall):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.seconds)
        return self.ok(result)
