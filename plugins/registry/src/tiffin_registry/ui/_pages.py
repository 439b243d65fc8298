"""The UI's routes: home, repository, version, delete, login and logout.

Every GET without a session answers 303 to the login page (when the registry has tokens); a
change (POST) without a valid session and CSRF token answers 401 / 403, never a redirect.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tiffin.exceptions import InvalidArgument, NotFound, Unauthorized
from tiffin_registry._auth import ANONYMOUS
from tiffin_registry._catalog import KINDS
from tiffin_registry._labels import edit_labels
from tiffin_registry.ui import _queries
from tiffin_registry.ui._session import (
    COOKIE,
    LIFETIME_S,
    Session,
    check_token,
    new_session,
    read_session,
    session_cookie,
)

__all__ = ["routes"]

_HERE = Path(__file__).parent
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"  # pragma: no cover


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = _size
    env.filters["when"] = _when
    env.filters["path"] = lambda v: quote(str(v), safe="")
    return env


def routes(context: Any) -> list[BaseRoute]:
    """The UI's routes for a :class:`~tiffin_registry._app.RegistryApp` (mounted at /ui)."""
    registry, catalog = context.registry, context.catalog
    env = _environment()

    def render(
        request: Request, template: str, session: Session | None, status: int = 200, **values: Any
    ) -> Response:
        html = env.get_template(template).render(
            session=session,
            anonymous=registry.tokens.anonymous,
            query=values.pop("query", ""),
            **values,
        )
        response = HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)
        if session is not None and getattr(request.state, "fresh_session", None) is session:
            _set_cookie(response, session)
        return response

    def _set_cookie(response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            session_cookie(registry, session),
            max_age=LIFETIME_S,
            path="/ui",
            httponly=True,
            samesite="strict",
        )

    def current(request: Request) -> Session | None:
        session = read_session(registry, request.cookies.get(COOKIE))
        if session is None and registry.tokens.anonymous:
            session = new_session("write", ANONYMOUS)  # an open registry: set on this answer
            request.state.fresh_session = session
        return session

    def to_login(request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/ui/login?" + urlencode({"next": target}), status_code=303)

    def not_found(request: Request, session: Session, message: str) -> Response:
        return render(request, "error.html", session, status=404, message=message)

    async def home(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        query = request.query_params.get("q", "").strip()
        search = _queries.parse_search(query)
        sections = []
        for kind in KINDS:
            rows = await run_in_threadpool(
                _queries.list_repositories, registry.engine, kind, search
            )
            sections.append((kind, rows))
        return render(request, "home.html", session, query=query, sections=sections)

    async def repository(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        kind, name = request.path_params["kind"], request.path_params["name"]
        if kind not in KINDS:
            return not_found(request, session, f"unknown kind {kind!r}: models or bentos")
        try:
            page = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            page = 1
        found = await run_in_threadpool(_queries.list_versions, registry.engine, kind, name, page)
        if found is None:
            return not_found(request, session, f"the registry has no {KINDS[kind][0]} {name!r}")
        items, pages = found
        return render(
            request,
            "repository.html",
            session,
            kind=kind,
            what=KINDS[kind][0],
            name=name,
            items=items,
            page=page,
            pages=pages,
            deleted=request.query_params.get("deleted"),
        )

    async def version_page(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        kind, name, ver = (request.path_params[k] for k in ("kind", "name", "version"))
        if kind not in KINDS:
            return not_found(request, session, f"unknown kind {kind!r}: models or bentos")
        try:
            found = await run_in_threadpool(_queries.version, registry, catalog, kind, name, ver)
        except NotFound as exc:
            return not_found(request, session, str(exc))
        tag = found["record"]["tag"]
        command = f"tiffin models pull {tag}" if kind == "models" else f"tiffin pull {tag}"
        return render(
            request, "version.html", session, kind=kind, name=name, command=command, **found
        )

    async def delete(request: Request) -> Response:
        kind, name, ver = (request.path_params[k] for k in ("kind", "name", "version"))
        session = read_session(registry, request.cookies.get(COOKIE))
        if request.method == "GET":  # the confirmation page, for browsers without JavaScript
            session = session or current(request)
            if session is None:
                return to_login(request)
            if not session.can_write:
                return render(request, "error.html", session, status=403, message=_READ_ONLY)
            return render(request, "confirm.html", session, kind=kind, name=name, version=ver)
        form = await request.form()
        if session is None:
            return render(request, "error.html", None, status=401, message=_NO_SESSION)
        if not session.csrf_ok(form.get("csrf")):
            return render(request, "error.html", session, status=403, message=_BAD_CSRF)
        if not session.can_write:
            return render(request, "error.html", session, status=403, message=_READ_ONLY)
        if kind not in KINDS:
            return not_found(request, session, f"unknown kind {kind!r}: models or bentos")
        if form.get("confirmed") != "yes":
            return render(request, "confirm.html", session, kind=kind, name=name, version=ver)
        try:
            tag = await run_in_threadpool(catalog.delete, kind, name, ver, session.actor)
        except NotFound as exc:
            return not_found(request, session, str(exc))
        await run_in_threadpool(registry.audit, session.actor, "delete", f"{kind}/{tag}", via="ui")
        return RedirectResponse(
            f"/ui/{kind}/{quote(name, safe='')}?" + urlencode({"deleted": tag}), status_code=303
        )

    async def labels(request: Request) -> Response:
        """The version page's label form: set one label, or remove one (a write session)."""
        kind, name, ver = (request.path_params[k] for k in ("kind", "name", "version"))
        session = read_session(registry, request.cookies.get(COOKIE))
        form = await request.form()
        if session is None:
            return render(request, "error.html", None, status=401, message=_NO_SESSION)
        if not session.csrf_ok(form.get("csrf")):
            return render(request, "error.html", session, status=403, message=_BAD_CSRF)
        if not session.can_write:
            return render(request, "error.html", session, status=403, message=_READ_ONLY_LABELS)
        if kind not in KINDS:
            return not_found(request, session, f"unknown kind {kind!r}: models or bentos")
        key = str(form.get("key") or "").strip()
        change: dict[str, Any] = (
            {"remove": [key]}
            if form.get("action") == "remove"
            else {"set": {key: str(form.get("value") or "")}}
        )
        try:
            tag, _, done = await run_in_threadpool(edit_labels, catalog, kind, name, ver, change)
        except NotFound as exc:
            return not_found(request, session, str(exc))
        except InvalidArgument as exc:
            return render(request, "error.html", session, status=400, message=str(exc))
        await run_in_threadpool(
            registry.audit, session.actor, "label", f"{kind}/{tag}", via="ui", **done
        )
        version = tag.rpartition(":")[2]
        return RedirectResponse(
            f"/ui/{kind}/{quote(name, safe='')}/{quote(version, safe='')}", status_code=303
        )

    async def login(request: Request) -> Response:
        target = request.query_params.get("next", "/ui/")
        if not target.startswith("/ui/") or target.startswith("//"):
            target = "/ui/"
        if registry.tokens.anonymous:
            return RedirectResponse(target, status_code=303)
        if request.method == "GET":
            return render(request, "login.html", None, next=target, error=None)
        form = await request.form()
        token = str(form.get("token") or "")
        try:
            session = check_token(registry, token)
        except Unauthorized:
            return render(
                request,
                "login.html",
                None,
                status=401,
                next=target,
                error="That token is not known to this registry; paste a token from its "
                "tokens file.",
            )
        response = RedirectResponse(target, status_code=303)
        _set_cookie(response, session)
        return response

    async def logout(request: Request) -> Response:
        session = read_session(registry, request.cookies.get(COOKIE))
        form = await request.form()
        if session is None:
            return render(request, "error.html", None, status=401, message=_NO_SESSION)
        if not session.csrf_ok(form.get("csrf")):
            return render(request, "error.html", session, status=403, message=_BAD_CSRF)
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
        return response

    return [
        Route("/", home, methods=["GET"], name="home"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Mount("/static", app=StaticFiles(directory=_HERE / "static"), name="static"),
        Route("/{kind}/{name}", repository, methods=["GET"], name="repository"),
        Route("/{kind}/{name}/{version}", version_page, methods=["GET"], name="version"),
        Route("/{kind}/{name}/{version}/delete", delete, methods=["GET", "POST"], name="delete"),
        Route("/{kind}/{name}/{version}/labels", labels, methods=["POST"], name="labels"),
    ]


_NO_SESSION = "Sign in first: changes need a session (open the login page and paste a token)."
_BAD_CSRF = "This form is stale or did not come from this registry's UI; reload the page and retry."
_READ_ONLY = "Your token has read scope; deleting needs a write token (sign in with one)."
_READ_ONLY_LABELS = (
    "Your token has read scope; editing labels needs a write token (sign in with one)."
)
