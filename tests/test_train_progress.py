"""The training progress bar keeps its metrics inside an 80-column terminal."""
import io

from tinygrad_edu.train import _postfix, _progress_bar, _show


def test_metrics_fit_in_80_columns():
    for epochs, batches in ((100, 999), (5, 41), (25, 3)):
        out = io.StringIO()
        bar = _progress_bar(range(batches), epochs, epochs, ncols=80, file=out)
        bar.update(batches)
        _show(bar, {**_postfix(12.3456, {"accuracy": 1.0}), **_postfix(2.2814, {"accuracy": 0.2028}, "val_")})
        bar.close()
        lines = [line for line in out.getvalue().replace("\r", "\n").splitlines() if line.strip()]
        last = lines[-1]
        assert len(last) <= 80, last
        assert last.endswith("loss=12.3456 acc=100.0% val_loss=2.2814 val_acc=20.3%"), last
        assert f"epoch {epochs}/{epochs} |" in last and f"{batches}/{batches}" in last
