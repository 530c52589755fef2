"""Every numeric option of every tool refuses NaN, infinities and negative values at
parse time, with one line and exit status 2. The options are read from each tool's
parser, so a new one is walked too."""

import pytest

from hat_tf.cli import Number
from tests.tools.tool_modules import TOOLS, load_tool


@pytest.fixture(scope="module", params=TOOLS)
def tool(request):
    return request.param


@pytest.fixture(scope="module")
def parser(tool):
    return load_tool(tool).build_parser()


def takes_a_number(action) -> bool:
    """Whether `action` reads a number: an int or float type, or a numeric default."""
    defaults = action.default if isinstance(action.default, list) else [action.default]
    return action.type in (int, float) or any(
        isinstance(value, (int, float)) and not isinstance(value, bool) for value in defaults)


def test_every_option_that_takes_a_number_parses_it_with_number(parser):
    unchecked = [action.option_strings for action in parser._actions
                 if takes_a_number(action) and not isinstance(action.type, Number)]
    assert unchecked == []


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1"])
def test_every_numeric_option_refuses_non_finite_and_negative_values(tool, parser, value,
                                                                     capsys):
    options = [action.option_strings[0] for action in parser._actions
               if isinstance(action.type, Number)]
    assert options or tool == "report"  # report.py takes no number
    for option in options:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([f"{option}={value}"])  # `--lr -inf` would read as two options
        error = capsys.readouterr().err
        assert exit_info.value.code == 2, option
        assert error.count("\n") == 1, error
        assert f"error: argument {option}: expected " in error and ", received " in error
