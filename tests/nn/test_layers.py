"""Every layer against a NumPy reference and gradcheck (float64, small shapes, random
upstream gradients, with respect to the input and every parameter); the new ops
``dropout``, ``dropout2d``, ``embedding`` and ``prelu`` on hypothesis-drawn shapes and
on the strict (CuPy-like) array type."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.testing import op_table
from tinygrad_edu.testing.op_table import OpSpec
import tinygrad_edu.nn.functional as F
from tinygrad_edu.testing import strategies as S


# ------------------------------------------------------------------- helpers
def module_gradcheck(module, *inputs, seed=0):
    """gradcheck of <w, module(*inputs)> for a fixed random w, with respect to the
    inputs that require grad and to every parameter of the module (float64)."""
    module.double()
    named = list(module.named_parameters())
    owners = [(module.get_submodule(n.rpartition(".")[0]), n.rpartition(".")[2]) for n, _ in named]
    with tge.no_grad():
        out_shape = module(*inputs).shape
    w = tge.tensor(np.random.default_rng(seed).standard_normal(out_shape))
    k = len(inputs)

    def fn(*args):
        xs, ps = args[:k], args[k:]
        saved = [owner._parameters[name] for owner, name in owners]
        for (owner, name), p in zip(owners, ps):  # run the module with gradcheck's copies
            owner._parameters[name] = p
        try:
            return module(*xs) * w
        finally:
            for (owner, name), p in zip(owners, saved):
                owner._parameters[name] = p

    return gradcheck(fn, tuple(inputs) + tuple(p for _, p in named))


def leaf(shape, seed=0, low=-2.0, high=2.0):
    return S.leaf(np.random.default_rng(seed).uniform(low, high, shape))


def np_params(module):
    return {n: p.detach().cpu().numpy().astype(np.float64) for n, p in module.named_parameters()}


# ----------------------------------------------------------- NumPy references
def ref_conv2d(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, oc, oh, ow))
    per_group = oc // groups
    for o in range(oc):
        g = o // per_group
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * stride[0]:i * stride[0] + dilation[0] * (kh - 1) + 1:dilation[0],
                           j * stride[1]:j * stride[1] + dilation[1] * (kw - 1) + 1:dilation[1]]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def ref_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation=(1, 1)):
    n, c, h, wd = x.shape
    _, ocg, kh, kw = w.shape
    full_h = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    full_w = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    out = np.zeros((n, ocg * groups, full_h, full_w))
    cg = c // groups
    for ci in range(c):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for bb in range(kw):
                        out[:, g * ocg:(g + 1) * ocg, i * stride[0] + a * dilation[0], j * stride[1] + bb * dilation[1]] += (
                            x[:, ci, i, j][:, None] * w[ci, :, a, bb][None, :])
    out = out[:, :, padding[0]:full_h - padding[0], padding[1]:full_w - padding[1]]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def ref_pool(x, k, s, p, reduce, count_include_pad=True):
    n, c, h, w = x.shape
    fill = -np.inf if reduce == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    ones = np.pad(np.ones((h, w)), p)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * s:i * s + k, j * s:j * s + k]
            if reduce == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                count = k * k if count_include_pad else ones[i * s:i * s + k, j * s:j * s + k].sum()
                out[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return out


def ref_adaptive(x, out_hw, reduce):
    n, c, h, w = x.shape
    oh, ow = out_hw
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, -((-(j + 1) * w) // ow)
            win = x[:, :, h0:h1, w0:w1]
            out[:, :, i, j] = win.max(axis=(2, 3)) if reduce == "max" else win.mean(axis=(2, 3))
    return out


def ref_nearest(x, out_hw):
    h, w = x.shape[2:]
    rows = (np.arange(out_hw[0]) * h) // out_hw[0]
    cols = (np.arange(out_hw[1]) * w) // out_hw[1]
    return x[:, :, rows][:, :, :, cols]


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


_erf = np.vectorize(math.erf)

# name -> (module factory, input shape, reference(x, params))
LAYERS = {
    "linear": (lambda: nn.Linear(3, 2), (4, 3), lambda x, p: x @ p["weight"].T + p["bias"]),
    "linear_nobias_3d": (lambda: nn.Linear(3, 2, bias=False), (2, 2, 3), lambda x, p: x @ p["weight"].T),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 4, 4),
               lambda x, p: ref_conv2d(x, p["weight"], p["bias"], (1, 1), (1, 1), (1, 1), 1)),
    "conv2d_stride_dilation": (lambda: nn.Conv2d(2, 2, (2, 3), stride=2, dilation=(2, 1), bias=False), (1, 2, 6, 5),
                               lambda x, p: ref_conv2d(x, p["weight"], None, (2, 2), (0, 0), (2, 1), 1)),
    "conv2d_groups": (lambda: nn.Conv2d(4, 2, 3, padding=(1, 0), groups=2), (1, 4, 3, 4),
                      lambda x, p: ref_conv2d(x, p["weight"], p["bias"], (1, 1), (1, 0), (1, 1), 2)),
    "conv2d_same": (lambda: nn.Conv2d(1, 2, 3, padding="same"), (1, 1, 4, 3),
                    lambda x, p: ref_conv2d(x, p["weight"], p["bias"], (1, 1), (1, 1), (1, 1), 1)),
    "conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1), (2, 2, 5),
               lambda x, p: ref_conv2d(x[:, :, None], p["weight"][:, :, None], p["bias"], (1, 1), (0, 1), (1, 1), 1)[:, :, 0]),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (1, 2, 3, 2),
                         lambda x, p: ref_conv_transpose2d(x, p["weight"], p["bias"], (2, 2), (1, 1), (1, 1), 1)),
    "conv_transpose2d_groups": (lambda: nn.ConvTranspose2d(4, 2, 2, groups=2, bias=False), (1, 4, 2, 3),
                                lambda x, p: ref_conv_transpose2d(x, p["weight"], None, (1, 1), (0, 0), (0, 0), 2)),
    "max_pool2d": (lambda: nn.MaxPool2d(2), (2, 2, 4, 4), lambda x, p: ref_pool(x, 2, 2, 0, "max")),
    "max_pool2d_pad": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 4), lambda x, p: ref_pool(x, 3, 2, 1, "max")),
    "avg_pool2d": (lambda: nn.AvgPool2d(2), (2, 2, 4, 4), lambda x, p: ref_pool(x, 2, 2, 0, "avg")),
    "avg_pool2d_pad_exclude": (lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (1, 2, 5, 4),
                               lambda x, p: ref_pool(x, 3, 2, 1, "avg", count_include_pad=False)),
    "adaptive_avg_pool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 4), lambda x, p: ref_adaptive(x, (2, 3), "avg")),
    "global_avg_pool": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 3, 2), lambda x, p: x.mean(axis=(2, 3), keepdims=True)),
    "adaptive_max_pool2d": (lambda: nn.AdaptiveMaxPool2d(2), (1, 2, 5, 3), lambda x, p: ref_adaptive(x, (2, 2), "max")),
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), (1, 2, 2, 3), lambda x, p: ref_nearest(x, (4, 6))),
    "upsample_size": (lambda: nn.Upsample(size=(5, 3)), (1, 1, 2, 2), lambda x, p: ref_nearest(x, (5, 3))),
    "flatten": (lambda: nn.Flatten(), (2, 3, 2), lambda x, p: x.reshape(2, 6)),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 6), lambda x, p: x.reshape(2, 2, 3)),
    "identity": (lambda: nn.Identity(54, unused="ok"), (2, 3), lambda x, p: x),
    "prelu_shared": (lambda: nn.PReLU(), (2, 3, 2), lambda x, p: np.where(x > 0, x, p["weight"] * x)),
    "prelu_channels": (lambda: nn.PReLU(3, init=0.1), (2, 3, 2, 2),
                       lambda x, p: np.where(x > 0, x, p["weight"].reshape(1, 3, 1, 1) * x)),
    "relu": (lambda: nn.ReLU(), (3, 4), lambda x, p: np.maximum(x, 0)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (3, 4), lambda x, p: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda: nn.ELU(0.5), (3, 4), lambda x, p: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "selu": (lambda: nn.SELU(), (3, 4), lambda x, p: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "gelu": (lambda: nn.GELU(), (3, 4), lambda x, p: x * 0.5 * (1 + _erf(x / np.sqrt(2)))),
    "gelu_tanh": (lambda: nn.GELU("tanh"), (3, 4),
                  lambda x, p: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    "silu": (lambda: nn.SiLU(), (3, 4), lambda x, p: x * _sigmoid(x)),
    "sigmoid": (lambda: nn.Sigmoid(), (3, 4), lambda x, p: _sigmoid(x)),
    "tanh": (lambda: nn.Tanh(), (3, 4), lambda x, p: np.tanh(x)),
    "softplus": (lambda: nn.Softplus(beta=2.0), (3, 4), lambda x, p: np.log1p(np.exp(2 * x)) / 2),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.7), (3, 4), lambda x, p: np.clip(x, -0.5, 0.7)),
    "softsign": (lambda: nn.Softsign(), (3, 4), lambda x, p: x / (1 + np.abs(x))),
    "softmax": (lambda: nn.Softmax(dim=1), (3, 4), lambda x, p: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=0), (3, 4), lambda x, p: x - np.log(np.exp(x).sum(0, keepdims=True))),
}

# inputs kept away from kinks (relu 0, hardtanh bounds): |x - kink| >= 0.05
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "elu": (0.0,), "selu": (0.0,), "prelu_shared": (0.0,),
         "prelu_channels": (0.0,), "hardtanh": (-0.5, 0.7)}


def _input(name, shape, seed=0):
    a = np.random.default_rng(seed).uniform(-2, 2, shape)
    for k in KINKS.get(name, ()):
        a = np.where(np.abs(a - k) < 0.05, k + np.where(a >= k, 0.1, -0.1), a)
    return S.leaf(a)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_forward_matches_numpy_reference(name):
    factory, shape, reference = LAYERS[name]
    layer = factory().double()
    x = _input(name, shape)
    out = layer(x)
    expected = reference(x.detach().cpu().numpy(), np_params(layer))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradcheck(name):
    factory, shape, _ = LAYERS[name]
    assert module_gradcheck(factory(), _input(name, shape, seed=1))


def test_layer_accepts_float32_and_keeps_it():
    for name in ("linear", "conv2d", "max_pool2d", "prelu_channels"):
        factory, shape, _ = LAYERS[name]
        out = factory()(tge.randn(*shape))
        assert out.dtype == np.float32, name


def test_conv_transpose2d_output_size_picks_output_padding():
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    x = tge.randn(1, 1, 4, 4)
    assert up(x).shape == (1, 1, 7, 7)
    assert up(x, output_size=(8, 8)).shape == (1, 1, 8, 8)
    assert up(x, output_size=[1, 1, 8, 7]).shape == (1, 1, 8, 7)
    with pytest.raises(ValueError, match="valid sizes range from"):
        up(x, output_size=(9, 9))


def test_max_unpool2d_puts_maxima_back():
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = leaf((1, 2, 4, 4))
    out, indices = pool(x)
    restored = unpool(out, indices)
    a = x.detach().cpu().numpy()
    blocks = a.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    is_max = (blocks == blocks.max(-1, keepdims=True)).reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(a.shape)
    np.testing.assert_array_equal(restored.detach().cpu().numpy(), np.where(is_max, a, 0.0))
    assert unpool(out, indices, output_size=(5, 5)).shape == (1, 2, 5, 5)
    assert repr(unpool) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert gradcheck(lambda t: unpool(t, indices), (out.detach().requires_grad_(),))


def test_conv_padding_modes_other_than_zeros_pad_first():
    conv = nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect", bias=False).double()
    x = leaf((1, 1, 4, 4))
    padded = np.pad(x.detach().cpu().numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
    expected = ref_conv2d(padded, conv.weight.detach().cpu().numpy(), None, (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_allclose(conv(x).detach().cpu().numpy(), expected, rtol=1e-10)


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_layer_reprs():
    assert repr(nn.Conv2d(1, 2, 3, padding="same")) == "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    assert repr(nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False)) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False)")
    assert repr(nn.ConvTranspose2d(1, 2, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(1, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))")
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Embedding(3, 4, padding_idx=0)) == "Embedding(3, 4, padding_idx=0)"
    assert repr(nn.PReLU()) == "PReLU(num_parameters=1)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softmax(1)) == "Softmax(dim=1)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_softmax_without_dim_warns_and_uses_pytorchs_legacy_choice():
    x = tge.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = nn.Softmax()(x)
    np.testing.assert_allclose(out.sum(1).cpu().numpy(), np.ones(2), rtol=1e-6)


def test_inplace_activation_modules_modify_their_input():
    x = tge.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x
    np.testing.assert_array_equal(x.cpu().numpy(), [0.0, 2.0])


# ----------------------------------------------------------------- PReLU op
@given(shape=S.nonscalar_shapes, per_channel=st.booleans(), data=st.data())
def test_prelu_forward_and_gradcheck(shape, per_channel, data):
    per_channel = per_channel and len(shape) >= 2
    channels = shape[1] if per_channel else 1
    a = data.draw(S.arrays(shape, avoid=(0,)))
    w = data.draw(S.arrays((channels,), 0.05, 0.9))
    x, weight = S.leaf(a), S.leaf(w)
    slope = w.reshape((1, channels) + (1,) * (len(shape) - 2)) if per_channel else w
    np.testing.assert_allclose(F.prelu(x, weight).detach().cpu().numpy(), np.where(a > 0, a, slope * a), rtol=1e-12)
    upstream = tge.tensor(np.random.default_rng(0).standard_normal(shape))
    assert gradcheck(lambda t, u: F.prelu(t, u) * upstream, (x, weight))


def test_prelu_errors():
    with pytest.raises(RuntimeError, match="mismatch in parameter count"):
        F.prelu(tge.randn(2, 3), tge.ones(2))
    with pytest.raises(TypeError, match="floating-point"):
        F.prelu(tge.tensor([1, 2]), tge.ones(1))


def test_prelu_module_learns_its_slope():
    prelu = nn.PReLU()
    np.testing.assert_array_equal(prelu.weight.detach().cpu().numpy(), [0.25])
    prelu(tge.tensor([-2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(prelu.weight.grad.cpu().numpy(), [-2.0])


# --------------------------------------------------------------- dropout op
def _seeded(fn, seed=3):
    """fn with the mask drawn from a freshly seeded generator at every call, so that
    gradcheck's repeated evaluations see the same mask."""
    def run(*args):
        return fn(*args, generator=tge.Generator().manual_seed(seed))

    return run


