"""The progress lines' times: elapsed, the time left, the first estimate."""

from hat_tf.training.progress import RunProgress, duration


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_estimates_come_from_seconds_per_step_and_the_epoch_cap():
    clock = FakeClock()
    # 3 tasks; task 2 has twice the steps (as a Joint task does); up to 10 epochs each.
    progress = RunProgress([4, 4, 8], epoch_cap=10, on_cpu=True, clock=clock)
    progress.epoch_begins()
    clock.now = 8.0  # 4 steps in 8 s: 2 s per step
    line = progress.epoch_ends(task_id=0, epochs_run=1)
    # task 0: 9 epochs of 4 steps left = 72 s; tasks 1 and 2: 10 × (4 + 8) steps = 240 s
    assert line == "elapsed 0:00:08, left at most: task 0:01:12, run 0:05:12"
    assert progress.first_estimate().startswith("estimate: this run takes at most 0:05:12")
    assert "quick run" not in progress.first_estimate()  # under an hour
    progress.epoch_begins()
    clock.now = 20.0  # 4 more steps in 12 s: 20 s for 8 steps
    assert progress.epoch_ends(task_id=0, epochs_run=2).endswith("task 0:01:20, run 0:06:20")
    assert progress.first_estimate() is None  # once per run


def test_a_long_cpu_run_gets_the_quick_options_once():
    clock = FakeClock()
    progress = RunProgress([4] * 5, epoch_cap=200, on_cpu=True, first_task=2, clock=clock)
    progress.epoch_begins()
    clock.now = 20.0
    progress.epoch_ends(task_id=2, epochs_run=1)
    assert "--width 0.25 --epochs 20" in progress.first_estimate()
    on_gpu = RunProgress([4] * 5, epoch_cap=200, on_cpu=False, clock=clock)
    on_gpu.epoch_begins()
    clock.now = 40.0
    on_gpu.epoch_ends(task_id=0, epochs_run=1)
    assert "quick" not in on_gpu.first_estimate()


def test_duration_reads_as_hours_minutes_seconds():
    assert duration(3725.4) == "1:02:05"
    assert duration(90000) == "1 day, 1:00:00"
