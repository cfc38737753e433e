"""tge.viz: the graph walk matches the engine's graph; PNG/SVG/DOT are written."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.viz import draw_graph, graph_nodes, to_dot


def sigmoid_neuron():
    w = tge.tensor([0.5, -1.0], dtype=tge.float64, requires_grad=True)
    x = tge.tensor([2.0, 1.0], dtype=tge.float64, requires_grad=True)
    b = tge.tensor(0.25, dtype=tge.float64, requires_grad=True)
    z = (w * x).sum() + b
    z.retain_grad()
    y = z.sigmoid()
    y.backward()
    return w, x, b, z, y


def test_graph_has_ops_leaves_and_forward_edges():
    w, x, b, z, y = sigmoid_neuron()
    nodes, edges = graph_nodes(y, {"w": w, "x": x, "b": b, "z": z})
    kinds = sorted(n["kind"] for n in nodes.values())
    assert kinds.count("leaf") == 3
    ops = [n["label"].split("\n")[0] for n in nodes.values() if n["kind"] == "op"]
    assert sorted(ops) == sorted(["Mul", "Sum", "Add", "Sigmoid"])
    assert len(edges) == 6  # w,x -> Mul -> Sum -> Add <- b ; Add -> Sigmoid
    out = [n for n in nodes.values() if n["depth"] == 0]
    assert len(out) == 1 and out[0]["label"].startswith("Sigmoid")
    # labels carry values and gradients after backward: dy/db = s(1-s)
    s = 1 / (1 + np.exp(-(0.5 * 2 - 1.0 + 0.25)))
    leaf_b = [n["label"] for n in nodes.values() if n["label"].startswith("b ")][0]
    assert f"grad {s * (1 - s):.4g}" in leaf_b
    z_label = [n["label"] for n in nodes.values() if "\nz " in n["label"]][0]
    assert f"grad {s * (1 - s):.4g}" in z_label  # retained intermediate gradient


def test_shared_input_gets_one_node_and_longest_depth():
    a = tge.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a + a).sum()
    nodes, edges = graph_nodes(y, {"a": a})
    leaves = [n for n in nodes.values() if n["kind"] == "leaf"]
    assert len(leaves) == 1 and leaves[0]["depth"] == 3  # Sum <- Add <- Mul <- a is the longest path


def test_draw_png_svg_and_dot(tmp_path):
    w, x, b, z, y = sigmoid_neuron()
    draw_graph(y, tmp_path / "g.png", tensors={"w": w, "x": x, "b": b})
    draw_graph(y, tmp_path / "g.svg")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "g.svg").read_text()[:2000]
    dot = to_dot(y)
    assert dot.startswith("digraph") and dot.count("->") == 6 and "Sigmoid" in dot


def test_no_graph_is_a_clear_error():
    with pytest.raises(ValueError, match="requires_grad"):
        graph_nodes(tge.tensor([1.0]))


def test_every_node_shows_value_and_gradient_when_intermediates_are_retained():
    # what lectures/backprop_by_hand.py draws: retain_grad() on p, s, z and y
    w = tge.tensor([2.0, -3.0], dtype=tge.float64, requires_grad=True)
    x = tge.tensor([-1.0, -2.0], dtype=tge.float64, requires_grad=True)
    b = tge.tensor(-3.0, dtype=tge.float64, requires_grad=True)
    p = w * x
    s = p.sum()
    z = s + b
    y = z.sigmoid()
    for t in (p, s, z, y):
        t.retain_grad()
    y.backward()
    nodes, _ = graph_nodes(y, {"w": w, "x": x, "b": b, "p": p, "s": s, "z": z, "y": y})
    labels = [n["label"] for n in nodes.values()]
    assert len(labels) == 7
    assert all("value " in label and "grad " in label and "grad -" not in label for label in labels), labels
    output = [n["label"] for n in nodes.values() if n["depth"] == 0][0]
    assert output.endswith("grad 1")  # dy/dy = 1
