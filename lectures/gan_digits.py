"""GAN on digits: a DCGAN trained by alternating discriminator and generator steps on 28x28 MNIST digits."""
# %% [markdown]
# # A DCGAN on handwritten digits
#
# The same game as in `gan.py`, on images. The generator G (`tge.models.dcgan_generator`)
# turns a 32-number noise vector into a 28x28 image through transpose convolutions, much
# like the decoder half of a U-Net without its skip connections. The discriminator D
# (`tge.models.dcgan_discriminator`) is a strided convolutional network that gives one
# real-vs-fake logit per image. Training alternates, one step each per batch:
#
# 1. **D step, G fixed**: real digits are labelled 1, generated ones 0 (the generated batch
#    is detached, so no gradient reaches G) and D takes one Adam step on the binary
#    cross-entropy;
# 2. **G step, D fixed**: the same generated batch goes through the *updated* D with the
#    label 1 (the non-saturating loss `-log D(G(z))`); only G's optimizer steps.
#
# Settings follow the `dcgan` recipe of `tinygrad-edu train` (16 features, latent size 32,
# 2,000 training digits scaled to [-1, 1], batch 64, Adam lr 5e-4 with betas (0.5, 0.999),
# 15 epochs).
#
# How do we know the samples are digits, and of *every* kind? We train a separate small
# classifier (`tge.models.lenet5`) on the real training digits, check its accuracy on
# held-out real digits, and let it label the generated samples. A class counts as
# **covered** when at least 2% of the samples are labelled that class *with confidence* (the
# classifier's top probability at least 0.9): noise and smudges that the classifier cannot
# place do not count. A collapsed generator (the "mode collapse" of the lecture) would cover
# one or a few classes. We also follow D's accuracy on held-out real digits and as many fresh
# samples: 0.5 means it can no longer tell them apart, 1.0 means G has lost the game.

# %%
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.image

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.data import load_mnist_subset
from tinygrad_edu.models import dcgan_discriminator, dcgan_generator, lenet5
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
if args.fast:  # seconds: too short to make digits, only to run every piece
    n_train, epochs, batch, features, classifier_steps, n_eval = 512, 3, 32, 8, 60, 200
else:          # the `dcgan` recipe: 15 x 31 = 465 alternating steps
    n_train, epochs, batch, features, classifier_steps, n_eval = 2000, 15, 64, 16, 600, 1000
latent, lr, grid = 32, 5e-4, 8

x_train, y_train = load_mnist_subset("train", seed=args.seed)
x_test, y_test = load_mnist_subset("test", seed=args.seed)
x_train, y_train, x_test, y_test = x_train.numpy(), y_train.numpy(), x_test.numpy(), y_test.numpy()
real = x_train[:n_train] * 2.0 - 1.0           # the GAN's data, in the generator's range [-1, 1]
real_held_out = x_test[:256] * 2.0 - 1.0       # for D's accuracy: digits D never trains on

# %% [markdown]
# ## The judge: a LeNet-5 trained on the real digits
#
# Adam, batches of 64 from the 4,000 training digits (pixels in [0, 1]); its accuracy on the
# 1,000 held-out digits tells how far to trust its labels for the samples.

# %%
classifier = lenet5()
opt_c = tge.optim.Adam(classifier.parameters(), lr=3e-3)
for _ in range(classifier_steps):
    idx = rng.integers(0, len(x_train), 64)
    loss = F.cross_entropy(classifier(tge.tensor(x_train[idx])), tge.tensor(y_train[idx]))
    opt_c.zero_grad()
    loss.backward()
    opt_c.step()
classifier.eval()


def classify(images01):
    """(predicted class, top probability) for images in [0, 1]."""
    with tge.no_grad():
        probs = F.softmax(classifier(tge.tensor(images01.astype(np.float32))), dim=1).numpy()
    return probs.argmax(1), probs.max(1)


classes, _ = classify(x_test)
classifier_accuracy = float((classes == y_test).mean())
print(f"classifier (LeNet-5, {classifier_steps} steps): {classifier_accuracy:.1%} on {len(y_test)} held-out real digits")


def coverage(images01):
    """Classes covered (>= 2% of the images confidently labelled that class), the fraction
    labelled confidently, and the class histogram of the confident ones."""
    classes, confidence = classify(images01)
    confident = confidence >= 0.9
    counts = np.bincount(classes[confident], minlength=10)
    return int((counts >= 0.02 * len(images01)).sum()), float(confident.mean()), counts


covered_real, confident_real, counts_real = coverage(x_test[:n_eval])
print(f"real held-out digits: {covered_real}/10 classes covered, {confident_real:.1%} labelled confidently")

# %% [markdown]
# ## Alternating optimisation

# %%
G = dcgan_generator(latent, 1, features, 28)
D = dcgan_discriminator(1, features, 28)
opt_g = tge.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
opt_d = tge.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
z_fixed = tge.tensor(rng.standard_normal((n_eval, latent)).astype(np.float32))


