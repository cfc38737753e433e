"""What each task is graded on: its inputs (``cases``) and the call that turns one
input into answers (``probe``).

The same probe runs twice, on the same arrays:
- in a grading child, where ``tinygrad_edu`` is the student's submission;
- in the grader itself, where ``tinygrad_edu`` is the trusted reference.
The grader compares the two sets of answers (``compare``). A probe only calls the
public API and returns plain arrays, so it holds no solution.

A case is a dict of NumPy arrays (scalars as 0-d arrays: they cross process
boundaries as ``.npz``). ``cases(rng)`` draws one case; the grader draws the public
cases from a fixed seed and the hidden ones from a seed the student never sees, with
random shapes, broadcasting and edge values (exact zeros, ties, huge logits).

This module imports no part of ``tinygrad_edu`` at its top: in a child it is loaded
from the grader's own copy by file path, and ``load`` finds whichever package is on
the path.
"""
import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

PUBLIC_CASES = 2
HIDDEN_CASES = 4


def load(name=""):
    """``tinygrad_edu`` or one of its modules, as found on the path (student or reference)."""
    return importlib.import_module("tinygrad_edu" + ("." + name if name else ""))


def leaf(a):
    """A fresh tensor that requires grad (its .grad is the answer)."""
    return load().tensor(np.array(a), requires_grad=True)


def const(a):
    return load().tensor(np.array(a))


def grad_of(t):
    """``t.grad`` as an array; a missing gradient is an answer too (NaNs, so it fails)."""
    return np.full(t.shape, np.nan) if t.grad is None else np.array(t.grad.array)


def ints(a):
    return tuple(int(v) for v in np.atleast_1d(a))


@dataclass(frozen=True)
class Check:
    cases: Callable  # rng -> dict of arrays
    probe: Callable  # dict of arrays -> dict of arrays
    rtol: float = 1e-6
    atol: float = 1e-9


# ----------------------------------------------------------------------- input helpers
def values(rng, shape, dtype=np.float64, edge=True, scale=1.0):
    """Normal values; with ``edge`` some exact zeros, large and tiny magnitudes."""
    a = np.asarray(rng.normal(size=shape) * scale)
    if edge and a.size:
        flat = a.reshape(-1)
        for value in (0.0, 30.0, -30.0, 1e-8):
            if rng.random() < 0.5:
                flat[rng.integers(flat.size)] = value
    return np.asarray(a.astype(dtype))


def shape(rng, ndim_range=(1, 3), size_range=(1, 4)):
    return tuple(int(n) for n in rng.integers(size_range[0], size_range[1] + 1, size=rng.integers(*ndim_range, endpoint=True)))


def broadcast_pair(rng):
    """Two shapes that broadcast: the second a suffix of the first, some sizes set to 1
    (and sometimes the other way round)."""
    a = shape(rng, (1, 3))
    b = list(a[rng.integers(0, len(a) + 1):])
    b = tuple(1 if rng.random() < 0.4 else n for n in b)
    return (a, b) if rng.random() < 0.5 else (b, a)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)


def pool_config(rng, max_padding_ratio=0.5):
    """A 2-D window configuration with PyTorch's padding rule (padding <= kernel / 2)."""
    k = rng.integers(1, 4, size=2)
    return {"kernel": k, "stride": rng.integers(1, 4, size=2),
            "padding": np.array([rng.integers(0, int(n * max_padding_ratio) + 1) for n in k]),
            "dilation": rng.integers(1, 3, size=2)}


def conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


# ------------------------------------------------------------------- assignment 1
def neuron_cases(rng):
    scale = rng.choice([1.0, 5.0, 20.0])
    return {"w": rng.normal(size=3) * scale, "x": rng.normal(size=2) * scale}


def neuron_probe(c):
    f, dw, dx = load("autograd.by_hand").sigmoid_neuron(c["w"], c["x"])
    return {"f": f, "dw": dw, "dx": dx}


def unbroadcast_cases(rng):
    big = shape(rng, (0, 3))
    small = tuple(1 if rng.random() < 0.4 else n for n in big[rng.integers(0, len(big) + 1):])
    dtype = rng.choice([np.float64, np.float32])
    return {"g": values(rng, big, dtype, edge=False), "shape": np.array(small, dtype=np.int64),
            "a": values(rng, big, edge=False), "b": values(rng, small, edge=False)}


def unbroadcast_probe(c):
    unbroadcast = load("autograd.engine").unbroadcast
    a, b = leaf(c["a"]), leaf(c["b"])
    (a + b).backward(const(np.ones(np.broadcast_shapes(c["a"].shape, c["b"].shape))))
    return {"summed": unbroadcast(c["g"], ints(c["shape"]) if c["shape"].size else ()),
            "same_shape": unbroadcast(c["g"], c["g"].shape), "add_da": grad_of(a), "add_db": grad_of(b)}


