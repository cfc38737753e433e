"""The training loop: fit, evaluate, accuracy, History, early stopping, schedulers."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.nn.containers import Sequential
from tinygrad_edu.nn.activation import ReLU
from tinygrad_edu.nn.dropout import Dropout
from tinygrad_edu.nn.linear import Linear
from tinygrad_edu.nn.loss import CrossEntropyLoss
from tinygrad_edu.nn.normalization import BatchNorm1d
from tinygrad_edu.optim import SGD, Adam
from tinygrad_edu.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from tinygrad_edu.train import History, accuracy, evaluate, fit, measure, train_one_epoch


def blobs(n=64, seed=0, flip=False):
    """Two well-separated 2-D Gaussian blobs (class 0 around (-2, -2), class 1 around
    (2, 2)); ``flip`` swaps the labels (a validation set the training makes worse)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) * 0.5 + np.where(y[:, None] == 1, 2.0, -2.0)
    if flip:
        y = 1 - y
    return TensorDataset(tge.tensor(x.astype(np.float32)), tge.tensor(y.astype(np.int64)))


def loader(ds, batch_size=16, shuffle=False):
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle)


# ------------------------------------------------------------------------- accuracy
def test_accuracy_counts_argmax_hits():
    logits = tge.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])
    assert accuracy(logits, tge.tensor([0, 1, 0, 1])) == pytest.approx(0.5)
    assert accuracy(logits, tge.tensor([0, 1, 2, 0])) == pytest.approx(1.0)


def test_accuracy_one_hot_targets_and_per_pixel():
    logits = tge.tensor([[2.0, 1.0], [0.0, 3.0]])
    assert accuracy(logits, tge.tensor([[0.0, 1.0], [0.0, 1.0]])) == pytest.approx(0.5)
    seg = tge.zeros(2, 3, 4, 4)  # (N, C, H, W): argmax is class 0 everywhere
    target = tge.zeros(2, 4, 4, dtype=tge.int64)
    target[0, 0, 0] = 2
    assert accuracy(seg, target) == pytest.approx(31 / 32)


def test_accuracy_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"accuracy: .*\(4, 3\).*\(5,\)"):
        accuracy(tge.zeros(4, 3), tge.zeros(5, dtype=tge.int64))


# ------------------------------------------------------------------------------ fit
def test_fit_separates_blobs_and_history_has_one_entry_per_epoch():
    model = Linear(2, 2)
    opt = SGD(model.parameters(), lr=0.5)
    h = fit(model, loader(blobs(), shuffle=True), CrossEntropyLoss(), opt, epochs=5,
            val_loader=loader(blobs(seed=1)), progress=False)
    assert isinstance(h, History) and h.epochs == 5
    for values in (h.train_loss, h.val_loss, h.train_accuracy, h.val_accuracy, h.lr):
        assert len(values) == 5
    assert h.train_accuracy[-1] == pytest.approx(1.0)
    assert h.val_accuracy[-1] == pytest.approx(1.0)
    assert h.train_loss[-1] < h.train_loss[0]
    assert 1 <= h.best_epoch <= 5 and h.val_loss[h.best_epoch - 1] == min(h.val_loss)
    assert not h.stopped_early
    assert model.training  # fit leaves the model in training mode
    assert "History(epochs=5" in repr(h)


def test_fit_moves_model_and_batches_to_the_device():
    model = Linear(2, 2)
    h = fit(model, loader(blobs()), CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), epochs=2,
            val_loader=loader(blobs(seed=1)), progress=False, device="cpu")
    assert h.epochs == 2 and model.weight.device == tge.device("cpu")


def test_fit_without_validation_tracks_training_only():
    model = Linear(2, 2)
    h = fit(model, loader(blobs()), CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), epochs=3, progress=False)
    assert len(h.train_loss) == 3 and h.val_loss == [] and h.val_accuracy == []
    assert h.train_loss[h.best_epoch - 1] == min(h.train_loss)


def test_fit_matches_a_hand_written_loop():
    """fit is exactly: train mode, forward, loss, zero_grad, backward, step per batch."""
    ds = blobs(32)
    tge.manual_seed(3)
    a = Linear(2, 2)
    fit(a, loader(ds, 8), CrossEntropyLoss(), SGD(a.parameters(), lr=0.1, momentum=0.9), epochs=2, progress=False)
    tge.manual_seed(3)
    b = Linear(2, 2)
    opt = SGD(b.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        for x, y in loader(ds, 8):
            loss = CrossEntropyLoss()(b(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    np.testing.assert_array_equal(a.weight.detach().cpu().numpy(), b.weight.detach().cpu().numpy())
    np.testing.assert_array_equal(a.bias.detach().cpu().numpy(), b.bias.detach().cpu().numpy())


def test_train_loss_is_the_sample_weighted_mean():
    """Batches of 16, 16 and 8 samples: the epoch loss weights each batch by its size."""
    model = Linear(2, 2)
    opt = SGD(model.parameters(), lr=0.0)  # no change: every batch sees the same weights
    ds = blobs(40)
    loss, metrics = train_one_epoch(model, loader(ds, 16), CrossEntropyLoss(), opt)
    x, y = ds.tensors
    with tge.no_grad():
        full = CrossEntropyLoss()(model(x), y).item()
        acc = accuracy(model(x), y)
    assert loss == pytest.approx(full, rel=1e-5)
    assert metrics["accuracy"] == pytest.approx(acc)


def test_custom_metric_function():
    def error_rate(logits, targets):
        return 1.0 - accuracy(logits, targets)

    model = Linear(2, 2)
    h = fit(model, loader(blobs()), CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), epochs=2,
            val_loader=loader(blobs(seed=1)), metrics=("accuracy", error_rate), progress=False)
    assert h.val_metrics["error_rate"][-1] == pytest.approx(1.0 - h.val_accuracy[-1])
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, loader(blobs()), CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), epochs=1,
            metrics=("f1",), progress=False)


