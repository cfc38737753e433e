"""The ``tinygrad-edu`` command (also ``python -m tinygrad_edu``).

    tinygrad-edu                            this help (also --help); --version: the version
    tinygrad-edu gradcheck                  check every op of the op table
    tinygrad-edu gradcheck relu sum         only these ops ('sum' selects sum, sum:dim, ...)
    tinygrad-edu gradcheck --seed 3 --fast  other random inputs; gradcheck's fast mode
    tinygrad-edu gradcheck --list           the names of the ops
    tinygrad-edu train cnn                  train the small CNN on the bundled digits
    tinygrad-edu train mlp --epochs 5       the MLP, fewer epochs
    tinygrad-edu exercises release OUT      the student tree of the exercises (exercises/README.md)
    tinygrad-edu exercises grade DIR --out results.json   grade a submission
    tinygrad-edu lecture --list             the lecture demos (lectures/*.py); lecture NAME --fast runs one
    tinygrad-edu train --list               every trainable model
    tinygrad-edu summary resnet18           a model's layers, output shapes and parameter counts

``gradcheck`` compares each op's hand-written backward with central differences on
random float64 inputs, with the kernels users run (the default set, Numba where
installed; ``--kernels numpy`` for the vectorised set, the CuPy path), for ``--draws``
different input shapes per op: from a dozen seeded random candidates it keeps the ones
that cover the most cases (a square and a non-square matrix, a size-1 dim, operands of
different rank whose leading dims broadcast). It prints one row per op and shape: the
input shapes, the largest relative error between the analytical and the numerical
Jacobian, and pass/FAIL. The exit status is 0 when every op passes, 1 otherwise, 2 for
a usage error. Output piped into ``head`` ends quietly.

Each command is a subparser with its own ``run_<command>`` function (``train`` lives
in ``train_cli.py``).
"""
import argparse
import difflib
import os
import sys
import time

import numpy as np

from . import __version__, kernels
from .autograd import no_grad
from .autograd import GradcheckError, analytical_jacobian, gradcheck, numerical_jacobian, rel_error
from .testing import op_table
from .models.registry import MODELS
from .nn.summary import summary as model_summary
from .train_cli import add_train_parser
from .exercises.cli import add_exercises_parser
from .lectures import add_lecture_parser

ATOL, RTOL = 1e-5, 1e-3  # gradcheck's tolerances: |analytical - numerical| <= ATOL + RTOL * |numerical|
DRAWS = 3        # input shapes checked per op (default of --draws)
CANDIDATES = 12  # random shape candidates per op, from which the draws are chosen


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu", description="tinygrad_edu: a from-scratch deep-learning framework for teaching."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "gradcheck",
        help="check every op's backward against numerical gradients",
        description="Compare each op's hand-written backward with central differences (float64) on random inputs.",
    )
    check.add_argument("ops", nargs="*", metavar="OP", help="op names (default: all); 'sum' selects every 'sum:...' variant")
    check.add_argument("--seed", type=int, default=0, help="seed of the random shapes and inputs (default: 0)")
    check.add_argument("--draws", type=int, default=DRAWS, metavar="N",
                       help=f"input shapes to check per op (default: {DRAWS})")
    check.add_argument("--kernels", choices=kernels.KERNEL_SETS, default=None,
                       help=f"CPU kernel set to check (default: the one users run, {kernels.current()} here)")
    check.add_argument("--fast", action="store_true",
                       help="gradcheck's fast mode: one random projection u^T J v per input instead of whole Jacobians")
    check.add_argument("--list", action="store_true", help="list the op names and exit")
    check.set_defaults(run=run_gradcheck)

    add_train_parser(commands)  # tinygrad-edu train NAME (train_cli.py)
    add_exercises_parser(commands)  # tinygrad-edu exercises release|grade (exercises/cli.py)

    summary = commands.add_parser(
        "summary",
        help="print a course model's layers, output shapes and parameter counts",
        description="Build a course model with its default arguments, run one example input through it (eval mode) "
                    "and print each layer's output shape and parameter count, and the total.",
    )
    summary.add_argument("model", choices=sorted(MODELS), metavar="MODEL", help="one of: " + ", ".join(sorted(MODELS)))
    summary.add_argument("--depth", type=int, default=3, help="nesting depth of the rows shown (default: 3)")
    summary.set_defaults(run=run_summary)

    add_lecture_parser(commands)  # tinygrad-edu lecture [--list] NAME [--fast] [--out DIR] (lectures.py)
    return parser


