"""Errors as JSON with a message, and the handlers that make every failure one.

HTTP errors are raised only in the route and dependency layer; services raise
`ValueError` / `LookupError` or the `core` InfluxDB errors, mapped here.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import InfluxAuthError, InfluxError, InfluxUnreachableError

log = logging.getLogger("yiju.api")


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} does not exist")


def bad_parameter(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def _body(message: str, errors: list[dict[str, object]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return body


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(_body(str(exc.detail)), exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, object]] = []
    messages: list[str] = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        msg = str(e.get("msg", ""))
        errors.append({"loc": loc, "msg": msg, "type": str(e.get("type", ""))})
        messages.append(f"bad parameter {'.'.join(loc)}: {msg}" if loc else msg)
    message = messages[0] if messages else "invalid request"
    return JSONResponse(_body(message, errors), status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _influx_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("InfluxDB unavailable for %s: %s", request.url.path, exc)
    if isinstance(exc, InfluxAuthError):
        message = "InfluxDB refused the API's read-only account; check YIJU_INFLUX_READER_*"
    else:
        message = f"InfluxDB does not answer; try again later ({exc})"
    return JSONResponse(_body(message), status.HTTP_503_SERVICE_UNAVAILABLE)


async def _influx_error(request: Request, exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:8]
    log.error("InfluxDB failed for %s (ref %s): %s", request.url.path, ref, exc)
    return JSONResponse(
        _body(f"InfluxDB failed to answer this request (ref {ref})"),
        status.HTTP_502_BAD_GATEWAY,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:8]
    log.exception("unexpected error on %s (ref %s)", request.url.path, ref)
    return JSONResponse(
        _body(f"internal error (ref {ref}); the API's log has the details"),
        status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InfluxUnreachableError, _influx_down)
    app.add_exception_handler(InfluxAuthError, _influx_down)
    app.add_exception_handler(InfluxError, _influx_error)
    app.add_exception_handler(Exception, _unexpected)
