"""The digits GAN demo (lectures/gan_digits.py) in --fast mode: its figures are real PNGs of
the stated size and its numbers are all there, finite and in range.

The fast mode (48 alternating steps) is too short to make digits, so no check here asks the
samples to cover classes; lectures/README.md gives the full-mode numbers.
"""
import json
import math
import runpy
import struct
import sys

import numpy as np
import pytest

from tinygrad_edu import lectures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYS = {"classes_covered", "classes_covered_at_start", "classes_covered_real", "confident_fraction",
        "confident_fraction_at_start", "confident_fraction_real", "d_accuracy", "d_accuracy_at_start",
        "d_accuracy_max", "d_accuracy_second_half_mean", "classifier_accuracy", "steps"}


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan_digits")
    saved = sys.argv
    sys.argv = [str(lectures.list_demos()["gan_digits"]), "--fast", "--out", str(out)]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.argv = saved
    return out, json.loads((out / "claim.json").read_text())


def png_size(path):
    """(width, height) from the PNG header; fails unless the file starts like a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_samples_grid_is_an_8x8_grid_of_28x28_digits(fast_run):
    import matplotlib.image

    out, _ = fast_run
    path = out / "gan_digits_samples.png"
    assert png_size(path) == (8 * (28 + 2) + 2,) * 2
    pixels = matplotlib.image.imread(path)  # decodes the whole file
    assert pixels.shape[:2] == (242, 242)
    assert np.all(pixels[:2, :, :3] == 1.0), "the grid's top border should be white"
    assert pixels[2:30, 2:30, :3].std() > 0, "the first sample is a blank square"


def test_summary_figure_is_a_png(fast_run):
    import matplotlib.image

    out, _ = fast_run
    width, height = png_size(out / "gan_digits.png")
    assert width > 3 * height > 600  # four panels side by side
    assert matplotlib.image.imread(out / "gan_digits.png").shape[:2] == (height, width)


def test_numbers_are_finite_and_in_range(fast_run):
    _, record = fast_run
    n = record["numbers"]
    assert set(n) == KEYS
    assert all(math.isfinite(v) for v in n.values()), n
    for key in ("classes_covered", "classes_covered_at_start", "classes_covered_real"):
        assert 0 <= n[key] <= 10 and n[key] == int(n[key]), (key, n[key])
    for key in KEYS - {"classes_covered", "classes_covered_at_start", "classes_covered_real", "steps"}:
        assert 0.0 <= n[key] <= 1.0, (key, n[key])
    assert n["steps"] == 3 * (512 // 32)
    assert n["d_accuracy_max"] >= max(n["d_accuracy"], n["d_accuracy_at_start"])


def test_the_judge_is_trustworthy_even_in_fast_mode(fast_run):
    # the classifier that labels the samples must recognise real digits of most classes
    n = fast_run[1]["numbers"]
    assert n["classifier_accuracy"] > 0.7
    assert n["classes_covered_real"] >= 8
    # untrained generator: its samples are not digits to the classifier
    assert n["classes_covered_at_start"] <= 2
