"""The optional adapter capability for formats where what is saved is not what is called
(``tiffin.frameworks.SupportsSignatureTarget``): save_model checks the signatures on what loads
back, the default runnable calls them there, and adapters without it behave as before."""

from __future__ import annotations

import json

import pytest

import tiffin
from tiffin.exceptions import InvalidArgument
from tiffin.frameworks import FrameworkAdapter, SupportsSignatureTarget


class Polynomial:
    def __init__(self, coefficients: list[float]) -> None:
        self.coefficients = coefficients

    def evaluate(self, x: float) -> float:
        return sum(c * x**i for i, c in enumerate(self.coefficients))


class ListAdapter(FrameworkAdapter):
    """Saves a list of coefficients, and (without the capability) calls the list itself."""

    name = "plainlist"
    loads = 0

    def framework_version(self) -> str:
        return "1"

    def default_signatures(self, model):
        return {"evaluate": {"batchable": False}}

    def save(self, model, path, options):
        (path / "coefficients.json").write_text(json.dumps(list(model)))
        return {"degree": len(model) - 1}

    def load(self, model, **kwargs):
        type(self).loads += 1
        return json.loads((model.path / "coefficients.json").read_text())


class PolynomialAdapter(ListAdapter):
    """The same with the capability: what is called is a Polynomial."""

    name = "polynomial"

    def signature_target(self, loaded):
        return Polynomial(loaded)


def test_the_protocol_is_runtime_checkable() -> None:
    assert isinstance(PolynomialAdapter(), SupportsSignatureTarget)
    assert not isinstance(ListAdapter(), SupportsSignatureTarget)


def test_save_model_checks_the_signatures_on_what_loads_back() -> None:
    adapter = PolynomialAdapter()
    before = adapter.loads
    saved = adapter.save_model("square_plus_one", [1, 0, 1])
    assert adapter.loads == before + 1  # loaded once, inside the staging block
    assert saved.info.options == {"degree": 2}
    assert adapter.callable_model(adapter.load_model(saved)).evaluate(2) == 5

    with pytest.raises(InvalidArgument, match=r"Polynomial has no method 'predict'.*evaluate"):
        adapter.save_model("square_plus_one", [1, 0, 1], signatures={"predict": {}})
    assert [m.tag for m in tiffin.models.list("square_plus_one")] == [saved.tag]  # none added


def test_the_default_runnable_calls_the_signature_target() -> None:
    adapter = PolynomialAdapter()
    saved = adapter.save_model("cubic", [0, 0, 0, 1])
    served = adapter.runnable(saved)()
    assert served.evaluate(2) == 8


def test_adapters_without_the_capability_check_the_given_object() -> None:
    adapter = ListAdapter()
    assert adapter.callable_model([1]) == [1]
    with pytest.raises(InvalidArgument, match=r"builtins.list has no method 'evaluate'"):
        adapter.save_model("plain", [1, 2])
    assert tiffin.models.list("plain") == []
