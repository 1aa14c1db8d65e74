"""One error shape for every refusal the API gives.

    {"error": {"status": 422, "code": "invalid", "message": "...",
               "fields": [{"path": "query.stage", "message": "..."}]}}

`fields` lists each offending parameter or body field by path (`query.NAME`, `body.FIELD`,
`body.involvements[0].person`) and is empty when the whole request is refused.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


class ApiError(Exception):
    """Raised anywhere in the API to answer with the error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: list[dict[str, str]] | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or []
        self.code = code or MESSAGES.get(status, "error")
        self.headers = headers or {}


def field(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def response(
    status: int,
    message: str,
    fields: list[dict[str, str]] | None = None,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    out = JsonResponse(
        {
            "error": {
                "status": status,
                "code": code or MESSAGES.get(status, "error"),
                "message": message,
                "fields": fields or [],
            }
        },
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        out[name] = value
    return out


def from_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return response(exc.status, exc.message, exc.fields, code=exc.code, headers=exc.headers)


def _path(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("", None)]
    out = ""
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def from_validation(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """django-ninja's (pydantic's) error list as field paths and messages. Ninja nests the
    parameters of a query schema under its argument name ("filters"), which a client never
    sees: it is left out of the path."""
    out = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if len(loc) > 1 and loc[0] == "query" and loc[1] in ("filters", "params"):
            loc = [loc[0], *loc[2:]]
        out.append(field(_path(loc), str(error.get("msg", "invalid value"))))
    return out
