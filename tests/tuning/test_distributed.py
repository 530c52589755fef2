"""Which part of a chief/worker search a process plays, from the KERASTUNER_* variables."""

import pytest

from hat_tf.tuning.distributed import DistributionError, search_role

ORACLE = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": "8000"}


@pytest.mark.parametrize("environment, role", [
    ({}, "single"),
    ({**ORACLE, "KERASTUNER_TUNER_ID": "chief"}, "chief"),
    ({**ORACLE, "KERASTUNER_TUNER_ID": "tuner0"}, "worker"),
])
def test_the_role_follows_keras_tuners_rule(environment, role):
    assert search_role(environment) == role


def test_an_oracle_address_without_port_or_id_is_refused():
    with pytest.raises(DistributionError, match="KERASTUNER_ORACLE_PORT and KERASTUNER_TUNER_ID"):
        search_role({"KERASTUNER_ORACLE_IP": "127.0.0.1"})