@given(shape=S.shapes, p=st.sampled_from([0.1, 0.5, 0.8]), data=st.data())
def test_dropout_values_and_gradcheck(shape, p, data):
    a = data.draw(S.arrays(shape))
    x = S.leaf(a)
    out = F.dropout(x, p, generator=tge.Generator().manual_seed(3)).detach().cpu().numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], (a / (1 - p))[kept], rtol=1e-12)  # inverted scaling
    upstream = tge.tensor(np.random.default_rng(0).standard_normal(shape))
    assert gradcheck(lambda t: _seeded(lambda u, generator: F.dropout(u, p, generator=generator))(t) * upstream, (x,))


def test_dropout_gradient_is_the_scaled_mask():
    x = tge.randn(50, 40, requires_grad=True)
    out = F.dropout(x, 0.3)
    out.sum().backward()
    mask = (out.detach().cpu().numpy() != 0)
    np.testing.assert_allclose(x.grad.cpu().numpy(), mask / 0.7, rtol=1e-6)


def test_dropout_keeps_the_expectation_and_drops_a_fraction_p():
    x = tge.ones(200_000)
    for p in (0.2, 0.5, 0.9):
        out = F.dropout(x, p).cpu().numpy()
        assert abs((out == 0).mean() - p) < 0.01
        assert abs(out.mean() - 1.0) < 0.03  # E[z] = x thanks to the 1 / (1 - p) scaling


