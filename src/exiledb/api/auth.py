"""Who is asking: an anonymous reader, or a token acting as its account.

`Authorization: Bearer exdb_...` selects the token; no header means anonymous. A header with
an unknown, revoked or expired token is refused (401), never treated as anonymous, so a
script with a dead token learns it at once. Sessions are not used: the API has no cookies and
so no cross-site request forgery to guard against.

Anonymous clients are rate limited per address (EXILEDB_API_ANON_RATE, default 120/min);
token holders are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from exiledb.access import policy
from exiledb.access.models import ApiToken
from exiledb.access.tokens import authenticate

from .errors import ApiError


@dataclass
class Persona:
    """The reader behind a request. Truthy even when anonymous (django-ninja treats a falsy
    result as a failed authentication)."""

    user: Any = None
    token: ApiToken | None = None

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:  # the throttle's key for authenticated callers
        return f"token:{self.token.pk}" if self.token else "anonymous"

    @property
    def role(self) -> str | None:
        return policy.effective_role(self.user) if self.user is not None else None

    @property
    def public(self) -> bool:
        """Sees what the public site shows (anonymous, or an account without a role)."""
        return self.role is None

    @property
    def label(self) -> str:
        """The persona in cache keys: the role decides what is seen, not the account."""
        return policy.audience(self.user)

    def require_write(self) -> None:
        if self.token is None:
            raise ApiError(
                401,
                "Writing needs an API token with the write scope: "
                "send 'Authorization: Bearer <token>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if self.token.scope != ApiToken.WRITE:
            raise ApiError(403, "This token has the read scope; writing needs the write scope.")
        if self.role not in policy.WRITING_ROLES:
            raise ApiError(403, "The token's account has no role that may add or change records.")


class TokenAuth(HttpBearer):
    """Bearer tokens from `exiledb token create` or the editor's API tokens page."""

    openapi_description = (
        "An API token: `Authorization: Bearer exdb_...`. Reads work without one (you then see "
        "what the public site shows); writes need a token with the write scope."
    )

    def __call__(self, request: HttpRequest) -> Any:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "The Authorization header must be 'Bearer <token>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Persona:
        found = authenticate(token)
        if found is None:
            raise ApiError(
                401,
                "Unknown, revoked or expired API token.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        request.user = found.user  # the edit history's author (simple_history reads it)
        return Persona(user=found.user, token=found)


def anonymous(request: HttpRequest) -> Persona:
    return Persona()


class AnonymousThrottle(SimpleRateThrottle):
    """A sliding window per client address, for requests without a token."""

    scope = "anonymous"

    def __init__(self) -> None:
        super().__init__(self._setting())

    @staticmethod
    def _setting() -> str:
        return str(getattr(settings, "EXILEDB_API_ANON_RATE", "120/min"))

    def allow_request(self, request: HttpRequest) -> bool:
        rate = self._setting()  # read each time: the setting may change without a restart
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        persona = getattr(request, "auth", None)
        if isinstance(persona, Persona) and persona.token is not None:
            return None
        return f"exiledb-api-throttle:{self.get_ident(request)}"


def persona(request: HttpRequest) -> Persona:
    found = getattr(request, "auth", None)
    return found if isinstance(found, Persona) else Persona()
