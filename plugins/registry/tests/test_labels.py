"""Labels edited after a push: ``tiffin models label TAG k=v ... [--remove k] [--remote]``.

On the registry labels are version metadata beside the manifest: a write token changes them,
the audit log records it, ``models get --remote`` and ``models list --remote`` see them at
once, and pushing the same version again still matches its manifest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tiffin_registry.testing import RegistryServer, cli_json, make_model

pytestmark = pytest.mark.slow


@pytest.fixture
def secured(start_registry_factory) -> RegistryServer:
    return start_registry_factory(tokens=True)


def test_label_a_pushed_version_with_a_write_token(secured, cli) -> None:
    model = make_model("scaler", labels={"owner": "ana", "stage": "candidate"})
    tag = str(model.tag)
    write, read = secured.env("write"), secured.env("read")
    assert cli("models", "push", tag, env=write).returncode == 0

    done = cli("models", "label", tag, "stage=prod", "team=ml", "--remove", "owner", "--remote",
               "-o", "json", env=write)  # fmt: skip
    assert cli_json(done) == {"tag": tag, "labels": {"stage": "prod", "team": "ml"}}

    remote = cli_json(cli("models", "get", tag, "--remote", "--output", "json", env=read))
    assert remote["labels"] == {"stage": "prod", "team": "ml"}
    found = cli_json(
        cli("models", "list", "--remote", "--label", "stage=prod", "-o", "json", env=read)
    )
    assert [row["tag"] for row in found] == [tag]

    again = cli("models", "push", tag, env=write)  # the manifest is unchanged: still matches
    assert again.returncode == 0, again.stderr

    denied = cli("models", "label", tag, "stage=dev", "--remote", env=read)
    assert denied.returncode == 1 and "403" in denied.stderr
    assert denied.stderr.count("\n") == 1

    db = Path(secured.storage) / "registry.db"
    with sqlite3.connect(db) as c:
        rows = c.execute(
            "SELECT action, subject, detail FROM audit_log WHERE action = 'label'"
        ).fetchall()
    assert len(rows) == 1 and rows[0][1] == f"models/{tag}"
    assert '"stage": "prod"' in rows[0][2] and '"owner"' in rows[0][2]


def test_labelling_a_missing_version_or_nothing_is_one_line(secured, cli) -> None:
    write = secured.env("write")
    missing = cli("models", "label", "ghost:v1", "a=b", "--remote", env=write)
    assert missing.returncode == 1 and "the registry has no model ghost:v1" in missing.stderr
    nothing = cli("models", "label", "ghost:v1", "--remote", env=write)
    assert nothing.returncode == 1
    assert nothing.stderr.strip() == (
        "error: nothing to change: give KEY=VALUE labels to set, or --remove KEY"
    )


def _login(client, token: str) -> str:
    import re

    answer = client.post("/ui/login", data={"token": token})
    assert answer.status_code == 303
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(answer.headers["location"]).text)
    assert found
    return found.group(1)


def test_the_version_page_edits_labels_with_a_write_session(secured, cli) -> None:
    import httpx

    from tiffin_registry.testing import TOKENS

    model = make_model("scaler", labels={"stage": "candidate"})
    assert cli("models", "push", str(model.tag), env=secured.env("write")).returncode == 0
    page = f"/ui/models/scaler/{model.tag.version}"
    form = f"{page}/labels"

    with httpx.Client(base_url=secured.url) as reader:
        csrf = _login(reader, TOKENS["read"])
        assert "Set label" not in reader.get(page).text
        refused = reader.post(form, data={"csrf": csrf, "key": "stage", "value": "prod"})
        assert refused.status_code == 403 and "editing labels needs a write token" in refused.text

    with httpx.Client(base_url=secured.url) as writer:
        csrf = _login(writer, TOKENS["write"])
        assert "Set label" in writer.get(page).text
        stale = writer.post(form, data={"csrf": csrf + "x", "key": "stage", "value": "prod"})
        assert stale.status_code == 403
        done = writer.post(
            form, data={"csrf": csrf, "key": "stage", "value": "prod", "action": "set"}
        )
        assert done.status_code == 303 and done.headers["location"] == page
        assert "<th>stage</th><td>prod</td>" in writer.get(page).text
        bad = writer.post(form, data={"csrf": csrf, "key": "a=b", "action": "set"})
        assert bad.status_code == 400 and "without &#39;=&#39;" in bad.text
        removed = writer.post(form, data={"csrf": csrf, "key": "stage", "action": "remove"})
        assert removed.status_code == 303
        assert "No labels." in writer.get(page).text

    remote = cli_json(
        cli("models", "get", str(model.tag), "--remote", "-o", "json", env=secured.env("read"))
    )
    assert remote["labels"] == {}
    with sqlite3.connect(Path(secured.storage) / "registry.db") as c:
        details = [r[0] for r in c.execute("SELECT detail FROM audit_log WHERE action = 'label'")]
    assert len(details) == 2 and all('"via": "ui"' in d for d in details)
