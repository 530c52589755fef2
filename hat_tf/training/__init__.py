"""The custom train step, the task-sequence loop, its callbacks and results."""