def main(argv=None):
    """Entry point of ``tinygrad-edu``; returns the exit status. Without a command it
    prints the help. When the reader of the output goes away (``... | head``), it stops
    quietly, as Unix tools do, instead of printing a BrokenPipeError."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
    except BrokenPipeError:
        # Point stdout at /dev/null so that Python's flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE: what a shell reports for a tool stopped by a closed pipe


# -------------------------------------------------------------------- gradcheck
def select_ops(names):
    """The op-table entries for ``names`` (all when empty), or raise KeyError naming
    the unknown ones with close matches."""
    if not names:
        return list(op_table.OPS)
    families = {spec.name.split(":")[0] for spec in op_table.OPS}
    selected, unknown = [], []
    for name in names:
        matches = [spec for spec in op_table.OPS if name in (spec.name, spec.name.split(":")[0])]
        if not matches:
            unknown.append(name)
        selected += [spec for spec in matches if spec not in selected]
    if unknown:
        lines = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(families | set(op_table.OPS_BY_NAME)), n=4, cutoff=0.6)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            lines.append(f"tinygrad-edu gradcheck: unknown op {name!r}.{hint}")
        raise KeyError("\n".join(lines))
    return selected


def max_relative_error(fn, inputs):
    """The largest ``rel_error`` between the analytical and numerical Jacobians, over
    every (input, output) pair."""
    numerical = numerical_jacobian(fn, inputs)
    analytical = analytical_jacobian(fn, inputs)
    errors = [rel_error(a, n) for rows_a, rows_n in zip(analytical, numerical) for a, n in zip(rows_a, rows_n)]
    return max(errors, default=0.0)


def shape_features(shapes):
    """The cases a draw of input shapes covers (what ``draw_shapes`` tries to vary)."""
    features = set()
    for s in shapes:
        if len(s) >= 2:
            features.add("square matrix" if s[-1] == s[-2] else "non-square matrix")
        if 1 in s:
            features.add("size-1 dim")
    if len({len(s) for s in shapes}) > 1:
        features.add("leading dims broadcast")
    return features


def draw_shapes(spec, rng, draws):
    """Up to ``draws`` different shape tuples for ``spec``: from ``CANDIDATES`` seeded random
    draws, each pick is the candidate that adds the most features not yet covered (the
    first such candidate, so the same seed gives the same shapes)."""
    candidates = [tuple(tuple(s) for s in spec.shapes(op_table.random_pick(rng))) for _ in range(CANDIDATES)]
    chosen, covered = [], set()
    for _ in range(draws):
        fresh = [c for c in candidates if c not in chosen]
        if not fresh:
            break
        best = max(fresh, key=lambda c: len(shape_features(c) - covered))
        chosen.append(best)
        covered |= shape_features(best)
    return chosen


def check_op(spec, shapes, rng, fast=False):
    """Gradcheck one entry on random inputs of ``shapes``: ``(max relative error or None, status,
    detail)`` with status 'pass', 'FAIL' (gradients disagree) or 'ERROR' (the op raised)."""
    error = None
    try:
        inputs = op_table.make_inputs(spec, shapes, rng)
        if not fast:
            error = max_relative_error(spec.fn, inputs)
        gradcheck(spec.fn, inputs, atol=ATOL, rtol=RTOL, fast_mode=fast)
        return error, "pass", None
    except GradcheckError as e:
        if error is None:
            error = max_relative_error(spec.fn, inputs)  # fast mode: get the full picture now
        return error, "FAIL", str(e)
    except Exception as e:  # noqa: BLE001 - any error of the op is reported, and the others still run
        return error, "ERROR", f"{type(e).__name__}: {e}"


def _format_shapes(shapes):
    return ", ".join(str(tuple(s)) for s in shapes)


def run_gradcheck(args):
    if args.list:
        for spec in op_table.OPS:
            print(spec.name)
        return 0
    try:
        specs = select_ops(args.ops)
    except KeyError as e:
        print(f"{e.args[0]}\n(`tinygrad-edu gradcheck --list` shows every op)", file=sys.stderr)
        return 2

    if args.draws < 1:
        print(f"tinygrad-edu gradcheck: --draws must be at least 1, got {args.draws}", file=sys.stderr)
        return 2
    kernel_set = args.kernels or kernels.current()  # by default the kernels users run
    with kernels.using(kernel_set):
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        rows = []
        for spec in specs:
            for shapes in draw_shapes(spec, rng, args.draws):
                rows.append((spec.name, shapes) + check_op(spec, shapes, rng, args.fast))
        elapsed = time.perf_counter() - start

    header = ("op", "input shapes", "max rel error", "result")
    cells = [(name, _format_shapes(shapes), "-" if error is None else f"{error:.1e}", status)
             for name, shapes, error, status, _ in rows]
    widths = [max(len(row[i]) for row in cells + [header]) for i in range(4)]
    line = "  ".join(["{:<%d}" % widths[0], "{:<%d}" % widths[1], "{:>%d}" % widths[2], "{}"])
    print("Backward (analytical Jacobian) vs central differences (numerical Jacobian), in float64.")
    print(f"max rel error = max |a - n| / (|a| + |n|); pass = every entry within {ATOL:g} + {RTOL:g} |n|.\n")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in cells:
        print(line.format(*row))

    failed = [(name, shapes, status, detail) for name, shapes, _, status, detail in rows if status != "pass"]
    for name, shapes, status, detail in failed:
        print(f"\n{status} {name} {_format_shapes(shapes)}:\n{detail}")
    failed_ops = {name for name, *_ in failed}
    mode = ", fast mode: u^T J v only" if args.fast else ""
    print(f"\n{len(specs) - len(failed_ops)} passed, {len(failed_ops)} failed of {len(specs)} ops "
          f"({len(rows)} shape draws; seed {args.seed}, {kernel_set} kernels{mode}, {elapsed:.2f} s)")
    return 1 if failed else 0


# -------------------------------------------------------------------- summary
def run_summary(args):
    """``tinygrad-edu summary NAME``: the per-layer table of a course model on its example input."""
    build, input_size = MODELS[args.model]
    model = build().eval()  # eval: BatchNorm on running statistics, so a batch of one works
    print(f"{args.model}: input {input_size}")
    with no_grad():
        model_summary(model, input_size=input_size, depth=args.depth)
    return 0
