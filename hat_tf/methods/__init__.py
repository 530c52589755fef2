"""Continual-learning methods as hook sets (methods/base.py is the contract), one module
each, registered by `registry.register_method` (docs/methods.md).

Importing the package imports every module in it, so every method is registered (the
catalog composes them with the architectures): a new method is a new module here and
nothing else.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
