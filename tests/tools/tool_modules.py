"""The tools as modules, to call their build_parser() and main() in the test process
(a subprocess costs seconds of TensorFlow import)."""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("train", "tune", "compare", "predict", "benchmark", "report")


def load_tool(name):
    """tools/<name>.py as a module, to call its main() in this process."""
    spec = importlib.util.spec_from_file_location(f"{name}_tool", REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refusal(tool, args, capsys) -> str:
    """The error `tool.main(args)` exits with: status 2 and one line on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        tool.main(args)
    error = capsys.readouterr().err
    assert exit_info.value.code == 2, error
    assert error.count("\n") == 1 and ": error: " in error, error
    return error
