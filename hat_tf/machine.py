"""What a run or a measurement trained on: timings compare only between runs of one
machine (the CPU of this project's machines changes from day to day, and an AVX2-only CPU
trains AlexNet five times slower than one with AVX-512)."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from typing import Any

import tensorflow as tf

CPU_INFO = "/proc/cpuinfo"
# The x86 instruction sets that decide TensorFlow's CPU speed here (oneDNN's kernels).
SPEED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")
# What stands for the machines of a run trained by a hat_tf before results.json named them.
NOT_RECORDED = "not recorded (a hat_tf before results.json's machines)"


def recorded_machines(results: Mapping[str, Any]) -> list[str]:
    """The machines a results.json (or a checkpoint's results) says trained the run:
    its `machines`, or [NOT_RECORDED] for a run of a hat_tf before the record."""
    return list(results.get("machines") or [NOT_RECORDED])


def device_kind() -> str:
    """`GPU` where this process sees a GPU (TensorFlow trains there), else `CPU`: what a
    run's results.json records as `device`, so that training times are compared only
    between runs of one kind of device."""
    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


def machine_description() -> str:
    """This machine in one line, as results.json (`machines`) and tools/benchmark.py
    record it: the GPU's name where TensorFlow sees one, else `cpu_description()`."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', 'unknown')}" + (
            f" (of {len(gpus)})" if len(gpus) > 1 else "")
    return cpu_description()


def cpu_description(cpu_info: str = CPU_INFO) -> str:
    """The CPU's model (x86: family and model numbers, and which of SPEED_FLAGS it has),
    and the logical CPUs this process may use; `platform` names what `cpu_info` (Linux's
    /proc/cpuinfo) does not."""
    fields = first_processor(cpu_info)
    usable = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
              else os.cpu_count())
    if "model name" not in fields:  # no cpuinfo, or an ARM one
        return f"CPU: {platform.processor() or platform.machine() or 'unknown'}, " \
               f"{usable} logical CPUs"
    flags = set(fields.get("flags", "").split())
    return (f"CPU: {fields['model name']} (family {fields.get('cpu family', '?')}, model "
            f"{fields.get('model', '?')}), {usable} logical CPUs, "
            + (" ".join(flag for flag in SPEED_FLAGS if flag in flags) or "no AVX2"))


def first_processor(cpu_info: str) -> dict[str, str]:
    """The `key: value` fields of the first processor in a /proc/cpuinfo file; empty
    where it cannot be read."""
    try:
        with open(cpu_info, errors="replace") as file:
            block = file.read().split("\n\n")[0]
    except OSError:
        return {}
    pairs = (line.split(":", 1) for line in block.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}