def measure(step):
    """Samples from the fixed noise (G in eval mode), D's held-out accuracy, class coverage.
    D stays in training mode, as in every D step: real and generated batches go through it
    separately, so its BatchNorm normalises each with its own statistics (its running
    statistics, averaged over both kinds, would fit neither)."""
    G.eval()
    with tge.no_grad():
        samples = G(z_fixed).numpy()
        real_logits = D(tge.tensor(real_held_out)).numpy()
        fake_logits = D(tge.tensor(samples[:len(real_held_out)])).numpy()
    G.train()
    d_accuracy = float(((real_logits > 0).sum() + (fake_logits < 0).sum()) / (len(real_logits) + len(fake_logits)))
    covered, confident, counts = coverage((samples + 1) / 2)
    return dict(step=step, samples=(samples[:, 0] + 1) / 2, d_accuracy=d_accuracy, covered=covered,
                confident=confident, counts=counts)


def report(h, note=""):
    print(f"step {h['step']:4d}{note}: D held-out accuracy {h['d_accuracy']:.1%}; classes covered {h['covered']}/10, "
          f"labelled confidently {h['confident']:.1%}")


ones, zeros = tge.ones(batch), tge.zeros(batch)
history = [measure(0)]
report(history[0], " (untrained)")
steps_per_epoch = n_train // batch
eval_every = max(1, steps_per_epoch * epochs // 15)
step = 0
for epoch in range(epochs):
    order = rng.permutation(n_train)
    for b in range(steps_per_epoch):
        step += 1
        x = tge.tensor(real[order[b * batch:(b + 1) * batch]])
        fake = G(tge.randn(batch, latent))
        # D step, G fixed: real -> 1, generated -> 0 (detach: no gradient into G)
        loss_d = F.binary_cross_entropy_with_logits(D(x), ones) + \
            F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # G step, D fixed: make the updated D call the same samples real (only opt_g steps;
        # D's gradients from this backward are cleared by the next D step's zero_grad)
        loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % eval_every == 0:
            history.append(measure(step))
            report(history[-1], f" (epoch {epoch + 1}, loss D {loss_d.item():.3f}, G {loss_g.item():.3f})")
if history[-1]["step"] != step:
    history.append(measure(step))
    report(history[-1])
start, end = history[0], history[-1]
later = [h["d_accuracy"] for h in history[len(history) // 2:]]
missing = [c for c in range(10) if end["counts"][c] < 0.02 * n_eval]
print(f"classes not covered after step {end['step']}: {missing or 'none'}")

# %% [markdown]
# ## Samples (fixed noise) before and after training, D's accuracy, and the class histogram
#
# What to look for. At step 0 the generator's weights are tiny (DCGAN draws them from
# N(0, 0.02^2)), so every sample is the same flat gray square: the classifier may well label
# that one image confidently as some digit, which is why "classes covered" (not "labelled
# confidently") is the number to compare. After training the samples vary and most look like
# strokes of a digit. D's accuracy shows who is winning: at this size and length D stays
# ahead (near 1) most of the time rather than settling at the 0.5 of the ideal game; the
# non-saturating generator loss still gives G useful gradients while D wins.

# %%


def tile(images, n=grid, pad=2):
    """An n x n grid of 28x28 images in [0, 1], separated by ``pad`` white pixels."""
    size = 28 + pad
    out = np.ones((n * size + pad, n * size + pad), np.float32)
    for k in range(n * n):
        r, c = divmod(k, n)
        out[pad + r * size:pad + r * size + 28, pad + c * size:pad + c * size + 28] = images[k]
    return out


# the bare samples grid, pixel for pixel (8 x (28 + 2) + 2 = 242 pixels square)
matplotlib.image.imsave(args.out / "gan_digits_samples.png", tile(end["samples"]), cmap="gray", vmin=0, vmax=1)

fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
for ax, h in zip(axes[:2], (start, end)):
    ax.imshow(tile(h["samples"]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(f"step {h['step']}: {h['covered']}/10 classes, D acc {h['d_accuracy']:.0%}")
    ax.axis("off")
axes[2].plot([h["step"] for h in history], [h["d_accuracy"] for h in history], "o-")
axes[2].axhline(0.5, color="gray", ls="--", lw=1)
axes[2].set_ylim(0, 1.05), axes[2].set_xlabel("alternating step"), axes[2].set_title("D accuracy: 256 real + 256 fake")
width = 0.27
for k, (label, counts, n) in enumerate((("samples, step 0", start["counts"], n_eval),
                                        (f"samples, step {end['step']}", end["counts"], n_eval),
                                        ("real held-out", counts_real, n_eval))):
    axes[3].bar(np.arange(10) + (k - 1) * width, counts / n, width, label=label)
axes[3].axhline(0.02, color="gray", ls="--", lw=1)
axes[3].set_xticks(range(10)), axes[3].set_xlabel("class (LeNet-5, confidence >= 0.9)")
axes[3].set_title("fraction of images per class"), axes[3].legend(fontsize=8)
lectures.save(fig, args, "gan_digits")

# %%
lectures.claim(args, "alternating D and G steps turn the generator's blank output into digits of most classes",
               classes_covered=end["covered"], classes_covered_at_start=start["covered"],
               classes_covered_real=covered_real, confident_fraction=end["confident"],
               confident_fraction_at_start=start["confident"], confident_fraction_real=confident_real,
               d_accuracy=end["d_accuracy"], d_accuracy_at_start=start["d_accuracy"],
               d_accuracy_max=max(h["d_accuracy"] for h in history), d_accuracy_second_half_mean=np.mean(later),
               classifier_accuracy=classifier_accuracy, steps=end["step"])
