"""The machine a run records: the CPU's model and the instruction sets that set its speed."""

import os
import platform

from hat_tf.machine import cpu_description

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni

processor\t: 1
model name\t: another core, not read
"""
ARM = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
USABLE = len(os.sched_getaffinity(0))


def test_an_x86_cpu_is_described_by_its_model_and_speed_flags(tmp_path):
    (tmp_path / "cpuinfo").write_text(ZEN4)
    assert cpu_description(str(tmp_path / "cpuinfo")) == (
        f"CPU: AMD EPYC 9R14 (family 25, model 17), {USABLE} logical CPUs, "
        "avx2 avx512f avx512_bf16")


def test_an_x86_cpu_without_the_flags_says_so(tmp_path):
    (tmp_path / "cpuinfo").write_text("model name\t: Old\ncpu family\t: 6\nmodel\t: 1\n"
                                      "flags\t: fpu sse2\n")
    assert cpu_description(str(tmp_path / "cpuinfo")).endswith("logical CPUs, no AVX2")


def test_without_an_x86_model_name_the_platform_names_the_processor(tmp_path):
    (tmp_path / "cpuinfo").write_text(ARM)
    expected = (f"CPU: {platform.processor() or platform.machine() or 'unknown'}, "
                f"{USABLE} logical CPUs")
    assert cpu_description(str(tmp_path / "cpuinfo")) == expected
    assert cpu_description(str(tmp_path / "missing")) == expected
