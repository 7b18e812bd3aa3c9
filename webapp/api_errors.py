"""Errors as OpenAI's API writes them (`{"error": {"message", "type", "param", "code"}}`), for every route: a
client library shows the message, and no request ever gets a traceback (bugs are logged on the server)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

TYPES = {400: "invalid_request_error", 404: "not_found_error", 413: "invalid_request_error",
         421: "invalid_request_error", 429: "rate_limit_error", 500: "server_error"}


class APIError(Exception):
    """A request the server refuses, with the HTTP status and a message that says what to change."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def error_response(status: int, message: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    body = {"message": message, "type": TYPES.get(status, "invalid_request_error"), "param": param, "code": code}
    return JSONResponse({"error": body}, status_code=status)


def _describe_validation(error: dict) -> tuple[str, str | None]:
    """One pydantic error as a sentence: malformed JSON says where; a field error names the field."""
    where = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    if error.get("type") == "json_invalid":
        detail = (error.get("ctx") or {}).get("error", "not JSON")
        return f"malformed JSON in the request body at character {where[0] if where else '?'}: {detail}", None
    field = ".".join(where)
    if not field and error.get("type") in ("model_attributes_type", "dict_type"):
        return "the request body must be a JSON object, sent with Content-Type: application/json", None
    if error.get("type") == "missing":
        return f"{field}: required", field or None
    return f"{field or 'request body'}: {error.get('msg', 'invalid')}", field or None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(_: Request, err: APIError) -> JSONResponse:
        return error_response(err.status, err.message, err.param, err.code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
        described = [_describe_validation(e) for e in err.errors()]
        message = "; ".join(text for text, _ in described) or "invalid request"
        return error_response(400, message, param=described[0][1] if described else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return error_response(err.status_code, str(err.detail))

    @app.exception_handler(Exception)
    async def bug(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error ({type(err).__name__}); the server log has the details")
