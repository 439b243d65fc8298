"""The framework contract as a pytest class: a plugin author subclasses it and supplies a model.

::

    # tests/test_contract.py of tiffin-lightgbm
    from tiffin.testing import FrameworkContract

    class TestLightGBMContract(FrameworkContract):
        framework = "lightgbm"

        def model(self):
            return train_a_small_model()

        def inputs(self):
            return numpy.random.rand(8, 4)

Every test's failure message says what the plugin must change. Needs pytest
(``pip install tiffin[testing]``); ``import tiffin`` never imports this module.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tiffin.testing.skips import not_applicable

__all__ = ["FrameworkContract"]

_MODEL_NAME = "contract-model"


class FrameworkContract:
    """Subclass as ``Test<Something>`` and set :attr:`framework`, :meth:`model`, :meth:`inputs`.

    Optional overrides: :attr:`signatures` (what ``save_model`` is given; ``None`` tests the
    adapter's defaults), :attr:`predict_method`, :attr:`heavy_modules`, :meth:`more_inputs`
    (a second batch for the batching tests), :meth:`reference` (the answers to expect),
    :meth:`compare` (equality of two predictions),
    and for the serving round trip :meth:`serving_io` (the API's IO descriptors),
    :meth:`serving_request` (how :meth:`inputs` travel over HTTP) and :meth:`serving_answer`
    (how an HTTP answer turns back into a prediction).

    For an adapter whose saved object is not what is called
    (:class:`tiffin.frameworks.SupportsSignatureTarget`, like tiffin-onnx: :meth:`model` returns
    an ONNX graph, the signatures name methods of the session that runs it), every prediction
    is made on ``adapter.signature_target(<loaded model>)``, and the expected answers come from
    :meth:`reference` (override it with the original framework's predictions), else from the
    saved model loaded back.
    """

    #: The plugin's name: its entry point in group ``tiffin`` and ``tiffin.<framework>``.
    framework: ClassVar[str] = ""
    #: Signatures passed to ``save_model``; ``None`` uses the adapter's ``default_signatures``.
    signatures: ClassVar[dict[str, dict[str, Any]] | None] = None
    #: The method called on the model (directly and through the runner) to predict.
    predict_method: ClassVar[str] = "predict"
    #: Modules that must not be imported by the entry-point module or by resolving
    #: ``tiffin.<framework>``; ``None`` means ``(framework,)``.
    heavy_modules: ClassVar[tuple[str, ...] | None] = None

    # -- what the author supplies --------------------------------------------------------------

    def model(self) -> Any:
        """A small trained model of this framework (called once per test class)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define model(self) returning a small trained model"
        )

    def inputs(self) -> Any:
        """A sample input batch that ``model.<predict_method>`` accepts."""
        raise NotImplementedError(
            f"{type(self).__name__} must define inputs(self) returning a sample input batch"
        )

    def more_inputs(self) -> Any:
        """A second input batch, concatenated with :meth:`inputs` by the batching tests."""
        return self.inputs()

    def reference(self, inputs: Any) -> Any:
        """What the model must predict for ``inputs``, or ``None`` (the default) to take the
        trained model's own prediction; for an adapter whose saved object is not what is called
        (``signature_target``), that of the saved model loaded back. Override it to hold the
        adapter to another framework's answers (the scikit-learn model an ONNX graph came from).
        """
        return None

    def compare(self, a: Any, b: Any) -> None:
        """Assert that two predictions are equal (override for tolerances or odd types)."""
        if hasattr(a, "__array__") or hasattr(b, "__array__"):
            import numpy as np

            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        else:
            assert a == b, f"{a!r} != {b!r}"

    # -- serving: what the author may override ------------------------------------------------

    def serving_io(self) -> tuple[Any, Any]:
        """The ``(input, output)`` IO descriptors of the API that serves the model.

        The served API calls ``runner.<predict_method>.run(x)`` on what the input descriptor
        parsed, and answers with the output descriptor. The descriptors travel to the server
        through ``to_spec()``, so they must be rebuildable by ``tiffin.io.from_spec`` (every
        built-in one is; a ``JSON(pydantic_model=...)`` model must be importable by the server).

        Default: for a numeric array-like sample (numpy, or anything with ``__array__`` such as
        a torch tensor), ``NumpyNdarray(dtype=<the sample's dtype>)`` in and ``NumpyNdarray()``
        out, so the runner receives numpy arrays; for anything else ``JSON()`` both ways.
        Override it (and :meth:`serving_request`) for frames, images or text.
        """
        from tiffin.io import JSON, NumpyNdarray

        dtype = _numeric_dtype(self.inputs())
        if dtype is None:
            return JSON(), JSON()
        return NumpyNdarray(dtype=dtype), NumpyNdarray()

    def serving_request(self, inputs: Any) -> dict[str, Any]:
        """Keyword arguments for ``httpx.post`` that send ``inputs`` to the served API.

        Default: ``{"json": inputs.tolist()}`` for a numeric array-like sample, else
        ``{"json": inputs}``. Return ``{"content": ..., "headers": {...}}`` for other forms.
        """
        if _numeric_dtype(inputs) is not None:
            import numpy as np

            return {"json": np.asarray(inputs).tolist()}
        return {"json": inputs}

    def serving_answer(self, response: Any, expected: Any) -> Any:
        """Turn the served API's ``httpx.Response`` into a value :meth:`compare` can check.

        ``expected`` is the model's direct prediction. Default: the JSON body, as a numpy array
        of ``expected``'s dtype when ``expected`` is a numeric array-like (JSON keeps no dtype).
        """
        answer = response.json()
        dtype = _numeric_dtype(expected)
        if dtype is None:
            return answer
        import numpy as np

        return np.asarray(answer, dtype=dtype)

    # -- helpers ------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _contract_home(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        home = tmp_path / "tiffin_home"
        home.mkdir()
        monkeypatch.setenv("TIFFIN_HOME", str(home))
        return home

    def _trained(self) -> Any:
        cls = type(self)
        if "_contract_model" not in cls.__dict__:
            cls._contract_model = self.model()
        return cls._contract_model

    def _adapter(self) -> Any:
        import tiffin

        if not self.framework:
            pytest.fail(f"{type(self).__name__} must set framework = '<your plugin name>'")
        return getattr(tiffin, self.framework)

    def _heavy(self) -> tuple[str, ...]:
        return self.heavy_modules if self.heavy_modules is not None else (self.framework,)

    def _callable(self, obj: Any) -> Any:
        """What the signatures are called on: ``obj``, or its signature target."""
        from tiffin.frameworks import SupportsSignatureTarget

        adapter = self._adapter()
        if isinstance(adapter, SupportsSignatureTarget):
            return adapter.signature_target(obj)
        return obj

    def _expected(self, saved: Any, inputs: Any) -> Any:
        """The reference prediction: :meth:`reference`'s, else the trained model's, else (for an
        adapter whose saved object is not what is called) that of ``saved`` loaded back."""
        from tiffin.frameworks import SupportsSignatureTarget

        given = self.reference(inputs)
        if given is not None:
            return given
        adapter = self._adapter()
        if isinstance(adapter, SupportsSignatureTarget):
            return self._predict(adapter.load_model(saved), inputs)
        return self._predict(self._trained(), inputs)

    def _predict(self, obj: Any, inputs: Any) -> Any:
        obj = self._callable(obj)
        method = getattr(obj, self.predict_method, None)
        if not callable(method):
            pytest.fail(
                f"{type(obj).__name__} has no method {self.predict_method!r}: set "
                f"predict_method on {type(self).__name__} to the method that predicts"
            )
        return method(inputs)

    def _assert_same(self, got: Any, expected: Any, what: str, fix: str) -> None:
        try:
            same = self.compare(got, expected)
        except AssertionError as exc:
            pytest.fail(f"{what} differ: {exc}\nFix: {fix}")
        if same is False:
            pytest.fail(f"{what} differ: {got!r} != {expected!r}\nFix: {fix}")

    def _save(self, name: str = _MODEL_NAME, **kwargs: Any) -> Any:
        kwargs.setdefault("signatures", self.signatures)
        return self._adapter().save_model(name, self._trained(), **kwargs)

    def _entry_point(self) -> metadata.EntryPoint:
        found = [ep for ep in metadata.entry_points(group="tiffin") if ep.name == self.framework]
        if not found:
            pytest.fail(
                f"no entry point named {self.framework!r} in group 'tiffin'. Fix: declare "
                f'[project.entry-points.tiffin] {self.framework} = "tiffin_{self.framework}" '
                f"in pyproject.toml and reinstall the plugin (pip install -e .)"
            )
        return found[0]

    # -- registration and laziness ------------------------------------------------------------

    def test_plugin_is_registered(self) -> None:
        """``tiffin.<framework>`` resolves to an adapter of that name from an entry point."""
        import tiffin
        from tiffin.frameworks import FrameworkAdapter

        self._entry_point()
        adapter = self._adapter()
        assert adapter.name == self.framework, (
            f"tiffin.{self.framework} is an adapter named {adapter.name!r}. Fix: set "
            f"name = {self.framework!r} on the adapter class (it must equal the entry-point name)"
        )
        assert isinstance(adapter, FrameworkAdapter), (
            f"{type(adapter).__name__} should subclass tiffin.frameworks.FrameworkAdapter, which "
            f"provides save_model, load_model, get and the runnable"
        )
        assert getattr(tiffin, self.framework) is adapter, "tiffin.<framework> must be stable"
        version = adapter.framework_version()
        assert isinstance(version, str) and version, (
            "framework_version() must return the installed framework's version as a non-empty str"
        )

    def test_entry_point_module_is_light(self) -> None:
        """Importing the plugin and resolving ``tiffin.<framework>`` imports no heavy module."""
        ep = self._entry_point()
        module = ep.value.split(":")[0]
        script = (
            "import importlib, json, sys\n"
            f"importlib.import_module({module!r})\n"
            "after_import = sorted(m for m in {heavy} if m in sys.modules)\n"
            "import tiffin\n"
            f"getattr(tiffin, {self.framework!r})\n"
            "after_resolve = sorted(m for m in {heavy} if m in sys.modules)\n"
            "print(json.dumps([after_import, after_resolve]))\n"
        ).replace("{heavy}", repr(tuple(self._heavy())))
        env = {**os.environ, "TIFFIN_PLUGINS": self.framework}  # only this plugin's imports
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
        )
        assert done.returncode == 0, f"importing {module} failed:\n{done.stderr}"
        after_import, after_resolve = json.loads(done.stdout.strip().splitlines()[-1])
        assert not after_import, (
            f"importing the entry-point module {module} imported {after_import}. Fix: import "
            f"the framework inside the adapter's methods, never at module level"
        )
        assert not after_resolve, (
            f"resolving tiffin.{self.framework} imported {after_resolve}. Fix: the adapter module "
            f"and register_frameworks must not import the framework; do it inside "
            f"framework_version/save/load/accepts"
        )

    # -- save, manifest, load -------------------------------------------------------------------

    def test_save_writes_a_complete_manifest(self) -> None:
        """The manifest names the framework, its version, the signatures, every file's digest."""
        adapter = self._adapter()
        saved = self._save()
        info = saved.info
        assert info.framework == self.framework, (
            f"info.framework is {info.framework!r}; save_model must record the adapter's name"
        )
        assert info.framework_version == adapter.framework_version()
        expected = self.signatures or adapter.default_signatures(self._trained())
        assert set(info.signatures) == set(expected), (
            f"saved signatures {sorted(info.signatures)} != {sorted(expected)}. Fix: "
            f"default_signatures() must name methods the model has"
        )
        assert info.files, "the manifest lists no files. Fix: save() must write into `path`"
        listed = {f.path for f in info.files}
        for entry in info.files:
            file = Path(saved.path) / entry.path
            assert file.is_file(), f"manifest lists {entry.path}, which does not exist"
            data = file.read_bytes()
            assert len(data) == entry.size, (
                f"{entry.path}: size {len(data)} != manifest {entry.size}"
            )
            assert hashlib.sha256(data).hexdigest() == entry.sha256, (
                f"{entry.path}: sha256 mismatch"
            )
        on_disk = {
            p.relative_to(saved.path).as_posix()
            for p in Path(saved.path).rglob("*")
            if p.is_file() and p.name != "model.yaml"
        }
        assert on_disk <= listed, (
            f"files {sorted(on_disk - listed)} are not in the manifest. Fix: write only inside "
            f"save(), into `path`"
        )

    def test_load_gives_equal_predictions(self) -> None:
        """``load_model`` rebuilds a model that predicts exactly what the original did."""
        saved = self._save()
        inputs = self.inputs()
        expected = self._expected(saved, inputs)
        for ref in (str(saved.tag), f"{saved.tag.name}:latest", saved):
            loaded = self._adapter().load_model(ref)
            self._assert_same(
                self._predict(loaded, inputs),
                expected,
                f"predictions after load_model({ref!r})",
                "save() must write everything load() needs to rebuild the same model",
            )

    def test_get_returns_the_stored_model(self) -> None:
        """``tiffin.<framework>.get(tag)`` returns the model; another framework's is refused."""
        import tiffin
        from tiffin.exceptions import InvalidArgument

        saved = self._save()
        got = self._adapter().get(f"{_MODEL_NAME}:latest")
        assert got.tag == saved.tag
        assert got.info.framework == self.framework

        other = "contract-other-framework"
        with tiffin.models.create("contract-other", framework=other, framework_version="1.0") as m:
            (Path(m.path) / "weights.bin").write_bytes(b"x")
        with pytest.raises(InvalidArgument, match=other):
            self._adapter().get("contract-other:latest")

    def test_labels_metadata_custom_objects_round_trip(self) -> None:
        """labels, metadata and custom_objects come back from the store as they were given."""
        labels = {"stage": "candidate", "team": "contract"}
        meta = {"accuracy": 0.5, "notes": ["a", "b"], "nested": {"k": 1}}
        custom = {"classes": ["setosa", "virginica"], "threshold": 0.25}
        saved = self._save(labels=labels, metadata=meta, custom_objects=custom)
        got = self._adapter().get(saved.tag)
        assert got.info.labels == labels
        assert got.info.metadata == meta
        assert got.custom_objects == custom

    def test_bad_signature_is_a_clear_error(self) -> None:
        """A signature naming a method the model lacks is refused, and nothing is stored."""
        import tiffin
        from tiffin.exceptions import InvalidArgument

        with pytest.raises(InvalidArgument, match="no_such_method"):
            self._save(signatures={"no_such_method": {"batchable": False}})
        assert tiffin.models.list(_MODEL_NAME) == []

    # -- export / import ------------------------------------------------------------------------

    def test_export_import_into_an_empty_store(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An exported model imports into another, empty store and predicts the same."""
        import tiffin

        saved = self._save()
        expected = self._expected(saved, self.inputs())
        archive = tmp_path / "model.tiffin"
        tiffin.models.export_model(str(saved.tag), str(archive))
        other_home = tmp_path / "other_home"
        other_home.mkdir()
        monkeypatch.setenv("TIFFIN_HOME", str(other_home))
        imported = tiffin.models.import_model(str(archive))
        assert imported.tag == saved.tag
        loaded = self._adapter().load_model(imported.tag)
        inputs = self.inputs()
        self._assert_same(
            self._predict(loaded, inputs),
            expected,
            "predictions after export/import",
            "save() must write every file the model needs inside `path` (no absolute paths)",
        )

    # -- runner and batching ---------------------------------------------------------------------

    def _runner_or_skip(self, saved: Any) -> Any:
        if importlib.util.find_spec("tiffin._runner") is None or not hasattr(
            importlib.import_module("tiffin._runner"), "Runner"
        ):
            not_applicable("tiffin.Runner is not available in this tiffin version")
        runner = saved.to_runner()
        runner.init_local()
        return runner

    def _run(self, runner: Any, inputs: Any) -> Any:
        # runner.methods, not getattr: a method named like a Runner attribute ("run") is there
        method = getattr(runner, "methods", {}).get(self.predict_method) or getattr(
            runner, self.predict_method, None
        )
        if method is None:
            pytest.fail(
                f"the runner has no method {self.predict_method!r}. Fix: the adapter's runnable() "
                f"must define one method per saved signature"
            )
        return method.run(inputs)

    def test_runner_gives_equal_predictions(self) -> None:
        """``model.to_runner()``, run locally, predicts what the model does."""
        saved = self._save()
        runner = self._runner_or_skip(saved)
        inputs = self.inputs()
        self._assert_same(
            self._run(runner, inputs),
            self._expected(saved, inputs),
            "runner predictions",
            "runnable(model) must load the model and call the saved method unchanged",
        )

    def test_batching_gives_equal_predictions(self) -> None:
        """Two batches concatenated, run as one batchable call, then split, answer the same."""
        saved = self._save(
            "contract-batched",
            signatures={self.predict_method: {"batchable": True, "batch_dim": 0}},
        )
        runner = self._runner_or_skip(saved)
        a, b = self.inputs(), self.more_inputs()
        batch, sizes = self._batching(a).batch([a, b], 0)
        out = self._run(runner, batch)
        parts = self._batching(out).split(out, sizes, 0)
        assert len(parts) == 2, f"split returned {len(parts)} parts for 2 batches"
        fix = (
            "register a DataContainer for this value type, or give the adapter batch()/split() "
            "that concatenate and split along batch_dim"
        )
        self._assert_same(parts[0], self._expected(saved, a), "first batch's results", fix)
        self._assert_same(parts[1], self._expected(saved, b), "second batch's results", fix)

        # concurrent calls on a batchable method may be grouped by the dispatcher
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda x: self._run(runner, x), [a, b, a, b]))
        for got, x in zip(results, [a, b, a, b], strict=True):
            self._assert_same(got, self._expected(saved, x), "concurrent results", fix)

    def _batching(self, value: Any) -> Any:
        from tiffin import _plugins
        from tiffin.hookspecs import SupportsFrameworkBatching

        containers = _plugins.data_containers()
        for cls in type(value).__mro__:
            for name in (
                f"{cls.__module__}.{cls.__qualname__}",
                f"{cls.__module__.split('.')[0]}.{cls.__qualname__}",
            ):
                if name in containers:
                    return containers[name]
        adapter = self._adapter()
        if isinstance(adapter, SupportsFrameworkBatching):
            return adapter
        pytest.fail(
            f"nothing knows how to batch a {type(value).__module__}.{type(value).__qualname__}. "
            f"Fix: register a DataContainer for it (register_data_containers) or implement "
            f"batch()/split() on the adapter"
        )

    # -- serving round trip -------------------------------------------------------------------

    def test_serving_round_trip(self, tmp_path: Path) -> None:
        """A real ``tiffin serve`` of a service using ``tiffin.<framework>.get(tag).to_runner()``
        answers over HTTP what the model predicts directly (sync and async APIs, concurrent calls).
        """
        import httpx

        from tiffin.testing.fixtures import ServerProcess

        saved = self._save()
        inputs = self.inputs()
        expected = self._expected(saved, inputs)
        (tmp_path / "service.py").write_text(self._service_source(saved))
        try:
            server = ServerProcess("service.py:svc", cwd=tmp_path, timeout=120)
        except AssertionError as exc:
            pytest.fail(
                f"`tiffin serve` of a service using tiffin.{self.framework}.get(tag).to_runner() "
                f"did not start:\n{exc}\nFix: the adapter's runnable(model) must load the saved "
                f"model in a fresh process from the store alone (no object from the saving "
                f"process), and the plugin must be installed where the server runs"
            )
        try:
            request = self.serving_request(inputs)
            fix = (
                f"the runner's {self.predict_method!r} must accept what the input descriptor "
                f"gives (numpy arrays for NumpyNdarray) and return what the output descriptor "
                f"encodes; or override serving_io() / serving_request() / serving_answer() on "
                f"{type(self).__name__} to describe the framework's values"
            )
            for route in ("predict", "predict_async"):
                response = httpx.post(f"{server.url}/{route}", timeout=60, **request)
                self._check_served(response, route, expected, fix, server)

            def call(_: int) -> Any:
                return httpx.post(f"{server.url}/predict", timeout=60, **request)

            # concurrent requests meet in the runner (a batchable method's dispatcher)
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                for response in pool.map(call, range(4)):
                    self._check_served(response, "predict (concurrent)", expected, fix, server)
        finally:
            server.stop()

    def _check_served(
        self, response: Any, route: str, expected: Any, fix: str, server: Any
    ) -> None:
        if response.status_code != 200:
            pytest.fail(
                f"POST /{route} answered {response.status_code}: {response.text[:2000]}\n"
                f"server log:\n{server.output()[-4000:]}\nFix: {fix}"
            )
        self._assert_same(
            self.serving_answer(response, expected),
            expected,
            f"HTTP answers of /{route} and direct predictions",
            fix,
        )

    def _service_source(self, saved: Any) -> str:
        from tiffin.exceptions import InvalidArgument
        from tiffin.io import IODescriptor, from_spec

        pair = self.serving_io()
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(d, IODescriptor) for d in pair)
        ):
            pytest.fail(
                f"{type(self).__name__}.serving_io() returned {pair!r}. Fix: return a tuple "
                f"(input_descriptor, output_descriptor) of tiffin.io descriptors"
            )
        specs = []
        for descriptor in pair:
            spec = descriptor.to_spec()
            try:
                from_spec(json.loads(json.dumps(spec)))
            except (InvalidArgument, TypeError, ValueError) as exc:
                pytest.fail(
                    f"serving_io()'s {descriptor!r} cannot be rebuilt from its to_spec() "
                    f"({exc}). Fix: use descriptors whose arguments are importable by the server"
                )
            specs.append(json.dumps(spec))
        from tiffin import Runner

        method = self.predict_method
        # a method named like a Runner attribute ("run") is reached through runner.methods
        call = f"runner.methods[{method!r}]" if hasattr(Runner, method) else f"runner.{method}"
        return (
            "import json\n\n"
            "import tiffin\n"
            "from tiffin.io import from_spec\n\n"
            f"runner = tiffin.{self.framework}.get({str(saved.tag)!r}).to_runner()\n"
            'svc = tiffin.Service("contract-service", runners=[runner])\n'
            f"INPUT = from_spec(json.loads({specs[0]!r}))\n"
            f"OUTPUT = from_spec(json.loads({specs[1]!r}))\n\n\n"
            "@svc.api(input=INPUT, output=OUTPUT)\n"
            "def predict(x):\n"
            f"    return {call}.run(x)\n\n\n"
            "@svc.api(input=INPUT, output=OUTPUT)\n"
            "async def predict_async(x):\n"
            f"    return await {call}.async_run(x)\n"
        )


def _numeric_dtype(value: Any) -> Any:
    """The numpy dtype of a numeric array-like (numpy, torch, ...), else ``None``."""
    if not hasattr(value, "__array__"):
        return None
    import numpy as np

    try:
        dtype = np.asarray(value).dtype
    except (TypeError, ValueError, RuntimeError):
        return None
    return dtype if dtype.kind in "biuf" else None
