"""A name → factory registry filled by decorators, so no code branches on names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Factory = TypeVar("Factory")


class Registry(Generic[Factory]):
    """Maps names to factories. `@REGISTRY.register("name")` adds one.

    Args:
        kind: What the registry holds ("model", "dataset"), used in error messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._factories: dict[str, Factory] = {}

    def register(self, name: str) -> Callable[[Factory], Factory]:
        """Decorator that registers a factory under `name`."""

        def add(factory: Factory) -> Factory:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            return factory

        return add

    def get(self, name: str) -> Factory:
        """The factory registered as `name`; a ValueError that lists the choices otherwise."""
        if name not in self._factories:
            raise ValueError(
                f"unknown {self.kind} {name!r}: expected one of {', '.join(self.names())}"
            )
        return self._factories[name]

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._factories)
