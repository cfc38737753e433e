"""Images last or images first: the two column orders of ops/conv.py, timed on small layers.

    python benchmarks/bench_columns_order.py               # the twentieth session's 31 layers
    python benchmarks/bench_columns_order.py --quick       # three layers, a few repeats (a smoke test)

A convolution with short output rows can build its im2col columns with the images last
(kernels/unfold.py), which makes im2col's innermost run the batch instead of a row, but
then copies the output (or g) to and from (OC, OH, OW, N). ``conv._images_last`` decides
which, from the row length OW, the columns' K rows and the OC channels transposed.
Here every layer runs conv2d forward + backward (3x3, padding 1, float32) with each
order forced, alternately (last, first, last, first), ``--repeats`` timed steps each;
per order the smaller of its two medians. Printed: both times, their ratio and the
order the rule picks for the layer, and whether that is the faster one. The layers are
small enough (under ops/conv.py's PARALLEL_BYTES of columns) to run on one thread.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu.ops import conv  # noqa: E402

from machine_info import machine  # noqa: E402

SCHEMA = "tinygrad_edu.bench_columns_order/1"

# (N, C, OC, H = W, does x need a gradient): first layers (C = 1-3, no dL/dx), then wider ones,
# at the row lengths where the rule's two cases meet (4-6, 8, 12-16)
LAYERS = [
    (32, 1, 64, 4, False), (32, 1, 32, 4, False), (32, 1, 16, 4, False), (32, 2, 32, 4, True), (32, 3, 32, 4, True),
    (32, 4, 32, 4, True), (32, 32, 64, 4, True), (32, 64, 64, 4, True),
    (32, 1, 32, 5, False), (32, 1, 16, 5, False), (32, 8, 32, 5, True),
    (32, 1, 32, 6, False), (32, 4, 32, 6, True),
    (32, 1, 32, 8, False), (32, 2, 32, 8, True), (32, 3, 32, 8, True), (32, 4, 32, 8, True), (32, 3, 16, 8, True),
    (32, 6, 32, 8, True), (32, 8, 32, 8, True), (32, 12, 32, 8, True), (32, 8, 16, 8, True), (32, 16, 32, 8, True),
    (64, 1, 32, 12, False), (64, 3, 32, 12, True), (64, 8, 32, 12, True),
    (64, 1, 16, 16, False), (64, 3, 32, 16, True), (64, 4, 32, 16, True), (64, 8, 32, 16, True), (64, 16, 16, 16, True),
]
QUICK_LAYERS = [(32, 1, 32, 8, False), (32, 32, 64, 4, True), (8, 2, 4, 4, True)]


def median_us(step, repeats):
    """Median microseconds of ``step`` over ``repeats`` calls, after a few untimed ones."""
    for _ in range(max(3, repeats // 10)):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def rule_pick(n, c, oc, hw):
    """The order ops/conv.py picks for the forward of this layer (its slices, K and OC)."""
    k = c * 9
    slices = conv._batch_slices(n, k, (hw, hw), np.dtype(np.float32))
    return "last" if conv._images_last(slices, (hw, hw), k, oc) else "first"


def time_layer(n, c, oc, hw, x_grad, repeats, rng):
    """{"last": us, "first": us}: conv2d fwd+bwd with each column order forced."""
    x = tge.tensor(rng.standard_normal((n, c, hw, hw)).astype(np.float32), requires_grad=x_grad)
    w = tge.tensor((rng.standard_normal((oc, c, 3, 3)) * 0.1).astype(np.float32), requires_grad=True)
    g = tge.tensor(rng.standard_normal((n, oc, hw, hw)).astype(np.float32))

    def step():
        tge.nn.functional.conv2d(x, w, padding=1).backward(g)
        x.grad = w.grad = None

    rule = conv._images_last
    best = {"last": float("inf"), "first": float("inf")}
    try:
        for order in ("last", "first", "last", "first"):  # alternated: a slow episode hits both
            conv._images_last = lambda *args, order=order: order == "last"
            best[order] = min(best[order], median_us(step, repeats))
    finally:
        conv._images_last = rule
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="three layers, 5 repeats: a smoke test")
    p.add_argument("--repeats", type=int, default=150, help="timed steps per order and turn")
    p.add_argument("--json", default=None, help="write the results here")
    args = p.parse_args(argv)
    layers, repeats = (QUICK_LAYERS, 5) if args.quick else (LAYERS, args.repeats)
    print("machine:", machine())
    print("command: python benchmarks/bench_columns_order.py", " ".join(sys.argv[1:] if argv is None else argv))
    print("load average before (1, 5, 15 min):", [round(v, 2) for v in os.getloadavg()])
    print("| N | C -> OC | OH x OW | K/OC | images last us | images first us | last/first | the rule picks | the faster? |")
    print("|---|---|---|---:|---:|---:|---:|---|---|")
    rng = np.random.default_rng(0)
    rows = []
    for n, c, oc, hw, x_grad in layers:
        t = time_layer(n, c, oc, hw, x_grad, repeats, rng)
        pick = rule_pick(n, c, oc, hw)
        faster = "last" if t["last"] < t["first"] else "first"
        rows.append(dict(n=n, c=c, oc=oc, hw=hw, x_grad=x_grad, last_us=t["last"], first_us=t["first"],
                         ratio=t["last"] / t["first"], rule=pick, faster=faster))
        print(f"| {n} | {c} -> {oc} | {hw}x{hw} | {c * 9 / oc:.2f} | {t['last']:.0f} | {t['first']:.0f} | "
              f"{t['last'] / t['first']:.2f} | {pick} | {'yes' if pick == faster else 'no'} |")
    print("load average after:", [round(v, 2) for v in os.getloadavg()])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(schema=SCHEMA, machine=machine(), repeats=repeats, layers=rows), f, indent=1)
        print("JSON:", args.json)


if __name__ == "__main__":
    main()