def topological_cases(rng):
    return {"x": values(rng, shape(rng), edge=False), "repeats": np.array(rng.integers(1, 5)),
            "chain": np.array(rng.integers(1100, 1400))}


def topological_probe(c):
    x = leaf(c["x"])
    a = x.exp()  # used by many consumers: runs only after all of them sent their gradient
    b = a + a  # one node consumed twice through two edges
    out = b.sin()
    for _ in range(int(c["repeats"])):
        out = out + a - b * 0.25
    (out.sum() + a.sum()).backward()
    y = leaf(c["x"])
    z = y
    for _ in range(int(c["chain"])):  # longer than Python's recursion limit
        z = z + 0.001
    z.sum().backward()
    return {"dx": grad_of(x), "chain_dx": grad_of(y)}


def mul_div_cases(rng):
    sa, sb = broadcast_pair(rng)
    out = np.broadcast_shapes(sa, sb)
    return {"a": values(rng, sa), "b": away_from_zero(rng, sb), "g_mul": values(rng, out, edge=False),
            "g_div": values(rng, out, edge=False)}


def mul_div_probe(c):
    a, b = leaf(c["a"]), leaf(c["b"])
    (a * b).backward(const(c["g_mul"]))
    a2, b2 = leaf(c["a"]), leaf(c["b"])
    (a2 / b2).backward(const(c["g_div"]))
    a3 = leaf(c["a"])  # only one input needs a gradient
    (a3 * const(c["b"])).backward(const(c["g_mul"]))
    return {"mul_da": grad_of(a), "mul_db": grad_of(b), "div_da": grad_of(a2), "div_db": grad_of(b2),
            "mul_da_alone": grad_of(a3)}


MATMUL_KINDS = ("matrix", "batched", "vector_left", "vector_right", "dot")


def matmul_cases(rng):
    """One problem of every kind: matrices, broadcast batches, 1-D operands, a dot product."""
    m, k, n = (int(v) for v in rng.integers(1, 5, size=3))
    b1, b2 = (int(v) for v in rng.integers(2, 4, size=2))
    shapes = {"matrix": ((m, k), (k, n)), "batched": ((b1, 1, m, k), (b2, k, n)),
              "vector_left": ((k,), (2, k, n)), "vector_right": ((2, m, k), (k,)), "dot": ((k,), (k,))}
    case = {}
    for kind, (sx, sy) in shapes.items():
        x, y = values(rng, sx, edge=False), values(rng, sy, edge=False)
        case.update({f"{kind}_x": x, f"{kind}_y": y, f"{kind}_g": values(rng, np.matmul(x, y).shape, edge=False)})
    return case


def matmul_probe(c):
    answers = {}
    for kind in MATMUL_KINDS:
        x, y = leaf(c[f"{kind}_x"]), leaf(c[f"{kind}_y"])
        (x @ y).backward(const(c[f"{kind}_g"]))
        answers[f"{kind}_dx"], answers[f"{kind}_dy"] = grad_of(x), grad_of(y)
    return answers


def jacobian_cases(rng):
    r, k = rng.integers(1, 4, size=2)
    return {"x": values(rng, (r, k), edge=False), "y": values(rng, (k,), edge=False)}


def jacobian_probe(c):
    numerical_jacobian = load("autograd.gradcheck").numerical_jacobian

    def fn(x, y):
        return (x * y).exp().sum(-1), (x * x).sum()

    jacobians = numerical_jacobian(fn, (leaf(c["x"]), leaf(c["y"])))
    return {f"J{i}_{k}": np.array(J) for i, per_input in enumerate(jacobians) for k, J in enumerate(per_input)}


# ------------------------------------------------------------------- assignment 2
def activation_cases(rng):
    s = shape(rng)
    dtype = rng.choice([np.float64, np.float32])
    x = values(rng, s, dtype)
    x.reshape(-1)[0] = 0  # the kink: every case asks for the derivative at exactly 0
    return {"x": x, "g": values(rng, s, dtype, edge=False),
            "slope": np.array(rng.choice([0.01, 0.2, 1.5]))}


def relu_probe(c):
    F = load("nn.functional")
    x1, x2 = leaf(c["x"]), leaf(c["x"])
    F.relu(x1).backward(const(c["g"]))
    F.leaky_relu(x2, float(c["slope"])).backward(const(c["g"]))
    return {"relu_dx": grad_of(x1), "leaky_relu_dx": grad_of(x2)}


def sigmoid_tanh_probe(c):
    x1, x2 = leaf(c["x"]), leaf(c["x"])
    x1.sigmoid().backward(const(c["g"]))
    x2.tanh().backward(const(c["g"]))
    return {"sigmoid_dx": grad_of(x1), "tanh_dx": grad_of(x2)}


REDUCTIONS = ("mean", "sum", "none")


