"""Which part of a keras-tuner search this process plays, from the `KERASTUNER_*` variables.

keras-tuner's chief/worker mode: every process runs the same command; the one whose
`KERASTUNER_TUNER_ID` contains `chief` serves the oracle over gRPC at
`KERASTUNER_ORACLE_IP`:`KERASTUNER_ORACLE_PORT` and runs no trial; the others (`tuner0`,
`tuner1`, …) ask it for trials and run them. Without `KERASTUNER_ORACLE_IP` the search runs
alone, in this process. The rule is keras-tuner's own (`keras_tuner/src/distribute/utils.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SINGLE, CHIEF, WORKER = "single", "chief", "worker"
ADDRESS = ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID")


class DistributionError(ValueError):
    """The `KERASTUNER_*` variables name an oracle but not all of its address."""


def search_role(environment: Mapping[str, str] = os.environ) -> str:
    """`single`, `chief` or `worker`."""
    if "KERASTUNER_ORACLE_IP" not in environment:
        return SINGLE
    missing = [name for name in ADDRESS if name not in environment]
    if missing:
        raise DistributionError(f"KERASTUNER_ORACLE_IP is set but {' and '.join(missing)} "
                                "not: set all three, or none for a search in one process")
    port = environment["KERASTUNER_ORACLE_PORT"]
    if not (port.isdecimal() and 1 <= int(port) <= 65535):
        raise DistributionError(f"KERASTUNER_ORACLE_PORT: expected a port number in 1..65535, "
                                f"received {port!r}")
    return CHIEF if "chief" in environment["KERASTUNER_TUNER_ID"] else WORKER
