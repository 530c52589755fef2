"""The machine a run records: the CPU's model and the instruction sets that set its speed."""

import os

from hat_tf.machine import machine_description

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni

processor\t: 1
model name\t: another core, not read
"""


def test_the_cpu_is_described_by_its_model_and_speed_flags(tmp_path):
    (tmp_path / "cpuinfo").write_text(ZEN4)
    assert machine_description(str(tmp_path / "cpuinfo")) == (
        f"CPU: AMD EPYC 9R14 (family 25, model 17), {os.cpu_count()} cores, "
        "avx2 avx512f avx512_bf16")


def test_a_cpu_without_the_flags_says_so(tmp_path):
    (tmp_path / "cpuinfo").write_text("model name\t: Old\ncpu family\t: 6\nmodel\t: 1\n"
                                      "flags\t: fpu sse2\n")
    assert machine_description(str(tmp_path / "cpuinfo")).endswith("cores, no AVX2")


def test_without_cpuinfo_the_platform_names_the_processor(tmp_path):
    description = machine_description(str(tmp_path / "missing"))
    assert description.startswith("CPU: ") and description.endswith(f"{os.cpu_count()} cores")
