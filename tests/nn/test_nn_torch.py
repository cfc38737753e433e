"""nn against PyTorch (skipped without torch): state_dicts of the same architecture have
the same keys, order, shapes and dtypes; weights move in both directions and give the
same outputs; every layer's outputs and gradients equal PyTorch's with the same weights;
BatchNorm's running statistics follow the same trajectory; reprs are identical."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.nn import init  # noqa: E402
from tinygrad_edu.nn.utils import clip_grad_norm_  # noqa: E402

tnn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


# ----------------------------------------------------------- architectures
def mlp(lib):
    return lib.Sequential(lib.Flatten(), lib.Linear(16, 12), lib.ReLU(), lib.Dropout(0.2), lib.Linear(12, 10))


def cnn(lib):
    return lib.Sequential(
        lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(4, 8, 3, padding=1, bias=False), lib.BatchNorm2d(8), lib.ReLU(),
        lib.AdaptiveAvgPool2d(1), lib.Flatten(), lib.Linear(8, 10),
    )


def custom(lib):
    class Encoder(lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.Embedding(7, 4, padding_idx=0)
            self.blocks = lib.ModuleList([lib.Sequential(lib.Linear(4, 4), lib.LayerNorm(4), lib.GELU()) for _ in range(2)])
            self.heads = lib.ModuleDict({"cls": lib.Linear(4, 3), "reg": lib.Linear(4, 1)})
            self.norm = lib.BatchNorm1d(4)
            self.register_buffer("scale", torch.ones(1) if lib is tnn else tge.ones(1))

        def forward(self, idx):
            h = self.embed(idx).mean(1)
            for block in self.blocks:
                h = block(h)
            h = self.norm(h) * self.scale
            return self.heads["cls"](h)

    return Encoder()


ARCHITECTURES = {"mlp": (mlp, (5, 1, 4, 4)), "cnn": (cnn, (3, 1, 6, 6)), "custom": (custom, None)}


def ours_from_torch(sd):
    return {k: v.detach().cpu().numpy() for k, v in sd.items()}


def torch_from_ours(sd):
    return {k: torch.from_numpy(np.array(v.cpu().numpy())) for k, v in sd.items()}


def input_pair(name, seed=0):
    rng = np.random.default_rng(seed)
    if name == "custom":
        idx = rng.integers(0, 7, (5, 3))
        return tge.tensor(idx), torch.tensor(idx)
    a = rng.standard_normal(ARCHITECTURES[name][1]).astype(np.float32)
    return tge.tensor(a), torch.tensor(a)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_state_dict_keys_order_shapes_and_dtypes_equal_pytorchs(name):
    build = ARCHITECTURES[name][0]
    ours, theirs = build(nn).state_dict(), build(tnn).state_dict()
    assert list(ours) == list(theirs)
    for key in theirs:
        assert ours[key].shape == tuple(theirs[key].shape), key
        assert str(ours[key].dtype) == str(theirs[key].dtype).replace("torch.", ""), key
    assert [n for n, _ in build(nn).named_parameters()] == [n for n, _ in build(tnn).named_parameters()]
    assert [n for n, _ in build(nn).named_modules()] == [n for n, _ in build(tnn).named_modules()]


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_pytorch_weights_load_and_give_the_same_outputs(name):
    build = ARCHITECTURES[name][0]
    ours, theirs = build(nn), build(tnn)
    with torch.no_grad():  # non-trivial running statistics
        for m in theirs.modules():
            if isinstance(m, tnn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(3)
    result = ours.load_state_dict(ours_from_torch(theirs.state_dict()))
    assert repr(result) == "<All keys matched successfully>"
    ours.eval(), theirs.eval()
    x, tx = input_pair(name)
    np.testing.assert_allclose(ours(x).detach().cpu().numpy(), theirs(tx).detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.cpu().numpy(), theirs.state_dict()[key].cpu().numpy(), err_msg=key)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_our_weights_load_into_pytorch_and_training_steps_agree(name):
    build = ARCHITECTURES[name][0]
    ours, theirs = build(nn), build(tnn)
    ours.eval()
    ours(input_pair(name, seed=3)[0])  # eval pass: changes nothing
    ours.train()
    for m in ours.modules():  # avoid dropout's random masks: the frameworks' generators differ
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    for m in theirs.modules():
        if isinstance(m, tnn.Dropout):
            m.p = 0.0
    theirs.load_state_dict(torch_from_ours(ours.state_dict()))
    x, tx = input_pair(name, seed=1)
    out, tout = ours(x), theirs(tx)  # training mode: batch statistics and running-stat updates
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(2).standard_normal(tout.shape).astype(np.float32)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    theirs_params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        if theirs_params[key].grad is None:  # an unused head
            assert p.grad is None, key
            continue
        np.testing.assert_allclose(p.grad.cpu().numpy(), theirs_params[key].grad.cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=key)
    for key, value in ours.state_dict().items():  # running statistics and counters after one step
        np.testing.assert_allclose(value.cpu().numpy(), theirs.state_dict()[key].cpu().numpy(), rtol=1e-6, atol=1e-7, err_msg=key)


def test_load_state_dict_error_message_matches_pytorchs_structure():
    sd = {"0.weight": np.zeros((3, 3), np.float32), "x": np.zeros(1, np.float32)}
    with pytest.raises(RuntimeError) as ours:
        nn.Sequential(nn.Linear(2, 3)).load_state_dict(sd)
    with pytest.raises(RuntimeError) as theirs:
        tnn.Sequential(tnn.Linear(2, 3)).load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    assert str(ours.value) == str(theirs.value).replace("torch.Size([3, 3])", "(3, 3)").replace("torch.Size([3, 2])", "(3, 2)")


# -------------------------------------------------------------- single layers
LAYERS = [
    ("Linear", lambda lib: lib.Linear(4, 3), (2, 5, 4)),
    ("Linear_nobias", lambda lib: lib.Linear(4, 3, bias=False), (3, 4)),
    ("Conv2d", lambda lib: lib.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5)),
    ("Conv2d_same_dilation_groups", lambda lib: lib.Conv2d(4, 4, (3, 2), padding="same", dilation=(2, 1), groups=2),
     (1, 4, 5, 6)),
    ("Conv1d", lambda lib: lib.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 7)),
    ("ConvTranspose2d", lambda lib: lib.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 3, 4)),
    ("ConvTranspose2d_groups", lambda lib: lib.ConvTranspose2d(4, 6, 2, stride=2, groups=2, bias=False), (1, 4, 2, 2)),
    ("MaxPool2d", lambda lib: lib.MaxPool2d(3, stride=2, padding=1), (2, 2, 5, 6)),
    ("MaxPool2d_ceil", lambda lib: lib.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 5)),
    ("AvgPool2d", lambda lib: lib.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 2, 5, 6)),
    ("AdaptiveAvgPool2d", lambda lib: lib.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7)),
    ("AdaptiveMaxPool2d", lambda lib: lib.AdaptiveMaxPool2d(2), (2, 2, 5, 3)),
    ("Upsample_nearest", lambda lib: lib.Upsample(scale_factor=2), (1, 2, 3, 2)),
    ("Upsample_bilinear", lambda lib: lib.Upsample(size=(5, 4), mode="bilinear", align_corners=False), (1, 2, 3, 2)),
    ("Flatten", lambda lib: lib.Flatten(), (2, 3, 2)),
    ("Unflatten", lambda lib: lib.Unflatten(1, (2, 3)), (2, 6)),
    ("BatchNorm1d", lambda lib: lib.BatchNorm1d(3), (4, 3, 2)),
    ("BatchNorm2d", lambda lib: lib.BatchNorm2d(3, momentum=None), (2, 3, 2, 2)),
    ("LayerNorm", lambda lib: lib.LayerNorm((2, 3)), (4, 2, 3)),
    ("RMSNorm", lambda lib: lib.RMSNorm(3, eps=1e-6), (4, 3)),
    ("GroupNorm", lambda lib: lib.GroupNorm(2, 4), (2, 4, 3)),
    ("InstanceNorm2d", lambda lib: lib.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 3, 2)),
    ("PReLU", lambda lib: lib.PReLU(), (3, 4)),
    ("PReLU_channels", lambda lib: lib.PReLU(3, init=0.1), (2, 3, 2, 2)),
    ("ReLU", lambda lib: lib.ReLU(), (3, 4)),
    ("LeakyReLU", lambda lib: lib.LeakyReLU(0.2), (3, 4)),
    ("ELU", lambda lib: lib.ELU(0.7), (3, 4)),
    ("SELU", lambda lib: lib.SELU(), (3, 4)),
    ("GELU", lambda lib: lib.GELU(), (3, 4)),
    ("GELU_tanh", lambda lib: lib.GELU(approximate="tanh"), (3, 4)),
    ("SiLU", lambda lib: lib.SiLU(), (3, 4)),
    ("Sigmoid", lambda lib: lib.Sigmoid(), (3, 4)),
    ("Tanh", lambda lib: lib.Tanh(), (3, 4)),
    ("Softplus", lambda lib: lib.Softplus(beta=2.0, threshold=3.0), (3, 4)),
    ("Hardtanh", lambda lib: lib.Hardtanh(-0.5, 0.5), (3, 4)),
    ("Softsign", lambda lib: lib.Softsign(), (3, 4)),
    ("Softmax", lambda lib: lib.Softmax(dim=1), (3, 4)),
    ("LogSoftmax", lambda lib: lib.LogSoftmax(dim=-1), (3, 4)),
    ("Identity", lambda lib: lib.Identity(), (3, 4)),
]


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name, build, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_outputs_and_gradients_equal_pytorchs(name, build, shape, training):
    theirs = build(tnn).double()
    ours = build(nn).double()
    rng = np.random.default_rng(0)
    with torch.no_grad():  # non-default parameters and buffers, then copied over
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, tuple(p.shape))))
        for b in theirs.buffers():
            if b.is_floating_point():
                b.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, tuple(b.shape))))
    ours.load_state_dict(ours_from_torch(theirs.state_dict()))
    ours.train(training), theirs.train(training)
    a = rng.uniform(-2, 2, shape)
    x, tx = tge.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().cpu().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tuple(tout.shape))
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.cpu().numpy(), rtol=1e-9, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.cpu().numpy(), theirs_params[key].grad.cpu().numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    for key, value in ours.state_dict().items():  # buffers after the step (running statistics)
        np.testing.assert_allclose(value.cpu().numpy(), theirs.state_dict()[key].cpu().numpy(), rtol=1e-12, err_msg=key)


def test_embedding_outputs_and_gradients_equal_pytorchs():
    theirs = tnn.Embedding(6, 3, padding_idx=2).double()
    ours = nn.Embedding(6, 3, padding_idx=2).double()
    ours.load_state_dict(ours_from_torch(theirs.state_dict()))
    idx = np.array([[0, 2, 5, 5], [2, 1, 0, 3]])
    out, tout = ours(tge.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(out.detach().cpu().numpy(), tout.detach().cpu().numpy())
    g = np.random.default_rng(1).standard_normal((2, 4, 3))
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.cpu().numpy(), theirs.weight.grad.cpu().numpy(), rtol=1e-12)


def test_max_pool_indices_and_unpool_equal_pytorchs():
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 6))
    out, idx = nn.MaxPool2d(2, return_indices=True)(tge.tensor(a))
    tout, tidx = tnn.MaxPool2d(2, return_indices=True)(torch.tensor(a))
    np.testing.assert_array_equal(idx.cpu().numpy(), tidx.cpu().numpy())
    np.testing.assert_array_equal(nn.MaxUnpool2d(2)(out, idx).cpu().numpy(), tnn.MaxUnpool2d(2)(tout, tidx).cpu().numpy())


LOSSES = [
    ("MSELoss", lambda lib, T: lib.MSELoss(), "real"),
    ("L1Loss_sum", lambda lib, T: lib.L1Loss(reduction="sum"), "real"),
    ("SmoothL1Loss", lambda lib, T: lib.SmoothL1Loss(beta=0.5), "real"),
    ("CrossEntropyLoss", lambda lib, T: lib.CrossEntropyLoss(weight=T([1.0, 2.0, 0.5]), label_smoothing=0.1), "classes"),
    ("NLLLoss", lambda lib, T: lib.NLLLoss(ignore_index=1), "classes"),
    ("BCELoss", lambda lib, T: lib.BCELoss(weight=T([1.0, 2.0, 0.5])), "probs"),
    ("BCEWithLogitsLoss", lambda lib, T: lib.BCEWithLogitsLoss(pos_weight=T([1.0, 2.0, 0.5])), "probs_target"),
]


@pytest.mark.parametrize("name, build, kind", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_modules_equal_pytorchs(name, build, kind):
    rng = np.random.default_rng(0)
    a = rng.uniform(-2, 2, (4, 3))
    if kind == "probs":
        a = 1 / (1 + np.exp(-a))
    t = rng.integers(0, 3, 4) if kind == "classes" else rng.uniform(0.1, 0.9, (4, 3))
    ours = build(nn, lambda v: tge.tensor(np.array(v)))
    theirs = build(tnn, lambda v: torch.tensor(np.array(v)))
    x, tx = tge.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = ours(x, tge.tensor(t)), theirs(tx, torch.tensor(t))
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-10)
    out.backward()
    tout.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.cpu().numpy(), rtol=1e-9, atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_running_statistics_follow_pytorchs_trajectory(momentum):
    ours, theirs = nn.BatchNorm2d(3, momentum=momentum).double(), tnn.BatchNorm2d(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for _ in range(3):
        a = rng.normal(1.0, 2.0, (4, 3, 2, 2))
        ours(tge.tensor(a))
        theirs(torch.tensor(a))
        for key, value in ours.state_dict().items():
            np.testing.assert_allclose(value.cpu().numpy(), theirs.state_dict()[key].cpu().numpy(), rtol=1e-12, err_msg=key)
    ours.eval(), theirs.eval()
    a = rng.standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(ours(tge.tensor(a)).detach().cpu().numpy(), theirs(torch.tensor(a)).detach().cpu().numpy(), rtol=1e-12)


# ------------------------------------------------------------------- reprs
REPRS = [
    lambda lib: cnn(lib), lambda lib: mlp(lib),
    lambda lib: lib.ModuleList([lib.Linear(2, 2), lib.Linear(2, 2), lib.ReLU(), lib.Linear(2, 2)]),
    lambda lib: lib.ModuleDict({"a": lib.Tanh(), "b": lib.Sigmoid()}),
    lambda lib: lib.Conv2d(2, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=2, groups=2, bias=False,
                           padding_mode="reflect"),
    lambda lib: lib.Conv1d(2, 4, 3), lambda lib: lib.ConvTranspose2d(4, 2, 4, 2, 1),
    lambda lib: lib.MaxPool2d(3, 2, 1, ceil_mode=True), lambda lib: lib.AvgPool2d((2, 3)),
    lambda lib: lib.AdaptiveAvgPool2d((2, 2)), lambda lib: lib.AdaptiveMaxPool2d(1), lambda lib: lib.MaxUnpool2d(2, 1),
    lambda lib: lib.Upsample(scale_factor=2, mode="bilinear"), lambda lib: lib.Upsample(size=(4, 4)),
    lambda lib: lib.Dropout(0.3, inplace=True), lambda lib: lib.Dropout2d(), lambda lib: lib.Embedding(5, 2),
    lambda lib: lib.BatchNorm1d(3, eps=1e-3, momentum=None, affine=False), lambda lib: lib.BatchNorm2d(8),
    lambda lib: lib.LayerNorm([2, 3], elementwise_affine=False), lambda lib: lib.RMSNorm([4], eps=1e-5),
    lambda lib: lib.GroupNorm(2, 4, affine=False), lambda lib: lib.InstanceNorm2d(3, affine=True),
    lambda lib: lib.ReLU(), lambda lib: lib.ReLU(True), lambda lib: lib.LeakyReLU(0.2, True), lambda lib: lib.PReLU(3),
    lambda lib: lib.ELU(), lambda lib: lib.SELU(), lambda lib: lib.GELU("tanh"), lambda lib: lib.SiLU(),
    lambda lib: lib.Sigmoid(), lambda lib: lib.Tanh(), lambda lib: lib.Softplus(), lambda lib: lib.Softmax(dim=-1),
    lambda lib: lib.LogSoftmax(1), lambda lib: lib.Hardtanh(), lambda lib: lib.Softsign(), lambda lib: lib.Identity(),
    lambda lib: lib.Flatten(0), lambda lib: lib.Unflatten(-1, (2, 2)), lambda lib: lib.Linear(3, 1, bias=False),
    lambda lib: lib.MSELoss(), lambda lib: lib.BCEWithLogitsLoss(),
]


@pytest.mark.parametrize("k", range(len(REPRS)))
def test_repr_equals_pytorchs(k):
    assert repr(REPRS[k](nn)) == repr(REPRS[k](tnn))


# ------------------------------------------------------------ init and utils
def test_gains_and_fans_equal_pytorchs():
    for name in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"):
        assert init.calculate_gain(name) == tnn.init.calculate_gain(name)
    assert init.calculate_gain("leaky_relu", 0.2) == tnn.init.calculate_gain("leaky_relu", 0.2)
    for shape in [(3, 4), (8, 4, 3, 3), (2, 5, 7), (6, 1, 1, 1)]:
        assert init._calculate_fan_in_and_fan_out(tge.empty(*shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
def test_clip_grad_norm_equals_pytorchs(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = [nn.Parameter(tge.zeros(*g.shape)) for g in grads]
    theirs = [tnn.Parameter(torch.zeros(*g.shape)) for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = tge.tensor(g), torch.tensor(g)
    total = clip_grad_norm_(ours, 0.5, norm_type)
    ttotal = tnn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.cpu().numpy(), tp.grad.cpu().numpy(), rtol=1e-6)
