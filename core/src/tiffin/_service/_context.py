"""What an API function and a lifecycle hook may see of the request, and set on the response.

One :class:`Context` per request, created only for APIs that ask for it, so the others pay
nothing. ``state`` is one dict per worker, shared by every API and hook of that worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

from tiffin.exceptions import InvalidArgument

if TYPE_CHECKING:
    from starlette.datastructures import MutableHeaders
    from starlette.requests import Request

__all__ = ["Context", "Cookie", "RequestContext", "ResponseContext"]


@attrs.frozen
class Cookie:
    """A cookie to set on the response: ``ctx.response.cookies = [tiffin.Cookie(...)]``."""

    key: str
    value: str
    max_age: int | None = None
    expires: int | str | None = None
    path: str = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: Literal["lax", "strict", "none", "Lax", "Strict", "None"] = "lax"


class RequestContext:
    """A read-only view of the request: ``headers``, ``cookies``, ``query``, ``client``, ...

    Anything else a Starlette request has (``url``, ``method``, ``path_params``) is passed
    through, so code written against BentoML's starlette request keeps working.
    """

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def headers(self) -> Any:
        return self._request.headers

    @property
    def cookies(self) -> dict[str, str]:
        return self._request.cookies

    @property
    def query(self) -> Any:
        return self._request.query_params

    @property
    def query_params(self) -> Any:
        return self._request.query_params

    @property
    def client(self) -> Any:
        return self._request.client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


class ResponseContext:
    """What the API function sets on its response: status code, extra headers, cookies."""

    __slots__ = ("_headers", "cookies", "status_code")

    def __init__(self) -> None:
        self.status_code: int | None = None
        self.cookies: list[Cookie] = []
        self._headers: MutableHeaders | None = None

    @property
    def headers(self) -> MutableHeaders:
        """Headers added to the response; ``headers.append(key, value)`` allows repeats."""
        if self._headers is None:
            from starlette.datastructures import MutableHeaders

            self._headers = MutableHeaders()
        return self._headers

    def apply(self, response: Any) -> Any:
        """Copy what was set here onto the Starlette ``response``."""
        if self.status_code is not None:
            response.status_code = int(self.status_code)
        if self._headers is not None:
            for key, value in self._headers.items():
                response.headers.append(key, value)
        for cookie in self.cookies:
            if not isinstance(cookie, Cookie):
                raise InvalidArgument(
                    f"ctx.response.cookies must hold tiffin.Cookie objects, got {cookie!r}"
                )
            response.set_cookie(
                key=cookie.key,
                value=cookie.value,
                max_age=cookie.max_age,
                expires=cookie.expires,
                path=cookie.path,
                domain=cookie.domain,
                secure=cookie.secure,
                httponly=cookie.httponly,
                samesite=cookie.samesite.lower(),  # type: ignore[arg-type]
            )
        return response


class _NoRequest:
    def __getattr__(self, name: str) -> Any:
        raise InvalidArgument(
            "ctx.request is not available here: lifecycle hooks run outside any request"
        )


class Context:
    """Given to an API function that takes ``ctx`` (or a ``tiffin.Context`` parameter), and to
    ``on_startup``/``on_shutdown`` hooks (which have no request)."""

    __slots__ = ("_request", "response", "state")

    def __init__(self, request: Request | None = None, state: dict[str, Any] | None = None) -> None:
        self._request = RequestContext(request) if request is not None else None
        self.response = ResponseContext()
        self.state: dict[str, Any] = state if state is not None else {}

    @property
    def request(self) -> RequestContext:
        if self._request is None:
            return _NoRequest()  # type: ignore[return-value]
        return self._request
