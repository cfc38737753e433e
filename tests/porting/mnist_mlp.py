"""An MNIST-style training loop for a multilayer perceptron, written as a PyTorch program:
a model class, a train() and a test() function, SGD with momentum, mini-batches sliced
from tensors, accuracy by argmax. Tiny random 8x8 "digits" stand in for MNIST so that it
runs in a second without a download.

tests/porting/test_porting.py runs this file as it is (``import tinygrad_edu as torch``)
and, where PyTorch is installed, again with ``tinygrad_edu`` replaced by ``torch``, and
compares what ``main()`` returns to 1e-11.
"""
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


def fixed_init(model, seed):
    """The same starting weights in every framework (their random generators differ)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape))))


def train(model, x, y, optimizer, batch_size):
    model.train()
    losses = []
    for start in range(0, len(x), batch_size):
        data, target = x[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test(model, x, y):
    model.eval()
    with torch.no_grad():
        output = model(x)
        test_loss = F.cross_entropy(output, y, reduction="sum").item() / len(x)
        correct = (output.argmax(dim=1) == y).sum().item()
    return test_loss, correct


def main(epochs=3):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((96, 1, 8, 8)))
    y = torch.tensor(rng.integers(0, 10, 96))
    model = Net().double()
    fixed_init(model, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    losses = []
    for _ in range(epochs):
        losses += train(model, x[:64], y[:64], optimizer, batch_size=16)
    test_loss, correct = test(model, x[64:], y[64:])
    grads = {name: p.grad.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
    return {
        "losses": np.array(losses),
        "test": np.array([test_loss, correct]),
        "logits": model(x[64:]).detach().cpu().numpy(),
        **{f"param:{k}": v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()},
        **{f"grad:{k}": v for k, v in grads.items()},
    }


if __name__ == "__main__":
    out = main()
    print(f"first loss {out['losses'][0]:.4f}, last loss {out['losses'][-1]:.4f}, test {out['test']}")
