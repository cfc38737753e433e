"""Module mechanics: registration, naming, state_dict keys and order, load_state_dict
errors, train/eval, freezing, dtype conversion, hooks, the repr tree, containers and
the summary table."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.backend import get_array_module
from tinygrad_edu import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(tge.ones(1))
        self.register_buffer("steps", tge.zeros(1))
        self.register_buffer("scratch", tge.zeros(2), persistent=False)
        self.plain = tge.zeros(3)  # a plain tensor attribute: neither parameter nor buffer

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.offset = nn.Parameter(tge.zeros(2))
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.block(x)) + self.offset


NET_KEYS = [
    "offset",
    "block.scale", "block.steps",
    "block.fc.weight", "block.fc.bias",
    "block.bn.weight", "block.bn.bias", "block.bn.running_mean", "block.bn.running_var", "block.bn.num_batches_tracked",
    "head.1.weight", "head.1.bias",
]


# ------------------------------------------------------------------ registration
def test_parameters_buffers_and_modules_are_registered_by_assignment():
    b = Block()
    assert list(b._parameters) == ["scale"]
    assert list(b._buffers) == ["steps", "scratch"]
    assert list(b._modules) == ["fc", "bn"]
    assert "plain" in b.__dict__ and "plain" not in b._buffers
    assert b.scale is b._parameters["scale"] and b.fc is b._modules["fc"]
    assert isinstance(b.scale, nn.Parameter) and b.scale.requires_grad


def test_named_parameters_are_qualified_and_in_registration_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["offset", "block.scale", "block.fc.weight", "block.fc.bias", "block.bn.weight", "block.bn.bias",
                     "head.1.weight", "head.1.bias"]
    assert [n for n, _ in Net().named_parameters(recurse=False)] == ["offset"]
    assert [n for n, _ in Net().block.named_parameters(prefix="b")][:2] == ["b.scale", "b.fc.weight"]


def test_named_buffers_children_and_modules():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == [
        "block.steps", "block.scratch", "block.bn.running_mean", "block.bn.running_var", "block.bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.bn", "head", "head.0", "head.1"]
    assert len(list(net.modules())) == 7 and list(net.children())[0] is net.block


def test_shared_parameters_are_listed_once_but_saved_under_every_name():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight  # weight tying
    model = nn.Sequential(a, b)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    shared = nn.Sequential(a, a)  # the same module twice
    assert len(list(shared.parameters())) == 2
    assert [n for n, _ in shared.named_modules()] == ["", "0"]


def test_register_parameter_none_and_assignment_errors():
    lin = nn.Linear(2, 2, bias=False)
    assert lin.bias is None and "bias" in lin._parameters
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = tge.zeros(2, 2)
    with pytest.raises(TypeError, match="as child module"):
        seq = nn.Sequential(nn.ReLU())
        setattr(seq, "0", 3)
    with pytest.raises(TypeError, match="as buffer"):
        Block().steps = 3
    with pytest.raises(KeyError, match="already exists"):
        Block().register_buffer("plain", tge.zeros(1))
    with pytest.raises(KeyError, match="name can.*t contain"):
        nn.Module().register_parameter("a.b", nn.Parameter(tge.zeros(1)))


def test_assigning_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_getattr_delattr_and_dir():
    b = Block()
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'nope'"):
        b.nope
    assert {"fc", "bn", "scale", "steps"} <= set(dir(b))
    del b.scale
    del b.steps
    del b.fc
    assert "scale" not in b._parameters and "steps" not in b._buffers and "fc" not in b._modules
    b.fc = nn.Identity()  # a plain attribute name can be reused for another kind
    assert b.fc is b._modules["fc"]
    b.bn = None
    assert b._modules["bn"] is None and [n for n, _ in b.named_modules()] == ["", "fc"]


def test_buffer_reassignment_keeps_it_a_buffer():
    b = Block()
    b.steps = tge.ones(1)
    assert "steps" in b._buffers and b.state_dict()["steps"].item() == 1.0


def test_forward_must_be_implemented():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(tge.zeros(1))


# -------------------------------------------------------------------- state_dict
def test_state_dict_keys_order_and_values():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == NET_KEYS  # params then persistent buffers per module, depth-first
    assert "block.scratch" not in sd  # non-persistent buffer
    assert sd["block.bn.num_batches_tracked"].dtype == np.int64 and sd["block.bn.num_batches_tracked"].shape == ()
    for key, value in sd.items():
        assert not value.requires_grad and value.grad_fn is None, key
    weight = net.block.fc.weight.array
    assert get_array_module(weight).shares_memory(sd["block.fc.weight"].array, weight)
    assert net.state_dict(keep_vars=True)["block.fc.weight"] is net.block.fc.weight


def test_state_dict_round_trip_is_exact_and_keeps_identity():
    a, b = Net(), Net()
    weight = b.block.fc.weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert b.block.fc.weight is weight  # copied into the existing tensors
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(va.cpu().numpy(), vb.cpu().numpy(), err_msg=k)
    weight = a.block.fc.weight.array
    assert not get_array_module(weight).shares_memory(weight, b.block.fc.weight.array)


def test_load_state_dict_accepts_numpy_arrays_and_casts_dtype():
    lin = nn.Linear(2, 3)
    w = np.arange(6, dtype=np.float64).reshape(3, 2)
    lin.load_state_dict({"weight": w, "bias": np.zeros(3)})
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.detach().cpu().numpy(), w.astype(np.float32))
    bn = nn.BatchNorm1d(2)
    sd = {k: v.cpu().numpy() for k, v in bn.state_dict().items()}
    sd["num_batches_tracked"] = np.int64(7)  # a NumPy scalar, as np.load gives for 0-d arrays
    bn.load_state_dict(sd)
    assert bn.num_batches_tracked.item() == 7


def test_load_state_dict_strict_reports_all_problems_in_one_error():
    net = Net()
    sd = net.state_dict()
    del sd["block.fc.bias"], sd["head.1.weight"]
    sd["block.fc.weight"] = tge.zeros(5, 3)
    sd["head.1.extra"] = tge.zeros(1)
    sd["junk"] = tge.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Net:\n\t")
    lines = message.split("\n\t")[1:]
    assert lines[0] == 'Missing key(s) in state_dict: "block.fc.bias", "head.1.weight". '
    assert lines[1] == 'Unexpected key(s) in state_dict: "head.1.extra", "junk". '
    assert lines[2] == ("size mismatch for block.fc.weight: copying a param with shape (5, 3) from checkpoint, "
                        "the shape in current model is (4, 3).")


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = net.state_dict()
    before = net[0].weight.detach().cpu().numpy().copy()
    sd.pop("1.running_var")
    sd["0.weight"] = tge.ones(2, 2)
    sd["2.weight"] = tge.ones(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["1.running_var"] and result.unexpected_keys == ["2.weight"]
    assert "missing_keys=['1.running_var']" in repr(result)
    np.testing.assert_array_equal(net[0].weight.detach().cpu().numpy(), np.ones((2, 2)))
    assert not np.array_equal(before, np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):  # shapes are checked even when not strict
        net.load_state_dict({"0.weight": tge.ones(3, 3)}, strict=False)


def test_load_state_dict_rejects_non_tensor_values():
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight"'):
        nn.Linear(1, 1).load_state_dict({"weight": "oops", "bias": np.zeros(1)})


def test_deepcopy_gives_independent_modules():
    net = Net()
    twin = copy.deepcopy(net)
    assert isinstance(twin.block.fc.weight, nn.Parameter) and twin.block.fc.weight is not net.block.fc.weight
    np.testing.assert_array_equal(twin.block.fc.weight.detach().cpu().numpy(), net.block.fc.weight.detach().cpu().numpy())
    with tge.no_grad():
        twin.block.fc.weight.fill_(0.0)
    assert net.block.fc.weight.detach().cpu().numpy().any()


# ------------------------------------------------------------ modes and freezing
def test_train_and_eval_recurse_and_return_self():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.block.train()
    assert net.block.bn.training and not net.training and not net.head[1].training
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_requires_grad_false_freezes_parameters():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert net[0].requires_grad_(False) is net[0]
    net(tge.randn(5, 3)).sum().backward()
    assert net[0].weight.grad is None and net[0].bias.grad is None
    assert net[2].weight.grad is not None and net[2].bias.grad is not None
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_zero_grad_sets_none_or_zeros():
    lin = nn.Linear(2, 2)
    lin(tge.randn(3, 2)).sum().backward()
    lin.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(lin.weight.grad.cpu().numpy(), np.zeros((2, 2)))
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_apply_visits_children_before_parents():
    visited = []
    net = Net()
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited == ["Linear", "BatchNorm1d", "Block", "ReLU", "Linear", "Sequential", "Net"]


def test_to_double_keeps_parameter_identity_and_integer_buffers():
    net = Net()
    net(tge.randn(4, 3)).sum().backward()
    weight = net.block.fc.weight
    assert net.double() is net
    assert net.block.fc.weight is weight and weight.dtype == np.float64 and weight.requires_grad
    assert weight.grad.dtype == np.float64
    assert net.block.bn.running_mean.dtype == np.float64
    assert net.block.bn.num_batches_tracked.dtype == np.int64  # to(dtype) converts floating tensors only
    out = net(tge.randn(4, 3, dtype=tge.float64))
    assert out.dtype == np.float64
    net.float()
    assert weight.dtype == np.float32 and net.to(tge.float32) is net
    assert net.to("cpu") is net and net.cpu() is net
    with pytest.raises(TypeError, match="floating point"):
        net.to(tge.int64)


# ------------------------------------------------------------------------- hooks
def test_forward_hooks_run_modify_and_can_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(tge.randn(3, 2))
    expected = lin.bias.detach().cpu().numpy() + 1  # input zeroed by the pre-hook, output + 1 by the hook
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.broadcast_to(expected, (3, 2)), rtol=1e-6)
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    x = tge.randn(3, 2)
    np.testing.assert_array_equal(lin(x).detach().cpu().numpy(), tge.nn.functional.linear(x, lin.weight, lin.bias).detach().cpu().numpy())
    assert calls == [(3, 2)]


def test_hook_order_prepend_and_context_manager():
    order = []
    relu = nn.ReLU()
    relu.register_forward_hook(lambda m, a, o: order.append("first"))
    with relu.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True):
        relu(tge.zeros(1))
    relu(tge.zeros(1))
    assert order == ["prepended", "first", "first"]


# ------------------------------------------------------------------------- repr
def test_repr_tree_is_pytorch_like():
    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

    assert repr(Small()) == "Small(\n  (fc): Linear(in_features=3, out_features=2, bias=True)\n)"
    expected = (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (bn): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=4, out_features=2, bias=False)\n"
        "  )\n"
        ")"
    )
    net = Net()
    net.head[1] = nn.Linear(4, 2, bias=False)
    assert repr(net) == expected
    assert repr(nn.Module()) == "Module()"


def test_parameter_basics():
    p = nn.Parameter(tge.zeros(2, device="cpu"))  # PyTorch's repr of a CPU parameter
    assert isinstance(p, tge.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    data = tge.ones(3)
    q = nn.Parameter(data, requires_grad=False)
    assert get_array_module(q.array).shares_memory(q.array, data.array) and not q.requires_grad
    assert type(p * 2) is tge.Tensor  # results of ops are plain tensors
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(tge.tensor([1, 2]))


# -------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_editing():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    head = seq[1:]
    assert isinstance(head, nn.Sequential) and list(head._modules) == ["1", "2"] and head[0] is seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    del seq[1]
    assert list(seq._modules) == ["0", "1"] and isinstance(seq[1], nn.Linear)
    seq.append(nn.Sigmoid())
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "Linear", "Linear", "Sigmoid"]
    with pytest.raises(IndexError):
        seq[4]
    named = nn.Sequential(OrderedDict([("conv", nn.Identity()), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == [] and list(named._modules) == ["conv", "act"] and named.act is named[1]
    x = tge.randn(4, 2)
    chain = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    np.testing.assert_allclose(chain(x).detach().cpu().numpy(), chain[1](chain[0](x)).detach().cpu().numpy())


def test_module_list_and_dict_register_their_modules():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    assert len(layers) == 4 and len(list(layers.parameters())) == 6
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    assert repr(layers) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                            "  (3): ReLU()\n)")
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2"]
    layers += [nn.Tanh()]
    assert isinstance(layers[-1], nn.Tanh) and isinstance(layers[1:], nn.ModuleList)
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    assert list(d) == ["enc", "dec"] and "enc" in d and len(d) == 2
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    d["act"] = nn.ReLU()
    assert list(d.keys()) == ["enc", "dec", "act"] and isinstance(d.pop("act"), nn.ReLU)


# ----------------------------------------------------------------------- summary
def test_summary_counts_shapes_and_leaves_the_model_unchanged(capsys):
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 4))
    model[0].requires_grad_(False)
    running = model[1].running_mean.cpu().numpy().copy()
    s = nn.summary(model, input_size=(2, 8))
    printed = capsys.readouterr().out
    assert s.total_params == 8 * 16 + 16 + 2 * 16 + 16 * 4 + 4 == 244
    assert s.trainable_params == 244 - (8 * 16 + 16) and s.non_trainable_params == 8 * 16 + 16
    assert [(r.type, r.output_shape, r.num_params) for r in s.rows] == [
        ("Sequential", [2, 4], 244), ("Linear", [2, 16], 144), ("BatchNorm1d", [2, 16], 32),
        ("ReLU", [2, 16], 0), ("Dropout", [2, 16], 0), ("Linear", [2, 4], 68)]
    assert "Total params: 244" in printed and "Trainable params: 100" in printed
    assert "Non-trainable params: 144" in printed and "[2, 16]" in printed
    assert str(s) in printed
    assert model.training and all(m.training for m in model.modules())  # modes restored
    np.testing.assert_array_equal(model[1].running_mean.cpu().numpy(), running)  # eval pass: no update
    assert model[1].num_batches_tracked.item() == 0
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())  # hooks removed


def test_summary_nested_depth_shared_module_and_verbose():
    shared = nn.Linear(4, 4)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(shared, nn.ReLU())
            self.fc = shared

        def forward(self, x):
            return self.fc(self.body(x))

    s = nn.summary(Twice(), input_data=tge.randn(3, 4), verbose=0)
    assert s.total_params == 20
    assert [(r.type, r.depth) for r in s.rows] == [("Twice", 0), ("Sequential", 1), ("Linear", 2), ("ReLU", 2),
                                                  ("Linear", 1)]
    assert s.rows[-1].params_text() == "(recursive)" and s.rows[1].params_text() == "--"
    assert "ReLU" not in str(nn.summary(Twice(), input_size=(1, 4), depth=1, verbose=0))
    with pytest.raises(ValueError, match="input_size"):
        nn.summary(Twice(), verbose=0)
