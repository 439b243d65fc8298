"""``tiffin models label TAG k=v ... [--remove k]`` on the local store."""

from __future__ import annotations

import json

import tiffin


def test_label_a_stored_model(cli) -> None:
    with tiffin.models.create("scaler", labels={"owner": "ana"}) as m:
        (m.path / "f.txt").write_text("1")
    tag = str(m.tag)
    done = cli("models", "label", "scaler", "stage=prod", "team=ml", "--remove", "owner")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"labels of {tag}: stage=prod, team=ml\n"
    assert tiffin.models.get(tag).info.labels == {"stage": "prod", "team": "ml"}
    assert [x.tag for x in tiffin.models.list(labels={"stage": "prod"})] == [m.tag]
    assert not list(m.path.glob(".*.tmp"))  # replaced atomically, nothing left behind
    as_json = cli("models", "label", tag, "stage=dev", "-o", "json")
    assert json.loads(as_json.stdout) == {"tag": tag, "labels": {"stage": "dev", "team": "ml"}}


def test_label_mistakes_are_one_line(cli) -> None:
    with tiffin.models.create("scaler") as m:
        (m.path / "f.txt").write_text("1")
    for args, message in [
        (["scaler", "stage"], "labels look like KEY=VALUE, got 'stage'"),
        (["scaler", "--remove", "a=b"], "--remove takes a label's KEY alone"),
        (["scaler", "a=1", "--remove", "a"], "label 'a' is both set and removed"),
        (["scaler"], "nothing to change"),
        (["nosuch", "a=1"], "nosuch"),
    ]:
        done = cli("models", "label", *args)
        assert done.returncode == 1, args
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
