"""``summary(model, input_size)``: a per-layer table of output shapes and parameter
counts (like torchinfo or Keras' ``model.summary()``).

It runs one forward pass on a random input of the given size, with a forward
pre-hook (to list the layers in call order, parents before children) and a forward
hook (to record each output's shape) on every module. The pass runs in evaluation
mode and without a graph, so it changes no running statistics and no gradients;
each module's training flag is restored afterwards.
"""
from .. import creation
from ..autograd import grad_mode
from ..random import Generator
from ..tensor import Tensor

_WIDTHS = (40, 25, 15)


class LayerInfo:
    """One row: a module call with its depth in the tree and its output shape."""

    def __init__(self, name, module, depth, repeated):
        self.name = name
        self.module = module
        self.type = type(module).__name__
        self.depth = depth
        self.repeated = repeated  # a second call of the same module (weights shared)
        self.output_shape = None
        self.is_leaf = not any(True for _ in module.children())
        params = list(module.parameters())
        self.num_params = sum(p.numel() for p in params)  # with the children's
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.own_params = sum(p.numel() for p in module.parameters(recurse=False))

    def params_text(self):
        """A leaf's parameter count; for a parent only its own parameters (its
        children have their rows), "--" when it has none."""
        if self.repeated:
            return "(recursive)"
        count = self.num_params if self.is_leaf else self.own_params
        return "--" if not self.is_leaf and count == 0 else f"{count:,}"


class ModelSummary:
    """The result of ``summary``: ``rows`` (``LayerInfo``), ``total_params``,
    ``trainable_params``, ``non_trainable_params``, ``params_bytes``; ``str()`` is the table."""

    def __init__(self, model, rows, input_sizes, depth):
        self.model_name = type(model).__name__
        self.rows = rows
        self.input_sizes = input_sizes
        self.depth = depth
        params = list(model.parameters())  # shared parameters once
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.non_trainable_params = self.total_params - self.trainable_params
        self.params_bytes = sum(p.numel() * p.dtype.itemsize for p in params)

    def __str__(self):
        width = sum(_WIDTHS)
        rule, thin = "=" * width, "-" * width
        header = "Layer (type)".ljust(_WIDTHS[0]) + "Output Shape".ljust(_WIDTHS[1]) + "Param #".rjust(_WIDTHS[2])
        lines = [rule, header, rule]
        for row in self.rows:
            if row.depth > self.depth:
                continue
            label = row.type if row.depth == 0 else "  " * (row.depth - 1) + f"{row.type} ({row.name})"
            shape = "--" if row.output_shape is None else str(row.output_shape)
            lines.append(label.ljust(_WIDTHS[0]) + shape.ljust(_WIDTHS[1]) + row.params_text().rjust(_WIDTHS[2]))
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            thin,
            f"Input size: {', '.join(str(list(s)) for s in self.input_sizes)}",
            f"Params size (MB): {self.params_bytes / 1e6:.2f}",
            rule,
        ]
        return "\n".join(lines)

    __repr__ = __str__


def _shape_of(output):
    if isinstance(output, Tensor):
        return list(output.shape)
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    return None


def _make_inputs(model, input_size, dtypes, device):
    """Random inputs of the given sizes (integer dtypes: zeros, valid as indices)."""
    sizes = [tuple(input_size)] if all(isinstance(s, int) for s in input_size) else [tuple(s) for s in input_size]
    if dtypes is None:
        dtypes = [None] * len(sizes)
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else None
    generator = Generator().manual_seed(0)  # leaves the global random state alone
    inputs = []
    for size, dtype in zip(sizes, dtypes):
        if dtype is not None and str(dtype).startswith(("int", "uint")):
            inputs.append(creation.zeros(*size, dtype=dtype, device=device))
        else:
            inputs.append(creation.randn(*size, generator=generator, dtype=dtype, device=device))
    return inputs


def summary(model, input_size=None, input_data=None, dtypes=None, device=None, depth=3, verbose=1):
    """Print (``verbose=1``) and return a ``ModelSummary`` of ``model`` applied to an
    input of ``input_size`` (batch dim included, e.g. ``(1, 3, 32, 32)``; a list of
    sizes for several inputs) or to the given ``input_data`` (a tensor or a list of
    tensors). Rows deeper than ``depth`` are left out of the table, not of the totals."""
    if input_data is not None:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    elif input_size is not None:
        inputs = _make_inputs(model, input_size, dtypes, device)
    else:
        raise ValueError("summary: give input_size (e.g. (1, 3, 32, 32)) or input_data")

    names = {}
    for name, module in model.named_modules():
        names.setdefault(module, name)
    rows, pending, seen, handles = [], [], set(), []

    def before(module, args):
        row = LayerInfo(names.get(module, "?"), module, len(pending), module in seen)
        seen.add(module)
        rows.append(row)
        pending.append(row)

    def after(module, args, output):
        row = pending.pop()
        row.output_shape = _shape_of(output)

    modes = {m: m.training for m in model.modules()}
    try:
        for module in model.modules():
            handles.append(module.register_forward_pre_hook(before))
            handles.append(module.register_forward_hook(after))
        model.eval()
        with grad_mode.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes.items():
            module.training = mode
    result = ModelSummary(model, rows, [tuple(t.shape) for t in inputs], depth)
    if verbose:
        print(result)
    return result
