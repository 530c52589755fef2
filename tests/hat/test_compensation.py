import numpy as np
import pytest

from hat_tf.hat.compensation import compensation_factor


def test_equals_s_max_over_s_at_zero_embedding():
    factor = compensation_factor(np.zeros(4, np.float32), 2.5, 400.0)
    np.testing.assert_allclose(factor, np.full(4, 400.0 / 2.5), rtol=1e-6)


@pytest.mark.parametrize("s", [1 / 400, 1.0, 37.0, 400.0])
def test_matches_the_formula_on_random_embeddings(s):
    e = np.random.default_rng(0).uniform(-6, 6, size=(3, 50)).astype(np.float32)
    s_max = 400.0
    expected = s_max * (np.cosh(np.clip(s * e.astype(np.float64), -50, 50)) + 1) / (
        s * (np.cosh(e.astype(np.float64)) + 1))
    np.testing.assert_allclose(compensation_factor(e, s, s_max), expected, rtol=1e-4)


def test_cosh_argument_is_clipped_at_50():
    e = np.array([6.0], np.float32)
    clipped = compensation_factor(e, 400.0, 400.0)  # s·e = 2400 would overflow cosh
    expected = 400.0 * (np.cosh(50.0) + 1) / (400.0 * (np.cosh(6.0) + 1))
    assert np.isfinite(clipped).all()
    np.testing.assert_allclose(clipped, [expected], rtol=1e-4)
