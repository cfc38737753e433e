"""What every lecture demo shares, and the ``tinygrad-edu lecture`` command.

A demo is a jupytext "percent" script ``lectures/NAME.py``. It starts with

    args = lectures.parse_args(__doc__)       # --fast, --out DIR, --seed
    ...
    lectures.save(fig, args, "v_curve")       # DIR/v_curve.png (matplotlib, Agg)
    lectures.claim(args, "finite differences ... ", best_h=1e-5, autodiff_error=2e-16)

and ends with one ``claim: TEXT : name=value, ...`` line; the same numbers go to
``DIR/claim.json`` so tests read numbers, not prose.

Where the demos are found: ``lectures/`` sits next to the package in the source checkout
(``<checkout>/lectures``), which is where an editable install (``pip install -e .``) points.
The scripts are teaching material to open and edit, not library code, so they are not
shipped inside the wheel; a regular (non-editable) install has no demos and the command
says so. ``TINYGRAD_EDU_LECTURES=DIR`` points it at another folder.
"""
import argparse
import json
import os
import runpy
import sys
from pathlib import Path


def parse_args(doc=None, argv=None):
    """The demo's options: ``--fast`` (tiny sizes, for tests), ``--out DIR``, ``--seed``.
    Also selects matplotlib's Agg backend (files only, no window: demos run in CI and over ssh)."""
    import matplotlib  # slow to import (README's import rule): only demos need it, not the CLI

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    parser.add_argument("--fast", action="store_true", help="tiny sizes and few steps (seconds, for tests)")
    parser.add_argument("--out", default=None, help="folder for figures and claim.json (default: lectures/out/NAME)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    # parse_known_args: inside Jupyter (jupytext --to notebook) the kernel's own arguments are in sys.argv
    args, _ = parser.parse_known_args(argv)
    name = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else "demo"
    if "ipykernel" in name:
        name = "notebook"
    args.out = Path(args.out) if args.out else default_folder() / "out" / name
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save(fig, args, name):
    """Write ``fig`` to ``args.out/name.png`` (100 dpi keeps committed figures small) and close it."""
    import matplotlib.pyplot as plt

    path = Path(args.out) / f"{name}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def claim(args, text, **numbers):
    """Print the demo's last line, ``claim: TEXT : k=v, ...``, and write ``claim.json``."""
    numbers = {k: float(v) for k, v in numbers.items()}
    shown = ", ".join(f"{k}={v:.4g}" for k, v in numbers.items())
    record = {"claim": text, "numbers": numbers, "fast": bool(args.fast), "seed": args.seed}
    (Path(args.out) / "claim.json").write_text(json.dumps(record, indent=1))
    print(f"claim: {text} : {shown}")
    return record


def verdict(holds, partly=False):
    """How a claim line says whether the slide's claim held in *this* run (computed from its
    numbers, never written by hand: a demo run at another scale or seed may say otherwise)."""
    if holds:
        return "holds"
    return "holds only partly at this scale" if partly else "does not hold at this scale"


# -------------------------------------------------------------- the CLI command
def default_folder():
    """``$TINYGRAD_EDU_LECTURES`` or ``<checkout>/lectures`` (see the module docstring)."""
    env = os.environ.get("TINYGRAD_EDU_LECTURES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "lectures"


def list_demos(folder=None):
    """``{name: path}`` of the demo scripts (every ``lectures/*.py`` not starting with ``_``)."""
    folder = Path(folder) if folder else default_folder()
    return {p.stem: p for p in sorted(folder.glob("*.py")) if not p.name.startswith("_")}


def add_lecture_parser(commands):
    lecture = commands.add_parser("lecture", help="run a lecture demo (figures + its claim)",
                                  description="Run lectures/NAME.py; it writes figures and claim.json to --out.")
    lecture.add_argument("name", nargs="?", metavar="NAME", help="the demo (see --list)")
    lecture.add_argument("--list", action="store_true", help="list the demos and exit")
    lecture.add_argument("--fast", action="store_true", help="tiny sizes and few steps")
    lecture.add_argument("--out", default=None, help="output folder (default: lectures/out/NAME)")
    lecture.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    lecture.set_defaults(run=run_lecture)


def run_lecture(args):
    demos = list_demos()
    if not demos:
        print(f"tinygrad-edu lecture: no demos in {default_folder()}. They live in the source checkout's "
              "lectures/ folder: install with `pip install -e .` from a clone, or set TINYGRAD_EDU_LECTURES.",
              file=sys.stderr)
        return 2
    if args.list or not args.name:
        for name, path in demos.items():
            print(f"{name:24s} {_first_line(path)}")
        return 0
    if args.name not in demos:
        print(f"tinygrad-edu lecture: unknown demo {args.name!r}; one of: {', '.join(demos)}", file=sys.stderr)
        return 2
    argv = [str(demos[args.name]), "--seed", str(args.seed)] + (["--fast"] if args.fast else [])
    argv += ["--out", args.out] if args.out else []
    saved = sys.argv
    sys.argv = argv
    try:
        runpy.run_path(argv[0], run_name="__main__")
    finally:
        sys.argv = saved
    return 0


def _first_line(path):
    """The first line of a demo's docstring: its one-line summary."""
    for line in Path(path).read_text().splitlines():
        line = line.strip().strip('"').strip()
        if line and not line.startswith("#"):
            return line
    return ""
