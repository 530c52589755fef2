"""Classify images with a trained run's SavedModels.

    python tools/predict.py --run-dir runs/NAME --task 1 digit.png other.jpg
    python tools/predict.py --run-dir runs/NAME --json batch.npz
    python tools/predict.py --run-dir runs/NAME --task-rule energy batch.npz

Inputs are PNG/JPEG files or .npz files with an `images` array (N×H×W×C or H×W×C), raw
pixels 0..255 of the size the run was trained on (32×32×3): nothing is resized. Prints the
top-k classes of each image with their probabilities. With `--task K` (0-based, as in
`saved_models/task_K`) task K's head scores it; without, the task is inferred by the
run's task detector (report.md, "Task inference"): by default by the rule the run kept,
the best on its validation sets (metadata.json's `task_rule`), or by the rule
`--task-rule` names.
Bad input (a file that cannot be read, an image of another shape, pixel values that are
not finite or outside 0..255, a run dir without usable exports) exits with status 2 and
one line; nothing is written. `--prune` uses the task's
compact export (its unused units removed; AlexNet-HAT runs), which is what `task_K` holds
after train.py's default `--export compact` (within 1e-6 of the full network).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from hat_tf.cli import Number, OneLineParser
from hat_tf.export.files import (
    METADATA,
    MULTITASK,
    compact_export_path,
    export_path,
    task_dir_name,
)


class InputError(Exception):
    """A bad argument or file: reported in one line, exit status 2."""


# What np.load raises on a file that is empty, truncated or damaged inside, or on arrays it
# refuses (pickled objects).
NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", metavar="FILE", help="PNG/JPEG images or .npz")
    parser.add_argument("--run-dir", required=True, help="a run of tools/train.py")
    parser.add_argument("--task", type=Number(int, 0),
                        help="the task's id, 0-based (default: inferred)")
    parser.add_argument("--task-rule", metavar="RULE",
                        help="infer the task by this rule of the run's detector (default: "
                             "the run's, report.md lists them)")
    parser.add_argument("--top-k", type=Number(int, 1), default=3,
                        help="classes shown per image (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--prune", action="store_true",
                        help="use the task's compact export (AlexNet-HAT runs; needs --task)")
    return parser


# What predict.py reads of the multi-task export's metadata.json.
METADATA_KEYS = ("task_names", "tasks_trained", "class_names", "image_shape")


def read_metadata(path: str) -> dict:
    """The multi-task export's metadata.json at `path`, checked to hold METADATA_KEYS."""
    try:
        with open(path) as file:
            metadata = json.load(file)
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: expected the JSON metadata of a run's export, received a "
                         f"file that cannot be read ({type(error).__name__}: {error})") from None
    missing = [key for key in METADATA_KEYS
               if not isinstance(metadata, dict) or key not in metadata]
    if missing:
        raise InputError(f"{path}: expected the keys {', '.join(METADATA_KEYS)}, received none "
                         f"for {', '.join(missing)}")
    return metadata


def read_run(run_dir: str, task: int | None, prune: bool, rule: str | None = None) -> dict:
    """The multi-task export's metadata, after checking that `task` (compact if `prune`)
    and the task-inference `rule` can be asked for."""
    path = os.path.join(export_path(run_dir, MULTITASK), METADATA)
    if not os.path.isfile(path):
        raise InputError(f"{run_dir} holds no exported models ({path} is missing): "
                         "train it with tools/train.py, without --export none")
    metadata = read_metadata(path)
    num_tasks, trained = len(metadata["task_names"]), metadata["tasks_trained"]
    if task is not None and not 0 <= task < num_tasks:
        raise InputError(f"--task {task} is out of range: the run has tasks 0..{num_tasks - 1}")
    if task is not None and task >= trained:
        raise InputError(f"task {task} ({metadata['task_names'][task]}) is not trained yet: "
                         f"the run has trained tasks 0..{trained - 1}")
    if rule is not None and task is not None:
        raise InputError("--task-rule infers the task: it cannot go with --task")
    if rule is not None and rule not in metadata.get("task_rules", []):
        raise InputError(f"--task-rule {rule}: expected one of "
                         f"{', '.join(metadata.get('task_rules', [])) or 'none (an older run)'}")
    if prune and task is None:
        raise InputError("--prune needs --task: the compact exports are per task")
    if prune and compact_export_path(run_dir, task) is None:
        raise InputError(f"{run_dir} has no compact export of task {task} "
                         "(only AlexNet-HAT runs write them)")
    if task is not None and not os.path.isdir(task_export(run_dir, task, prune)):
        raise InputError(f"expected task {task}'s export in "
                         f"{task_export(run_dir, task, prune)}, received no such folder")
    return metadata


def task_export(run_dir: str, task: int, prune: bool) -> str:
    """The folder of task `task`'s export: its compact one with `prune`, else `task_<k>/`
    (which train.py's default `--export compact` makes the compact one where it is exact)."""
    return compact_export_path(run_dir, task) if prune \
        else export_path(run_dir, task_dir_name(task))


def read_images(path: str, image_shape: tuple[int, ...]) -> list[tuple[str, np.ndarray]]:
    """(label, image) of each image in `path`, checked against `image_shape`; an .npz gives
    `path[i]` labels."""
    if path.endswith(".npz"):
        images = read_npz(path)
        labeled = [(f"{path}[{index}]", image) for index, image in enumerate(images)]
    else:
        labeled = [(path, read_image_file(path))]
    for label, image in labeled:
        if image.shape != image_shape:
            raise InputError(f"{label} has shape {'×'.join(map(str, image.shape))}: the model "
                             f"takes {'×'.join(map(str, image_shape))} (height×width×channels)")
        check_pixels(label, image)
    return labeled


