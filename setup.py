"""hat_tf: Hard Attention to the Task (HAT) for TensorFlow 2 / Keras 3.

The one list of dependencies: `install_requires` is what hat_tf and its tools import at run
time; the extra `dev` adds the tests and the linters (`pip install -e .[dev]`), which
requirements.txt installs for the README's set-up command.
"""

from setuptools import find_packages, setup

RUN_TIME = [
    "tensorflow>=2.16,<3",
    "keras>=3.3,<4",
    "tensorflow-datasets>=4.9",
    "keras-tuner>=1.4",
    "tensorboard>=2.16",
    "numpy>=1.26",
    "pandas>=2.0",
    "tabulate>=0.9",  # pandas.DataFrame.to_markdown
    "scikit-learn>=1.3",
    "matplotlib>=3.7",
    "pillow>=10.0",
]
DEV = [
    "pytest>=8.0",
    "pytest-xdist>=3.5",  # the default suite runs on two workers (pyproject.toml's addopts)
    "ruff>=0.6",
    "import-linter>=2.2",  # lint-imports: the layers in pyproject.toml (exhaustive since 2.2)
]

setup(
    name="hat_tf",
    version="0.1.0",
    description="Hard Attention to the Task (Serrà et al., ICML 2018) for TensorFlow 2 / Keras 3",
    packages=find_packages(include=["hat_tf", "hat_tf.*"]),
    python_requires=">=3.10",
    install_requires=RUN_TIME,
    extras_require={"dev": DEV},
)
