"""``help()`` on each op added for PyTorch parity, and on every public nn layer and
``nn.functional`` op (issue 12), shows its formula, its shapes and where its backward
math lives (a Function in a named file, or the ops it is composed of), or says that it
has no gradient. Containers and wrappers with no math of their own are listed in
``EXEMPT`` with the reason."""
import importlib
import inspect
import pydoc
import re
from pathlib import Path

import pytest

import tinygrad_edu as tge
import tinygrad_edu.nn.functional as F

DIFFERENTIABLE = {
    "tge.einsum": tge.einsum, "tge.sort": tge.sort, "tge.topk": tge.topk, "tge.cumsum": tge.cumsum,
    "tge.cumprod": tge.cumprod, "tge.prod": tge.prod, "tge.tril": tge.tril, "tge.triu": tge.triu,
    "tge.diag": tge.diag, "tge.outer": tge.outer, "tge.baddbmm": tge.baddbmm, "tge.gather": tge.gather,
    "tge.scatter": tge.scatter, "tge.scatter_add": tge.scatter_add, "tge.index_select": tge.index_select,
    "tge.take_along_dim": tge.take_along_dim, "Tensor.unfold": tge.ops.gather.unfold,
    "tge.linalg.vector_norm": tge.linalg.vector_norm, "tge.linalg.norm": tge.linalg.norm,
    "F.unfold": F.unfold, "F.fold": F.fold, "F.normalize": F.normalize, "F.cosine_similarity": F.cosine_similarity,
    "F.pairwise_distance": F.pairwise_distance, "F.scaled_dot_product_attention": F.scaled_dot_product_attention,
    "F.gumbel_softmax": F.gumbel_softmax,
}
NOT_DIFFERENTIABLE = {"F.one_hot": F.one_hot, "tge.argsort": tge.argsort, "tge.isclose": tge.isclose}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_help_shows_formula_shapes_and_backward(name):
    text = pydoc.render_doc(DIFFERENTIABLE[name], renderer=pydoc.plaintext)
    assert re.search(r"\bShapes?\b", text), f"help({name}) names no shapes"
    assert "Backward" in text, f"help({name}) does not say where the backward is"
    assert re.search(r"(ops|kernels)/\w+\.py", text), f"help({name}) names no file for the backward math"
    assert re.search(r"[=^*/]|sum|product", text), f"help({name}) shows no formula"


@pytest.mark.parametrize("name", sorted(NOT_DIFFERENTIABLE))
def test_help_of_non_differentiable_ops_says_so(name):
    text = pydoc.render_doc(NOT_DIFFERENTIABLE[name], renderer=pydoc.plaintext)
    assert re.search(r"[Nn]o gradient", text), f"help({name}) does not say it has no gradient"


# ---------------------------------------------------------------- every nn layer and F op
# Found by enumeration, so a new layer or functional op without these docs fails here.
# The check reads the object's own docstring, the text help() opens with: help() on a
# class goes on to list the inherited Module methods, whose docstrings would otherwise
# satisfy the checks for a layer that documents nothing itself.
EXEMPT = {
    "nn.Module": "the base class: no math of its own",
    "nn.Sequential": "a container: calls its children in turn, each documents its own math",
    "nn.ModuleList": "a container: holds modules, has no forward",
    "nn.ModuleDict": "a container: holds modules, has no forward",
    "nn.DataParallel": "a wrapper: forward calls the wrapped module on the whole batch",
    "nn.RNNBase": "abstract: the loop shared by RNN, LSTM and GRU (its _step raises), which document the math",
}


def _public_layers():
    return {f"nn.{name}": obj for name, obj in vars(tge.nn).items()
            if not name.startswith("_") and inspect.isclass(obj) and issubclass(obj, tge.nn.Module)}


def _public_functions():
    return {f"F.{name}": obj for name, obj in vars(F).items() if not name.startswith("_") and inspect.isfunction(obj)}


LAYERS, FUNCTIONS = _public_layers(), _public_functions()
DOCUMENTED = {name: obj for name, obj in {**LAYERS, **FUNCTIONS}.items() if name not in EXEMPT}
PACKAGE = Path(tge.__file__).parent


def test_the_enumeration_finds_the_layers_and_ops():
    assert {"nn.Linear", "nn.Conv2d", "nn.LSTM", "nn.ZeroPad2d", "nn.Module"} <= set(LAYERS)
    assert {"F.linear", "F.relu", "F.cross_entropy", "F.pad", "F.one_hot"} <= set(FUNCTIONS)
    assert set(EXEMPT) <= set(LAYERS), f"exempt but not public: {set(EXEMPT) - set(LAYERS)}"


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_help_of_every_layer_and_functional_op(name):
    text = inspect.cleandoc(DOCUMENTED[name].__doc__ or "")
    assert text, f"{name} has no docstring"
    assert re.search(r"\bShapes?\b", text), f"help({name}) names no shapes"
    assert re.search(r"[=^*/]|sum|product", text), f"help({name}) shows no formula"
    if re.search(r"[Nn]o gradient", text):
        return
    assert "Backward" in text, f"help({name}) does not say where the backward is (or that there is no gradient)"
    files = re.findall(r"\b((?:ops|kernels|nn)/\w+\.py)", text)
    assert files, f"help({name}) names no file for the backward math"
    for path in files:
        assert (PACKAGE / path).is_file(), f"help({name}) names {path}, which is not in tinygrad_edu/"
    # "ops/x.py (Name" names a Function (or function) that file defines
    for folder, module, first in re.findall(r"\b(ops|kernels)/(\w+)\.py \((\w+)", text):
        home = importlib.import_module(f"tinygrad_edu.{folder}.{module}")
        assert hasattr(home, first), f"help({name}) names {first} in {folder}/{module}.py, which does not define it"