def test_dropout_eval_p0_p1_and_errors():
    x = tge.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).cpu().numpy(), np.zeros((4, 5)))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(2.0)


def test_dropout_same_seed_same_mask():
    x = tge.ones(100)
    tge.manual_seed(5)
    a = F.dropout(x).cpu().numpy()
    tge.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout(x).cpu().numpy())


def test_dropout_inplace():
    x = tge.ones(1000)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.cpu().numpy())) == {0.0, 2.0}


def test_dropout_module_train_vs_eval():
    drop = nn.Dropout(0.5)
    x = tge.ones(1000)
    assert set(np.unique(drop(x).cpu().numpy())) == {0.0, 2.0}
    drop.eval()
    assert drop(x) is x


def test_dropout2d_zeroes_whole_channels():
    x = tge.ones(20, 30, 3, 4)
    out = F.dropout2d(x, 0.4).cpu().numpy()
    per_channel = out.reshape(20, 30, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 1 / 0.6).all(-1))  # all or nothing per channel
    dropped = (per_channel == 0).all(-1).mean()
    assert 0.3 < dropped < 0.5
    module = nn.Dropout2d(0.4)
    module.eval()
    assert module(x) is x
    x = S.leaf(np.random.default_rng(0).standard_normal((2, 3, 2, 2)))
    upstream = tge.tensor(np.random.default_rng(1).standard_normal((2, 3, 2, 2)))
    assert gradcheck(lambda t: _seeded(lambda u, generator: F.dropout2d(u, 0.5, generator=generator))(t) * upstream, (x,))
    with pytest.warns(UserWarning, match="3D input"):
        F.dropout2d(tge.ones(2, 3, 4), 0.5)


