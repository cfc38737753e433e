"""``help()`` on each op added for PyTorch parity (issue 12) shows its formula, its
shapes and where its backward math lives (a Function in a named file, or the ops it
is composed of), or says that it has no gradient."""
import pydoc
import re

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
