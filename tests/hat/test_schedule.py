import numpy as np
import pytest

from hat_tf.hat.schedule import annealed_s


@pytest.mark.parametrize("s_max", [25.0, 400.0])
def test_end_points_of_an_epoch(s_max):
    batches = 7
    assert float(annealed_s(0, batches, s_max)) == pytest.approx(1 / s_max)
    assert float(annealed_s(batches - 1, batches, s_max)) == pytest.approx(s_max)


def test_linear_in_the_batch_index():
    s_max, batches = 400.0, 5
    values = [float(annealed_s(b, batches, s_max)) for b in range(batches)]
    expected = [1 / s_max + (s_max - 1 / s_max) * b / (batches - 1) for b in range(batches)]
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_a_single_batch_uses_s_max():
    assert float(annealed_s(0, 1, 400.0)) == pytest.approx(400.0)
