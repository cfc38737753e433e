"""A small training loop: ``fit`` a model, ``evaluate`` it, and keep a ``History``.

    model = SmallCNN()
    optimizer = tge.optim.Adam(model.parameters(), lr=3e-3)
    history = fit(model, train_loader, nn.CrossEntropyLoss(), optimizer, epochs=20,
                  val_loader=val_loader, early_stopping=5)
    test_loss, test_accuracy = evaluate(model, test_loader, nn.CrossEntropyLoss())
    history.plot("curves.png")

One epoch is one pass over the training data; ``train_one_epoch`` holds the whole
recipe that every training script repeats, batch by batch:

    1. forward:      logits = model(x);  loss = loss_fn(logits, y)
    2. clear:        optimizer.zero_grad()     (gradients accumulate otherwise)
    3. backward:     loss.backward()           (dloss/dparameter for every parameter)
    4. update:       optimizer.step()          (e.g. p <- p - lr * grad)

``fit`` repeats it for ``epochs`` epochs and around it does the bookkeeping: train mode
for training and eval mode for measuring (Dropout off, BatchNorm on its running
statistics), validation after each epoch, a learning-rate schedule stepped once per
epoch, early stopping, and a progress bar.

Early stopping (a cure for overfitting from the lecture): the validation loss usually
falls, then rises again once the network starts to memorise the training set. Stop when
it has not improved for ``early_stopping`` epochs and go back to the weights of the best
epoch.
"""
import math

from . import autograd
from .optim.lr_scheduler import ReduceLROnPlateau
from .random import get_rng_state, set_rng_state
from .serialization import load, save

__all__ = ["History", "accuracy", "evaluate", "measure", "fit", "train_one_epoch", "METRICS"]


def accuracy(logits, targets):
    """The fraction of samples whose highest score is the target class, as a float.

    ``logits`` has shape (N, C) (or (N, C, ...) for per-pixel classes) and ``targets``
    holds class indices (N,) (or (N, ...)); class probabilities or one-hot targets of
    the same shape as ``logits`` are compared by their own argmax. The softmax is not
    needed: it keeps the order of the scores, so the argmax is the same.
    """
    if targets.ndim == logits.ndim:  # probabilities / one-hot
        targets = targets.argmax(dim=1)
    if logits.ndim < 2 or tuple(targets.shape) != tuple(logits.shape[:1] + logits.shape[2:]):
        raise ValueError(
            f"accuracy: expected logits (N, C, ...) and class-index targets (N, ...), got logits of shape "
            f"{tuple(logits.shape)} and targets of shape {tuple(targets.shape)}"
        )
    with autograd.no_grad():
        correct = logits.argmax(dim=1) == targets
        return correct.float().mean().item()


METRICS = {"accuracy": accuracy}


def _metric_functions(metrics):
    """``{name: fn(logits, targets) -> float}`` from names in ``METRICS`` or callables."""
    functions = {}
    for metric in metrics:
        if callable(metric):
            functions[getattr(metric, "__name__", f"metric{len(functions)}")] = metric
        elif metric in METRICS:
            functions[metric] = METRICS[metric]
        else:
            raise ValueError(f"fit: unknown metric {metric!r}; use one of {sorted(METRICS)} or a function (logits, targets) -> float")
    return functions


def _to_device(x, y, device):
    if device is None:
        return x, y
    return x.to(device), y.to(device)


def train_one_epoch(model, loader, loss_fn, optimizer, metrics=("accuracy",), device=None, bar=None):
    """One pass over ``loader`` in training mode, one optimizer step per batch.

    Returns ``(mean loss, {metric name: mean value})`` over the epoch's samples, measured
    on each batch as it was trained on (so with Dropout active, and with weights that
    change during the epoch). ``bar`` is an optional tqdm bar to update after each batch.
    """
    metric_fns = _metric_functions(metrics)
    model.train()
    total_loss, seen = 0.0, 0
    totals = {name: 0.0 for name in metric_fns}
    for step, (x, y) in enumerate(loader):
        x, y = _to_device(x, y, device)
        logits = model(x)                # 1. forward
        loss = loss_fn(logits, y)
        optimizer.zero_grad()            # 2. clear the previous batch's gradients
        loss.backward()                  # 3. backward: gradients of the loss
        optimizer.step()                 # 4. update the parameters

        # bookkeeping: averages over samples (the last batch may be smaller)
        n = x.shape[0]
        batch_loss = loss.item()
        if not math.isfinite(batch_loss):
            raise FloatingPointError(
                f"fit: the training loss became {batch_loss} at batch {step}; the learning rate is probably too "
                f"high (or the inputs hold NaN/inf)"
            )
        total_loss += batch_loss * n
        seen += n
        for name, fn in metric_fns.items():
            totals[name] += fn(logits.detach(), y) * n
        if bar is not None:
            bar.update(1)
            _show(bar, _postfix(total_loss / seen, {k: v / seen for k, v in totals.items()}))
    if seen == 0:
        raise ValueError("fit: the training loader gave no batches")
    return total_loss / seen, {name: value / seen for name, value in totals.items()}


