"""Do nbgrader's test cells and the standalone grader turn a share of passed checks into the same points?"""

import pytest

from autograder.checks import points_earned


@pytest.mark.parametrize(("fraction", "points", "expected"), [
    (1.0, 2, 2.0),
    (0.0, 1, 0.0),
    (0.29, 1, 0.29),  # 0.29 * 100 is 28.999...: floored without care it would lose a hundredth
    (0.57, 1, 0.57),
    (2 / 3, 1, 0.66),  # never rounded up to points not earned
    (0.4, 2, 0.8),
])
def test_points_are_floored_to_hundredths(fraction, points, expected):
    """Is the share of passed checks floored to hundredths of a point, without float artefacts?"""
    assert points_earned(fraction, points) == expected
