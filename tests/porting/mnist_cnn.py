"""The official MNIST example's shape, in our words: two convolutions, max pooling,
log_softmax with nll_loss, Adadelta with a StepLR schedule, on tiny random 12x12 images.

Run as is (``import tinygrad_edu as torch``) and, where PyTorch is installed, with
``torch`` instead; tests/porting/test_porting.py compares the two to 1e-11.
"""
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 6, 3, 1, padding=1)
        self.fc1 = nn.Linear(6 * 5 * 5, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def fixed_init(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.25, 0.25, tuple(p.shape))))


def train(model, x, y, optimizer, batch_size):
    model.train()
    losses = []
    for batch_idx, start in enumerate(range(0, len(x), batch_size)):
        data, target = x[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main(epochs=3):
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((40, 1, 12, 12)))
    y = torch.tensor(rng.integers(0, 10, 40))
    model = Net().to(torch.float64)
    fixed_init(model, 3)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses, lrs = [], []
    for _ in range(epochs):
        losses += train(model, x[:32], y[:32], optimizer, batch_size=8)
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    model.eval()
    with torch.no_grad():
        test_out = model(x[32:])
    return {
        "losses": np.array(losses),
        "lrs": np.array(lrs),
        "test_out": test_out.cpu().numpy(),
        **{f"param:{k}": v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()},
        **{f"grad:{k}": p.grad.cpu().numpy().copy() for k, p in model.named_parameters()},
    }


if __name__ == "__main__":
    print(main()["losses"])
