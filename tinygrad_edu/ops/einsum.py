"""``einsum``: sums of products named by index letters, whose gradient is again an einsum."""
import string

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor


def parse_equation(equation, shapes):
    """``equation`` in explicit form, one string of letters per operand and the output
    (``"ij,jk->ik"`` gives ``(["ij", "jk"], "ik")``), with ``...`` replaced by letters
    the equation does not use (the broadcast dims, right-aligned) and the implicit output (no ``->``: the
    letters used once, in alphabetical order, after the ``...`` dims) written out."""
    equation = equation.replace(" ", "")
    lhs, arrow, out = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError(f"einsum: the equation {equation!r} names {len(inputs)} operands but {len(shapes)} were given")
    n_ellipsis = max((len(s) - len(term.replace("...", "")) for term, s in zip(inputs, shapes) if "..." in term), default=0)
    ellipsis = "".join([c for c in string.ascii_uppercase + string.ascii_lowercase if c not in equation][:n_ellipsis])
    explicit = []
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        if "..." in term:
            k_dims = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[n_ellipsis - k_dims:] if k_dims else "")
        if not all(c in string.ascii_letters for c in term) or len(term) != len(shape):
            raise RuntimeError(
                f"einsum: the subscripts {inputs[k]!r} of operand {k} do not fit its shape {tuple(shape)} "
                "(one letter per dim, '...' for any number of leading dims)"
            )
        explicit.append(term)
    if arrow:
        out = out.replace("...", ellipsis)
    else:
        letters = "".join(explicit)
        out = ellipsis + "".join(sorted(c for c in set(letters) if c not in ellipsis and letters.count(c) == 1))
    for c in out:
        if not any(c in term for term in explicit):
            raise RuntimeError(f"einsum: output subscript {c!r} in {equation!r} does not appear in any operand")
    if len(set(out)) != len(out):
        raise RuntimeError(f"einsum: output subscripts in {equation!r} must be distinct")
    return explicit, out


def letter_sizes(terms, shapes):
    """The size of each letter: the largest over the operands (size-1 dims broadcast)."""
    sizes = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            sizes[c] = max(sizes.get(c, 1), n)
    return sizes


class Einsum(Function):
    """z = einsum("t_1,...,t_n->o", x_1, ..., x_n): for each assignment of the letters,
    multiply one element of every operand and add the products into z[o].

    Backward. z is linear in each operand, and the product of the others is its
    coefficient, so the gradient of x_k is the same sum with g in the place of x_k and
    x_k's letters as the output:
        dL/dx_k = einsum("o,t_1,...(t_k left out)...,t_n->t_k", g, x_1, ..., x_n)
    Two things einsum cannot write as an output need one more step each:
    - a letter only x_k has (summed away in z: "ij->i") appears nowhere on the right:
      the gradient is constant along it, so it is broadcast over it afterwards (so is
      a letter the other operands have only with size 1);
    - a letter twice in t_k (a diagonal: "ii->i"): the second copy is renamed, say i -> I,
      and the identity matrix delta[i, I] joins the operands, so only the diagonal
      gets a gradient.
    Size-1 dims that einsum broadcast are summed back by the engine.
    """

    @staticmethod
    def forward(ctx, equation, *operands):
        xp = get_array_module(*operands)
        terms, out = parse_equation(equation, [o.shape for o in operands])
        ctx.terms, ctx.out = terms, out
        ctx.sizes = letter_sizes(terms, [o.shape for o in operands])
        ctx.save_for_backward(*operands)
        return xp.asarray(xp.einsum(",".join(terms) + "->" + out, *operands))

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        xp = get_array_module(g)
        grads = [None]
        for k, term in enumerate(ctx.terms):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            target, deltas = _distinct_letters(term, set(ctx.sizes))
            others = [(t, o) for j, (t, o) in enumerate(zip(ctx.terms, operands)) if j != k]
            specs = [ctx.out] + [t for t, _ in others] + [a + b for a, b in deltas]
            known = set("".join(specs))
            present = "".join(c for c in target if c in known)
            arrays = [g] + [o for _, o in others] + [xp.eye(ctx.sizes[a], dtype=g.dtype) for a, _ in deltas]
            grad = xp.einsum(",".join(specs) + "->" + present, *arrays)
            full = [ctx.sizes[c] for c in term]  # a renamed letter has its original's size
            if present != target or list(grad.shape) != full:
                # letters only this operand had, or dims only it had at full size: broadcast
                kept = [grad.shape[present.index(c)] if c in known else 1 for c in target]
                grad = xp.broadcast_to(grad.reshape(kept), full)
            grads.append(xp.ascontiguousarray(grad).astype(g.dtype, copy=False))
        return tuple(grads)


def _distinct_letters(term, used):
    """``term`` with every repeated letter renamed to a fresh one, and the pairs
    (original, renamed) that must be equal (an identity matrix each)."""
    fresh = (c for c in string.ascii_letters if c not in used and c not in term)
    seen, target, deltas = set(), "", []
    for c in term:
        if c in seen:
            new = next(fresh)
            deltas.append((c, new))
            target += new
        else:
            seen.add(c)
            target += c
    return target, deltas


def einsum(equation, *operands):
    """``torch.einsum(equation, *operands)`` (or ``einsum(equation, [a, b])``).

    ``"ij,jk->ik"`` is a matrix product, ``"bij,bjk->bik"`` a batched one, ``"ii->"``
    a trace, ``"i,j->ij"`` an outer product; ``...`` stands for leading dims. Shapes:
    each operand has one letter per dim; the output has the letters after ``->`` (or,
    without ``->``, the letters used once, alphabetically). Backward: ``Einsum`` (an
    einsum per operand, in ``tinygrad_edu/ops/einsum.py``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string like 'ij,jk->ik', got {type(equation).__name__}")
    operands = tuple(o if isinstance(o, Tensor) else Tensor(o) for o in operands)
    dtypes = {o.dtype for o in operands}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum: expected all operands to have the same dtype, got {sorted(map(str, dtypes))}")
    return Einsum.apply(equation, *operands)
