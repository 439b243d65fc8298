"""The web UI in a real Chromium against a real ``tiffin registry serve`` filled by real pushes,
and its session / CSRF rules over plain HTTP."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import TOKENS, RegistryServer, make_bento, make_model

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium (the system's, never a downloaded one)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Watched:
    """A browser page that records console errors, page errors and failed requests."""

    def __init__(self, browser: object, base: str) -> None:
        self.context = browser.new_context(base_url=base)  # type: ignore[attr-defined]
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

        def on_dialog(dialog: object) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
            dialog.accept()  # type: ignore[attr-defined]

        self.page.on("dialog", on_dialog)

    def check_page(self) -> None:
        """Every page: exactly one search box, a favicon, nothing logged as an error."""
        assert self.page.locator("input[type=search]").count() == 1
        icon = self.page.locator("link[rel=icon]").get_attribute("href")
        assert icon and icon.startswith("/ui/static/")
        assert self.errors == []


@pytest.fixture
def watched(browser: object) -> Iterator[Callable[[str], Watched]]:
    made: list[Watched] = []

    def make(base: str) -> Watched:
        made.append(Watched(browser, base))
        return made[-1]

    yield make
    for w in made:
        w.context.close()


def _push_samples(server: RegistryServer, cli, tmp_path: Path, scope: str | None) -> dict:
    env = server.env(scope)
    prod = make_model("scaler", labels={"stage": "prod", "note": XSS}, extra_bytes=10_000)
    result = cli("models", "push", "scaler", env=env)
    assert result.returncode == 0, result.stderr
    other = make_model("ranker", labels={"stage": "dev"})
    assert cli("models", "push", "ranker", env=env).returncode == 0
    bento = make_bento(tmp_path / "svc", model="scaler", name="scaler-svc")
    result = cli("push", "scaler-svc", env=env)
    assert result.returncode == 0, result.stderr
    return {"model": prod, "other": other, "bento": bento}


def _screenshot(w: Watched, name: str) -> None:
    folder = os.environ.get("TIFFIN_UI_SCREENSHOTS")
    if folder:
        w.page.screenshot(path=str(Path(folder) / f"registry-ui-{name}.png"), full_page=True)


def test_browse_search_copy_and_pull(
    start_registry_factory, cli, watched, tmp_path: Path, other_home: Path
) -> None:
    server = start_registry_factory()
    samples = _push_samples(server, cli, tmp_path, None)
    model, bento = samples["model"], samples["bento"]
    w = watched(server.url)
    page = w.page

    page.goto("/")  # the registry's root leads to the UI
    assert page.url == f"{server.url}/ui/"
    models = page.locator("table[data-kind=models]")
    assert models.locator("tbody tr").count() == 2
    row = models.locator("tr", has_text="scaler")
    assert model.tag.version in row.inner_text()
    assert page.locator("table[data-kind=bentos]").get_by_role("link", name="scaler-svc").count()
    w.check_page()
    _screenshot(w, "home")

    # home -> repository -> version
    models.get_by_role("link", name="scaler", exact=True).click()
    page.wait_for_url(re.compile(r"/ui/models/scaler$"))
    assert page.locator("h1").inner_text().startswith("scaler")
    version_row = page.locator("table.versions tbody tr")
    assert version_row.count() == 1
    assert "stage=prod" in version_row.inner_text() and "custom" in version_row.inner_text()
    assert f"note={XSS}" in version_row.inner_text()  # shown as text, not run
    w.check_page()
    _screenshot(w, "repository")
    page.get_by_role("link", name=model.tag.version).click()
    page.wait_for_url(re.compile(rf"/ui/models/scaler/{model.tag.version}$"))
    labels = page.locator("table.labels")
    assert labels.locator("tr", has_text="note").locator("td").inner_text() == XSS
    assert page.locator("table.files").inner_text().count("factor.txt") == 1
    for entry in model.info.files:
        assert entry.sha256 in page.locator("table.files").inner_text()
    w.check_page()
    _screenshot(w, "model-version")

    # the copy button puts the exact pull command on the clipboard; it works
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"tiffin models pull {model.tag}"
    args = shlex.split(copied)
    assert args[0] == "tiffin"
    pulled = cli(*args[1:], env={**server.env(), "TIFFIN_HOME": str(other_home)})
    assert pulled.returncode == 0, pulled.stderr
    assert (other_home / "models" / "scaler" / model.tag.version / "factor.txt").exists()

    # search by name and by label; the query stays in the URL
    page.locator("input[type=search]").fill("rank")
    page.locator("input[type=search]").press("Enter")
    page.wait_for_url(re.compile(r"\?q=rank$"))
    names = page.locator("table[data-kind=models] tbody td:first-child").all_inner_texts()
    assert names == ["ranker"]
    assert page.locator("table[data-kind=bentos]").count() == 0
    page.goto("/ui/?q=stage%3Dprod")
    assert page.locator("input[type=search]").input_value() == "stage=prod"
    names = page.locator("table[data-kind=models] tbody td:first-child").all_inner_texts()
    assert names == ["scaler"]
    w.check_page()
    _screenshot(w, "search")

    # a bento: APIs with routes and IO, its model linked, requirements, Dockerfile
    page.goto(f"/ui/bentos/scaler-svc/{bento.tag.version}")
    apis = page.locator("table.apis").inner_text()
    assert "POST /predict" in apis and "JSON" in apis
    assert "FROM " in page.locator("pre.text").last.inner_text()
    assert page.locator("#pull-command").inner_text() == f"tiffin pull {bento.tag}"
    w.check_page()
    _screenshot(w, "bento-version")
    page.locator("ul.models").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/ui/models/scaler/{model.tag.version}$"))
    w.check_page()
    assert w.dialogs == []  # the XSS label never ran


def test_pages_read_without_javascript(start_registry_factory, cli, browser, tmp_path) -> None:
    server = start_registry_factory()
    samples = _push_samples(server, cli, tmp_path, None)
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/ui/?q=stage%3Dprod")
        page.get_by_role("link", name="scaler", exact=True).click()
        page.get_by_role("link", name=samples["model"].tag.version).click()
        assert page.locator("#pull-command").inner_text().startswith("tiffin models pull")
        # without confirm(), Delete leads to a confirmation page whose button is also "Delete"
        page.get_by_role("button", name="Delete").click()
        assert page.locator("h1").inner_text().startswith("Delete scaler:")
        page.get_by_role("button", name="Delete").click()
        page.wait_for_url(re.compile(r"/ui/models/scaler\?deleted="))
        assert "No versions" in page.locator("main").inner_text()
    finally:
        context.close()


def test_login_read_token_sees_no_delete_write_token_deletes(
    start_registry_factory, cli, watched, tmp_path: Path
) -> None:
    server = start_registry_factory(tokens=True)
    samples = _push_samples(server, cli, tmp_path, "write")
    model = samples["model"]
    w = watched(server.url)
    page = w.page
    target = f"/ui/models/scaler/{model.tag.version}"

    page.goto(target)  # no session: the login page, which comes back here
    assert "/ui/login" in page.url
    assert page.locator("input[type=password]").count() == 1
    assert page.locator("input[type=search]").count() == 1  # searching leads here first
    w.errors.clear()  # the 303 itself is no error; what follows must be clean
    _screenshot(w, "login")
    page.locator("input[type=password]").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "not known" in page.locator(".error").inner_text()
    w.errors.clear()  # the 401 of a wrong token is the expected answer
    page.locator("input[type=password]").fill(TOKENS["read"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"{target}$"))
    assert page.get_by_role("button", name="Delete").count() == 0
    cookie = next(c for c in w.context.cookies() if c["name"] == "tiffin_ui_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert TOKENS["read"] not in cookie["value"]
    w.check_page()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    page.goto(target)
    page.locator("input[type=password]").fill(TOKENS["write"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"{target}$"))
    _screenshot(w, "delete")
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/ui/models/scaler\?deleted="))
    assert w.dialogs and w.dialogs[0].startswith("confirm: Delete scaler:")
    assert f"Deleted scaler:{model.tag.version}" in page.locator(".notice").inner_text()
    w.check_page()

    listed = cli("models", "list", "--remote", "-o", "json", env=server.env("read"))
    assert listed.returncode == 0, listed.stderr
    assert str(model.tag) not in listed.stdout and "ranker" in listed.stdout


def _login_post(client: httpx.Client, token: str) -> httpx.Response:
    form = client.get("/ui/login")
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert login_csrf, form.text
    return client.post("/ui/login", data={"token": token, "csrf": login_csrf.group(1)})


def _login(client: httpx.Client, token: str) -> str:
    answer = _login_post(client, token)
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_session_and_csrf_rules_over_http(start_registry_factory, cli, tmp_path: Path) -> None:
    server = start_registry_factory(tokens=True)
    model = _push_samples(server, cli, tmp_path, "write")["model"]
    delete = f"/ui/models/scaler/{model.tag.version}/delete"
    version_page = f"/ui/models/scaler/{model.tag.version}"

    with httpx.Client(base_url=server.url) as anon:
        for path in ("/ui/", "/ui/models/scaler", version_page, delete):
            answer = anon.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/ui/login?next=")
        assert anon.get("/ui/login").status_code == 200
        assert 'type="password"' in anon.get("/ui/login").text
        assert anon.get("/ui/static/favicon.svg").status_code == 200
        # changes without a session: refused, never redirected
        assert anon.post(delete, data={"csrf": "x", "confirmed": "yes"}).status_code == 401
        anon.cookies.set("tiffin_ui_session", "forged~123.abc", path="/ui")
        assert anon.post(delete, data={"confirmed": "yes"}).status_code == 401
        assert anon.get("/ui/").status_code == 303

    with httpx.Client(base_url=server.url) as reader:
        csrf = _login(reader, TOKENS["read"])
        answer = reader.get(version_page)
        assert answer.status_code == 200 and ">Delete</button>" not in answer.text
        cookie = _login_post(reader, TOKENS["read"]).headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        refused = reader.post(delete, data={"csrf": csrf, "confirmed": "yes"})
        assert refused.status_code == 403

    with httpx.Client(base_url=server.url) as writer:
        csrf = _login(writer, TOKENS["write"])
        assert ">Delete</button>" in writer.get(version_page).text
        assert writer.post(delete, data={"confirmed": "yes"}).status_code == 403
        assert writer.post(delete, data={"csrf": csrf + "x", "confirmed": "yes"}).status_code == 403
        other = httpx.Client(base_url=server.url)  # a second session's token does not fit
        other_csrf = _login(other, TOKENS["write"])
        other.close()
        assert other_csrf != csrf
        assert writer.post(delete, data={"csrf": other_csrf, "confirmed": "yes"}).status_code == 403
        still = cli("models", "get", str(model.tag), "--remote", env=server.env("read"))
        assert still.returncode == 0, still.stderr
        done = writer.post(delete, data={"csrf": csrf, "confirmed": "yes"})
        assert done.status_code == 303
        gone = cli("models", "get", str(model.tag), "--remote", env=server.env("read"))
        assert gone.returncode == 1


def test_escaping_and_no_ui(start_registry_factory, cli, tmp_path: Path) -> None:
    server = start_registry_factory()
    _push_samples(server, cli, tmp_path, None)
    page = httpx.get(f"{server.url}/ui/models/scaler").text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('type="search"') == 1
    search = httpx.get(f"{server.url}/ui/", params={"q": '"><b>x'}).text
    assert '"><b>x' not in search and "&#34;&gt;&lt;b&gt;x" in search
    assert httpx.get(f"{server.url}/ui/models/nosuch").status_code == 404

    bare = start_registry_factory(extra_args=("--no-ui",))
    assert httpx.get(f"{bare.url}/ui/").status_code == 404
    assert httpx.get(f"{bare.url}/").headers["location"] == "/api/v1/"
    assert httpx.get(f"{server.url}/").headers["location"] == "/ui/"


def test_pages_on_sqlite_and_postgresql(registry: RegistryServer, cli, tmp_path: Path) -> None:
    samples = _push_samples(registry, cli, tmp_path, None)
    with httpx.Client(base_url=registry.url) as client:
        home = client.get("/ui/", params={"q": "stage=prod"})
        assert home.status_code == 200
        assert ">scaler</a>" in home.text and ">ranker</a>" not in home.text
        assert ">scaler-svc</a>" not in home.text
        like = client.get("/ui/", params={"q": "%"}).text  # a LIKE wildcard is matched as text
        assert ">scaler</a>" not in like
        assert ">scaler-svc</a>" in client.get("/ui/", params={"q": "svc"}).text
        repo = client.get("/ui/bentos/scaler-svc")
        assert repo.status_code == 200 and "/predict" in repo.text
        model = samples["model"]
        version = client.get(f"/ui/models/scaler/{model.tag.version}")
        assert version.status_code == 200 and f"tiffin models pull {model.tag}" in version.text
        assert client.get("/ui/models/scaler/nosuchversion").status_code == 404


def test_session_survives_restart_but_not_its_token_leaving(
    start_registry_factory, tmp_path: Path
) -> None:
    from tiffin_registry.testing import write_tokens

    storage = tmp_path / "storage"
    tokens = write_tokens(tmp_path / "tokens.txt")
    first = start_registry_factory(storage, tokens=tokens)
    with httpx.Client(base_url=first.url) as client:
        _login(client, TOKENS["write"])
        cookie = client.cookies["tiffin_ui_session"]
    first.stop()

    again = start_registry_factory(storage, tokens=tokens)  # same database, same secret
    with httpx.Client(base_url=again.url, cookies={"tiffin_ui_session": cookie}) as client:
        assert client.get("/ui/").status_code == 200
    again.stop()

    revoked = write_tokens(tmp_path / "revoked.txt", {"read": TOKENS["read"], "write": "tok-new"})
    later = start_registry_factory(storage, tokens=revoked)
    with httpx.Client(base_url=later.url, cookies={"tiffin_ui_session": cookie}) as client:
        answer = client.get("/ui/")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")