def cross_entropy_cases(rng):
    n, classes = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    extra = tuple(int(v) for v in rng.integers(1, 3, size=rng.integers(0, 2)))  # (N, C, d1): per-pixel classes
    target = rng.integers(0, classes, size=(n,) + extra)
    if rng.random() < 0.5:
        target.reshape(-1)[0] = -100  # ignore_index
    s = shape(rng, (2, 3))
    case = {"logits": values(rng, (n, classes) + extra, scale=rng.choice([1.0, 50.0])), "target": target,
            "weight": rng.uniform(0.5, 2.0, size=classes), "g_none": values(rng, target.shape, edge=False),
            "x": values(rng, s, scale=3.0), "dim": np.array(rng.integers(0, len(s) - 1)),  # not the last dim
            "g_x": values(rng, s, edge=False)}
    case["g_sum"], case["g_mean"] = values(rng, (), edge=False), values(rng, (), edge=False)
    return case


def cross_entropy_probe(c):
    """Every reduction, with and without class weights; and log_softmax alone."""
    F = load("nn.functional")
    answers = {}
    for reduction in ("mean", "sum", "none"):
        for weighted in (False, True):
            logits = leaf(c["logits"])
            loss = F.cross_entropy(logits, const(c["target"]), weight=const(c["weight"]) if weighted else None,
                                   reduction=reduction)
            loss.backward(const(c["g_" + reduction]))
            name = f"{reduction}{'_weighted' if weighted else ''}"
            answers[f"loss_{name}"], answers[f"dlogits_{name}"] = np.array(loss.array), grad_of(logits)
    x = leaf(c["x"])
    F.log_softmax(x, int(c["dim"])).backward(const(c["g_x"]))
    answers["log_softmax_dx"] = grad_of(x)
    return answers


def linear_cases(rng):
    lead = shape(rng, (1, 2), (2, 4))  # several rows: the bias gradient is a sum
    n_in, n_out = rng.integers(1, 5, size=2)
    return {"x": values(rng, lead + (n_in,)), "w": values(rng, (n_out, n_in)),
            "b": values(rng, (n_out,)) if rng.random() < 0.7 else np.zeros(0),
            "g": values(rng, lead + (n_out,), edge=False)}


def linear_probe(c):
    F = load("nn.functional")
    x, w = leaf(c["x"]), leaf(c["w"])
    b = leaf(c["b"]) if c["b"].size else None
    z = F.linear(x, w, b)
    z.backward(const(c["g"]))
    answers = {"z": np.array(z.array), "dx": grad_of(x), "dw": grad_of(w)}
    if b is not None:
        answers["db"] = grad_of(b)
    return answers


DROPOUT_PS = (0.0, 1.0)  # besides a random p in (0, 1) per case


def dropout_cases(rng):
    s = shape(rng, (1, 3), (2, 6))
    return {"x": values(rng, s), "g": values(rng, s, edge=False), "p": np.array(rng.uniform(0.1, 0.9)),
            "seed": np.array(rng.integers(0, 2**31))}


def dropout_probe(c):
    tge, F = load(), load("nn.functional")
    answers = {}
    for i, p in enumerate((float(c["p"]),) + DROPOUT_PS):
        tge.manual_seed(int(c["seed"]))
        x = leaf(c["x"])
        y = F.dropout(x, p, training=True)
        y.backward(const(c["g"]))
        x_eval = leaf(c["x"])
        y_eval = F.dropout(x_eval, p, training=False)
        answers.update({f"y{i}": np.array(y.array), f"dx{i}": grad_of(x), f"y_eval{i}": np.array(y_eval.array),
                        f"eval_returns_input{i}": np.array(y_eval is x_eval)})
    return answers


def optimizer_cases(rng):
    s = shape(rng, (1, 2))
    decay = rng.uniform(0.2, 1.0)  # shrinking gradients: amsgrad's max matters
    return {"p": values(rng, s, edge=False), "grads": np.stack([values(rng, s, edge=False) * decay ** k for k in range(4)]),
            "lr": np.array(rng.choice([0.1, 0.01])), "betas": np.array([rng.choice([0.9, 0.5]), rng.choice([0.999, 0.9])]),
            "eps": np.array(rng.choice([1e-8, 1e-3]))}


def trajectory(optimizer, p, grads):
    """The parameter after each of the steps, one gradient per step."""
    steps = []
    for g in grads:
        p.grad = const(g)
        optimizer.step()
        steps.append(np.array(p.array))
    return np.stack(steps)


SGD_OPTIONS = [dict(momentum=m, dampening=d, nesterov=n, weight_decay=w, maximize=x)
               for m in (0.0, 0.9) for d in (0.0, 0.5) for n in (False, True) for w in (0.0, 0.1) for x in (False, True)
               if not (n and (m == 0 or d != 0))]
ADAM_OPTIONS = [dict(amsgrad=a, weight_decay=w, maximize=x) for a in (False, True) for w in (0.0, 0.1) for x in (False, True)]


def sgd_probe(c):
    """Every combination of SGD's options on the same gradients."""
    answers = {}
    for i, options in enumerate(SGD_OPTIONS):
        p = leaf(c["p"])
        answers[f"trajectory{i}"] = trajectory(load("optim").SGD([p], lr=float(c["lr"]), **options), p, c["grads"])
    return answers