# ------------------------------------------------------------- embedding op
@given(idx_shape=S.shapes, rows=st.integers(1, 5), dim=st.integers(1, 3), data=st.data())
def test_embedding_forward_and_gradcheck_with_repeated_indices(idx_shape, rows, dim, data):
    idx = np.random.default_rng(data.draw(st.integers(0, 99))).integers(0, rows, idx_shape)
    w = data.draw(S.arrays((rows, dim)))
    weight = S.leaf(w)
    out = F.embedding(tge.tensor(idx), weight)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), w[idx])
    upstream = tge.tensor(np.random.default_rng(0).standard_normal(idx_shape + (dim,)))
    assert gradcheck(lambda t: F.embedding(tge.tensor(idx), t) * upstream, (weight,))


def test_embedding_gradient_is_a_scatter_add_and_skips_padding():
    weight = tge.zeros(4, 2, requires_grad=True)
    idx = tge.tensor([[0, 2, 2], [3, 2, 0]])
    g = np.arange(12.0).reshape(2, 3, 2)
    F.embedding(idx, weight, padding_idx=0).backward(tge.tensor(g, dtype=tge.float32))
    expected = np.zeros((4, 2))
    for pos, row in np.ndenumerate(idx.cpu().numpy()):
        expected[row] += g[pos]
    expected[0] = 0  # the padding row gets no gradient
    np.testing.assert_array_equal(weight.grad.cpu().numpy(), expected)


