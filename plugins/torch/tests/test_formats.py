"""Saving and loading in each format: what comes back, what needs the training code, what is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import torch

import tiffin
from tiffin.exceptions import InvalidArgument

NET_SOURCE = '''
import torch


class TinyNet(torch.nn.Module):
    """A module whose class lives only in the training code."""

    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(4, 8)
        self.drop = torch.nn.Dropout(0.5)
        self.out = torch.nn.Linear(8, 2)

    def forward(self, x):
        return self.out(self.drop(torch.relu(self.hidden(x))))

    def embed(self, x):
        return self.hidden(x)
'''


@pytest.fixture
def training_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module ``tiny_training`` importable in this process only (as a notebook's code is)."""
    folder = tmp_path / "training"
    folder.mkdir()
    (folder / "tiny_training.py").write_text(NET_SOURCE)
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    sys.modules.pop("tiny_training", None)


def tiny_net() -> torch.nn.Module:
    import tiny_training

    torch.manual_seed(0)
    return tiny_training.TinyNet()


def x_batch(rows: int = 5) -> torch.Tensor:
    return torch.linspace(-2, 2, rows * 4).reshape(rows, 4)


def expected(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    was = net.training
    net.eval()
    with torch.no_grad():
        out = net(x)
    net.train(was)
    return out


def load_elsewhere(
    tag: str, home: Path, rows: tuple[int, ...] = (3,)
) -> subprocess.CompletedProcess[str]:
    """Load ``tag`` in a fresh interpreter that cannot import the training code; print its
    predictions for batches of each size in ``rows`` as JSON."""
    script = textwrap.dedent(
        f"""
        import json, torch, tiffin
        net = tiffin.torch.load_model({tag!r})
        out = []
        with torch.no_grad():
            for n in {rows!r}:
                out.append(net(torch.linspace(-2, 2, n * 4).reshape(n, 4)).tolist())
        print(json.dumps(out))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "TIFFIN_HOME": str(home)},
    )


def test_default_format_pickles_the_whole_module(training_code: Path) -> None:
    net = tiny_net()
    saved = tiffin.torch.save_model("tiny", net)
    assert saved.info.options["format"] == "pickle"
    assert saved.info.options["module_class"] == "tiny_training.TinyNet"
    assert saved.info.signatures["__call__"].batchable is False
    loaded = tiffin.torch.load_model("tiny:latest")
    assert type(loaded).__name__ == "TinyNet"
    assert loaded.training is False, "load_model must return the module in eval mode"
    torch.testing.assert_close(expected(loaded, x_batch()), expected(net, x_batch()))


def test_saving_leaves_the_callers_module_in_its_mode(training_code: Path) -> None:
    net = tiny_net().train()
    tiffin.torch.save_model("tiny", net, format="export", example_input=x_batch())
    assert net.training is True


def test_sequential_round_trips_as_pickle() -> None:
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    tiffin.torch.save_model("seq", net, signatures={"__call__": {"batchable": True}})
    loaded = tiffin.torch.load_model("seq")
    assert isinstance(loaded, torch.nn.Sequential) and len(loaded) == 3
    torch.testing.assert_close(expected(loaded, x_batch()), expected(net, x_batch()))


def test_pickle_needs_the_training_code(training_code: Path, tiffin_home: Path) -> None:
    saved = tiffin.torch.save_model("tiny", tiny_net())
    done = load_elsewhere(str(saved.tag), tiffin_home)
    assert done.returncode != 0
    # unpickling looked for the class: loading runs the training code, so it must be there
    assert "unpickling it needs the code that defined it" in done.stderr
    assert "tiny_training" in done.stderr


def test_export_loads_without_the_training_code(training_code: Path, tiffin_home: Path) -> None:
    net = tiny_net()
    saved = tiffin.torch.save_model("tiny", net, example_input=x_batch(1))
    assert saved.info.options["format"] == "export"
    assert [f.path for f in saved.info.files] == ["model.pt2"]
    # a batch size other than the example's: the batch dimension was exported as dynamic
    done = load_elsewhere(str(saved.tag), tiffin_home, rows=(3, 17))
    assert done.returncode == 0, done.stderr
    for rows, got in zip((3, 17), json.loads(done.stdout), strict=True):
        torch.testing.assert_close(torch.tensor(got), expected(net, x_batch(rows)))


def test_export_in_process_gives_equal_predictions(training_code: Path) -> None:
    net = tiny_net()
    tiffin.torch.save_model("tiny", net, format="export", example_input=(x_batch(4),))
    loaded = tiffin.torch.load_model("tiny")
    with torch.inference_mode():
        torch.testing.assert_close(loaded(x_batch(9)), expected(net, x_batch(9)))


def test_state_dict_loads_with_weights_only(
    training_code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = tiny_net()
    saved = tiffin.torch.save_model("tiny", net, format="state_dict")
    weights = Path(saved.path) / "weights.pt"
    assert set(torch.load(weights, weights_only=True)) == set(net.state_dict())

    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    rebuilt = tiffin.torch.load_model("tiny")  # the recorded class, built without arguments
    assert calls == [True]
    assert rebuilt.training is False
    torch.testing.assert_close(expected(rebuilt, x_batch()), expected(net, x_batch()))

    import tiny_training

    given = tiny_training.TinyNet()
    assert tiffin.torch.load_model("tiny", module=given) is given


def test_state_dict_into_the_wrong_module_is_a_clear_error() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(4, 3))
    tiffin.torch.save_model("seq", net, format="state_dict")
    with pytest.raises(InvalidArgument, match="module="):
        tiffin.torch.load_model("seq")  # an empty Sequential cannot take the weights
    with pytest.raises(InvalidArgument, match="do not fit"):
        tiffin.torch.load_model("seq", module=torch.nn.Sequential(torch.nn.Linear(2, 2)))
    loaded = tiffin.torch.load_model("seq", module=torch.nn.Sequential(torch.nn.Linear(4, 3)))
    torch.testing.assert_close(expected(loaded, x_batch()), expected(net, x_batch()))


def test_script_module_is_saved_as_torchscript(tiffin_home: Path) -> None:
    torch.manual_seed(2)
    with pytest.warns(DeprecationWarning):  # PyTorch deprecates TorchScript; users still have some
        scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()))
    saved = tiffin.torch.save_model("scripted", scripted)
    assert saved.info.options["format"] == "torchscript"
    loaded = tiffin.torch.load_model("scripted")
    assert isinstance(loaded, torch.jit.ScriptModule)
    torch.testing.assert_close(expected(loaded, x_batch()), expected(scripted, x_batch()))
    done = load_elsewhere(str(saved.tag), tiffin_home)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "onnx"}, "format must be one of"),
        ({"format": "export"}, "needs example_input"),
        ({"format": "torchscript"}, "torch.jit.script"),
        (
            {"format": "export", "example_input": torch.ones(2, 4), "signatures": {"embed": {}}},
            "keeps only forward",
        ),
        ({"example_input": torch.ones(2, 5)}, "torch.export could not export"),
    ],
)
def test_bad_save_arguments_are_clear_errors_and_store_nothing(
    training_code: Path, kwargs: dict, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        tiffin.torch.save_model("tiny", tiny_net(), **kwargs)
    assert tiffin.models.list("tiny") == []


def test_a_state_dict_object_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidArgument, match="format='state_dict'"):
        tiffin.torch.save_model("w", torch.nn.Linear(2, 2).state_dict())


def test_unknown_load_arguments_are_refused() -> None:
    tiffin.torch.save_model("lin", torch.nn.Linear(2, 2))
    with pytest.raises(InvalidArgument, match="device_id= and module="):
        tiffin.torch.load_model("lin", map_location="cpu")
    with pytest.raises(InvalidArgument, match="module= is only for"):
        tiffin.torch.load_model("lin", module=torch.nn.Linear(2, 2))


def _tamper(archive: Path, edit) -> None:
    with zipfile.ZipFile(archive) as z:
        members = {name: z.read(name) for name in z.namelist()}
    members = edit(members)
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def test_an_export_archive_that_would_unpickle_is_refused(training_code: Path) -> None:
    saved = tiffin.torch.save_model("tiny", tiny_net(), example_input=x_batch())
    archive = Path(saved.path) / "model.pt2"

    def mark_pickled(members: dict[str, bytes]) -> dict[str, bytes]:
        for name, data in members.items():
            if name.endswith("model_weights_config.json"):
                config = json.loads(data)
                for entry in config["config"].values():
                    entry["use_pickle"] = True
                members[name] = json.dumps(config).encode()
        return members

    _tamper(archive, mark_pickled)
    with pytest.raises(InvalidArgument, match="would run pickled code"):
        tiffin.torch.load_model("tiny")


def test_export_example_inputs_that_need_unpickling_are_refused(training_code: Path) -> None:
    import io
    import pickle

    saved = tiffin.torch.save_model("tiny", tiny_net(), example_input=x_batch())
    archive = Path(saved.path) / "model.pt2"

    def evil_sample(members: dict[str, bytes]) -> dict[str, bytes]:
        buffer = io.BytesIO()
        torch.save({"payload": pickle.loads(pickle.dumps(Path("/")))}, buffer)
        for name in members:
            if "/sample_inputs/" in name:
                members[name] = buffer.getvalue()
        return members

    _tamper(archive, evil_sample)
    with pytest.raises(InvalidArgument, match="sample_inputs"):
        tiffin.torch.load_model("tiny")
