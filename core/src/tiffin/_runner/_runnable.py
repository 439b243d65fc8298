"""``tiffin.Runnable``: the unit of inference a runner wraps, and its declared methods.

A runnable is a plain class: its constructor loads the model, and each method marked with
``@tiffin.Runnable.method`` is callable through a runner. The marks are found by scanning the
class (and its bases) when a runner is made, so methods may also be attached after the class
is created (``setattr(cls, "predict", Runnable.method(func, batchable=True))``), which is how
framework adapters build runnables from saved signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, overload

from tiffin._signature import ModelSignature
from tiffin.exceptions import InvalidArgument

__all__ = ["MethodConfig", "Runnable", "RunnableMethod", "runnable_methods"]

F = TypeVar("F", bound=Callable[..., Any])


#: How a runnable method is called (whether it batches, along which dimension): the same
#: record as a saved model's signature, so a signature becomes a method config unchanged.
MethodConfig = ModelSignature


class RunnableMethod:
    """A method of a runnable as declared by ``@Runnable.method``: the function and its config.

    It is a descriptor, so inside the runnable ``self.predict(x)`` is an ordinary call.
    """

    def __init__(self, func: Callable[..., Any], config: MethodConfig) -> None:
        if not callable(func):
            raise InvalidArgument(f"Runnable.method expects a function, got {func!r}")
        self.func = func
        self.config = config
        self.name: str | None = getattr(func, "__name__", None)
        self.__doc__ = getattr(func, "__doc__", None)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> RunnableMethod: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., Any]: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return self.func.__get__(instance, owner)

    def __call__(self, instance: object, *args: Any, **kwargs: Any) -> Any:
        return self.func(instance, *args, **kwargs)

    def __repr__(self) -> str:
        return f"RunnableMethod({self.name!r}, {self.config})"


class Runnable:
    """Base class of runnables: subclass it, load the model in ``__init__``, mark methods.

    ``SUPPORTED_RESOURCES`` names the resources the runnable can use (``("cpu",)``,
    ``("nvidia.com/gpu", "cpu")``). ``SUPPORTS_CPU_MULTI_THREADING = True`` declares that the
    runnable is thread-safe and uses the cores itself: it then gets exactly one instance per
    server process, called in-process. Otherwise calls to one instance never overlap, and it
    may run in worker processes (see ``docs/runners.md``).
    """

    SUPPORTED_RESOURCES: ClassVar[tuple[str, ...]] = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING: ClassVar[bool] = False

    @overload
    @staticmethod
    def method(
        func: F,
        *,
        batchable: bool = False,
        batch_dim: int | tuple[int, int] = 0,
        input_spec: Any = None,
        output_spec: Any = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> RunnableMethod: ...

    @overload
    @staticmethod
    def method(
        func: None = None,
        *,
        batchable: bool = False,
        batch_dim: int | tuple[int, int] = 0,
        input_spec: Any = None,
        output_spec: Any = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> Callable[[F], RunnableMethod]: ...

    @staticmethod
    def method(
        func: Callable[..., Any] | None = None,
        *,
        batchable: bool = False,
        batch_dim: int | tuple[int, int] = 0,
        input_spec: Any = None,
        output_spec: Any = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> Any:
        """Mark a method as callable through a runner.

        ``@Runnable.method`` and ``@Runnable.method(batchable=True, batch_dim=0)`` decorate;
        ``Runnable.method(func, batchable=True)`` wraps a function directly. ``batch_dim`` is
        the dimension along which concurrent calls are concatenated, or a pair
        ``(input_dim, output_dim)`` when the output batches along another dimension.
        """
        if not isinstance(batchable, bool):
            raise InvalidArgument(f"batchable must be True or False, got {batchable!r}")
        config = MethodConfig(batchable, batch_dim, input_spec, output_spec, input_shape)

        def wrap(f: Callable[..., Any]) -> RunnableMethod:
            if isinstance(f, RunnableMethod):
                f = f.func
            return RunnableMethod(f, config)

        return wrap if func is None else wrap(func)

    @classmethod
    def add_method(
        cls,
        func: Callable[..., Any],
        name: str,
        *,
        batchable: bool = False,
        batch_dim: int | tuple[int, int] = 0,
        input_spec: Any = None,
        output_spec: Any = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        """Attach a method to this runnable class after it was created."""
        method = Runnable.method(
            func,
            batchable=batchable,
            batch_dim=batch_dim,
            input_spec=input_spec,
            output_spec=output_spec,
            input_shape=input_shape,
        )
        method.name = name
        setattr(cls, name, method)


def runnable_methods(cls: type) -> dict[str, RunnableMethod]:
    """The marked methods of a runnable class, by attribute name (subclasses override bases)."""
    found: dict[str, RunnableMethod] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, RunnableMethod):
                found[attr] = value
            elif attr in found:
                del found[attr]  # a subclass replaced the method with a plain attribute
    return found