def adam_probe(c):
    answers = {}
    for i, options in enumerate(ADAM_OPTIONS):
        p = leaf(c["p"])
        optimizer = load("optim").Adam([p], lr=float(c["lr"]), betas=tuple(float(b) for b in c["betas"]),
                                        eps=float(c["eps"]), **options)
        # the NumPy kernel set: with Numba, Adam takes its compiled update (kernels/adam.py),
        # and the task is Adam._update's NumPy lines
        with load("kernels").using("numpy"):
            answers[f"trajectory{i}"] = trajectory(optimizer, p, c["grads"])
    return answers


# ------------------------------------------------------------------- assignment 3
def window_args(c):
    return ints(c["kernel"]), ints(c["stride"]), ints(c["padding"]), ints(c["dilation"])


def im2col_config(rng):
    while True:
        cfg = pool_config(rng, max_padding_ratio=1.0)
        n, ch, h, w = rng.integers(1, 3), rng.integers(1, 4), rng.integers(2, 7), rng.integers(2, 7)
        oh, ow = (conv_out(size, *args) for size, *args in zip((h, w), cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"]))
        if oh >= 1 and ow >= 1:
            return cfg, (int(n), int(ch), int(h), int(w)), (int(oh), int(ow))


def im2col_cases(rng):
    cfg, x_shape, _ = im2col_config(rng)
    return {"x": values(rng, x_shape, edge=False), **cfg}


def im2col_probe(c):
    return {"cols": load("kernels.unfold").im2col_reference(c["x"], *window_args(c))}


def col2im_cases(rng):
    cfg, (n, ch, h, w), (oh, ow) = im2col_config(rng)
    kh, kw = cfg["kernel"]
    return {"cols": values(rng, (ch, kh, kw, n, oh, ow), edge=False), "input_shape": np.array([n, ch, h, w]),
            "overlapping_cols": values(rng, (1, 3, 3, 1, 3, 3), edge=False), **cfg}  # 3x3 windows, stride 1 on 5x5


def col2im_probe(c):
    col2im = load("kernels.unfold").col2im_reference
    return {"x": col2im(c["cols"], ints(c["input_shape"]), *window_args(c)),
            "overlapping_x": col2im(c["overlapping_cols"], (1, 1, 5, 5), (3, 3), (1, 1), (0, 0), (1, 1))}


def conv_cases(rng):
    """A grouped, strided, padded, dilated 2-D convolution that fits its input."""
    groups = int(rng.choice([1, 1, 2]))
    c, oc = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    while True:
        cfg, (n, _, h, w), (oh, ow) = im2col_config(rng)
        if cfg["padding"].max() <= (cfg["dilation"] * (cfg["kernel"] - 1)).max():
            break
    kh, kw = cfg["kernel"]
    return {"x": values(rng, (n, c, h, w), edge=False), "weight": values(rng, (oc, c // groups, kh, kw), edge=False),
            "g": values(rng, (n, oc, oh, ow), edge=False), "groups": np.array(groups), **cfg}


def conv_probe(c):
    conv = load("ops.conv")
    _, stride, padding, dilation = window_args(c)
    groups = int(c["groups"])
    return {"out": conv.conv_forward(c["x"], c["weight"], stride, padding, dilation, groups),
            "dx": conv.conv_input_grad(c["g"], c["weight"], c["x"].shape, stride, padding, dilation, groups),
            "dweight": conv.conv_weight_grad(c["x"], c["g"], c["weight"].shape, stride, padding, dilation, groups)}


def conv_transpose_cases(rng):
    groups = int(rng.choice([1, 1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k, s, d = rng.integers(1, 4), rng.integers(1, 3), rng.integers(1, 3)
    p = rng.integers(0, (d * (k - 1)) // 2 + 1)
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
    output_padding = int(rng.integers(0, s))  # < stride (the reference refuses nothing but mishandles output_padding >= stride)
    y = values(rng, (n, c_in, h, w), edge=False)
    oh, ow = ((size - 1) * s - 2 * p + d * (k - 1) + output_padding + 1 for size in (h, w))
    return {"y": y, "weight": values(rng, (c_in, c_out // groups, k, k), edge=False), "bias": values(rng, (c_out,), edge=False),
            "g": values(rng, (n, c_out, oh, ow), edge=False), "stride": np.array(s), "padding": np.array(p),
            "dilation": np.array(d), "output_padding": np.array(output_padding), "groups": np.array(groups)}


def conv_transpose_probe(c):
    F = load("nn.functional")
    y, weight, bias = leaf(c["y"]), leaf(c["weight"]), leaf(c["bias"])
    out = F.conv_transpose2d(y, weight, bias, stride=int(c["stride"]), padding=int(c["padding"]),
                             output_padding=int(c["output_padding"]), groups=int(c["groups"]), dilation=int(c["dilation"]))
    out.backward(const(c["g"]))
    return {"out": np.array(out.array), "dy": grad_of(y), "dweight": grad_of(weight), "dbias": grad_of(bias)}


def max_pool_cases(rng):
    while True:  # redraw until the window fits the padded input
        try:
            return _max_pool_case(rng)
        except ValueError:
            pass


def _max_pool_case(rng):
    cfg = pool_config(rng)
    n, ch, h, w = (int(v) for v in rng.integers(1, 3, size=2).tolist() + rng.integers(3, 7, size=2).tolist())
    x = np.round(rng.normal(size=(n, ch, h, w)), 1)  # rounded: ties, where the first maximum must win
    if rng.random() < 0.3:
        x.reshape(-1)[rng.integers(x.size)] = np.nan
    ceil_mode = bool(rng.random() < 0.5)
    oh, ow = load("kernels.max_pool").pool_output_hw((h, w), *(ints(cfg[k]) for k in ("kernel", "stride", "padding", "dilation")), ceil_mode)
    return {"x": x, "ceil_mode": np.array(ceil_mode), "g": values(rng, (n, ch, oh, ow), edge=False),
            "indices": rng.integers(0, h * w, size=(n, ch, oh, ow)), **cfg}  # random, repeating indices


def max_pool_probe(c):
    kernel = load("kernels.max_pool")
    out, indices = kernel.max_pool2d_forward_reference(c["x"], *window_args(c), bool(c["ceil_mode"]))
    dx = kernel.max_pool2d_backward_reference(c["g"], c["indices"], c["x"].shape)
    return {"out": out, "indices": indices, "dx": dx}


def avg_pool_cases(rng):
    while True:  # redraw until the window fits the padded input
        try:
            return _avg_pool_case(rng)
        except ValueError:
            pass


def _avg_pool_case(rng):
    cfg = pool_config(rng)
    del cfg["dilation"]
    n, ch, h, w = (int(v) for v in rng.integers(1, 3, size=2).tolist() + rng.integers(3, 7, size=2).tolist())
    ceil_mode = bool(rng.random() < 0.5)
    oh, ow = load("kernels.avg_pool").avg_pool_output_hw((h, w), *(ints(cfg[k]) for k in ("kernel", "stride", "padding")), ceil_mode)
    return {"x": values(rng, (n, ch, h, w), edge=False), "ceil_mode": np.array(ceil_mode),
            "count_include_pad": np.array(bool(rng.random() < 0.5)),
            "divisor_override": np.array(rng.choice([0, 0, 3])),  # 0: None
            "g": values(rng, (n, ch, oh, ow), edge=False), **cfg}


def avg_pool_probe(c):
    kernel = load("kernels.avg_pool")
    args = (ints(c["kernel"]), ints(c["stride"]), ints(c["padding"]), bool(c["ceil_mode"]),
            bool(c["count_include_pad"]), int(c["divisor_override"]) or None)
    return {"out": kernel.avg_pool2d_forward_reference(c["x"], *args),
            "dx": kernel.avg_pool2d_backward_reference(c["g"], c["x"].shape, *args)}


# ------------------------------------------------------------------- assignment 4
def batch_norm_cases(rng):
    channels = int(rng.integers(1, 4))
    s = (int(rng.integers(2, 5)), channels) + tuple(int(v) for v in rng.integers(1, 4, size=rng.choice([0, 2])))
    return {"x": values(rng, s, edge=False, scale=rng.choice([1.0, 10.0])) + rng.normal(size=(1, channels) + (1,) * (len(s) - 2)),
            "weight": values(rng, (channels,), edge=False), "bias": values(rng, (channels,), edge=False),
            "running_mean": rng.normal(size=channels), "running_var": rng.uniform(0.5, 2.0, size=channels),
            "momentum": np.array(rng.choice([0.1, 0.5])), "affine": np.array(bool(rng.random() < 0.7)),
            "g": values(rng, s, edge=False)}


def batch_norm_run(c, training):
    F = load("nn.functional")
    x = leaf(c["x"])
    weight, bias = (leaf(c["weight"]), leaf(c["bias"])) if bool(c["affine"]) else (None, None)
    mean, var = const(c["running_mean"]), const(c["running_var"])
    # the NumPy kernel set: with Numba, batch_norm takes FusedBatchNorm (the compiled
    # kernels), and the task is BatchNorm's forward and backward
    with load("kernels").using("numpy"):
        y = F.batch_norm(x, mean, var, weight, bias, training=training, momentum=float(c["momentum"]), eps=1e-5)
    return x, weight, bias, mean, var, y


def batch_norm_forward_probe(c):
    answers = {}
    for mode, training in (("train", True), ("eval", False)):
        _, _, _, mean, var, y = batch_norm_run(c, training)
        answers.update({f"{mode}_y": np.array(y.array), f"{mode}_running_mean": np.array(mean.array),
                        f"{mode}_running_var": np.array(var.array)})
    return answers


def batch_norm_backward_probe(c):
    answers = {}
    for mode, training in (("train", True), ("eval", False)):
        x, weight, bias, _, _, y = batch_norm_run(c, training)
        y.backward(const(c["g"]))
        answers[f"{mode}_dx"] = grad_of(x)
        if weight is not None:
            answers[f"{mode}_dweight"], answers[f"{mode}_dbias"] = grad_of(weight), grad_of(bias)
    return answers


def row_norm_cases(rng):
    s = shape(rng, (2, 4), (1, 4))
    k = int(rng.integers(1, len(s)))
    return {"x": values(rng, s, edge=False, scale=rng.choice([1.0, 10.0])), "k": np.array(k),
            "weight": values(rng, s[-k:], edge=False), "bias": values(rng, s[-k:], edge=False),
            "affine": np.array(bool(rng.random() < 0.7)), "g": values(rng, s, edge=False)}


def layer_norm_probe(c):
    F = load("nn.functional")
    x = leaf(c["x"])
    normalized = c["x"].shape[-int(c["k"]):]
    weight, bias = (leaf(c["weight"]), leaf(c["bias"])) if bool(c["affine"]) else (None, None)
    y = F.layer_norm(x, normalized, weight, bias, eps=1e-5)
    y.backward(const(c["g"]))
    answers = {"y": np.array(y.array), "dx": grad_of(x)}
    if weight is not None:
        answers["dweight"], answers["dbias"] = grad_of(weight), grad_of(bias)
    return answers


def rms_norm_probe(c):
    F = load("nn.functional")
    x = leaf(c["x"])
    normalized = c["x"].shape[-int(c["k"]):]
    weight = leaf(c["weight"]) if bool(c["affine"]) else None
    y = F.rms_norm(x, normalized, weight, eps=1e-6)
    y.backward(const(c["g"]))
    answers = {"y": np.array(y.array), "dx": grad_of(x)}
    if weight is not None:
        answers["dweight"] = grad_of(weight)
    return answers


def residual_block_cases(rng):
    stride = int(rng.choice([1, 2]))
    c_in = int(rng.integers(1, 4))
    channels = c_in if stride == 1 and rng.random() < 0.5 else int(rng.integers(1, 4))
    # sides of 3 or more: a stride-2 block still leaves 2x2 positions, so a training-mode
    # BatchNorm always has more than one value per channel (PyTorch refuses one)
    return {"x": values(rng, (int(rng.integers(1, 3)), c_in, int(rng.integers(3, 6)), int(rng.integers(3, 6))), edge=False),
            "channels": np.array(channels), "stride": np.array(stride),
            "training": np.array(bool(rng.random() < 0.5)), "seed": np.array(rng.integers(0, 2**31))}


def residual_block_probe(c):
    tge, nn = load(), load("nn")
    resnet = load("models.resnet")
    tge.manual_seed(int(c["seed"]))
    c_in, channels, stride = c["x"].shape[1], int(c["channels"]), int(c["stride"])
    downsample = None
    if stride != 1 or c_in != channels:
        downsample = nn.Sequential(nn.Conv2d(c_in, channels, 1, stride=stride, bias=False), nn.BatchNorm2d(channels))
    block = resnet.BasicBlock(c_in, channels, stride, downsample)
    block.double()
    block.train(bool(c["training"]))
    x = leaf(c["x"])
    out = block(x)
    out.sum().backward()
    return {"out": np.array(out.array), "dx": grad_of(x)}


def merge_cases(rng):
    n, ch, h, w = (int(v) for v in rng.integers(1, 4, size=4))
    return {"skip": values(rng, (n, ch, h, w)), "x": values(rng, (n, ch, h, w)),
            "g_concat": values(rng, (n, 2 * ch, h, w), edge=False), "g_add": values(rng, (n, ch, h, w), edge=False)}


def merge_probe(c):
    merge_skip = load("models.unet").merge_skip
    answers = {}
    for mode in ("concat", "add"):
        skip, x = leaf(c["skip"]), leaf(c["x"])
        out = merge_skip(skip, x, mode)
        out.backward(const(c["g_" + mode]))
        answers.update({f"{mode}_out": np.array(out.array), f"{mode}_dskip": grad_of(skip), f"{mode}_dx": grad_of(x)})
    try:
        merge_skip(const(c["skip"]), const(c["x"]), "multiply")
        refused = False
    except ValueError:
        refused = True
    return {**answers, "refuses_unknown_merge": np.array(refused)}


ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")


def mlp_cases(rng):
    hidden = tuple(int(v) for v in rng.integers(2, 6, size=rng.integers(0, 3)))
    n = int(rng.integers(1, 4))
    x = values(rng, (n, 3, 2, 2) if rng.random() < 0.5 else (n, 12), edge=False)
    return {"x": x, "hidden": np.array(hidden, dtype=np.int64), "classes": np.array(rng.integers(2, 5)),
            "activation": np.array(rng.integers(0, len(ACTIVATIONS))), "seed": np.array(rng.integers(0, 2**31))}


def mlp_probe(c):
    tge = load()
    tge.manual_seed(int(c["seed"]))
    model = load("models").MLP(12, tuple(int(v) for v in c["hidden"]), int(c["classes"]), ACTIVATIONS[int(c["activation"])])
    model.double()
    x = leaf(c["x"])
    logits = model(x)
    logits.sum().backward()
    try:
        model(const(np.zeros((1, 5))))
        refused = False
    except ValueError:  # the wrong number of features must be refused
        refused = True
    return {"logits": np.array(logits.array), "dx": grad_of(x), "refuses_wrong_width": np.array(refused)}


def cnn_cases(rng):
    n, h, w = int(rng.integers(1, 4)), int(rng.integers(4, 9)), int(rng.integers(4, 9))
    return {"x": values(rng, (n, 1, h, w), edge=False), "two_stages": np.array(bool(rng.random() < 0.5)),
            "training": np.array(bool(rng.random() < 0.5)), "seed": np.array(rng.integers(0, 2**31))}


def cnn_probe(c):
    tge = load()
    tge.manual_seed(int(c["seed"]))
    widths = (3, 4) if bool(c["two_stages"]) else (3,)
    model = load("models").SmallCNN(1, 3, widths=widths, blocks_per_stage=1)
    model.double()
    model.train(bool(c["training"]))
    logits = model(const(c["x"]))
    try:
        model(const(c["x"][0]))
        refused = False
    except ValueError:  # a single (C, H, W) image must be refused
        refused = True
    return {"logits": np.array(logits.array), "refuses_3d_input": np.array(refused)}


def dncnn_cases(rng):
    return {"y": values(rng, (int(rng.integers(1, 3)), 1, int(rng.integers(3, 7)), int(rng.integers(3, 7))), edge=False),
            "depth": np.array(rng.integers(2, 5)), "batch_norm": np.array(bool(rng.random() < 0.5)),
            "residual": np.array(bool(rng.random() < 0.6)), "training": np.array(bool(rng.random() < 0.5)),
            "seed": np.array(rng.integers(0, 2**31))}


def dncnn_probe(c):
    tge = load()
    tge.manual_seed(int(c["seed"]))
    model = load("models").dncnn(1, int(c["depth"]), 3, bool(c["batch_norm"]), bool(c["residual"]))
    model.double()
    model.train(bool(c["training"]))
    y = leaf(c["y"])
    out = model(y)
    out.sum().backward()
    return {"out": np.array(out.array), "dy": grad_of(y)}


def unet_cases(rng):
    depth, padding = int(rng.integers(1, 3)), int(rng.integers(0, 2))
    sizes = [s for s in range(1, 48) if load("models.unet").output_size(s, depth, padding)]
    h, w = (int(rng.choice(sizes[:3])) for _ in range(2))
    return {"x": values(rng, (1, 1, h, w), edge=False), "depth": np.array(depth), "padding": np.array(padding),
            "concat": np.array(bool(rng.random() < 0.7)), "seed": np.array(rng.integers(0, 2**31)),
            "crop_x": values(rng, (1, 2, int(rng.integers(3, 8)), int(rng.integers(3, 8))), edge=False),
            "crop_hw": np.array([int(rng.integers(1, 4)), int(rng.integers(1, 4))])}


def unet_probe(c):
    tge = load()
    unet = load("models.unet")
    tge.manual_seed(int(c["seed"]))
    model = unet.UNet(1, 2, features=2, depth=int(c["depth"]), padding=int(c["padding"]),
                      merge="concat" if bool(c["concat"]) else "add")
    model.double()
    x = leaf(c["x"])
    out = model(x)
    out.sum().backward()
    crop = unet.center_crop(const(c["crop_x"]), *ints(c["crop_hw"]))
    return {"out": np.array(out.array), "dx": grad_of(x), "crop": np.array(crop.array)}


def sinusoidal_cases(rng):
    return {"positions": np.concatenate([np.arange(int(rng.integers(1, 6))), rng.uniform(0, 100, size=3)]),
            "d_model": np.array(2 * rng.integers(1, 7)), "base": np.array(rng.choice([10000.0, 100.0, 7.0])),
            "x": values(rng, (2, int(rng.integers(1, 6)), 4), edge=False)}


def sinusoidal_probe(c):
    positional = load("models.positional")
    table = positional.sinusoidal_table(c["positions"], int(c["d_model"]), float(c["base"]))
    encoded = positional.SinusoidalPositionalEncoding(4, base=float(c["base"]))(const(c["x"]))
    return {"table": np.asarray(table, dtype=np.float64), "encoded": np.array(encoded.array)}


def denoising_step_cases(rng):
    s = (int(rng.integers(1, 3)), 1, 4 * int(rng.integers(1, 3)), 4 * int(rng.integers(1, 3)))
    return {"clean": rng.uniform(0.01, 0.99, size=s), "noise1": rng.normal(scale=0.3, size=s),
            "noise2": rng.normal(scale=0.3, size=s), "lr": np.array(rng.choice([0.1, 0.5])),
            "seed": np.array(rng.integers(0, 2**31))}


def denoising_step_probe(c):
    tge = load()
    models = load("models")
    tge.manual_seed(int(c["seed"]))
    model = models.DenoisingAutoencoder(1, 2, noise_std=0.3)
    model.double()
    optimizer = load("optim").SGD(model.parameters(), lr=float(c["lr"]), momentum=0.9)
    losses = [np.array(models.denoising_training_step(model, optimizer, const(c["clean"]), const(c[k])).array)
              for k in ("noise1", "noise2")]
    answers = {"loss1": losses[0], "loss2": losses[1]}
    for i, p in enumerate(model.parameters()):
        answers[f"param{i}"] = np.array(p.array)
    return answers


# ----------------------------------------------------------------------------- table
CHECKS = {
    "1.1": Check(neuron_cases, neuron_probe),
    "1.2": Check(unbroadcast_cases, unbroadcast_probe),
    "1.3": Check(topological_cases, topological_probe),
    "1.4": Check(mul_div_cases, mul_div_probe),
    "1.5": Check(matmul_cases, matmul_probe),
    "1.6": Check(jacobian_cases, jacobian_probe, rtol=1e-5, atol=1e-6),
    "2.1": Check(activation_cases, relu_probe),
    "2.2": Check(activation_cases, sigmoid_tanh_probe, rtol=1e-5, atol=1e-7),
    "2.3": Check(cross_entropy_cases, cross_entropy_probe),
    "2.4": Check(linear_cases, linear_probe),
    "2.5": Check(dropout_cases, dropout_probe),
    "2.6": Check(optimizer_cases, sgd_probe),
    "2.7": Check(optimizer_cases, adam_probe),
    "3.1": Check(im2col_cases, im2col_probe),
    "3.2": Check(col2im_cases, col2im_probe),
    "3.3": Check(conv_cases, conv_probe),
    "3.4": Check(conv_transpose_cases, conv_transpose_probe),
    "3.5": Check(max_pool_cases, max_pool_probe),
    "3.6": Check(avg_pool_cases, avg_pool_probe),
    "4.1": Check(batch_norm_cases, batch_norm_forward_probe),
    "4.2": Check(batch_norm_cases, batch_norm_backward_probe),
    "4.3": Check(row_norm_cases, layer_norm_probe),
    "4.4": Check(row_norm_cases, rms_norm_probe),
    "4.5": Check(residual_block_cases, residual_block_probe),
    "4.6": Check(merge_cases, merge_probe),
    "5.1": Check(mlp_cases, mlp_probe),
    "5.2": Check(cnn_cases, cnn_probe),
    "5.3": Check(dncnn_cases, dncnn_probe),
    "5.4": Check(unet_cases, unet_probe),
    "5.5": Check(sinusoidal_cases, sinusoidal_probe),
    "5.6": Check(denoising_step_cases, denoising_step_probe),
}


def public_cases(task_id):
    """The task's fixed public cases (the same for every student and every run)."""
    a, b = (int(p) for p in task_id.split("."))
    return [CHECKS[task_id].cases(np.random.default_rng([a, b, i])) for i in range(PUBLIC_CASES)]


def hidden_cases(task_id, seed):
    """The task's hidden cases, drawn from the grading run's secret ``seed``."""
    a, b = (int(p) for p in task_id.split("."))
    rng = np.random.default_rng([seed, a, b])
    return [CHECKS[task_id].cases(rng) for _ in range(HIDDEN_CASES)]


# --------------------------------------------------------------------------- compare
def compare(expected, got, rtol, atol):
    """``(ok, message)``: every expected answer present, of the same dtype and shape,
    and close (NaN where NaN is expected). ``got`` holds plain arrays read back with
    ``allow_pickle=False``; the comparison runs in the grader, never in student code."""
    for key, e in expected.items():
        if key not in got:
            return False, f"no answer {key!r}"
        g = got[key]
        if type(g) is not np.ndarray:
            return False, f"answer {key!r} is a {type(g).__name__}, not an array"
        if g.dtype != e.dtype:
            return False, f"answer {key!r} has dtype {g.dtype}, expected {e.dtype}"
        if g.shape != e.shape:
            return False, f"answer {key!r} has shape {g.shape}, expected {e.shape}"
        if e.dtype.kind in "fc":
            close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
            if not close.all():
                where = np.unravel_index(np.argmin(close), close.shape) if close.ndim else ()
                return False, (f"answer {key!r} differs at index {tuple(int(i) for i in where)}: "
                               f"got {g[where]!r}, expected {e[where]!r} ({int((~close).sum())} of {close.size} entries wrong)")
        elif not np.array_equal(g, e):
            return False, f"answer {key!r} differs ({int((g != e).sum())} of {g.size} entries wrong)"
    return True, "ok"