def check_pixels(label: str, image: np.ndarray) -> None:
    """Refuses pixel values that are not finite or lie outside 0..255 (raw pixels)."""
    if image.dtype == np.uint8:
        return
    finite = np.isfinite(image)
    if not finite.all():
        bad = int(np.sum(~finite))
        raise InputError(f"{label}: expected finite pixel values in 0..255, received "
                         f"{image[~finite].flat[0]} in {bad} of its {image.size} values")
    low, high = float(image.min()), float(image.max())
    if low < 0 or high > 255:
        raise InputError(f"{label}: expected pixel values in 0..255 (raw pixels), received "
                         f"{low:g}..{high:g}")


def read_npz(path: str) -> np.ndarray:
    """The `images` array of the .npz file `path`."""
    if not os.path.isfile(path):
        raise InputError(f"{path} does not exist")
    try:
        loaded = np.load(path)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: expected an .npz archive with an `images` array, "
                             "received a single .npy array")
        with loaded:
            images = loaded["images"] if "images" in loaded.files else None
    except NPZ_ERRORS as error:
        raise InputError(f"{path} is not a readable .npz file ({type(error).__name__}: "
                         f"{error})") from None
    if images is None:
        raise InputError(f"{path} has no `images` array")
    if images.dtype != np.uint8 and not np.issubdtype(images.dtype, np.floating):
        raise InputError(f"{path}: `images` must be uint8 or float, received {images.dtype}")
    if images.ndim not in (3, 4):
        raise InputError(f"{path}: expected `images` of shape N×H×W×C or H×W×C, received "
                         f"{images.ndim} dimensions {images.shape}")
    return images[None] if images.ndim == 3 else images


def read_image_file(path: str) -> np.ndarray:
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except (UnidentifiedImageError, OSError):
        raise InputError(f"{path} is not an image (PNG or JPEG) or an .npz file") from None
    return pixels[..., None] if pixels.ndim == 2 else pixels


def batch_of(images: list[np.ndarray]) -> np.ndarray:
    """One batch: uint8 if every image is, else float32."""
    dtype = np.uint8 if all(image.dtype == np.uint8 for image in images) else np.float32
    return np.stack(images).astype(dtype)


def predict(run_dir: str, images: np.ndarray, task: int | None, prune: bool,
            rule_index: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(task ids, probabilities) of the batch: under `task` (its compact export if
    `prune`), or under the tasks inferred by the run's rule, or by the rule at
    `rule_index` of the export's `task_scores`."""
    # TensorFlow is imported only now, so that bad input is refused at once.
    from hat_tf.console import import_tensorflow_quietly, native_stderr_silenced

    tf = import_tensorflow_quietly()
    with native_stderr_silenced():
        if task is None:
            model = tf.saved_model.load(export_path(run_dir, MULTITASK))
            if rule_index is None:
                chosen, probabilities = model.infer(images)
            else:
                chosen = tf.argmax(model.task_scores(images)[rule_index], axis=0,
                                   output_type=tf.int32)
                probabilities = model.serve(images, chosen)
            return chosen.numpy(), probabilities.numpy()
        model = tf.saved_model.load(task_export(run_dir, task, prune))
        return np.full(len(images), task), model.serve(images).numpy()


def top_classes(probabilities: np.ndarray, class_names: list[str], k: int) -> list[dict]:
    """The `k` most probable of the task's classes, most probable first."""
    probabilities = probabilities[: len(class_names)]
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [{"class": class_names[i], "probability": float(probabilities[i])} for i in order]


def predictions(labels, tasks, probabilities, metadata: dict, task_inferred: bool,
                top_k: int) -> list[dict]:
    return [{"input": label, "task_id": int(task), "task_name": metadata["task_names"][task],
             "task_inferred": task_inferred,
             "top_classes": top_classes(row, metadata["class_names"][task], top_k)}
            for label, task, row in zip(labels, tasks, probabilities)]


def as_text(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        how = "inferred" if row["task_inferred"] else "given"
        lines.append(f"{row['input']}: task {row['task_id']} ({row['task_name']}, {how})")
        lines += [f"  {top['probability']:7.4f}  {top['class']}" for top in row["top_classes"]]
    return "\n".join(lines)


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    try:
        metadata = read_run(args.run_dir, args.task, args.prune, args.task_rule)
        labeled = [item for path in args.files
                   for item in read_images(path, tuple(metadata["image_shape"]))]
        if not labeled:
            raise InputError("the files hold no images")
    except InputError as error:
        print(f"predict.py: error: {error}", file=sys.stderr)
        sys.exit(2)
    labels, images = zip(*labeled)
    rule_index = (None if args.task_rule is None
                  else metadata["task_rules"].index(args.task_rule))
    tasks, probabilities = predict(args.run_dir, batch_of(list(images)), args.task,
                                   args.prune, rule_index)
    rows = predictions(labels, tasks, probabilities, metadata, args.task is None, args.top_k)
    print(json.dumps(rows, indent=2) if args.json else as_text(rows))


if __name__ == "__main__":
    main()
