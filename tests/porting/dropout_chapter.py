"""A textbook's dropout chapter, in our words: dropout written from scratch as a function
of the input and a probability, an MLP that applies it only in training, the same net
with ``nn.Dropout``, and a plain SGD loop on a per-example loss (``reduction="none"``).

Dropout draws random masks, and two frameworks draw different numbers: here the uniform
numbers come from NumPy and are passed in, so both frameworks drop the same units.
``nn.Dropout`` is used in evaluation mode, where it is the identity.

Run as is (``import tinygrad_edu as torch``) and, where PyTorch is installed, with
``torch`` instead; tests/porting/test_porting.py compares the two to 1e-11.
"""
import numpy as np

import tinygrad_edu as torch
from tinygrad_edu import nn


def dropout_layer(X, dropout, uniform):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    if dropout == 0:
        return X
    mask = (uniform[:X.shape[0]] > dropout).float().to(X.dtype)
    return mask * X / (1.0 - dropout)


class Net(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, is_training=True):
        super().__init__()
        self.num_inputs = num_inputs
        self.training_mode = is_training
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X, u1=None, u2=None):
        H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
        if self.training_mode and u1 is not None:
            H1 = dropout_layer(H1, 0.2, u1)
        H2 = self.relu(self.lin2(H1))
        if self.training_mode and u2 is not None:
            H2 = dropout_layer(H2, 0.5, u2)
        return self.lin3(H2)


def main(num_epochs=3):
    rng = np.random.default_rng(6)
    X = torch.tensor(rng.standard_normal((60, 20)))
    y = torch.tensor(rng.integers(0, 5, 60))
    net = Net(20, 5, 16, 12).double()
    init = np.random.default_rng(7)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.tensor(init.normal(0, 0.3, tuple(p.shape))))
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    losses = []
    for epoch in range(num_epochs):
        for i in range(0, 60, 15):
            u1 = torch.tensor(rng.uniform(size=(15, 16)))
            u2 = torch.tensor(rng.uniform(size=(15, 12)))
            l = loss(net(X[i:i + 15], u1, u2), y[i:i + 15])
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()
            losses.append(l.sum().item())
    # the concise version: nn.Dropout, identical to the net above in evaluation mode
    concise = nn.Sequential(nn.Flatten(), nn.Linear(20, 16), nn.ReLU(), nn.Dropout(0.2),
                            nn.Linear(16, 12), nn.ReLU(), nn.Dropout(0.5), nn.Linear(12, 5)).double()
    with torch.no_grad():
        for dst, src in zip(concise.parameters(), net.parameters()):
            dst.copy_(src)
    concise.eval()
    net.training_mode = False
    return {
        "losses": np.array(losses),
        "eval": net(X).detach().cpu().numpy(),
        "concise_eval": concise(X).detach().cpu().numpy(),
        **{f"param:{k}": v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()},
    }


if __name__ == "__main__":
    print(main()["losses"])
