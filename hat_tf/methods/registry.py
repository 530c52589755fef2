"""The method registry: a method is one module, whose class `@register_method` registers
with its settings, its command-line options and its keras-tuner search space
(docs/methods.md).

The catalog composes every registered method with every architecture (`alexnet_<name>`,
`resnet18_<name>`, …) but one that trains a network of its own (PathNet), tools/train.py
offers every method's options, tools/tune.py searches every method that declares a space,
and `hat_tf.learn` takes any name here but such a method's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hat_tf.config import SECTIONS, RunConfig, register_section
from hat_tf.methods.base import Method
from hat_tf.registry import Registry


@dataclass(frozen=True)
class Option:
    """A command-line option of tools/train.py that sets one setting of a RunConfig
    section (`hat`, or a method's own).

    Attributes:
        flag: The option (`--ewc-lambda`); its argparse dest is the flag's (`ewc_lambda`).
        section: The RunConfig section that holds the setting (`ewc`).
        setting: The setting's field there (`weight`).
        help: The option's help; `{default}` is replaced by the setting's default.
        type: The argparse type (a `config.Number`, or None for a string).
        choices: The values it accepts, where they are few.
    """

    flag: str
    section: str
    setting: str
    help: str
    type: Callable | None = None
    choices: tuple[str, ...] | None = None

    @property
    def dest(self) -> str:
        """Where argparse puts its value."""
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Searched:
    """One hyperparameter a keras-tuner search varies (tuning/space.py).

    Attributes:
        name: Its name in the oracle, the trial tables and TensorBoard.
        section: The `RunConfig` field that holds it (`hat`, `ewc`, `lwf`, `optim`).
        setting: Its field there.
        low: The searched range's low end.
        high: Its high end.
        sampling: keras-tuner's `log` or `linear`.
        option: The tools/train.py option that sets it.
        label: What the plot's axis calls it.
        ticks: The plot's ticks.
        integer: Whether it takes whole numbers only (keras-tuner's `Int`, not `Float`).
    """

    name: str
    section: str
    setting: str
    low: float
    high: float
    sampling: str
    option: str
    label: str
    ticks: tuple[float, ...]
    integer: bool = False

    def value(self, config: RunConfig) -> float:
        """Its value in `config`."""
        return getattr(getattr(config, self.section), self.setting)


@dataclass(frozen=True)
class MethodSpec:
    """A registered method: calling it with a RunConfig gives a new `Method`.

    Attributes:
        name: Its name (`ewc`): the models' suffix, `hat_tf.learn`'s `method`.
        method: Its class.
        settings: Its frozen settings dataclass, or None.
        section: The RunConfig section of its settings (its name, or `hat`), or None.
        options: Its tools/train.py options.
        search: What tools/tune.py varies for it (none: its models are not tuned).
        summary: One line on what it does (docs, `--help`).
    """

    name: str
    method: type[Method]
    settings: type | None
    section: str | None
    options: tuple[Option, ...]
    search: tuple[Searched, ...]
    summary: str

    @property
    def needs_gates(self) -> bool:
        """Whether it trains a network with HAT gates."""
        return self.method.needs_gates

    @property
    def own_network(self) -> bool:
        """Whether it trains only a network of its own kind (not every architecture)."""
        return self.method.own_network

    def __call__(self, config: RunConfig) -> Method:
        return self.method.from_config(config)


METHODS: Registry[MethodSpec] = Registry("method")


def register_method(name: str, settings: type | None = None, section: str | None = None,
                    options: tuple[Option, ...] = (), search: tuple[Searched, ...] = (),
                    summary: str = "") -> Callable[[type[Method]], type[Method]]:
    """Class decorator that registers a method as `name`.

    Args:
        name: Its name.
        settings: Its frozen settings dataclass, each default with its source; it becomes
            the RunConfig section `section`, and `Method.from_config` passes it to the
            class's constructor.
        section: The RunConfig section of `settings` (default: `name`); a section of
            RunConfig's own (`hat`) is used, not added.
        options: Its tools/train.py options.
        search: The hyperparameters tools/tune.py searches for its models.
        summary: One line on what it does (default: the first line of its docstring).
    """

    def add(cls: type[Method]) -> type[Method]:
        own_section = section or (name if settings is not None else None)
        if settings is not None and own_section not in SECTIONS:
            register_section(own_section, settings)
        cls.name = name
        cls.settings_section = own_section
        METHODS.register(name)(MethodSpec(
            name, cls, settings, own_section, tuple(options), tuple(search),
            summary or (cls.__doc__ or "").strip().splitlines()[0]))
        return cls

    return add
