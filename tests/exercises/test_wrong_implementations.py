"""A corpus of plausible wrong implementations: each is caught by the grader.

Each entry changes one line (or a few) of the reference, the way a student might get
the task wrong: a wrong axis, a missing accumulation, a forgotten broadcast, the wrong
BatchNorm variance, an off-by-one window bound... The entries of one round touch
different tasks, so one grading run per round judges them all; every mutated task
must lose points.
"""
from collections import defaultdict

import pytest

from .helpers import grade_quiet, reference_submission, replace, scores_by_task

P = "tinygrad_edu/"
MUTANTS = [
    # task, file, old text, new text, the mistake
    ("1.1", P + "autograd/by_hand.py", "x[1] * ds, ds], dtype", "x[1] * ds, 1.0], dtype", "bias gradient without the chain rule"),
    ("1.1", P + "autograd/by_hand.py", "s = w[0] * x[0] + w[1] * x[1] + w[2]", "s = w[0] * x[0] + w[1] * x[1]", "bias forgotten"),
    ("1.2", P + "autograd/engine.py", "+ tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)",
     "", "forgotten broadcast along size-1 dims"),
    ("1.2", P + "autograd/engine.py", "axes = tuple(range(extra)) + ", "axes = tuple(range(1, extra + 1)) + ",
     "wrong axes for the leading dims"),
    ("1.3", P + "autograd/engine.py", "dependencies[child] = count + 1", "dependencies[child] = 1",
     "an edge used twice counted once"),
    ("1.4", P + "ops/elementwise.py", "gx = g * y if ctx.needs_input_grad[0] else None", "gx = g * x if ctx.needs_input_grad[0] else None",
     "Mul: the partial derivatives swapped"),
    ("1.4", P + "ops/elementwise.py", "gy = -g * x / (y * y) if", "gy = g * x / (y * y) if", "Div: the sign of dL/dy"),
    ("1.5", P + "ops/matmul.py", "gy = kernels.matmul(xp.swapaxes(x2, -1, -2), g2)", "gy = kernels.matmul(xp.swapaxes(x2, 0, 1), g2)",
     "wrong axis in the transpose (right for matrices only)"),
    ("1.6", P + "autograd/gradcheck.py", "J[k][j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)",
     "J[k][j] = ((plus[k] - minus[k]) / eps).reshape(-1)", "central difference divided by eps"),
    ("1.6", P + "autograd/gradcheck.py", "data[index] = original - eps", "data[index] = original",
     "one-sided difference divided by 2 eps"),
    ("2.1", P + "ops/activation.py", "return kernels.where(z <= 0, 0, g)", "return kernels.where(z < 0, 0, g)", "ReLU's derivative at 0 taken as 1"),
    ("2.1", P + "ops/activation.py", "return kernels.where(x > 0, g, g * ctx.negative_slope)",
     "return kernels.where(x >= 0, g, g * ctx.negative_slope)", "leaky ReLU's right branch at 0"),
    ("2.2", P + "ops/elementwise.py", "return g * z * (1 - z)", "return z * (1 - z)", "upstream gradient ignored"),
    ("2.2", P + "ops/elementwise.py", "return g * (1 - z * z)", "return g * (1 - z)", "tanh' written as 1 - z"),
    ("2.3", P + "ops/softmax.py", "return g - xp.exp(z) * g.sum(axis=ctx.dim, keepdims=True)",
     "return g - xp.exp(z) * g.sum(axis=-1, keepdims=True)", "log_softmax: wrong axis"),
    ("2.3", P + "ops/loss.py", "dl = g / ctx.total_weight", "dl = g / kept_t.size", "nll mean over all positions, not the weights"),
    ("2.4", P + "ops/matmul.py", "gb = g_rows.sum(axis=0) if", "gb = g_rows[0] if", "bias gradient not accumulated over rows"),
    ("2.4", P + "ops/matmul.py", "return z if bias is None else z + bias", "return z", "bias forgotten"),
    ("2.5", P + "ops/dropout.py", "scale = 0.0 if p == 1 else 1.0 / (1.0 - p)", "scale = 1.0", "no inverted scaling"),
    ("2.5", P + "ops/dropout.py", "if not training or p == 0.0:\n        return input\n    return _apply(\"dropout\", input",
     "if p == 0.0:\n        return input\n    return _apply(\"dropout\", input", "dropout applied in evaluation"),
    ("2.6", P + "optim/sgd.py", 'buf += (1 - group["dampening"]) * grad', "buf += grad", "dampening forgotten"),
    ("2.6", P + "optim/sgd.py", 'state["momentum_buffer"] = Tensor(grad.copy())', 'state["momentum_buffer"] = Tensor(grad.copy() * 0)',
     "momentum buffer started at zero"),
    ("2.7", P + "optim/adam.py", "step_size = lr / bias_correction1", "step_size = lr", "no bias correction of m"),
    ("2.7", P + "optim/adam.py", "            denom = xp.sqrt(exp_avg_sq) / bias_correction2 ** 0.5 + eps",
     "            denom = xp.sqrt(exp_avg_sq / bias_correction2 + eps)", "eps inside the square root"),
    ("3.1", P + "kernels/unfold.py", "if 0 <= row < h and 0 <= col < w:  # outside", "if 0 < row < h and 0 < col < w:  # outside",
     "off-by-one window bound"),
    ("3.2", P + "kernels/unfold.py", "x[b, ch, row, col] += cols[ch, i, j, b, oy, ox]\n    return x",
     "x[b, ch, row, col] = cols[ch, i, j, b, oy, ox]\n    return x",
     "overlapping windows overwrite instead of adding up"),
    ("3.3", P + "ops/conv.py", "return columns_products(x, weight.shape[2:], stride, padding, dilation, groups, weight=weight)[0]",
     "return columns_products(x, weight.shape[2:], stride, padding, dilation, groups, weight=weight[:, :, ::-1, ::-1])[0]",
     "flipped kernel (convolution vs correlation)"),
    ("3.3", P + "ops/conv.py", "return columns_products(x, weight_shape[2:], stride, padding, dilation, groups, grad=g)[1]",
     "return columns_products(x, weight_shape[2:], stride, padding, dilation, groups, grad=g)[1] / x.shape[0]",
     "weight gradient averaged over the batch"),
    ("3.4", P + "ops/conv.py", "            gb = g.sum(axis=(0, 2, 3))\n        return gy",
     "            gb = g.sum(axis=(0, 2, 3)) / (g.shape[2] * g.shape[3])\n        return gy", "bias gradient averaged over pixels"),
    ("3.5", P + "kernels/max_pool.py", "if best_index < 0 or value > best or np.isnan(value):  # first",
     "if best_index < 0 or value >= best or np.isnan(value):  # first", "the last maximum wins ties"),
    ("3.5", P + "kernels/max_pool.py", "grad_x[b, ch, indices[b, ch, oy, ox]] += grad_out[b, ch, oy, ox]",
     "grad_x[b, ch, indices[b, ch, oy, ox]] = grad_out[b, ch, oy, ox]", "a shared argmax's gradients not accumulated"),
    ("3.6", P + "kernels/avg_pool.py", "out[b, ch, oy, ox] = total / divisor if divisor > 0 else 0.0",
     "out[b, ch, oy, ox] = total / (kh * kw) if divisor > 0 else 0.0", "divisor ignores padding rules"),
    ("4.1", P + "ops/norm.py", "_update_running(running_var, (squares / (m - 1)).reshape(-1), momentum)",
     "_update_running(running_var, (squares / m).reshape(-1), momentum)", "running variance biased"),
    ("4.1", P + "ops/norm.py", "var = squares / m  # biased", "var = squares / (m - 1)  # biased", "normalising with the unbiased variance"),
    ("4.2", P + "ops/norm.py", "gx -= xhat * mean_dxhat_xhat", "pass",
     "the variance's path through xhat forgotten"),
    ("4.3", P + "ops/norm.py", "mu = x2.mean(axis=1, keepdims=True)", "mu = x2.mean(axis=0, keepdims=True)", "wrong axis for the mean"),
    ("4.4", P + "ops/norm.py", "r = 1 / xp.sqrt((x2 * x2).mean(axis=1, keepdims=True) + eps)",
     "r = 1 / xp.sqrt((x2 * x2).sum(axis=1, keepdims=True) + eps)", "sum instead of mean of squares"),
    ("5.1", P + "models/mlp.py", "return self.classifier(self.features(x))", "return self.classifier(self.features(x)).relu()",
     "an activation after the output layer"),
    ("5.2", P + "models/cnn.py", "self.flatten(self.pool(self.features(x)))", "self.flatten(self.features(x).amax(dim=(2, 3), keepdim=True))",
     "global max pooling instead of average"),
    ("4.5", P + "models/resnet.py", "return self.relu(out + identity)", "return self.relu(out) + identity",
     "ReLU before the addition"),
    ("4.6", P + "models/unet.py", "return cat([skip, x], dim=1)", "return cat([x, skip], dim=1)", "concatenated in the wrong order"),
    ("5.3", P + "models/dncnn.py", "return y - out if self.residual else out", "return out if self.residual else out",
     "the noise estimate returned as the image"),
    ("5.4", P + "models/unet.py", "top, left = (x.shape[2] - height) // 2, (x.shape[3] - width) // 2", "top, left = 0, 0",
     "cropped at the corner, not the centre"),
    ("5.5", P + "models/positional.py", "table[:, 0::2] = np.sin(t / wavelengths)\n    table[:, 1::2] = np.cos(t / wavelengths)",
     "table[:, 0::2] = np.cos(t / wavelengths)\n    table[:, 1::2] = np.sin(t / wavelengths)", "sin and cos swapped"),
    ("5.6", P + "models/autoencoders.py", "    optimizer.zero_grad()\n    loss.backward()", "    loss.backward()",
     "gradients never zeroed (they accumulate across steps)"),
]


def rounds():
    by_task = defaultdict(list)
    for mutant in MUTANTS:
        by_task[mutant[0]].append(mutant)
    return [[muts[k] for muts in by_task.values() if len(muts) > k] for k in range(max(map(len, by_task.values())))]


def test_every_task_has_a_wrong_implementation():
    from .helpers import MANIFEST

    assert {m[0] for m in MUTANTS} == {t.id for t in MANIFEST.tasks}


@pytest.mark.parametrize("round_", rounds(), ids=lambda r: f"{len(r)}-mutants")
def test_each_wrong_implementation_loses_points(round_, tmp_path):
    submission = reference_submission(tmp_path / "submission")
    for task_id, rel, old, new, _ in round_:
        replace(submission, rel, old, new)
    _, results = grade_quiet(submission, tmp_path / "results.json", task_ids={m[0] for m in round_}, seed=20261202)
    scores = scores_by_task(results)
    survivors = [f"task {t}: {what}" for t, _, _, _, what in round_ if scores[t][0] >= scores[t][1]]
    assert not survivors, "not caught: " + "; ".join(survivors)
