"""A run's settings as one flat table (TensorBoard hparams, report.md)."""

from __future__ import annotations

from hat_tf.config import RunConfig

Setting = bool | int | float | str


def flat_settings(config: RunConfig) -> dict[str, Setting]:
    """Every setting as `section.name → value` (`optim.lr`, `hat.s_max`, `model`).

    Unset options (None) are left out, and so is `run_dir`: it names the run, it does not
    describe it.
    """
    flat: dict[str, Setting] = {}

    def add(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                add(f"{prefix}{key}.", item)
        elif value is not None:
            flat[prefix[:-1]] = value

    add("", {k: v for k, v in config.to_dict().items() if k != "run_dir"})
    return flat
