"""One training epoch of every ``tinygrad-edu train NAME`` recipe against the same epoch in
PyTorch: the same model (its twin in tests/models/torch_twins.py, loaded with the same
initial weights), the same data, batches, loss and optimizer, one thread per side
(or ``--threads``).

    python benchmarks/bench_recipes_torch.py                  # every recipe, 2 rounds
    python benchmarks/bench_recipes_torch.py dncnn vgg7       # some of them
    python benchmarks/bench_recipes_torch.py --threads 2      # 2 threads a side, as users run on 2 cores
    python benchmarks/bench_recipes_torch.py --quick          # 2 batches per epoch: a smoke run, not a measurement

**The two sides.** tinygrad_edu: ``train_tasks.make_task(NAME)``, exactly what the command
trains, and its own ``train_step`` over the epoch's batches. PyTorch: the twin, with the
tinygrad_edu model's initial state_dict copied in, stepped over the *same* batch indices
of the *same* arrays (the task's), with the recipe's loss (label smoothing, BCE, the
sparsity penalty, the GAN's two steps...), Adam with the recipe's learning rate and betas,
and the recipe's augmentation (the digits' random rotation and shift, through
``affine_grid`` + ``grid_sample`` as in bench_train_torch.py). The random draws inside a
step (noise, augmentation, latent vectors) come from each side's own generator, so the
losses differ after the first step; the work per step is the same.

**What is timed.** One warm-up step (Numba's cache load, PyTorch's lazy init), then one
full epoch of the recipe's batches: wall (``perf_counter``) and CPU (``process_time``)
seconds, per epoch and per step. Validation, checkpoints and pictures are left out: this
compares the training loop itself. Each (recipe, side) runs in a fresh worker process
with ``--threads`` threads (default 1): ``torch.set_num_threads`` on PyTorch's side, and
tinygrad_edu's own setting there (``OMP_NUM_THREADS``: its tasks on that many threads,
NumPy's BLAS at one, as in a plain ``tinygrad-edu train``); within a round the side that
goes first alternates. Times are medians over rounds; the ratios are tinygrad_edu /
PyTorch of the median CPU and wall seconds. The load average is printed before and after
each recipe: on a shared machine with one thread a side read the CPU ratio; with several
threads the wall ratio (CPU seconds add up over threads, and a thread that waits may
spin).

Without PyTorch the script says so and stops; PyTorch is not a dependency of the package.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULT_PREFIX = "BENCH_RESULT "
sys.path.insert(0, ROOT)  # the checkout's tinygrad_edu (and tests/models/torch_twins.py)
sys.path.insert(0, HERE)  # bench_train_torch.py and machine_info.py, beside this script


def thread_env(threads):
    """The workers' thread settings: OpenMP and Numba at ``threads`` (tinygrad_edu's task
    threads and PyTorch's), BLAS at one (tinygrad_edu's default beside its tasks)."""
    return {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": str(threads),
            "NUMBA_NUM_THREADS": str(threads)}


# ----------------------------------------------------------------------------- both sides
def timed_epoch(step, batches):
    """One warm-up step on the first batch, then every batch once: (wall s, CPU s)."""
    step(batches[0])
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        step(batch)
    return time.perf_counter() - wall, time.process_time() - cpu


def epoch_batches(task, quick):
    batches = list(task.steps())
    return batches[:2] if quick else batches


# ----------------------------------------------------------------------------- tinygrad_edu
def tge_worker(name, quick, threads):
    from tinygrad_edu import threads as tge_threads
    from tinygrad_edu import train_tasks

    task = train_tasks.make_task(name, seed=0)
    batches = epoch_batches(task, quick)
    wall, cpu = timed_epoch(task.train_step, batches)
    used = {"tasks": tge_threads.get_num_threads(), "blas": tge_threads.get_blas_threads()}
    if used["tasks"] != threads:  # set through run_worker's environment: a mismatch would compare wrongly
        raise RuntimeError(f"bench_recipes_torch: asked for {threads} threads, tinygrad_edu used {used}")
    return {"wall": wall, "cpu": cpu, "steps": len(batches), "threads": used}


# ----------------------------------------------------------------------------- PyTorch
def twin_of(name, model):
    """The PyTorch twin of recipe ``name``'s model (the architecture of train_tasks.RECIPES)."""
    from tests.models import torch_twins as T

    twins = {
        "vgg7": lambda: T.vgg7(1, 10),
        "resnet20": lambda: T.CifarResNet(3, 10, 1),
        "lenet5": lambda: T.LeNet5(),
        "dncnn": lambda: T.DnCNN(),
        "dn_resnet": lambda: T.DNResNet(features=32, blocks=4),
        "drunet": lambda: T.DRUNet(features=(16, 32, 64, 128), blocks=1),
        "unet": lambda: T.UNet(1, 4, 8, 3, padding=1),
        "autoencoder": lambda: T.ConvAutoencoder(1, 32),
        "denoising_autoencoder": lambda: T.ConvAutoencoder(1, 32),
        "sparse_autoencoder": lambda: T.ConvAutoencoder(1, 32),
        "coordinate_mlp": lambda: T.CoordinateMLP(2, 1, 128, 3, B=model.state_dict()["encoding.B"].cpu().numpy()),
    }
    return copy_weights(twins[name](), model)


