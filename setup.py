"""hat_tf: Hard Attention to the Task (HAT) for TensorFlow 2 / Keras 3."""

from pathlib import Path

from setuptools import find_packages, setup

requirements = [
    line.split("#")[0].strip()
    for line in Path(__file__).with_name("requirements.txt").read_text().splitlines()
    if line.split("#")[0].strip()
]

setup(
    name="hat_tf",
    version="0.1.0",
    description="Hard Attention to the Task (Serrà et al., ICML 2018) for TensorFlow 2 / Keras 3",
    packages=find_packages(include=["hat_tf", "hat_tf.*"]),
    python_requires=">=3.10",
    install_requires=requirements,
)
