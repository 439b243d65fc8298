"""Data containers: ``register_data_containers`` and what a container must do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec

if TYPE_CHECKING:
    from tiffin.containers import Payload

__all__ = ["DataContainer", "SupportsBatchSize", "SupportsCompatible", "register_data_containers"]


@runtime_checkable
class DataContainer(Protocol):
    """Batches, splits and serialises values of some types (numpy arrays, frames, tensors, lists).

    Required:

    - ``name``: a short unique lowercase name (``"numpy"``), also written into payload metadata.
    - ``type_names``: a tuple of fully qualified names of the types handled
      (``"numpy.ndarray"``, ``"torch.Tensor"``); core matches them against
      ``type(value).__mro__`` without importing anything, so a container for torch costs
      nothing when torch is never used.
    - ``batch(values, batch_dim) -> (batch, sizes)``: concatenate along ``batch_dim``; ``sizes``
      are the number of rows each value contributed, in order.
    - ``split(batch, sizes, batch_dim) -> list``: the inverse: one value per size, in order.
    - ``to_payload(value) -> Payload`` and ``from_payload(payload) -> value``: a round trip
      through bytes for runner worker processes; ``from_payload(to_payload(v))`` equals ``v``.

    Optional: :class:`SupportsBatchSize`, :class:`SupportsCompatible`.
    Test one with :class:`tiffin.testing.DataContainerContract`.
    """

    name: str
    type_names: tuple[str, ...]

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]: ...

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]: ...

    def to_payload(self, value: Any) -> Payload: ...

    def from_payload(self, payload: Payload) -> Any: ...


@runtime_checkable
class SupportsBatchSize(Protocol):
    """``batch_size(value, batch_dim)``: rows along ``batch_dim`` (default: ``len``)."""

    def batch_size(self, value: Any, batch_dim: int) -> int: ...


@runtime_checkable
class SupportsCompatible(Protocol):
    """``compatible(a, b, batch_dim)``: whether two values may share a batch (same trailing
    shape and dtype); the dispatcher never mixes incompatible values."""

    def compatible(self, a: Any, b: Any, batch_dim: int) -> bool: ...


@hookspec
def register_data_containers(register: Callable[[DataContainer], None]) -> None:
    """Register data containers.

    :param register: call ``register(container)`` once per :class:`DataContainer`. A type name
        claimed by two containers is a warning, and the first registered (built-ins first) wins.

    Called once per process, the first time a runner batches, splits or ships a value.
    """
