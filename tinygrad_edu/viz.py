"""Draw the computational graph of a small computation (for the backprop lectures).

    x = tge.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sigmoid().sum()
    y.backward()
    tge.viz.draw_graph(y, "graph.png", tensors={"x": x})   # PNG or SVG, matplotlib only
    print(tge.viz.to_dot(y))                                # DOT text for Graphviz users

The graph is read the way the engine (``autograd/engine.py``) reads it: from the output's
``grad_fn`` along each node's ``next_functions`` down to the leaves' ``AccumulateGrad``
nodes. An op node knows its output's shape (``_input_meta`` / ``_output_meta``) but not
its values, so values and gradients are shown for the leaves (their ``variable``), the
output, and any intermediate tensor passed in ``tensors`` (call ``.retain_grad()`` on it
before backward to see its gradient). Arrows point forward: inputs -> op -> output.
"""
import numpy as np

from .autograd.function import AccumulateGrad, leaf_accumulator


def graph_nodes(output, tensors=None):
    """The graph behind ``output`` as ``(nodes, edges)``.

    ``nodes``: ``{key: {"label": str, "kind": "leaf" | "op", "depth": int}}`` where depth is
    the longest path from the output (the output's node has depth 0).
    ``edges``: ``[(from_key, to_key)]`` in the forward direction (input -> consumer).
    """
    if output.grad_fn is None and not output.requires_grad:
        raise ValueError("draw_graph: the tensor has no graph (it does not require grad); "
                         "build it from tensors with requires_grad=True")
    named = {}  # (node, output_nr) -> (name, tensor) for tensors the caller named
    for name, t in (tensors or {}).items():
        if t.grad_fn is not None:
            named[(t.grad_fn, t._output_nr)] = (name, t)
    root = output.grad_fn
    if root is None:  # the output is itself a leaf
        root = leaf_accumulator(output)
    named.setdefault((root, output._output_nr if output.grad_fn is not None else 0), ("output", output))
    leaf_names = {id(t): name for name, t in (tensors or {}).items() if t.grad_fn is None}

    depth, edges, order = {root: 0}, [], [root]
    i = 0
    while i < len(order):  # breadth-first; depth = longest distance from the output
        node = order[i]
        i += 1
        for child, _ in getattr(node, "next_functions", ()):
            if child is None:
                continue
            edges.append((id(child), id(node)))
            if child not in depth:
                order.append(child)
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
    # relax once more so longest paths settle (graphs here are small)
    for _ in range(len(order)):
        changed = False
        for node in order:
            for child, _ in getattr(node, "next_functions", ()):
                if child is not None and depth[child] < depth[node] + 1:
                    depth[child] = depth[node] + 1
                    changed = True
        if not changed:
            break

    nodes = {}
    for node in order:
        if isinstance(node, AccumulateGrad):
            t = node.variable
            name = leaf_names.get(id(t), "leaf")
            label = f"{name} {tuple(t.shape)}\nvalue {_short(t.array)}\ngrad {_short(t.grad.array) if t.grad is not None else '-'}"
            nodes[id(node)] = {"label": label, "kind": "leaf", "depth": depth[node]}
        else:
            lines = [node.name().replace("Backward", "")]
            for nr, meta in enumerate(node._output_meta):
                if (node, nr) in named:
                    name, t = named[(node, nr)]
                    grad = t.grad.array if t.grad is not None else None
                    lines += [f"{name} {tuple(t.shape)}", f"value {_short(t.array)}",
                              f"grad {_short(grad) if grad is not None else '-'}"]
                else:
                    lines.append(f"out {tuple(meta[0])}")
            nodes[id(node)] = {"label": "\n".join(lines), "kind": "op", "depth": depth[node]}
    return nodes, list(dict.fromkeys(edges))


def _short(array, digits=4):
    """A value for a node label: the number for a scalar, else the first entries."""
    a = np.asarray(array.get() if hasattr(array, "get") else array)
    if a.size == 1:
        return f"{float(a.reshape(())):.{digits}g}"
    flat = ", ".join(f"{v:.3g}" for v in a.reshape(-1)[:3])
    return f"[{flat}{', ...' if a.size > 3 else ''}]"


def to_dot(output, tensors=None):
    """The graph as Graphviz DOT text (``dot -Tpng`` renders it; not needed here)."""
    nodes, edges = graph_nodes(output, tensors)
    lines = ["digraph G {", "  rankdir=LR;"]
    for key, n in nodes.items():
        shape = "box" if n["kind"] == "op" else "ellipse"
        label = n["label"].replace('"', r'\"').replace("\n", r"\n")
        lines.append(f'  n{key} [shape={shape}, label="{label}"];')
    lines += [f"  n{a} -> n{b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(output, path=None, tensors=None, title=None):
    """Draw the graph of ``output`` with matplotlib; save to ``path`` (.png or .svg) if given.

    Leaves (ellipse-like, blue) on the left, ops (boxes, orange) in columns by depth, the
    output on the right. Returns the matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt  # pyplot is slow to import; only drawing needs it

    nodes, edges = graph_nodes(output, tensors)
    max_depth = max(n["depth"] for n in nodes.values())
    columns = {}
    for key, n in nodes.items():
        columns.setdefault(max_depth - n["depth"], []).append(key)
    pos = {}
    for col, keys in columns.items():
        for row, key in enumerate(keys):
            pos[key] = (col * 3.0, -(row - (len(keys) - 1) / 2) * 1.8)

    fig, ax = plt.subplots(figsize=(2.6 * (max_depth + 1) + 1, 1.4 * max(len(k) for k in columns.values()) + 1.5))
    boxes = {}
    for key, n in nodes.items():
        style = dict(boxstyle="round,pad=0.4", fc="#dbe9f6" if n["kind"] == "leaf" else "#fde3c8", ec="0.3")
        boxes[key] = ax.text(*pos[key], n["label"], ha="center", va="center", fontsize=8, family="monospace",
                             bbox=style)
    for a, b in edges:  # from the right edge of the input's box to the left edge of its consumer's
        # (anchored to the text boxes, so arrows end at the box whatever its width)
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[b], xytext=(1, 0.5), textcoords=boxes[a],
                    arrowprops=dict(arrowstyle="-|>", color="0.4", shrinkA=6, shrinkB=6, lw=1.2))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.6, max(xs) + 1.6)
    ax.set_ylim(min(ys) - 1.2, max(ys) + 1.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    return fig
