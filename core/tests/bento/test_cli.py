"""The bento commands as a user runs them: ``tiffin build|list|get|delete``."""

from __future__ import annotations

import json

import yaml

import tiffin

BENTOFILE = "service: service.py:svc\nexclude: [.env, secrets/]\nlabels: {owner: ml}\n"


def test_build_list_get_delete(project, cli, tmp_path):
    folder = project(bentofile=BENTOFILE)
    (folder / "prod.yaml").write_text(BENTOFILE.replace("owner: ml", "owner: ops"))

    done = cli("build", str(folder), "-f", "prod.yaml", "--label", "stage=prod")
    assert done.returncode == 0, done.stderr
    [bento] = tiffin.list()
    assert f"Built bento {bento.tag}" in done.stdout
    assert bento.info.labels == {"owner": "ops", "stage": "prod"}

    done = cli("build", ".", "--output", "json", cwd=folder)
    assert done.returncode == 0, done.stderr
    second = json.loads(done.stdout)
    assert second["tag"].startswith("scaler-svc:") and second["labels"] == {"owner": "ml"}

    listed = json.loads(cli("list", "--output", "json").stdout)
    assert [row["tag"] for row in listed] == [second["tag"], str(bento.tag)]  # newest first
    assert listed[0]["models"] == [str(tiffin.models.get("scaler").tag)]
    table = cli("list").stdout
    assert str(bento.tag) in table and "service.py:svc" in table

    manifest = yaml.safe_load(cli("get", str(bento.tag)).stdout)
    assert manifest["name"] == "scaler-svc" and manifest["version"] == bento.tag.version
    as_json = json.loads(cli("get", str(bento.tag), "-o", "json").stdout)
    assert as_json["path"] == str(bento.path)

    refused = cli("delete", str(bento.tag), input="n\n")
    assert refused.returncode == 1 and len(tiffin.list()) == 2
    done = cli("delete", str(bento.tag), "--yes")
    assert done.returncode == 0 and f"Deleted bento {bento.tag}" in done.stdout
    assert [str(b.tag) for b in tiffin.list()] == [second["tag"]]


def test_user_errors_are_one_line(project, cli, tmp_path):
    folder = project(bentofile="service: service.py:svc\nexlude: [.env]\n")

    for args in (
        ("build", str(folder)),
        ("get", "nothing:latest"),
        ("delete", "nothing", "--yes"),
        ("export", "nothing", str(tmp_path / "x.bento")),
        ("import", str(tmp_path / "missing.bento")),
        ("containerize", "nothing"),
    ):
        done = cli(*args)
        assert done.returncode == 1, args
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert "unknown key 'exlude'" in cli("build", str(folder)).stderr
    assert tiffin.list() == []


def test_help_lists_the_bento_commands(cli):
    done = cli("--help")
    for command in ("build", "list", "get", "delete", "export", "import", "containerize"):
        assert command in done.stdout


def test_bentofile_mistakes_are_one_line_saying_where(project, cli, tmp_path):
    folder = project(bentofile="service: service.py:svc\n")
    (folder / "somedir").mkdir()
    cases = {
        "service: service.py:svc\n  bad: [\n": "not valid YAML: mapping values are not allowed in "
        "this context (line 2, column 6)",
        "service: service.py:svc\ndocker:\n  distro: windows\n": "'distro' must be one of debian",
        "service: service.py:svc\ninclude: [1, 2]\n": "'include' must be a list of strings",
    }
    for text, message in cases.items():
        (folder / "bentofile.yaml").write_text(text)
        done = cli("build", str(folder))
        assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
        assert message in done.stderr
    done = cli("build", str(folder), "-f", "somedir")
    assert done.returncode == 1 and "is a directory or a special file" in done.stderr
    (folder / "bentofile.yaml").write_bytes(b"\xff\xfe\x00garbage")
    done = cli("build", str(folder))
    assert done.returncode == 1 and "not a text file" in done.stderr
    assert tiffin.list() == []


def test_a_single_string_where_a_list_is_expected_is_one_item(project, cli):
    folder = project(
        bentofile="service: service.py:svc\ninclude: '*.py'\npython:\n  packages: six\n"
    )
    done = cli("build", str(folder))
    assert done.returncode == 0, done.stderr
    [bento] = tiffin.list()
    assert (bento.path / "src" / "service.py").is_file()
    lines = (bento.path / "env" / "python" / "requirements.txt").read_text().splitlines()
    assert "six" in lines or any(line.startswith("six") for line in lines)
    assert not [line for line in lines if len(line) == 1]  # not split into letters


def test_containerize_refuses_an_image_name_docker_would_refuse(project, cli, tmp_path):
    folder = project(bentofile=BENTOFILE)
    assert cli("build", str(folder)).returncode == 0
    [bento] = tiffin.list()
    out = tmp_path / "ctx"
    done = cli("containerize", str(bento.tag), "--image", "My Image!", "--output", str(out))
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "image name 'My Image!' is not valid" in done.stderr
    assert not out.exists()  # refused before anything was written


def test_a_damaged_bento_can_be_deleted(project, cli):
    folder = project(bentofile=BENTOFILE)
    assert cli("build", str(folder)).returncode == 0
    [bento] = tiffin.list()
    (bento.path / "bento.yaml").write_text(": [not yaml")
    assert "is damaged" in cli("get", str(bento.tag)).stderr
    done = cli("delete", str(bento.tag), "--yes")
    assert done.returncode == 0, done.stderr
    assert not bento.path.exists() and tiffin.list() == []
    assert tiffin.models.list()  # its models stay stored
