"""A small sequence model, in our words: an embedding, a two-layer LSTM (batch first) and
a linear head on the last time step, trained to classify short token sequences with
gradient clipping; then a GRU reads the same data in evaluation mode.

Run as is (``import tinygrad_edu as torch``) and, where PyTorch is installed, with
``torch`` instead; tests/porting/test_porting.py compares the two to 1e-11.
"""
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn


class SequenceClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes, cell="LSTM"):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        rnn = nn.LSTM if cell == "LSTM" else nn.GRU
        self.rnn = rnn(embed_dim, hidden_dim, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden_dim, num_classes)

    def forward(self, tokens):
        embedded = self.embedding(tokens)
        output, _ = self.rnn(embedded)
        return self.fc(output[:, -1, :])


def fixed_init(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(rng.uniform(-0.4, 0.4, tuple(p.shape))))


def main(epochs=3):
    rng = np.random.default_rng(8)
    tokens = torch.tensor(rng.integers(0, 12, (24, 7)))
    labels = torch.tensor(rng.integers(0, 3, 24))
    model = SequenceClassifier(12, 5, 6, 3).double()
    fixed_init(model, 9)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    criterion = nn.CrossEntropyLoss()
    losses, norms = [], []
    for epoch in range(epochs):
        for i in range(0, 24, 8):
            optimizer.zero_grad()
            loss = criterion(model(tokens[i:i + 8]), labels[i:i + 8])
            loss.backward()
            norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)))
            optimizer.step()
            losses.append(loss.item())
    gru = SequenceClassifier(12, 5, 6, 3, cell="GRU").double()
    fixed_init(gru, 10)
    gru.eval()
    with torch.no_grad():
        gru_out = gru(tokens)
    return {
        "losses": np.array(losses),
        "grad_norms": np.array(norms),
        "gru_out": gru_out.cpu().numpy(),
        **{f"param:{k}": v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()},
        **{f"grad:{k}": p.grad.cpu().numpy().copy() for k, p in model.named_parameters()},
    }


if __name__ == "__main__":
    print(main()["losses"])
