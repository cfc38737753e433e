"""Shape ops against PyTorch: forward values and input gradients for a
random upstream gradient on every output."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.ops import shape as shape_ops

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
A = RNG.standard_normal((2, 3, 4))
B = RNG.standard_normal((2, 1, 4))
C = RNG.standard_normal((2, 5, 4))
ONES = RNG.standard_normal((1, 3, 1))
ZERO_D = np.array(0.25)


def T(mod):
    """The module holding the functional form: ``torch`` or ``tinygrad_edu``'s shape ops."""
    return torch if mod == "torch" else shape_ops


# (label, inputs, call(mod, *xs)) - the same call in both frameworks
CASES = [
    ("reshape_infer", [A], lambda m, x: x.reshape(-1, 6)),
    ("view", [A], lambda m, x: x.view(4, 3, 2)),
    ("view_noncontiguous_reshape", [A], lambda m, x: x.transpose(0, 2).reshape(8, 3)),
    ("flatten", [A], lambda m, x: x.flatten(1)),
    ("flatten_range", [A], lambda m, x: x.flatten(0, -2)),
    ("flatten_0d", [ZERO_D], lambda m, x: x.flatten()),
    ("unflatten", [A], lambda m, x: x.unflatten(-1, (2, -1))),
    ("squeeze_all", [ONES], lambda m, x: x.squeeze()),
    ("squeeze_dim", [ONES], lambda m, x: x.squeeze(-1)),
    ("squeeze_tuple_noop", [ONES], lambda m, x: x.squeeze((0, 1))),
    ("unsqueeze", [A], lambda m, x: x.unsqueeze(-2)),
    ("transpose", [A], lambda m, x: x.transpose(-1, 0)),
    ("permute", [A], lambda m, x: x.permute(2, 0, 1)),
    ("permute_negative", [A], lambda m, x: x.permute(-1, -3, -2)),
    ("expand", [ONES], lambda m, x: x.expand(2, -1, 3, 5)),
    ("expand_as", [B, A], lambda m, x, y: x.expand_as(y) * y),
    ("broadcast_to", [ONES], lambda m, x: x.broadcast_to((4, 3, 2))),
    ("repeat", [B], lambda m, x: x.repeat(2, 1, 3, 1)),
    ("repeat_0d", [ZERO_D], lambda m, x: x.repeat(3, 2)),
    ("cat", [A, C], lambda m, x, y: T(m).cat([x, y], 1)),
    ("cat_negative_dim", [A, A], lambda m, x, y: T(m).cat((x, y, x), -1)),
    ("stack", [A, A], lambda m, x, y: T(m).stack([x, y * 2], 2)),
    ("stack_last", [A, A], lambda m, x, y: T(m).stack([x, y], -1)),
    ("split_int", [C], lambda m, x: x.split(2, 1)),
    ("split_sections", [C], lambda m, x: x.split([1, 0, 4], dim=-2)),
    ("chunk", [C], lambda m, x: x.chunk(3, 1)),
    ("chunk_fewer", [A], lambda m, x: x.chunk(4, -1)),
    ("split_one_piece_used", [C], lambda m, x: x.split(2, 1)[1]),
]


@pytest.mark.parametrize("label, arrays, call", CASES, ids=[c[0] for c in CASES])
def test_forward_and_backward_match_torch(label, arrays, call):
    xs = [tge.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = call("tge", *xs), call("torch", *ts)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    grads = []
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_array_equal(o.detach().cpu().numpy(), t.detach().cpu().numpy())
        grads.append(RNG.standard_normal(o.shape))
    sum(((o * tge.tensor(g)).sum() for o, g in zip(ours, grads)), tge.tensor(0.0, dtype=tge.float64)).backward()
    sum(((t * torch.tensor(g)).sum() for t, g in zip(theirs, grads)), torch.tensor(0.0, dtype=torch.float64)).backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12, atol=1e-12)


def test_chunk_and_split_piece_counts_match_torch():
    for n in range(0, 9):
        for k in range(1, 6):
            ours = [p.shape for p in tge.zeros(n, 2).chunk(k)]
            theirs = [tuple(p.shape) for p in torch.zeros(n, 2).chunk(k)]
            assert ours == theirs, (n, k)
            if k <= n or n == 0:
                assert [p.shape for p in tge.zeros(n).split(k)] == [tuple(p.shape) for p in torch.zeros(n).split(k)]


def test_cat_dtype_promotion_matches_torch():
    for da, db in [("float32", "int64"), ("float32", "float64"), ("int32", "int64"), ("bool", "int64"), ("uint8", "int8")]:
        ours = tge.cat([tge.zeros(2, dtype=getattr(tge, da)), tge.zeros(2, dtype=getattr(tge, db))]).dtype
        theirs = torch.cat([torch.zeros(2, dtype=getattr(torch, da)), torch.zeros(2, dtype=getattr(torch, db))]).dtype
        assert str(ours) == str(theirs).replace("torch.", "")
