"""Models every resource shares."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorPublic(BaseModel):
    """Every error answer: a message a person can act on; `errors` for bad parameters."""

    message: str
    errors: list[dict[str, object]] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorPublic, "description": "no or unknown API key"},
    403: {"model": ErrorPublic, "description": "the key's role may not do this"},
    422: {"model": ErrorPublic, "description": "bad parameters"},
    503: {"model": ErrorPublic, "description": "InfluxDB does not answer"},
}

NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorPublic, "description": "no such record"}
}