def copy_weights(twin, model):
    """Load tinygrad_edu's state_dict into the twin by key name (the same start on both sides)."""
    import torch

    state = {k: torch.from_numpy(v.cpu().numpy().copy()) for k, v in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin


def torch_step_fn(name, task):
    """The recipe's train_step, written in PyTorch on the task's own arrays."""
    import torch
    import torch.nn.functional as F
    from tinygrad_edu import train_tasks

    from bench_train_torch import torch_augment

    def adam(model, betas=(0.9, 0.999)):
        return torch.optim.Adam(model.parameters(), lr=task.lr, betas=betas)

    def update(optimizer, loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    if isinstance(task, train_tasks.GANTask):
        from tests.models import torch_twins as T

        # GANTask's networks: 16 features, 28x28 (another size fails loudly in load_state_dict)
        g = copy_weights(T.DCGANGenerator(task.latent_dim, 1, 16, 28), task.models["generator"])
        d = copy_weights(T.DCGANDiscriminator(1, 16, 28), task.models["discriminator"])
        opt_g, opt_d = adam(g, (0.5, 0.999)), adam(d, (0.5, 0.999))
        bce = torch.nn.BCEWithLogitsLoss()

        def step(idx):
            real = torch.from_numpy(task.x[idx])
            n = real.shape[0]
            fake = g(torch.randn(n, task.latent_dim))
            ones, zeros = torch.ones(n), torch.zeros(n)
            update(opt_d, bce(d(real), ones) + bce(d(fake.detach()), zeros))
            return update(opt_g, bce(d(fake), ones))
        return step

    model = twin_of(name, task.model)
    optimizer = adam(model)
    if isinstance(task, train_tasks.ClassificationTask):
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
        degrees, translate = task.augment.degrees[1], task.augment.translate[0]  # (-10, 10) degrees, 0.1

        def step(idx):
            x = torch_augment(torch.from_numpy(task.x[idx]), degrees, translate)
            return update(optimizer, loss_fn(model(x), torch.from_numpy(task.y[idx])))
    elif isinstance(task, train_tasks.DenoisingTask):
        def step(idx):
            clean = torch.from_numpy(task.clean[idx])
            noisy = clean + task.sigma * torch.randn_like(clean)
            out = model(noisy, task.sigma) if task.with_sigma else model(noisy)
            return update(optimizer, F.mse_loss(out, clean))
    elif isinstance(task, train_tasks.SegmentationTask):
        def step(idx):
            return update(optimizer, F.cross_entropy(model(torch.from_numpy(task.x[idx])), torch.from_numpy(task.y[idx])))
    elif isinstance(task, train_tasks.AutoencoderTask):
        noise_std = task.model.noise_std if name == "denoising_autoencoder" else 0.0

        def step(idx):
            x = torch.from_numpy(task.x[idx])
            code = model.encoder(x + noise_std * torch.randn_like(x) if noise_std else x)
            loss = F.binary_cross_entropy(model.decoder(code), x)
            if task.sparsity:
                loss = loss + task.sparsity * code.abs().mean()
            return update(optimizer, loss)
    elif isinstance(task, train_tasks.CoordinateTask):
        coords, target = torch.from_numpy(task.coords.cpu().numpy()), torch.from_numpy(task.target.cpu().numpy())

        def step(_):
            return update(optimizer, F.mse_loss(model(coords), target))
    else:
        raise ValueError(f"bench_recipes_torch: no PyTorch loop for the task of recipe {name!r} "
                         f"({type(task).__name__}); add one to torch_step_fn")
    return step


def torch_worker(name, quick, threads):
    import torch
    from tinygrad_edu import train_tasks

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    task = train_tasks.make_task(name, seed=0)  # the data, batches and initial weights of the command
    batches = epoch_batches(task, quick)
    wall, cpu = timed_epoch(torch_step_fn(name, task), batches)
    return {"wall": wall, "cpu": cpu, "steps": len(batches), "threads": {"torch": torch.get_num_threads()}}


# ----------------------------------------------------------------------------- parent
def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def run_worker(side, name, quick, threads):
    env = dict(os.environ, PYTHONPATH=ROOT, **thread_env(threads))
    command = [sys.executable, os.path.abspath(__file__), "--worker", side, name, "--threads", str(threads)]
    command += ["--quick"] if quick else []
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench_recipes_torch: the {side} worker for {name!r} failed "
                           f"(exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def main(argv=None):
    from tinygrad_edu.train_tasks import RECIPES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(RECIPES), help="recipes (default: all)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2 batches per epoch, 1 round: a smoke run")
    parser.add_argument("--threads", type=int, default=1, help="threads per side (default 1)")
    parser.add_argument("--json", help="also write the raw times here")
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be a positive number, got {args.threads}")
    if args.worker:
        side, name = args.worker
        result = (tge_worker if side == "tge" else torch_worker)(name, args.quick, args.threads)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0
    unknown = [n for n in args.names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {unknown}; choose from {sorted(RECIPES)}")
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("bench_recipes_torch: PyTorch is not importable here, so there is nothing to compare with; "
              "it is optional: pip install 'torch==2.13.0'")
        return 1
    import machine_info

    rounds = 1 if args.quick else args.rounds
    print(f"machine: {machine_info.machine()}, torch {probe.stdout.strip()}")
    print(f"command: python benchmarks/bench_recipes_torch.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    settings = ", ".join(f"{k}={v}" for k, v in thread_env(args.threads).items())
    print(f"{args.threads} thread(s) per side ({settings}; torch.set_num_threads({args.threads})), {rounds} round(s)"
          + (", QUICK: 2 batches, not a measurement" if args.quick else ""))
    print("| recipe | steps / epoch | tinygrad_edu wall s | tinygrad_edu CPU s | PyTorch wall s | PyTorch CPU s "
          "| ratio (CPU) | ratio (wall) | load before -> after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |", flush=True)
    raw = {}
    for name in args.names:
        before = load_average()
        runs = {"tge": [], "torch": []}
        for r in range(rounds):
            for side in (("tge", "torch") if r % 2 == 0 else ("torch", "tge")):
                runs[side].append(run_worker(side, name, args.quick, args.threads))
        raw[name] = runs
        med = {side: {k: statistics.median(run[k] for run in runs[side]) for k in ("wall", "cpu")} for side in runs}
        print(f"| {name} | {runs['tge'][0]['steps']} | {med['tge']['wall']:.2f} | {med['tge']['cpu']:.2f} | "
              f"{med['torch']['wall']:.2f} | {med['torch']['cpu']:.2f} | {med['tge']['cpu'] / med['torch']['cpu']:.1f} | "
              f"{med['tge']['wall'] / med['torch']['wall']:.1f} | "
              f"{before} -> {load_average()} |", flush=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