def test_fit_with_progress_bar(capsys):
    model = Linear(2, 2)
    fit(model, loader(blobs()), CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), epochs=2,
        val_loader=loader(blobs(seed=1)), progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err and "val_acc=" in err


def test_nan_loss_raises_a_clear_error():
    x = tge.tensor(np.full((4, 2), np.nan, dtype=np.float32))
    ds = TensorDataset(x, tge.tensor([0, 1, 0, 1]))
    model = Linear(2, 2)
    with pytest.raises(FloatingPointError, match="training loss became nan"):
        fit(model, loader(ds), CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


# --------------------------------------------------------------------- early stopping
def bn_model():
    return Sequential(Linear(2, 8), BatchNorm1d(8), ReLU(), Linear(8, 2))


def test_early_stopping_stops_and_restores_the_best_weights():
    """The validation labels are flipped, so learning the training set makes the
    validation loss worse: training stops ``patience`` epochs after the best one and the
    model (parameters and BatchNorm buffers) is back at that epoch."""
    model = bn_model()
    val = loader(blobs(seed=1, flip=True))
    loss_fn = CrossEntropyLoss()
    h = fit(model, loader(blobs(), shuffle=True), loss_fn, Adam(model.parameters(), lr=0.05), epochs=30,
            val_loader=val, early_stopping=3, progress=False)
    assert h.stopped_early
    assert h.epochs == h.best_epoch + 3 < 30
    assert len(h.val_loss) == h.epochs
    assert min(h.val_loss[h.best_epoch:]) >= h.val_loss[h.best_epoch - 1]
    restored, _ = evaluate(model, val, loss_fn)
    assert restored == pytest.approx(h.val_loss[h.best_epoch - 1], rel=1e-6)
    assert restored < h.val_loss[-1]


def test_early_stopping_needs_validation_and_a_positive_patience():
    model = Linear(2, 2)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="needs a val_loader"):
        fit(model, loader(blobs()), CrossEntropyLoss(), opt, epochs=1, early_stopping=2, progress=False)
    with pytest.raises(ValueError, match="patience"):
        fit(model, loader(blobs()), CrossEntropyLoss(), opt, epochs=1, val_loader=loader(blobs()),
            early_stopping=0, progress=False)


# ------------------------------------------------------------------------- schedulers
def test_scheduler_steps_once_per_epoch():
    model = Linear(2, 2)
    opt = SGD(model.parameters(), lr=1.0)
    h = fit(model, loader(blobs()), CrossEntropyLoss(), opt, epochs=4, scheduler=StepLR(opt, step_size=1, gamma=0.5),
            progress=False)
    assert h.lr == pytest.approx([1.0, 0.5, 0.25, 0.125])


def test_reduce_lr_on_plateau_gets_the_validation_loss():
    seen = []

    class Recording(ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    model = Linear(2, 2)
    opt = SGD(model.parameters(), lr=0.5)
    h = fit(model, loader(blobs()), CrossEntropyLoss(), opt, epochs=3, val_loader=loader(blobs(seed=1)),
            scheduler=Recording(opt), progress=False)
    assert seen == h.val_loss


# --------------------------------------------------------------------------- evaluate
def test_evaluate_runs_in_eval_mode_without_gradients():
    model = Sequential(Linear(2, 8), BatchNorm1d(8), ReLU(), Dropout(0.5), Linear(8, 2))
    bn = model[1]
    observed = []
    model[0].register_forward_hook(lambda m, args, out: observed.append((m.training, tge.is_grad_enabled(), out.requires_grad)))
    before = {k: v.cpu().numpy().copy() for k, v in model.state_dict().items()}
    ds = blobs(40)
    first = evaluate(model, loader(ds), CrossEntropyLoss())
    second = evaluate(model, loader(ds), CrossEntropyLoss())
    assert first == second  # Dropout is off: the same numbers twice
    assert observed and all(o == (False, False, False) for o in observed)
    for k, v in model.state_dict().items():  # BatchNorm's running stats and counter untouched
        np.testing.assert_array_equal(v.cpu().numpy(), before[k], err_msg=k)
    assert int(bn.num_batches_tracked.item()) == 0
    assert model.training  # the previous mode is restored
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    evaluate(model, loader(ds), CrossEntropyLoss())
    assert not model.training


def test_evaluate_matches_one_full_batch_and_measure_gives_every_metric():
    model = Linear(2, 2)
    ds = blobs(40)
    loss, acc = evaluate(model, loader(ds, 16), CrossEntropyLoss())
    x, y = ds.tensors
    with tge.no_grad():
        assert loss == pytest.approx(CrossEntropyLoss()(model(x), y).item(), rel=1e-5)
        assert acc == pytest.approx(accuracy(model(x), y))
    no_loss, values = measure(model, loader(ds), None, ("accuracy",))
    assert math.isnan(no_loss) and values == {"accuracy": pytest.approx(acc)}


# ---------------------------------------------------------------------------- plotting
def test_history_plot_writes_a_png(tmp_path):
    model = Linear(2, 2)
    h = fit(model, loader(blobs()), CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), epochs=3,
            val_loader=loader(blobs(seed=1)), progress=False)
    path = tmp_path / "curves.png"
    assert h.plot(path, title="blobs") == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    History().plot(tmp_path / "empty.png")  # nothing trained yet: still a (blank) figure
