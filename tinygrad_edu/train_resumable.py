"""The training loop of ``tinygrad-edu train NAME``: epochs over a ``Task`` (train_tasks.py),
a progress bar, and a checkpoint after every epoch, so a run killed at any moment resumes
and ends with the same weights as a run that was never interrupted.

What a checkpoint (``checkpoint.npz`` in the run folder, written atomically by ``tge.save``)
holds, and why each part is needed for an exact resume:

- every model's state_dict (parameters and BatchNorm's running statistics);
- every optimizer's state (Adam's moment estimates and step count: without them the next
  steps would differ);
- every lr scheduler's state (where in the cosine schedule the run is);
- the framework's random generator state: the next epoch's shuffling, augmentation, noise
  and dropout masks are drawn from it, so restoring it replays them;
- the history (losses and metrics per epoch) and the run's settings (seed, epochs, batch
  size, learning rate), which ``--resume`` reuses.

A kill mid-epoch loses that epoch's partial work only: the resumed run starts the epoch
again from the state saved at the end of the previous one, which is exactly the state the
uninterrupted run had then. (NumPy's matrix products give the same bits for the same inputs
on the same machine and thread count; that is what "same weights" relies on.)
"""
import json
import os
import time

from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save, save_safetensors
from .train_tasks import RECIPES, make_task

CHECKPOINT = "checkpoint.npz"


