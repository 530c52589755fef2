"""Measure training and inference throughput of the compiled step, plain against HAT.

    python tools/benchmark.py                                   # the default table
    python tools/benchmark.py --models alexnet_sgd alexnet_hat --widths 1 --tasks 10 50
    python tools/benchmark.py --models alexnet_hat --precisions float32 mixed_bfloat16

For every model, width, task count and precision (a Keras dtype policy): training
images/s of the full compiled step at the batch size (median of --windows windows of
--window-steps steps, after warm-up), inference images/s, the share of step time spent
waiting for data (steps over the real tf.data pipeline against steps over a cached batch,
in --ratio-windows pairs of alternating windows), and peak memory. Each measurement runs in
its own process, so peak memory is its own. For a HAT model, the step time over that of
the plain model of the same architecture (alexnet_sgd, resnet18_sgd, vgg8_sgd), both built
in that process and timed over a cached batch in --ratio-windows pairs of alternating
windows, so that both see the same machine state (the median of the pairs' ratios); in a
reduced precision, likewise the step time over that of the same model in float32. Writes
OUT/benchmark.json and OUT/benchmark.md with the device, the TensorFlow version and the
thread settings, after every measurement. Bad arguments (an --out that cannot be written
among them), or a measurement that fails, exit with status 2 and one line; what was
measured before stays written.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys

from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()

from hat_tf import cli  # noqa: E402
from hat_tf.benchmarking import BenchmarkSettings, environment, measure  # noqa: E402
from hat_tf.catalog import MODELS  # noqa: E402
from hat_tf.config import PRECISIONS  # noqa: E402
from hat_tf.training.results import write_atomically, write_json  # noqa: E402

DEFAULT_MODELS = ["alexnet_sgd", "alexnet_hat", "resnet18_sgd", "resnet18_hat_bn"]


def build_parser() -> cli.OneLineParser:
    parser = cli.OneLineParser(description=__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    count = cli.Number(int, 1)
    parser.add_argument("--models", nargs="+", choices=MODELS.names(), default=DEFAULT_MODELS)
    parser.add_argument("--widths", nargs="+", type=cli.Number(float, 0, low_open=True),
                        default=[1.0])
    parser.add_argument("--tasks", nargs="+", type=count, default=[10],
                        help="task counts to build the networks for (step time should not "
                             "depend on it)")
    parser.add_argument("--batch-size", type=count, default=64)
    parser.add_argument("--warmup-steps", type=count, default=10)
    parser.add_argument("--window-steps", type=count, default=20)
    parser.add_argument("--windows", type=count, default=5)
    parser.add_argument("--ratio-windows", type=count, default=11,
                        help="pairs of alternating windows behind each ratio: a HAT model "
                             "against its plain twin, the pipeline against a cached batch")
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=["float32"],
                        help="Keras dtype policies to measure each model in; a reduced one "
                             "is also timed against its float32 twin in the same process")
    parser.add_argument("--out", default="runs/benchmark")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one measurement as JSON
    return parser


def measure_in_subprocess(settings: BenchmarkSettings) -> dict:
    """One measurement in a fresh process (its own peak memory); a failure exits with
    one line that names the measurement and the error."""
    command = [sys.executable, os.path.abspath(__file__), "--one", json.dumps(settings.__dict__)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        cli.fail("benchmark.py", f"{settings.model} at width {settings.width:g} with "
                                 f"{settings.num_tasks} tasks failed: {error}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(rows: list[dict], env: dict) -> str:
    lines = [f"Device: {env['machine']}; TensorFlow {env['tensorflow']}, Keras {env['keras']}; "
             f"intra-op threads {env['intra_op_threads']}, "
             f"inter-op {env['inter_op_threads']} (0 = TensorFlow's default).", "",
             "| model | width | tasks | precision | params | train img/s | HAT / plain step "
             "time | step time / float32 | inference img/s | data wait | peak MiB |",
             "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['width']:g} | {row['num_tasks']} | {row['precision']} "
            f"| {row['num_params']:,} | {row['train_images_per_second']:.0f} | "
            f"{ratio(row, 'step_time_over_plain')} | {ratio(row, 'step_time_over_float32')} | "
            f"{row['inference_images_per_second']:.0f} | {100 * row['data_wait_share']:.1f} % "
            f"| {row['peak_memory_mib']:.0f} |")
    return "\n".join(lines) + "\n"


def ratio(row: dict, key: str) -> str:
    """A row's ratio to three decimals; blank where the row has none."""
    return f"{row[key]:.3f}" if key in row else ""


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    if args.one:
        print(json.dumps(measure(BenchmarkSettings(**json.loads(args.one)))))
        return
    cli.check_output("benchmark.py", "--out", args.out)  # before minutes of measuring
    rows, env = [], environment()
    for model, width, tasks, precision in itertools.product(args.models, args.widths,
                                                            args.tasks, args.precisions):
        settings = BenchmarkSettings(model, width, tasks, args.batch_size, args.warmup_steps,
                                     args.window_steps, args.windows, args.ratio_windows,
                                     precision)
        rows.append(measure_in_subprocess(settings))
        print(f"{model} width {width:g} tasks {tasks} {precision}: "
              f"{rows[-1]['train_images_per_second']:.0f} train img/s", flush=True)
        write(args.out, rows, env)  # a later failure keeps what was measured
    print(markdown(rows, env))


def write(out: str, rows: list[dict], env: dict) -> None:
    """OUT/benchmark.json and OUT/benchmark.md, each replaced whole."""
    write_json(os.path.join(out, "benchmark.json"), {"environment": env, "results": rows})
    write_atomically(os.path.join(out, "benchmark.md"), markdown(rows, env))

if __name__ == "__main__":
    main()
