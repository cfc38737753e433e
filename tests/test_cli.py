"""``tinygrad-edu gradcheck``: the table, the exit status, op selection, planted failures."""
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu.autograd import Function
from tinygrad_edu.testing import op_table
from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = main(["gradcheck", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_op_passes(capsys):
    code, out, err = run(capsys)
    assert code == 0, out
    for spec in op_table.OPS:
        assert f"\n{spec.name} " in out, f"no row for {spec.name}"
    n = len(op_table.OPS)
    assert f"{n} passed, 0 failed of {n} ops" in out
    assert "FAIL" not in out and "ERROR" not in out and err == ""


def test_the_table_shows_shapes_errors_and_results(capsys):
    code, out, _ = run(capsys, "relu", "matmul:dot")
    assert code == 0
    lines = out.splitlines()
    assert "central differences" in lines[0]
    assert ["op", "input", "shapes", "max", "rel", "error", "result"] in [line.split() for line in lines]
    relu = next(line for line in lines if line.startswith("relu "))
    dot = next(line for line in lines if line.startswith("matmul:dot "))
    assert relu.endswith("pass") and dot.endswith("pass")
    shapes = dot.split("matmul:dot", 1)[1].rsplit(None, 2)[0].strip()
    first, second = shapes.split("), (")
    assert first + ")" == "(" + second  # the two vectors of a dot product have one shape
    error = float(relu.split()[-2])
    assert 0 <= error < 1e-6
    assert "2 passed, 0 failed of 2 ops (6 shape draws; seed 0" in out


def test_a_family_name_selects_all_its_variants(capsys):
    code, out, _ = run(capsys, "cross_entropy")
    variants = [s.name for s in op_table.OPS if s.name.split(":")[0] == "cross_entropy"]
    assert code == 0 and len(variants) > 3
    assert all(f"\n{name} " in out for name in variants)
    assert "binary_cross_entropy" not in out


def test_the_seed_picks_the_inputs_reproducibly(capsys):
    tables = [run(capsys, "--seed", str(seed), "sum", "matmul")[1] for seed in (1, 1, 2)]
    strip = lambda out: [line for line in out.splitlines() if " s)" not in line]  # noqa: E731 - timing differs
    assert strip(tables[0]) == strip(tables[1])
    assert strip(tables[0]) != strip(tables[2])


def test_fast_mode(capsys):
    code, out, _ = run(capsys, "--fast", "softmax", "mse_loss")
    assert code == 0 and "fast mode" in out
    assert "softmax" in out and " -  pass" in out  # no full Jacobians, so no error column


def test_list(capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0
    assert out.split() == [spec.name for spec in op_table.OPS]


def test_unknown_op_exits_2_with_close_matches(capsys):
    code, out, err = run(capsys, "rleu", "relu")
    assert code == 2 and out == ""
    assert "unknown op 'rleu'" in err and "Did you mean: relu" in err and "--list" in err
    code, _, err = run(capsys, "zzzz")
    assert code == 2 and "unknown op 'zzzz'" in err


def test_no_arguments_prints_the_help(capsys):
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: tinygrad-edu") and "gradcheck" in out and "train" in out and err == ""


def test_version(capsys):
    from tinygrad_edu import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-edu {__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["gradcheck", "--help"], ["train", "--help"]])
def test_help_texts_render_cleanly(capsys, argv):
    with pytest.raises(SystemExit):
        main(argv)
    out = capsys.readouterr().out
    assert "%%" not in out and "%(" not in out
    # every description/help sentence is complete: none ends in ':' or a dangling word
    text = " ".join(out.split())
    assert ": --" not in text and not text.rstrip().endswith((":", ",", " with", " and"))


def _shape_rows(out, name):
    rows = [line for line in out.splitlines() if line.split(" ", 1)[0] == name]
    return [eval(line[len(name):].rsplit(None, 2)[0].strip() + ",") for line in rows]  # noqa: S307 - our own output


def test_several_shapes_per_op_cover_the_cases(capsys):
    for seed in (0, 1, 2):
        code, out, _ = run(capsys, "--seed", str(seed), "matmul", "add", "mul")
        assert code == 0
        matmul = _shape_rows(out, "matmul")
        assert len(matmul) == 3 and len(set(matmul)) == 3
        assert any(a[0] == a[1] for a, _ in matmul) and any(a[0] != a[1] or b[0] != b[1] for a, b in matmul)
        for name in ("add", "mul"):
            pairs = _shape_rows(out, name)
            assert len(pairs) == 3
            assert any(len(a) != len(b) for a, b in pairs), f"{name}: no draw broadcasts over leading dims"
            assert any(1 in a + b for a, b in pairs), f"{name}: no draw has a size-1 dim"


def test_draws_option(capsys):
    code, out, _ = run(capsys, "--draws", "1", "relu", "exp")
    assert code == 0 and "2 passed, 0 failed of 2 ops (2 shape draws" in out
    code, _, err = run(capsys, "--draws", "0", "relu")
    assert code == 2 and "--draws must be at least 1" in err


def test_checks_the_kernels_users_run(monkeypatch, capsys):
    from tinygrad_edu import kernels

    seen = []

    def relu_recording_kernels(x):
        seen.append(kernels.current())
        return x.relu()

    _replace(monkeypatch, "relu", relu_recording_kernels)
    default = kernels.current()
    code, out, _ = run(capsys, "relu", "--draws", "1")
    assert code == 0 and set(seen) == {default} and f"{default} kernels" in out
    seen.clear()
    code, out, _ = run(capsys, "relu", "--draws", "1", "--kernels", "numpy")
    assert code == 0 and set(seen) == {"numpy"} and "numpy kernels" in out
    assert kernels.current() == default  # restored


def test_piping_into_head_ends_quietly(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = f"{sys.executable} -m tinygrad_edu gradcheck --list --draws 1 | head -n 1; " \
          f"{sys.executable} -m tinygrad_edu gradcheck relu exp sum mean --draws 3 | head -n 2"
    result = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.stderr == "", result.stderr
    assert len(result.stdout.splitlines()) == 3


class ReluWrongBackward(Function):
    """relu whose backward forgets to zero the gradient of the negative inputs."""

    @staticmethod
    def forward(ctx, x):
        return x * (x > 0)

    @staticmethod
    def backward(ctx, g):
        return g


def _replace(monkeypatch, name, fn):
    table = [dataclasses.replace(s, fn=fn) if s.name == name else s for s in op_table.OPS]
    monkeypatch.setattr(op_table, "OPS", table)


def test_a_wrong_backward_fails_with_a_report(monkeypatch, capsys):
    _replace(monkeypatch, "relu", ReluWrongBackward.apply)
    code, out, _ = run(capsys, "relu", "sigmoid", "--seed", "1")
    assert code == 1
    relu = next(line for line in out.splitlines() if line.startswith("relu "))
    assert relu.endswith("FAIL") and float(relu.split()[-2]) > 0.1
    assert "\nFAIL relu (" in out and "Jacobian mismatch for output 0 with respect to input 0" in out
    assert "1 passed, 1 failed of 2 ops" in out


def test_a_wrong_backward_fails_in_fast_mode_too(monkeypatch, capsys):
    _replace(monkeypatch, "relu", ReluWrongBackward.apply)
    code, out, _ = run(capsys, "relu", "--fast", "--seed", "1")
    assert code == 1 and "\nFAIL relu (" in out


def test_an_op_that_raises_is_an_error_not_a_crash(monkeypatch, capsys):
    def broken(x):
        raise NotImplementedError("relu is being written")

    _replace(monkeypatch, "relu", broken)
    code, out, _ = run(capsys, "relu", "exp")
    assert code == 1
    assert "):\nNotImplementedError: relu is being written" in out and "\nERROR relu (" in out
    assert "1 passed, 1 failed of 2 ops" in out


def test_python_dash_m(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "gradcheck", "relu"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "relu" in result.stdout and "1 passed, 0 failed of 1 ops" in result.stdout
