"""tools/predict.py as a user runs it, on image files the test writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hat_tf.export.files import METADATA
from tests.tools.tool_modules import load_tool, refusal

REPO = Path(__file__).resolve().parents[2]


def predict(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(REPO / "tools" / "predict.py"), *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pngs(exported_run, tmp_path_factory):
    """The run's first test image of each task as PNG files, with their index in
    `exported_run.images`."""
    folder = tmp_path_factory.mktemp("images")
    indices = [0, len(exported_run.images) // 2]
    paths = []
    for index in indices:
        paths.append(folder / f"image{index}.png")
        Image.fromarray(exported_run.images[index]).save(paths[-1])
    return paths, indices


def test_a_given_task_scores_png_files_as_the_network_does(exported_run, pngs, tmp_path):
    paths, indices = pngs
    done = predict("--run-dir", exported_run.run_dir, "--task", 1, "--json", *paths,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    expected = exported_run.expected.per_task[1][indices]
    for row, path, probabilities in zip(rows, paths, expected):
        assert row["input"] == str(path) and row["task_id"] == 1
        assert row["task_name"] == "digits-2-3" and row["task_inferred"] is False
        top = row["top_classes"]
        assert [entry["class"] for entry in top] == [["2", "3"][i]
                                                     for i in np.argsort(-probabilities)]
        assert [entry["probability"] for entry in top] == pytest.approx(
            sorted(probabilities, reverse=True), abs=1e-6)


def inferred_tasks(exported_run, tmp_path, *options):
    np.savez(tmp_path / "batch.npz", images=exported_run.images)
    done = predict("--run-dir", exported_run.run_dir, "--json", "--top-k", 1, *options,
                   tmp_path / "batch.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert all(row["task_inferred"] and len(row["top_classes"]) == 1 for row in rows)
    assert rows[1]["input"] == f"{tmp_path / 'batch.npz'}[1]"
    return [row["task_id"] for row in rows]


def test_without_a_task_the_run_detector_infers_it(exported_run, tmp_path):
    chosen, _ = exported_run.detector.infer(exported_run.expected.model.network,
                                            exported_run.images, 2)
    assert inferred_tasks(exported_run, tmp_path) == chosen.numpy().tolist()


def test_another_task_rule_can_be_asked_for(exported_run, tmp_path):
    per_task = np.stack(exported_run.expected.per_task)  # both tasks have 2 classes
    most_confident = per_task.max(axis=2).argmax(axis=0)
    assert (inferred_tasks(exported_run, tmp_path, "--task-rule", "max_softmax")
            == most_confident.tolist())


def test_text_output_names_the_task_and_classes(exported_run, pngs, tmp_path):
    jpeg = tmp_path / "image.jpg"
    Image.fromarray(exported_run.images[0]).save(jpeg, quality=95)
    done = predict("--run-dir", exported_run.run_dir, "--task", 0, pngs[0][0], jpeg,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{pngs[0][0]}: task 0 (digits-0-1, given)"
    assert lines[3] == f"{jpeg}: task 0 (digits-0-1, given)"
    assert {line.split()[-1] for line in lines[1:3]} == {"0", "1"}


def half_trained_run(exported_run, tmp_path):
    """A run dir whose exports say that only its first task is trained."""
    run_dir = tmp_path / "half"
    (run_dir / "saved_models" / "multitask").mkdir(parents=True)
    metadata = json.loads(
        (exported_run.run_dir / "saved_models" / "multitask" / METADATA).read_text())
    (run_dir / "saved_models" / "multitask" / METADATA).write_text(
        json.dumps({**metadata, "tasks_trained": 1}))
    return run_dir


def write_image(path, shape, mode=None):
    Image.fromarray(np.zeros(shape, np.uint8), mode).save(path)
    return path


BAD_INPUTS = {
    "task out of range": (lambda run, tmp: ["--run-dir", run.run_dir, "--task", 2,
                                            write_image(tmp / "ok.png", (32, 32, 3))],
                          "--task 2 is out of range: the run has tasks 0..1"),
    "task not trained yet": (lambda run, tmp: ["--run-dir", half_trained_run(run, tmp),
                                               "--task", 1,
                                               write_image(tmp / "ok.png", (32, 32, 3))],
                             "task 1 (digits-2-3) is not trained yet"),
    "wrong size": (lambda run, tmp: ["--run-dir", run.run_dir,
                                     write_image(tmp / "small.png", (16, 16, 3))],
                   "has shape 16×16×3: the model takes 32×32×3"),
    "grey image": (lambda run, tmp: ["--run-dir", run.run_dir,
                                     write_image(tmp / "grey.png", (32, 32))],
                   "has shape 32×32×1: the model takes 32×32×3"),
    "four channels": (lambda run, tmp: ["--run-dir", run.run_dir,
                                        write_image(tmp / "rgba.png", (32, 32, 4))],
                      "has shape 32×32×4"),
    "not an image": (lambda run, tmp: ["--run-dir", run.run_dir, text_file(tmp / "note.png")],
                     "is not an image (PNG or JPEG) or an .npz file"),
    "prune without a task": (lambda run, tmp: ["--run-dir", run.run_dir, "--prune",
                                               write_image(tmp / "ok.png", (32, 32, 3))],
                             "--prune needs --task"),
    "unknown task rule": (lambda run, tmp: ["--run-dir", run.run_dir, "--task-rule", "knn",
                                            write_image(tmp / "ok.png", (32, 32, 3))],
                          "--task-rule knn: expected one of energy, energy_calibrated, "
                          "entropy, entropy_calibrated, mahalanobis"),
    "task rule with a task": (lambda run, tmp: ["--run-dir", run.run_dir, "--task", 0,
                                                "--task-rule", "energy",
                                                write_image(tmp / "ok.png", (32, 32, 3))],
                              "--task-rule infers the task: it cannot go with --task"),
    "run dir without models": (lambda run, tmp: ["--run-dir", tmp,
                                                 write_image(tmp / "ok.png", (32, 32, 3))],
                               "holds no exported models"),
    "NaN images": (lambda run, tmp: ["--run-dir", run.run_dir, write_npz(
        tmp / "nan.npz", np.full((2, 32, 32, 3), np.nan, np.float32))],
                   "nan.npz[0]: expected finite pixel values in 0..255, received nan"),
}


def write_npz(path, images):
    np.savez(path, images=images)
    return path


def text_file(path):
    path.write_text("not pixels\n")
    return path


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gets_one_line_and_status_2(exported_run, tmp_path, case):
    make_args, message = BAD_INPUTS[case]
    inputs, work = tmp_path / "inputs", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    args = make_args(exported_run, inputs)
    before = sorted(p.name for p in inputs.rglob("*"))
    exports_before = sorted(p.name for p in exported_run.run_dir.rglob("*"))
    done = predict(*args, cwd=work)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert done.stderr.startswith("predict.py: error: ")
    assert sorted(p.name for p in inputs.rglob("*")) == before and not any(work.iterdir())
    assert sorted(p.name for p in exported_run.run_dir.rglob("*")) == exports_before


def test_prune_uses_the_compact_export(exported_run, pngs, tmp_path):
    paths, indices = pngs
    done = predict("--run-dir", exported_run.run_dir, "--task", 1, "--prune", "--json", *paths,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    probabilities = [sorted((top["probability"] for top in row["top_classes"]), reverse=True)
                     for row in json.loads(done.stdout)]
    expected = np.sort(exported_run.expected.per_task[1][indices], axis=1)[:, ::-1]
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)


@pytest.fixture
def predict_tool():
    return load_tool("predict")


def exports_only(folder, **metadata_changes):
    """A run dir with the metadata of a 2-task digits run's exports and empty export
    folders: enough for the checks that refuse bad input before any model is loaded."""
    run_dir = folder / "run"
    for name in ("multitask", "task_0"):
        (run_dir / "saved_models" / name).mkdir(parents=True)
    metadata = {"task_names": ["digits-0-1", "digits-2-3"], "tasks_trained": 2,
                "class_names": [["0", "1"], ["2", "3"]], "image_shape": [32, 32, 3],
                "task_rules": ["mahalanobis"], **metadata_changes}
    (run_dir / "saved_models" / "multitask" / METADATA).write_text(json.dumps(metadata))
    return run_dir


def pixels(value, dtype=np.float32):
    return np.full((3, 32, 32, 3), value, dtype)


def write_bytes(path, content):
    path.write_bytes(content)
    return path


def truncated_npz(path):
    np.savez(path, images=pixels(0, np.uint8))
    return write_bytes(path, path.read_bytes()[:200])


def npy_named_npz(path):
    with open(path, "wb") as file:
        np.save(file, pixels(0, np.uint8))
    return path


def broken_metadata(folder):
    run_dir = exports_only(folder)
    (run_dir / "saved_models" / "multitask" / METADATA).write_text('{"task_names": [')
    return run_dir


def without_image_shape(folder):
    run_dir = exports_only(folder)
    path = run_dir / "saved_models" / "multitask" / METADATA
    metadata = json.loads(path.read_text())
    del metadata["image_shape"]
    path.write_text(json.dumps(metadata))
    return run_dir


# name: (the run dir from a folder, the input file from a folder, more options, the message)
BAD_FILES = {
    "NaN pixels": (exports_only, lambda d: write_npz(d / "x.npz", pixels(np.nan)), [],
                   "x.npz[0]: expected finite pixel values in 0..255, received nan in 3072 of "
                   "its 3072 values"),
    "one infinite pixel": (exports_only, lambda d: write_npz(
        d / "x.npz", np.where(np.arange(3 * 32 * 32 * 3).reshape(3, 32, 32, 3) == 3100,
                              np.inf, 1.0)), [],
                           "x.npz[1]: expected finite pixel values in 0..255, received inf in 1 "
                           "of its 3072 values"),
    "pixels below 0": (exports_only, lambda d: write_npz(d / "x.npz", pixels(-0.5)), [],
                       "x.npz[0]: expected pixel values in 0..255 (raw pixels), received "
                       "-0.5..-0.5"),
    "pixels above 255": (exports_only, lambda d: write_npz(d / "x.npz", pixels(256.0)), [],
                         "received 256..256"),
    "a 0-d images array": (exports_only, lambda d: write_npz(d / "x.npz", np.float32(1)), [],
                           "x.npz: expected `images` of shape N×H×W×C or H×W×C, received 0 "
                           "dimensions ()"),
    "a missing .npz": (exports_only, lambda d: d / "gone.npz", [], "gone.npz does not exist"),
    "an empty .npz": (exports_only, lambda d: write_bytes(d / "x.npz", b""), [],
                      "x.npz is not a readable .npz file (EOFError"),
    "a truncated .npz": (exports_only, lambda d: truncated_npz(d / "x.npz"), [],
                         "x.npz is not a readable .npz file (BadZipFile"),
    "an .npy named .npz": (exports_only, lambda d: npy_named_npz(d / "x.npz"), [],
                           "x.npz: expected an .npz archive with an `images` array, received a "
                           "single .npy array"),
    "unreadable metadata": (broken_metadata, lambda d: write_npz(d / "x.npz", pixels(0)), [],
                            "expected the JSON metadata of a run's export, received a file that "
                            "cannot be read (JSONDecodeError"),
    "metadata without the image shape": (without_image_shape,
                                         lambda d: write_npz(d / "x.npz", pixels(0)), [],
                                         "received none for image_shape"),
    "a task without its export": (exports_only, lambda d: write_npz(d / "x.npz", pixels(0)),
                                  ["--task", "1"],
                                  "expected task 1's export in "),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_exit_2_with_one_line_before_loading_a_model(predict_tool, tmp_path, capsys,
                                                               case):
    make_run, make_input, options, message = BAD_FILES[case]
    run_dir, path = make_run(tmp_path), make_input(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    error = refusal(predict_tool, ["--run-dir", str(run_dir), *options, str(path)], capsys)
    assert message in error
    assert sorted(tmp_path.rglob("*")) == before
