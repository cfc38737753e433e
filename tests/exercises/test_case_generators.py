"""The grader's case generators draw only cases the reference accepts.

A hidden case the reference itself refuses would fail every student (and the reference's
own round trip) on an unlucky grading seed: the grader computes the expected answers by
running the reference on the case. So every generator is swept over many seeds here,
and the one corner that once slipped through (a stride-2 residual block on a 2x2 input
in training mode: BatchNorm over a single value per channel) is checked exhaustively.
"""
import numpy as np
import pytest

from tinygrad_edu.exercises import checks

SWEEP = 25  # draws per task on top of the public ones; a full sweep of 2000 ran clean


@pytest.mark.parametrize("task_id", sorted(checks.CHECKS))
def test_reference_answers_every_drawn_case(task_id):
    check = checks.CHECKS[task_id]
    cases = checks.public_cases(task_id) + [check.cases(np.random.default_rng([9, s])) for s in range(SWEEP)]
    for case in cases:
        answers = check.probe({k: np.array(v) for k, v in case.items()})
        assert answers, f"task {task_id}: the probe returned no answers"
        for key, value in answers.items():
            assert isinstance(value, np.ndarray), f"task {task_id}: answer {key!r} is not an array"


def _positions_after(side, stride):
    # a 1x1 conv (or 3x3 with padding 1) of this stride: ceil(side / stride) outputs
    return (side - 1) // stride + 1


def test_residual_block_cases_leave_batchnorm_more_than_one_value():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        case = checks.residual_block_cases(rng)
        n, _, h, w = case["x"].shape
        stride = int(case["stride"])
        values_per_channel = n * _positions_after(h, stride) * _positions_after(w, stride)
        assert values_per_channel > 1, f"case {case['x'].shape} at stride {stride} leaves one value per channel"


def test_the_old_corner_is_refused_by_the_reference():
    """The check above guards a real refusal: a training-mode block on (1, C, 2, 2) at
    stride 2 raises, as PyTorch does."""
    case = {"x": np.ones((1, 2, 2, 2)), "channels": np.array(2), "stride": np.array(2),
            "training": np.array(True), "seed": np.array(0)}
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        checks.residual_block_probe(case)
