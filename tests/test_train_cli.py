"""``tinygrad-edu train``: smoke runs on a few batches, the files it writes, and the
checkpoint loading back into a fresh model."""
import argparse
import os
import time

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import train_cli
from tinygrad_edu.serialization import load
from tinygrad_edu.train_cli import (DIGITS_MEAN, DIGITS_STD, RECIPES, add_train_parser, digits_loaders, run_train,
                                    train_model)

PNG = b"\x89PNG\r\n\x1a\n"


def parse(*argv):
    parser = argparse.ArgumentParser(prog="tinygrad-edu")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["train", *argv])


def smoke(model, out):
    return parse(model, "--epochs", "1", "--max-batches", "3", "--out", str(out), "--no-progress")


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_train_smoke_writes_checkpoint_and_curves(model, tmp_path, capsys):
    assert run_train(smoke(model, tmp_path)) == 0
    out = capsys.readouterr().out
    assert "3 of 41 batches of 32" in out
    assert "test accuracy: " in out and "/359)" in out
    assert (tmp_path / "model.npz").is_file()
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_checkpoint_loads_into_a_fresh_model_with_identical_outputs(model, tmp_path, capsys):
    result = train_model(smoke(model, tmp_path))
    state = load(tmp_path / "model.npz")
    assert list(state) == list(result.model.state_dict())
    fresh = RECIPES[model]["build"]().to("cpu")  # where the CLI trained (--device cpu, the default)
    fresh.load_state_dict(state)
    x = tge.randn(7, 1, 8, 8, device="cpu")
    result.model.eval(), fresh.eval()
    with tge.no_grad():
        np.testing.assert_array_equal(fresh(x).cpu().numpy(), result.model(x).cpu().numpy())
    assert result.history.epochs == 1 and 0.0 <= result.test_accuracy <= 1.0


def test_default_output_folder_is_runs_model(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = parse("mlp", "--epochs", "1", "--max-batches", "1", "--no-progress")
    assert run_train(args) == 0
    assert (tmp_path / "runs" / "mlp" / "model.npz").is_file()
    assert (tmp_path / "runs" / "mlp" / "curves.png").is_file()


def test_progress_bars_go_to_stderr(tmp_path, capsys):
    assert run_train(parse("mlp", "--epochs", "2", "--max-batches", "2", "--out", str(tmp_path))) == 0
    assert "epoch 2/2" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--epochs", "--batch-size", "--lr", "--max-batches"])
def test_non_positive_options_are_usage_errors(option, tmp_path, capsys):
    assert run_train(parse("mlp", option, "0", "--out", str(tmp_path))) == 2
    assert f"{option} must be positive" in capsys.readouterr().err
    assert not (tmp_path / "model.npz").exists()


def test_unknown_model_is_rejected(capsys):
    with pytest.raises(SystemExit) as e:
        parse("resnet")
    assert e.value.code == 2
    assert "invalid choice: 'resnet'" in capsys.readouterr().err


def test_the_same_seed_gives_the_same_model(tmp_path, capsys):
    a = train_model(parse("mlp", "--epochs", "1", "--max-batches", "2", "--out", str(tmp_path / "a"), "--no-progress"))
    b = train_model(parse("mlp", "--epochs", "1", "--max-batches", "2", "--out", str(tmp_path / "b"), "--no-progress"))
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        np.testing.assert_array_equal(va.cpu().numpy(), vb.cpu().numpy(), err_msg=k)


def test_digits_loaders_split_and_normalise():
    train, val, test = digits_loaders(64, seed=0)
    n_train = sum(x.shape[0] for x, _ in train)
    n_val = sum(x.shape[0] for x, _ in val)
    n_test = sum(x.shape[0] for x, _ in test)
    assert (n_train + n_val, n_test) == (1438, 359)
    assert n_val == pytest.approx(0.1 * 1438, abs=10)
    x, _ = train_cli.load_digits("train")
    pixels = x.cpu().numpy()
    assert (DIGITS_MEAN, DIGITS_STD) == pytest.approx((pixels.mean(), pixels.std()), abs=1e-4)
    xb, yb = next(iter(test))
    raw, _ = train_cli.load_digits("test")
    np.testing.assert_allclose(xb.cpu().numpy(), (raw.cpu().numpy()[:256] - DIGITS_MEAN) / DIGITS_STD, rtol=1e-6, atol=1e-6)


def test_wired_into_the_tinygrad_edu_command(tmp_path, capsys):
    from tinygrad_edu import cli

    args = cli.build_parser().parse_args(["train", "mlp", "--epochs", "1", "--max-batches", "1",
                                          "--out", str(tmp_path), "--no-progress"])
    assert cli.main(["train", "mlp", "--epochs", "1", "--max-batches", "1", "--out", str(tmp_path), "--no-progress"]) == 0
    assert args.run is run_train


def test_a_bad_out_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        start = time.perf_counter()
        assert run_train(parse("mlp", "--epochs", "1", "--out", str(out), "--no-progress")) == 2
        assert time.perf_counter() - start < 5  # refused up front: nothing was trained
        captured = capsys.readouterr()
        assert "--out" in captured.err and "training" not in captured.out


def test_a_failing_save_falls_back_to_a_temporary_folder(tmp_path, capsys, monkeypatch):
    from tinygrad_edu import train_cli

    real_save = train_cli.save
    calls = []

    def save_failing_once(obj, path):
        calls.append(path)
        if len(calls) == 1:
            raise PermissionError(13, "Permission denied")
        return real_save(obj, path)

    monkeypatch.setattr(train_cli, "save", save_failing_once)
    result = train_model(parse("mlp", "--epochs", "1", "--max-batches", "1", "--out", str(tmp_path / "run"),
                               "--no-progress"))
    assert os.path.exists(result.checkpoint) and not result.checkpoint.startswith(str(tmp_path))
    assert "saving into" in capsys.readouterr().err


def test_the_summary_says_which_loss_is_which(tmp_path, capsys):
    result = train_model(smoke("mlp", tmp_path))
    out = capsys.readouterr().out
    assert "cross-entropy with label smoothing 0.1" in out
    # the test loss is the label-smoothed loss, like the validation loss it is printed next to
    from tinygrad_edu.nn.loss import CrossEntropyLoss
    from tinygrad_edu.train import evaluate
    from tinygrad_edu.train_cli import digits_loaders

    test_loader = digits_loaders(256)[2]
    smoothed, _ = evaluate(result.model, test_loader, CrossEntropyLoss(label_smoothing=0.1))
    assert abs(result.test_loss - smoothed) < 1e-9