class RunHistory:
    """Per-epoch training loss, validation metrics, learning rate and seconds."""

    def __init__(self, state=None):
        state = state or {}
        self.train_loss = list(state.get("train_loss", []))
        self.val = {k: list(v) for k, v in state.get("val", {}).items()}
        self.lr = list(state.get("lr", []))
        self.seconds = list(state.get("seconds", []))
        self.cpu_seconds = list(state.get("cpu_seconds", []))

    def append(self, train_loss, val, lr, seconds, cpu_seconds):
        self.train_loss.append(train_loss)
        for k, v in val.items():
            self.val.setdefault(k, []).append(v)
        self.lr.append(lr)
        self.seconds.append(seconds)
        self.cpu_seconds.append(cpu_seconds)

    def state_dict(self):
        return {"train_loss": self.train_loss, "val": self.val, "lr": self.lr, "seconds": self.seconds,
                "cpu_seconds": self.cpu_seconds}

    def plot(self, path, metric, title):
        """Training loss (left) and the validation metric(s) (right) per epoch, as a PNG."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        epochs = list(range(1, len(self.train_loss) + 1))
        fig = Figure(figsize=(10, 4), layout="constrained")
        FigureCanvasAgg(fig)
        ax_loss, ax_metric = fig.subplots(1, 2)
        ax_loss.plot(epochs, self.train_loss, marker=".", label="train loss")
        if self.train_loss and min(self.train_loss) > 0 and max(self.train_loss) > 10 * min(self.train_loss):
            ax_loss.set_yscale("log")
        for name, values in self.val.items():
            if name == metric or name.startswith("noisy"):
                ax_metric.plot(epochs, values, marker=".", label=f"validation {name}")
        for ax, label in ((ax_loss, "loss"), (ax_metric, metric)):
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.grid(True, alpha=0.3)
            ax.legend()
        fig.suptitle(title)
        fig.savefig(path, dpi=100)
        return path


def _progress(total, epoch, epochs, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True, dynamic_ncols=True)


def train_run(name, out, seed=0, epochs=None, batch_size=None, lr=None, max_batches=None, resume=False,
              progress=True, log=print):
    """Train recipe ``name`` into folder ``out`` (or continue the run there with ``resume``).

    Returns ``(task, history, test_metrics)``. Writes ``checkpoint.npz`` after every epoch,
    then ``model.npz`` and ``model.safetensors`` (the final weights; a GAN writes one pair
    per network), ``curves.png`` and the task's pictures.
    """
    path = os.path.join(out, CHECKPOINT)
    state = None
    if resume:
        if not os.path.exists(path):
            raise FileNotFoundError(f"tinygrad-edu train {name} --resume {out}: no {CHECKPOINT} there (nothing to resume)")
        state = load(path)
        if state["name"] != name:
            raise ValueError(f"tinygrad-edu train {name} --resume {out}: that folder holds a {state['name']!r} run")
        settings = state["settings"]  # the interrupted run's settings, so the result is the same
        seed, epochs, batch_size, lr, max_batches = (settings[k] for k in
                                                      ("seed", "epochs", "batch_size", "lr", "max_batches"))
    manual_seed(seed)  # initial weights; replaced by the checkpoint's on resume
    task = make_task(name, seed=seed, batch_size=batch_size, lr=lr, epochs=epochs)
    settings = {"seed": seed, "epochs": task.epochs, "batch_size": task.batch_size, "lr": task.lr,
                "max_batches": max_batches}
    history, start = RunHistory(), 1
    if state is not None:
        task.load_state_dict(state["task"])
        set_rng_state(state["rng"])
        history, start = RunHistory(state["history"]), state["epoch"] + 1
        log(f"resuming {name} from {path}: {state['epoch']} of {task.epochs} epochs done")
    os.makedirs(out, exist_ok=True)
    description = RECIPES[name][-1]
    n_params = sum(p.numel() for m in task.models.values() for p in m.parameters())
    schedule = " (cosine)" if task.schedulers else " (constant)"
    log(f"training {name}: {description}; {n_params:,} parameters, {task.epochs} epochs, batch size "
        f"{task.batch_size}, Adam lr {task.lr:g}{schedule}, seed {seed}")

    for epoch in range(start, task.epochs + 1):
        steps = list(task.steps())
        if max_batches is not None:
            steps = steps[:max_batches]
        bar = _progress(len(steps), epoch, task.epochs, progress)
        lr_now = next(iter(task.optimizers.values())).param_groups[0]["lr"]
        begin, cpu_begin, total = time.perf_counter(), time.process_time(), 0.0
        task.train(True)
        for k, batch in enumerate(steps, start=1):
            loss = task.train_step(batch)
            total += loss
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total / k:.4g}", refresh=False)
        val = task.validate()
        seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - cpu_begin
        if bar is not None:
            bar.set_postfix(loss=f"{total / max(len(steps), 1):.4g}", **{task.metric: f"{val[task.metric]:.4g}"})
            bar.close()
        task.end_epoch()
        history.append(total / max(len(steps), 1), val, lr_now, seconds, cpu_seconds)
        save({"name": name, "epoch": epoch, "settings": settings, "task": task.state_dict(), "rng": get_rng_state(),
              "history": history.state_dict()}, path)
        shown = ", ".join(f"{k} {v:.4f}" for k, v in val.items())
        log(f"epoch {epoch}/{task.epochs}: train loss {history.train_loss[-1]:.4f}, validation {shown} "
            f"({seconds:.1f} s, {cpu_seconds:.1f} s CPU)")

    test_metrics, lines = task.test()
    for line in lines:
        log(line)
    written = []
    for model_name, model in task.models.items():
        stem = "model" if model_name == "model" else model_name
        save(model.state_dict(), os.path.join(out, f"{stem}.npz"))
        save_safetensors(model.state_dict(), os.path.join(out, f"{stem}.safetensors"), metadata={"recipe": name})
        written += [f"{stem}.npz", f"{stem}.safetensors"]
    history.plot(os.path.join(out, "curves.png"), task.metric, f"{name}: {description}")
    written.append("curves.png")
    written += [os.path.basename(p) for p in task.save_extras(out)]
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"name": name, "settings": settings, "test": test_metrics, "seconds_per_epoch": history.seconds,
                   "cpu_seconds_per_epoch": history.cpu_seconds}, f,
                  indent=1)
    log(f"saved {', '.join(written)}, metrics.json and {CHECKPOINT} in {out}")
    return task, history, test_metrics
