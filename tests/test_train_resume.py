"""``tinygrad-edu train NAME`` for the checkpointing models: ``--list``, a smoke run of every
recipe, and ``--resume`` after the training process is killed mid-epoch (SIGKILL, in a
child process), which must end with exactly the weights of an uninterrupted run."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import models as M
from tinygrad_edu.cli import main
from tinygrad_edu.serialization import load, load_safetensors
from tinygrad_edu.train_resumable import train_run
from tinygrad_edu.train_tasks import RECIPES, make_task

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG = b"\x89PNG\r\n\x1a\n"


def test_train_list(capsys):
    assert main(["train", "--list"]) == 0
    out = capsys.readouterr().out
    for name in list(RECIPES) + ["mlp", "cnn"]:
        assert f"\n{name} " in out


def test_train_needs_a_model_and_resume_needs_a_checkpoint(tmp_path, capsys):
    assert main(["train"]) == 2
    assert "name a model" in capsys.readouterr().err
    assert main(["train", "unet", "--resume", str(tmp_path), "--no-progress"]) == 2
    assert "no checkpoint.npz there" in capsys.readouterr().err


# narrower networks for the smoke runs of the heavy recipes (their evaluation images stay full size)
TINY_BUILDS = {
    "dncnn": lambda: M.dncnn(depth=4, features=8),
    "dn_resnet": lambda: M.dn_resnet(features=8, blocks=1),
    "drunet": lambda: M.drunet(features=(4, 4, 4, 4), blocks=1),
    "autoencoder": lambda: M.ConvAutoencoder(1, 4),
    "denoising_autoencoder": lambda: M.DenoisingAutoencoder(1, 4, 0.3),
    "sparse_autoencoder": lambda: M.SparseAutoencoder(1, 4),
}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_smoke_run_writes_its_files(name, tmp_path, capsys, monkeypatch):
    if name in TINY_BUILDS:
        cls, kwargs, *rest = RECIPES[name]
        monkeypatch.setitem(RECIPES, name, (cls, {**kwargs, "build": TINY_BUILDS[name]}, *rest))
    task, history, metrics = train_run(name, str(tmp_path), epochs=1, max_batches=2, progress=False)
    assert len(history.train_loss) == 1 and np.isfinite(history.train_loss[0])
    assert task.metric in metrics and np.isfinite(metrics[task.metric])
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG
    stems = ["generator", "discriminator"] if name == "dcgan" else ["model"]
    for stem, model in zip(stems, task.models.values()):
        state = load_safetensors(tmp_path / f"{stem}.safetensors")
        assert set(state) == set(model.state_dict())
        npz = load(tmp_path / f"{stem}.npz")
        for key, value in model.state_dict().items():
            np.testing.assert_array_equal(state[key].cpu().numpy(), value.cpu().numpy())
            np.testing.assert_array_equal(npz[key].cpu().numpy(), value.cpu().numpy())
    out = capsys.readouterr().out
    assert "epoch 1/1: train loss" in out and "saved " in out


def _run(args, env):
    return subprocess.Popen([sys.executable, "-m", "tinygrad_edu", "train", *args, "--no-progress"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("name", ["resnet20", "cnn"])  # a Task recipe, and the early-stopping loop of mlp/cnn
def test_resume_after_kill_mid_epoch_gives_the_uninterrupted_weights(name, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, TINYGRAD_EDU_KERNELS="numpy", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # the cnn's epochs are so short (6 batches: 0.07 s on a 2026 machine) that the kill below
    # could land after the last one; 40 batches make each about 0.4 s
    batches = {"resnet20": 6, "cnn": 40}[name]
    config = [name, "--epochs", "3", "--max-batches", str(batches), "--seed", "3"]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    reference = _run(config + ["--out", str(straight)], env)

    victim = _run(config + ["--out", str(killed)], env)
    checkpoint = killed / "checkpoint.npz"
    deadline = time.time() + 240
    while not checkpoint.exists() and time.time() < deadline and victim.poll() is None:
        time.sleep(0.05)
    assert checkpoint.exists(), victim.communicate()[0].decode()
    time.sleep(0.1)  # into the next epoch (each takes well over 0.15 s, the poll and this sleep)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    done = load(checkpoint)["epoch"]
    assert 1 <= done < 3, f"the kill came too late to test a resume (epoch {done} saved)"
    assert not (killed / "model.npz").exists()

    resumed = _run([name, "--resume", str(killed)], env)
    output = resumed.communicate(timeout=300)[0].decode()
    assert resumed.returncode == 0, output
    if name == "resnet20":
        assert f"resuming resnet20 from {checkpoint}: {done} of 3 epochs done" in output
    assert reference.wait(timeout=300) == 0, reference.communicate()[0].decode()

    a, b = load(straight / "model.npz"), load(killed / "model.npz")
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key].cpu().numpy(), b[key].cpu().numpy(), err_msg=key)
    history_a, history_b = load(straight / "checkpoint.npz")["history"], load(checkpoint)["history"]
    assert len(history_a["train_loss"]) == 3
    assert history_a["train_loss"] == history_b["train_loss"]
    assert history_a.get("val", history_a.get("val_loss")) == history_b.get("val", history_b.get("val_loss"))


def test_checkpoint_restores_optimizer_scheduler_and_rng(tmp_path):
    train_run("coordinate_mlp", str(tmp_path), epochs=2, max_batches=3, progress=False)
    state = load(tmp_path / "checkpoint.npz")
    assert state["epoch"] == 2 and state["settings"]["max_batches"] == 3
    task = make_task("coordinate_mlp", epochs=2)
    task.load_state_dict(state["task"])
    assert task.optimizers["model"].state_dict()["state"][0]["step"] == 6
    assert task.schedulers["model"].last_epoch == 2
    assert state["rng"]["bit_generator"] == "PCG64"
    tge.set_rng_state(state["rng"])
    assert tge.get_rng_state() == state["rng"]
