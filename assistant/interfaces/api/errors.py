"""API errors and how they are written: ``{"detail": …}`` on /api, OpenAI's shape on /v1.

OpenAI clients read ``{"error": {"message", "type", "code"}}``; everything else gets
FastAPI's usual ``{"detail": message}``. Malformed JSON or a wrong field is 422 on /api
and 400 on /v1 (what OpenAI answers), with the fields that were wrong named.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


class ApiError(Exception):
    """A refusal with its status, message and headers (``Retry-After``, ``WWW-Authenticate``).

    :param code: a short machine-readable reason (OpenAI's ``code``).
    """

    def __init__(
        self, status: int, message: str, *, code: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = headers or {}


def error_body(path: str, status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """The JSON body of an error on ``path``."""
    if path.startswith("/v1/"):
        kind = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "api_error")
        return {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return {"detail": message}


def error_response(
    path: str, status: int, message: str, code: str | None = None, headers: dict | None = None
) -> JSONResponse:
    """An error as a response for ``path``."""
    return JSONResponse(error_body(path, status, message, code), status, headers=headers)


def describe(errors: list[dict[str, Any]]) -> str:
    """Pydantic's validation errors as one line: ``body.k: Input should be …; …``."""
    parts = []
    for e in errors[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()))
        parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg")))
    return "; ".join(parts)


def install(app: FastAPI, invalid: str) -> None:
    """Register the handlers; ``invalid`` is the message template with ``{errors}``."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(request.url.path, exc.status, exc.message, exc.code, exc.headers)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        path = request.url.path
        status = 400 if path.startswith("/v1/") else 422
        message = invalid.format(errors=describe(list(exc.errors())))
        return error_response(path, status, message, "invalid_request")

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(request.url.path, exc.status_code, str(exc.detail), None)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
