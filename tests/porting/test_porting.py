"""Small PyTorch-style training programs (this folder), run with ``import tinygrad_edu as
torch``; where PyTorch is installed, each is run a second time with ``tinygrad_edu``
replaced by ``torch`` in its source, and every recorded loss, output, parameter and
gradient must agree to 1e-11 (float64)."""
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
SCRIPTS = ["mnist_mlp", "mnist_cnn", "autoencoder", "dropout_chapter", "small_rnn"]


def run_script(name, framework="tinygrad_edu"):
    """Execute a script's source (for torch: with the import renamed) and return ``main()``."""
    source = (HERE / f"{name}.py").read_text()
    if framework != "tinygrad_edu":
        source = source.replace("tinygrad_edu", framework)
    namespace = {"__name__": f"porting_{name}", "__file__": str(HERE / f"{name}.py")}
    exec(compile(source, str(HERE / f"{name}.py"), "exec"), namespace)  # noqa: S102 - our own test programs
    return namespace["main"]()


@pytest.mark.parametrize("name", SCRIPTS)
def test_runs_and_learns(name):
    result = run_script(name)
    losses = result["losses"]
    assert np.isfinite(losses).all() and len(losses) >= 6
    # training lowers the loss: the last steps' mean is below the first steps'
    k = max(1, len(losses) // 4)
    assert losses[-k:].mean() < losses[:k].mean()


@pytest.mark.parametrize("name", SCRIPTS)
def test_equals_pytorch(name):
    pytest.importorskip("torch")
    ours, theirs = run_script(name), run_script(name, "torch")
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        np.testing.assert_allclose(np.asarray(ours[key], dtype=np.float64), np.asarray(theirs[key], dtype=np.float64),
                                   rtol=1e-11, atol=1e-11, err_msg=f"{name}: {key}")