def test_embedding_module_init_padding_and_errors():
    emb = nn.Embedding(10, 3, padding_idx=-1)
    assert emb.padding_idx == 9
    np.testing.assert_array_equal(emb.weight.detach().cpu().numpy()[9], np.zeros(3))
    positions = tge.arange(4)
    assert emb(positions).shape == (4, 3)
    with pytest.raises(IndexError, match="index 10 is out of range"):
        emb(tge.tensor([10]))
    with pytest.raises(RuntimeError, match="integer dtype"):
        emb(tge.tensor([1.0]))
    frozen = nn.Embedding.from_pretrained(tge.ones(2, 3))
    assert not frozen.weight.requires_grad and frozen(tge.tensor([1])).shape == (1, 3)
    # (padding_idx deliberately breaks gradcheck: its row is used but gets no gradient)
    assert module_gradcheck(nn.Embedding(5, 2), tge.tensor([[1, 3, 3], [4, 0, 1]]))


# ------------------------------------------------------------- loss modules
def _ce(logits, target):
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    return -logp[np.arange(len(target)), target].mean()


LOSSES = {
    "mse": (lambda: nn.MSELoss(), "real", lambda x, t: ((x - t) ** 2).mean()),
    "l1_sum": (lambda: nn.L1Loss(reduction="sum"), "real", lambda x, t: np.abs(x - t).sum()),
    "smooth_l1": (lambda: nn.SmoothL1Loss(beta=0.5), "real",
                  lambda x, t: np.where(np.abs(x - t) < 0.5, 0.5 * (x - t) ** 2 / 0.5, np.abs(x - t) - 0.25).mean()),
    "cross_entropy": (lambda: nn.CrossEntropyLoss(), "classes", _ce),
    "nll": (lambda: nn.NLLLoss(), "classes", lambda x, t: -x[np.arange(len(t)), t].mean()),
    "bce": (lambda: nn.BCELoss(), "probs",
            lambda x, t: -(t * np.log(_sigmoid(x)) + (1 - t) * np.log(1 - _sigmoid(x))).mean()),
    "bce_logits": (lambda: nn.BCEWithLogitsLoss(), "probs_logits",
                   lambda x, t: -(t * np.log(_sigmoid(x)) + (1 - t) * np.log(1 - _sigmoid(x))).mean()),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_modules_match_numpy_and_gradcheck(name):
    factory, kind, reference = LOSSES[name]
    rng = np.random.default_rng(0)
    a = rng.uniform(-2, 2, (4, 3))
    if kind == "classes":
        t = rng.integers(0, 3, 4)
        target = tge.tensor(t)
    else:
        t = rng.uniform(0.1, 0.9, (4, 3))
        target = tge.tensor(t)
    x = S.leaf(a)
    loss = factory()
    if kind == "probs":  # BCELoss takes probabilities
        out = loss(tge.sigmoid(x), target)
        assert gradcheck(lambda u: loss(tge.sigmoid(u), target), (x,))
    else:
        out = loss(x, target)
        assert gradcheck(lambda u: loss(u, target), (x,))
    np.testing.assert_allclose(out.item(), reference(a, t), rtol=1e-10)


def test_weighted_losses_register_weight_as_buffer():
    loss = nn.CrossEntropyLoss(weight=tge.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=tge.ones(3)).state_dict()) == ["pos_weight"]
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert nn.MSELoss(reduce=False).reduction == "none"


# ------------------------------------------------------ strict array namespace
def _embedding_shapes(pick):
    rows = pick(1, 4)
    return ((rows, pick(1, rows)), op_table.shape(pick, 0, 2))  # class indices < dim 1 <= rows


NEW_OPS = [
    OpSpec("prelu", lambda x, w: F.prelu(x, w), None, lambda pick: ((2, 3, 2), (3,)), (op_table.AWAY_FROM_0, op_table.POSITIVE)),
    OpSpec("dropout", lambda x: F.dropout(x, 0.4), None, op_table.one, (op_table.REAL,)),
    OpSpec("dropout2d", lambda x: F.dropout2d(x, 0.4), None, lambda pick: ((2, 3, 2, 2),), (op_table.REAL,)),
    OpSpec("embedding", lambda w, i: F.embedding(i, w), lambda w, i: w[i], _embedding_shapes,
           (op_table.REAL, op_table.CLASS_INDICES)),
]


@pytest.mark.parametrize("spec", NEW_OPS, ids=[s.name for s in NEW_OPS])
def test_new_ops_stay_in_their_array_namespace(spec, strict_backend):
    from tests.test_strict_backend import check_on_strict_arrays

    check_on_strict_arrays(spec)
