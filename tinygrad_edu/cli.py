"""The ``tinygrad-edu`` command (also ``python -m tinygrad_edu``).

    tinygrad-edu gradcheck                  check every op of the op table
    tinygrad-edu gradcheck relu sum         only these ops ('sum' selects sum, sum:dim, ...)
    tinygrad-edu gradcheck --seed 3 --fast  other random inputs; gradcheck's fast mode
    tinygrad-edu gradcheck --list           the names of the ops
    tinygrad-edu train cnn                  train the small CNN on the bundled digits
    tinygrad-edu train mlp --epochs 5       the MLP, fewer epochs

``gradcheck`` compares each op's hand-written backward with central differences on
random float64 inputs and prints one row per op: the input shapes, the largest
relative error between the analytical and the numerical Jacobian, and pass/FAIL.
The exit status is 0 when every op passes, 1 otherwise, 2 for a usage error.

Each command is a subparser with its own ``run_<command>`` function (``train`` lives
in ``train_cli.py``).
"""
import argparse
import difflib
import sys
import time

import numpy as np

from . import kernels
from .autograd import GradcheckError, analytical_jacobian, gradcheck, numerical_jacobian, rel_error
from .testing import op_table
from .train_cli import add_train_parser

ATOL, RTOL = 1e-5, 1e-3  # gradcheck's tolerances: |analytical - numerical| <= ATOL + RTOL * |numerical|


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu", description="tinygrad_edu: a from-scratch deep-learning framework for teaching."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "gradcheck",
        help="check every op's backward against numerical gradients",
        description="Compare each op's hand-written backward with central differences (float64) on random inputs.",
    )
    check.add_argument("ops", nargs="*", metavar="OP", help="op names (default: all); 'sum' selects every 'sum:...' variant")
    check.add_argument("--seed", type=int, default=0, help="seed of the random shapes and inputs (default: 0)")
    check.add_argument("--fast", action="store_true",
                       help="gradcheck's fast mode: one random projection u^T J v per input instead of whole Jacobians")
    check.add_argument("--list", action="store_true", help="list the op names and exit")
    check.set_defaults(run=run_gradcheck)

    add_train_parser(commands)  # tinygrad-edu train mlp|cnn (train_cli.py)
    return parser


def main(argv=None):
    """Entry point of ``tinygrad-edu``; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


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


def check_op(spec, rng, fast=False):
    """Gradcheck one entry on random inputs: ``(shapes, max relative error or None, status, detail)``
    with status 'pass', 'FAIL' (gradients disagree) or 'ERROR' (the op raised)."""
    shapes = spec.shapes(op_table.random_pick(rng))
    error = None
    try:
        inputs = op_table.make_inputs(spec, shapes, rng)
        if not fast:
            error = max_relative_error(spec.fn, inputs)
        gradcheck(spec.fn, inputs, atol=ATOL, rtol=RTOL, fast_mode=fast)
        return shapes, error, "pass", None
    except GradcheckError as e:
        if error is None:
            error = max_relative_error(spec.fn, inputs)  # fast mode: get the full picture now
        return shapes, error, "FAIL", str(e)
    except Exception as e:  # noqa: BLE001 - any error of the op is reported, and the others still run
        return shapes, error, "ERROR", f"{type(e).__name__}: {e}"


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

    # the inputs are tiny: the vectorised kernels need no Numba compilation on a fresh machine
    with kernels.using("numpy"):
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        rows = [(spec.name,) + check_op(spec, rng, args.fast) for spec in specs]
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

    failed = [(name, status, detail) for name, _, _, status, detail in rows if status != "pass"]
    for name, status, detail in failed:
        print(f"\n{status} {name}:\n{detail}")
    mode = ", fast mode: u^T J v only" if args.fast else ""
    print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed of {len(rows)} ops "
          f"(seed {args.seed}{mode}, {elapsed:.2f} s)")
    return 1 if failed else 0
