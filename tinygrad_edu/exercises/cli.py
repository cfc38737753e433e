"""``tinygrad-edu exercises``: release the student tree, grade a submission.

    tinygrad-edu exercises release OUT [--assignment N]
    tinygrad-edu exercises grade SUBMISSION_DIR --out results.json [--assignment N] [--task 2.3 ...] [--run-as USER]

Run as root (Gradescope does), the grader runs student code as ``nobody`` unless
``--run-as`` names another user; ``--run-as root`` is the explicit, unsafe opt-out.
"""
from pathlib import Path

from .grade import grade
from .manifest import DEFAULT_MANIFEST
from .markers import MarkerError
from .release import release
from .sandbox import Limits


def add_exercises_parser(commands):
    parser = commands.add_parser(
        "exercises", help="release the exercises, grade a submission",
        description="Exercises generated from the marked solutions of the reference code, and their autograder.")
    sub = parser.add_subparsers(dest="exercises_command", metavar="ACTION", required=True)

    rel = sub.add_parser("release", help="write the student tree (stubs, public tests, READMEs)")
    rel.add_argument("out", type=Path, help="folder to create (must not exist or be empty)")
    rel.add_argument("--assignment", type=int, help="release this assignment (earlier ones solved); default: all")
    rel.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="tasks.toml (default: %(default)s)")
    rel.set_defaults(run=run_release)

    grade = sub.add_parser("grade", help="grade a submission; writes Gradescope's results.json")
    grade.add_argument("submission", type=Path, help="folder holding the submitted tinygrad_edu/")
    grade.add_argument("--out", type=Path, required=True, help="results.json to write")
    grade.add_argument("--assignment", type=int, help="grade only this assignment's tasks")
    grade.add_argument("--task", action="append", dest="tasks", metavar="A.B", help="grade only this task (repeatable)")
    grade.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="tasks.toml (default: %(default)s)")
    grade.add_argument("--seed", type=int, help="seed of the hidden cases (default: a fresh secret one per run)")
    grade.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds per task (default: 60)")
    grade.add_argument("--memory-mib", type=int, default=3072, help="address-space limit per task (default: 3072)")
    grade.add_argument("--jobs", type=int, default=1, help="tasks graded at once, at most the CPU count (default: 1)")
    grade.add_argument("--run-as", metavar="USER",
                       help="run student code as this user (needs the grader to run as root). As root the default is "
                            "'nobody' (an error if that user does not exist); '--run-as root' runs student code as "
                            "root: unsafe, the process limit is not enforced and every file is readable")
    grade.set_defaults(run=run_grade)


def run_release(args):
    try:
        release(args.out, args.assignment, args.manifest)
    except (MarkerError, FileExistsError, ValueError) as e:
        print(f"tinygrad-edu exercises release: {e}")
        return 2
    return 0


def run_grade(args):
    limits = Limits(memory_mib=args.memory_mib, cpu_s=max(1, int(args.timeout)), wall_s=args.timeout, run_as=args.run_as)
    try:
        grade(args.submission, args.out, args.manifest, args.assignment, set(args.tasks) if args.tasks else None,
              args.seed, limits, args.jobs)
    except (ValueError, RuntimeError) as e:  # who runs student code: the grader's set-up, not the submission
        print(f"tinygrad-edu exercises {e}")
        return 2
    return 0