def evaluate(model, loader, loss_fn=None, device=None):
    """``(mean loss, accuracy)`` of ``model`` over ``loader``, in evaluation mode and
    without recording gradients (NaN loss when ``loss_fn`` is None).

    Eval mode makes Dropout the identity and BatchNorm use (and not update) its running
    statistics; the model's previous mode is restored afterwards.
    """
    loss, values = measure(model, loader, loss_fn, ("accuracy",), device)
    return loss, values["accuracy"]


def measure(model, loader, loss_fn=None, metrics=("accuracy",), device=None):
    """``(mean loss, {metric name: mean value})`` over ``loader`` in eval mode under
    ``no_grad`` (``evaluate`` with any metrics)."""
    metric_fns = _metric_functions(metrics)
    was_training = model.training
    model.eval()
    total_loss, seen = 0.0, 0
    totals = {name: 0.0 for name in metric_fns}
    try:
        with autograd.no_grad():
            for x, y in loader:
                x, y = _to_device(x, y, device)
                logits = model(x)
                n = x.shape[0]
                if loss_fn is not None:
                    total_loss += loss_fn(logits, y).item() * n
                for name, fn in metric_fns.items():
                    totals[name] += fn(logits, y) * n
                seen += n
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError("evaluate: the loader gave no batches")
    loss = total_loss / seen if loss_fn is not None else math.nan
    return loss, {name: value / seen for name, value in totals.items()}


class History:
    """What ``fit`` measured, one entry per epoch (epoch 1 is at index 0).

    ``train_loss``, ``val_loss``: mean loss per epoch (``val_*`` stay empty without a
    validation loader); ``train_metrics[name]``, ``val_metrics[name]``: per metric;
    ``train_accuracy`` / ``val_accuracy``: the "accuracy" lists; ``lr``: the first
    parameter group's learning rate during each epoch; ``best_epoch`` (1-based): the
    epoch with the lowest validation loss (training loss without validation);
    ``stopped_early``: whether early stopping ended training before ``epochs``.
    """

    def __init__(self, metric_names=("accuracy",)):
        self.train_loss, self.val_loss, self.lr = [], [], []
        self.train_metrics = {name: [] for name in metric_names}
        self.val_metrics = {name: [] for name in metric_names}
        self.best_epoch = None
        self.stopped_early = False

    @property
    def epochs(self):
        """The number of epochs run."""
        return len(self.train_loss)

    @property
    def train_accuracy(self):
        return self.train_metrics.get("accuracy", [])

    @property
    def val_accuracy(self):
        return self.val_metrics.get("accuracy", [])

    def __repr__(self):
        best = ""
        if self.best_epoch is not None:
            losses = self.val_loss or self.train_loss
            best = f", best_epoch={self.best_epoch} (loss {losses[self.best_epoch - 1]:.4f})"
        return f"History(epochs={self.epochs}{best}, stopped_early={self.stopped_early})"

    def plot(self, path, title=None):
        """Save a PNG of the loss curves (left) and accuracy curves (right) to ``path``,
        with the best epoch marked. Uses matplotlib's Agg renderer directly (no window,
        no change to pyplot's global backend)."""
        # deferred: matplotlib takes ~0.3 s to import and only plotting needs it
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        epochs = list(range(1, self.epochs + 1))
        fig = Figure(figsize=(10, 4), layout="constrained")
        FigureCanvasAgg(fig)
        ax_loss, ax_acc = fig.subplots(1, 2)
        for ax, train, val, label in ((ax_loss, self.train_loss, self.val_loss, "loss"),
                                      (ax_acc, self.train_accuracy, self.val_accuracy, "accuracy")):
            if train:
                ax.plot(epochs, train, marker=".", label=f"train {label}")
            if val:
                ax.plot(epochs, val, marker=".", label=f"validation {label}")
            if self.best_epoch is not None:
                ax.axvline(self.best_epoch, color="gray", linestyle="--", linewidth=1, label=f"best epoch ({self.best_epoch})")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.grid(True, alpha=0.3)
            if train or val:
                ax.legend()
        losses = self.train_loss + self.val_loss
        if losses and min(losses) > 0 and max(losses) > 10 * min(losses):  # a wide range reads better on a log axis
            ax_loss.set_yscale("log")
        ax_loss.set_title("loss")
        ax_acc.set_title("accuracy")
        if title:
            fig.suptitle(title)
        fig.savefig(path, dpi=100)
        return path


def _postfix(loss, metrics, prefix=""):
    """The numbers shown at the right of the progress bar, as ``name=value`` strings:
    the loss to 4 decimals, accuracy in percent (compact, so the line fits 80 columns)."""
    values = {f"{prefix}loss": f"{loss:.4f}"}
    for name, value in metrics.items():
        values[f"{prefix}{'acc' if name == 'accuracy' else name}"] = f"{value:.1%}" if name == "accuracy" else f"{value:.4f}"
    return values


