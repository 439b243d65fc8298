"""The conformance kit for data containers: subclass :class:`DataContainerContract`.

A data container batches, splits and serialises values of some types for runners (see
``tiffin.hookspecs.DataContainer``). The kit checks that core picks the container for the
sample values, that batch then split gives back each value, that a payload round trip gives
back an equal value, and the optional ``batch_size`` and ``compatible``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DataContainerContract"]


class DataContainerContract:
    """Subclass as ``Test<Something>``; set :attr:`container` and implement :meth:`values`.

    Example::

        class TestArrowContainer(DataContainerContract):
            container = "arrow"

            def values(self):
                import pyarrow as pa
                return [pa.table({"x": [1, 2]}), pa.table({"x": [3]})]
    """

    #: the container's ``name``
    container: str = ""
    #: the axis the samples are batched along
    batch_dim: int = 0

    def values(self) -> list[Any]:
        """Two or more values of the container's type, compatible with each other."""
        raise NotImplementedError("implement values() -> a list of two or more sample values")

    def compare(self, a: Any, b: Any) -> None:
        """Assert two values equal (override for types without a plain ``==``)."""
        try:
            import numpy as np

            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        except (ImportError, TypeError, ValueError):
            assert a == b

    # -- helpers -------------------------------------------------------------------------------

    def _container(self) -> Any:
        from tiffin import _plugins

        assert self.container, "set `container = '<your container name>'` on the test class"
        for container in _plugins.data_containers().values():
            if container.name == self.container:
                return container
        raise AssertionError(
            f"no data container named {self.container!r} is registered: implement "
            "register_data_containers(register) with @tiffin.hookimpl in your entry-point "
            "module and call register(container) (see `tiffin plugins`)"
        )

    # -- the contract --------------------------------------------------------------------------

    def test_core_picks_this_container_for_the_values(self) -> None:
        from tiffin import _plugins

        registered = _plugins.data_containers()
        for value in self.values():
            names = [f"{k.__module__}.{k.__qualname__}" for k in type(value).__mro__]
            chosen = next((registered[n] for n in names if n in registered), None)
            assert chosen is not None and chosen.name == self.container, (
                f"for a {names[0]} core picks {getattr(chosen, 'name', None)!r}, not "
                f"{self.container!r}: list the type's qualified name in type_names"
            )

    def test_batch_then_split_gives_back_each_value(self) -> None:
        container = self._container()
        values = self.values()
        assert len(values) >= 2, "values() must return at least two samples"
        batch, sizes = container.batch(values, self.batch_dim)
        assert len(sizes) == len(values), "batch() must return one size per value"
        if hasattr(container, "batch_size"):
            assert sizes == [container.batch_size(v, self.batch_dim) for v in values]
            assert container.batch_size(batch, self.batch_dim) == sum(sizes), (
                "batch_size(batch) must be the sum of the values' sizes"
            )
        parts = container.split(batch, sizes, self.batch_dim)
        assert len(parts) == len(values), "split() must return one value per size"
        for got, expected in zip(parts, values, strict=True):
            self.compare(got, expected)

    def test_payload_round_trip(self) -> None:
        container = self._container()
        for value in self.values():
            payload = container.to_payload(value)
            json.dumps(payload.meta)  # meta must be JSON-able: it travels as JSON
            for buffer in payload.buffers:
                memoryview(buffer)  # each buffer must be bytes-like
            self.compare(container.from_payload(payload), value)

    def test_compatible_values_may_share_a_batch(self) -> None:
        container = self._container()
        if not hasattr(container, "compatible"):
            from tiffin.testing.skips import not_applicable

            not_applicable("the container has no compatible() (an optional capability)")
        values = self.values()
        assert container.compatible(values[0], values[1], self.batch_dim), (
            "compatible(a, b) must be True for the sample values (they batch together)"
        )
