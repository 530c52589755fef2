"""The method registry: a method is one module, and registering it is all it takes for
its models (every architecture), its settings section (config.json), its train.py
options and `hat_tf.learn` to have it."""

import dataclasses
import json
from dataclasses import dataclass

import pytest

from hat_tf.catalog import ARCHITECTURES, MODELS, hatified_recipe, method_name
from hat_tf.cli import changed_settings
from hat_tf.config import METHOD_SECTIONS, Number, RunConfig
from hat_tf.methods.base import Method
from hat_tf.methods.frozen import FrozenTrunk
from hat_tf.methods.registry import METHODS, Option, Searched, register_method
from tests.tools.tool_modules import load_tool, refusal


@dataclass(frozen=True)
class ToyConfig:
    """A setting, for the test (no source: it means nothing)."""

    weight: float = 1.5


@pytest.fixture
def toy_method():
    """A method registered for the test, taken out of the registries afterwards."""
    factories, sections = dict(METHODS._factories), dict(METHOD_SECTIONS)

    @register_method("toy", settings=ToyConfig,
                     options=(Option("--toy-weight", "toy", "weight", "the toy's weight "
                                     "(default {default:g})", Number(float, 0)),),
                     search=(Searched("toy_weight", "toy", "weight", 0.1, 10.0, "log",
                                      "--toy-weight", "toy's weight", (0.1, 1, 10)),))
    class Toy(Method):
        """Fine-tuning with a setting."""

        def __init__(self, settings: ToyConfig):
            self.settings = settings

    yield Toy
    METHODS._factories.clear()
    METHODS._factories.update(factories)
    METHOD_SECTIONS.clear()
    METHOD_SECTIONS.update(sections)


def test_a_registered_method_has_a_model_on_every_architecture(toy_method):
    for architecture in ARCHITECTURES.names():
        assert method_name(f"{architecture}_toy") == "toy"
    assert "resnet18_toy_bn" in MODELS.names()
    method = MODELS.get("alexnet_toy").build_method(RunConfig(toy=ToyConfig(weight=3.0)))
    assert isinstance(method, toy_method) and method.settings == ToyConfig(weight=3.0)
    assert METHODS.get("toy").summary == "Fine-tuning with a setting."


def test_a_method_of_its_own_network_is_composed_with_no_architecture(toy_method):
    toy_method.own_network = True  # as PathNet: the catalog names its one model itself
    assert not [name for name in MODELS.names() if "_toy" in name]
    with pytest.raises(ValueError, match="the method toy trains only a network of its own"):
        hatified_recipe(lambda config: None, "toy")


def test_its_settings_are_a_section_of_every_config(toy_method):
    assert RunConfig().toy == ToyConfig()
    config = dataclasses.replace(RunConfig(), toy=ToyConfig(weight=2.0))
    assert config.to_dict()["toy"] == {"weight": 2.0}
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    saved = RunConfig().to_dict()
    del saved["toy"]  # a run started before the method existed
    assert changed_settings(saved, RunConfig().to_dict()) == []
    assert changed_settings(saved, config.to_dict()) == ["toy.weight"]


def test_its_options_are_train_pys(toy_method):
    train = load_tool("train")
    args = train.build_parser().parse_args(["--model", "alexnet_toy", "--toy-weight", "0.25"])
    assert train.to_config(args).toy == ToyConfig(weight=0.25)
    assert train.to_config(train.build_parser().parse_args(
        ["--model", "alexnet_toy"])).toy == ToyConfig()
    assert "alexnet_toy" in load_tool("tune").tunable_models()


def test_arch_and_method_name_a_model(capsys):
    train = load_tool("train")
    args = train.parse_arguments(["--arch", "resnet18", "--method", "ewc", "--tasks", "2"])
    assert args.model == "resnet18_ewc" and train.to_config(args).model == "resnet18_ewc"
    for argv, message in (
            (["--arch", "resnet18"], "expected --model, or --arch and --method"),
            (["--model", "alexnet_hat", "--method", "ewc"],
             "expected --model or --arch and --method, received both"),
            (["--arch", "alexnet", "--method", "foo"], "invalid choice: 'foo'")):
        assert message in refusal(train, [*argv, "--dry-run"], capsys)


def test_every_method_builds_from_a_config_and_names_its_models():
    for name in METHODS.names():
        spec = METHODS.get(name)
        method = spec(RunConfig())
        assert isinstance(method, spec.method) and type(method).name == name
        assert spec.needs_gates == method.needs_gates
        if not spec.own_network:  # PathNet's model is its own network's alone
            assert MODELS.get(f"vgg8_{name}").method == name


def test_a_method_object_names_its_recipe():
    class OwnMethod(FrozenTrunk):
        """A subclass of one's own: not the registered name of its base."""

    assert hatified_recipe(lambda config: None, OwnMethod()).method == "ownmethod"
    assert hatified_recipe(lambda config: None, FrozenTrunk()).method == "sgd_frozen"
    assert hatified_recipe(lambda config: None, "ewc").method == "ewc"