def _show(bar, values):
    bar.set_postfix_str(" ".join(f"{k}={v}" for k, v in values.items()), refresh=False)


def _snapshot(model):
    """A copy of every parameter and buffer (``state_dict`` values share memory), as
    tensors on the model's device: ``save`` writes them to the checkpoint from any device."""
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def fit(model, train_loader, loss_fn, optimizer, epochs, val_loader=None, scheduler=None, metrics=("accuracy",),
        early_stopping=None, progress=True, device=None, checkpoint=None, resume=False):
    """Train ``model`` for ``epochs`` epochs and return a ``History``.

    - ``val_loader``: evaluated (``evaluate``) after every epoch.
    - ``scheduler``: an lr scheduler, stepped once per epoch; ``ReduceLROnPlateau`` is
      given the validation loss (the training loss without validation).
    - ``metrics``: names from ``METRICS`` or functions ``(logits, targets) -> float``.
    - ``early_stopping``: a patience in epochs: stop once the validation loss has not
      improved for that many epochs, and load the weights (parameters and buffers) of the
      best epoch back into the model. Needs ``val_loader``.
    - ``progress``: a tqdm bar per epoch showing the running loss and accuracy.
    - ``device``: move the model and each batch there ("cpu", "cuda").
    - ``checkpoint``: a path; after every epoch the model, optimizer, scheduler, the
      framework's random-generator state, the history and the early-stopping bookkeeping
      are saved there (atomically, ``tge.save``). With ``resume=True`` training continues
      from that file and ends as an uninterrupted run would (see train_resumable.py).
    """
    if early_stopping is not None:
        if val_loader is None:
            raise ValueError("fit: early_stopping watches the validation loss, so it needs a val_loader")
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1:
            raise ValueError(f"fit: early_stopping is a patience in epochs (an int >= 1) or None, got {early_stopping!r}")
    if device is not None:
        model.to(device)
    metric_names = list(_metric_functions(metrics))
    history = History(metric_names)
    best_loss, best_state, bad_epochs, start = math.inf, None, 0, 1
    if resume:
        state = load(checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        history.__dict__.update(state["history"])
        best_loss, bad_epochs, start = state["best_loss"], state["bad_epochs"], state["epoch"] + 1
        best_state = state["best_state"]  # name -> tensor (or None)
        if history.stopped_early:
            start = epochs + 1  # the run had finished

    for epoch in range(start, epochs + 1):
        history.lr.append(optimizer.param_groups[0]["lr"])
        bar = _progress_bar(train_loader, epoch, epochs) if progress else None
        try:
            train_loss, train_metrics = train_one_epoch(model, train_loader, loss_fn, optimizer, metrics, device, bar)
            history.train_loss.append(train_loss)
            for name in metric_names:
                history.train_metrics[name].append(train_metrics[name])
            monitored = train_loss
            if val_loader is not None:
                monitored, val_metrics = measure(model, val_loader, loss_fn, metrics, device)
                history.val_loss.append(monitored)
                for name in metric_names:
                    history.val_metrics[name].append(val_metrics[name])
                if bar is not None:
                    _show(bar, {**_postfix(train_loss, train_metrics), **_postfix(monitored, val_metrics, "val_")})
        finally:
            if bar is not None:
                bar.close()

        if scheduler is not None:
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(monitored)
            else:
                scheduler.step()

        if monitored < best_loss:  # a new best epoch
            best_loss, bad_epochs, history.best_epoch = monitored, 0, epoch
            if early_stopping is not None:
                best_state = _snapshot(model)
        else:
            bad_epochs += 1
            if early_stopping is not None and bad_epochs >= early_stopping:
                history.stopped_early = epoch < epochs
        if checkpoint is not None:
            save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": None if scheduler is None else scheduler.state_dict(), "rng": get_rng_state(),
                  "history": dict(history.__dict__), "best_loss": best_loss, "bad_epochs": bad_epochs,
                  "best_state": best_state}, checkpoint)
        if history.stopped_early:
            break

    if best_state is not None:  # early stopping: go back to the best epoch's weights
        model.load_state_dict(best_state)
    return history


# No elapsed time or rate (the summary gives the time): the metrics then keep their place
# in an 80-column terminal, with the bar taking whatever width is left.
BAR_FORMAT = "{desc} |{bar}| {n_fmt}/{total_fmt}{postfix}"


def _progress_bar(loader, epoch, epochs, ncols=None, file=None):
    from tqdm.auto import tqdm  # deferred: slow to import, and only a verbose fit draws a bar

    try:
        total = len(loader)
    except TypeError:
        total = None
    width = len(str(epochs))
    return tqdm(total=total, desc=f"epoch {epoch:>{width}}/{epochs}", unit="batch", leave=True,
                dynamic_ncols=ncols is None, ncols=ncols, bar_format=BAR_FORMAT, file=file)
