"""A classic fully connected autoencoder tutorial, in our words: encoder and decoder
as ``nn.Sequential``, a sigmoid output, MSE reconstruction loss, Adam, and a look at the
codes of a few inputs at the end.

Run as is (``import tinygrad_edu as torch``) and, where PyTorch is installed, with
``torch`` instead; tests/porting/test_porting.py compares the two to 1e-11.
"""
import numpy as np

import tinygrad_edu as torch
from tinygrad_edu import nn


class AutoEncoder(nn.Module):
    def __init__(self, n_in=36, n_code=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, 16), nn.Tanh(), nn.Linear(16, n_code))
        self.decoder = nn.Sequential(nn.Linear(n_code, 16), nn.Tanh(), nn.Linear(16, n_in), nn.Sigmoid())

    def forward(self, x):
        code = self.encoder(x)
        return code, self.decoder(code)


def main(epochs=4):
    rng = np.random.default_rng(4)
    images = torch.tensor(rng.uniform(0, 1, (48, 6, 6)))
    model = AutoEncoder().double()
    init = np.random.default_rng(5)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(init.normal(0, 0.2, tuple(p.shape))))
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3, betas=(0.9, 0.99), weight_decay=1e-5)
    loss_func = nn.MSELoss()
    losses = []
    for epoch in range(epochs):
        for step in range(0, 48, 12):
            b_x = images[step:step + 12].view(-1, 36)
            b_y = images[step:step + 12].reshape(-1, 36)
            encoded, decoded = model(b_x)
            loss = loss_func(decoded, b_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        codes, _ = model(images[:5].view(-1, 36))
    return {
        "losses": np.array(losses),
        "codes": codes.cpu().numpy(),
        **{f"param:{k}": v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()},
        **{f"grad:{k}": p.grad.cpu().numpy().copy() for k, p in model.named_parameters()},
    }


if __name__ == "__main__":
    print(main()["losses"])
