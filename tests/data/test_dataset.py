"""Dataset, TensorDataset, Subset, random_split and DataLoader."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def _ds(n=10):
    x = tge.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = tge.tensor(np.arange(n))
    return TensorDataset(x, y)


class Squares(Dataset):
    """A plain map-style dataset (no fast path): (float array, int, str) samples."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full((2,), i, dtype=np.float32), i * i, f"s{i}"

    def __len__(self):
        return self.n


def test_tensor_dataset_indexing_and_len():
    ds = _ds(5)
    x, y = ds[2]
    assert len(ds) == 5
    assert x.tolist() == [6.0, 7.0, 8.0] and y.item() == 2


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(tge.zeros(3, 2), tge.zeros(4))
    with pytest.raises(TypeError, match="expected a Tensor"):
        TensorDataset(np.zeros(3))


def test_subset_and_concat():
    ds = _ds(6)
    sub = Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 4 and sub[1][1].item() == 0
    both = ds + sub
    assert isinstance(both, ConcatDataset) and len(both) == 8
    assert both[6][1].item() == 4 and both[-1][1].item() == 0
    with pytest.raises(IndexError):
        both[8]


@pytest.mark.parametrize("batch_size,drop_last,expected", [(3, False, 4), (3, True, 3), (5, False, 2), (5, True, 2), (11, True, 0)])
def test_loader_len_and_batches(batch_size, drop_last, expected):
    loader = DataLoader(_ds(10), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == expected == len(batches)
    sizes = [b[1].shape[0] for b in batches]
    assert all(s == batch_size for s in sizes[:-1])
    if drop_last:
        assert all(s == batch_size for s in sizes)
    else:
        assert sum(sizes) == 10


def test_loader_sequential_order_and_types():
    xb, yb = next(iter(DataLoader(_ds(10), batch_size=4)))
    assert isinstance(xb, tge.Tensor) and xb.shape == (4, 3) and xb.dtype == tge.float32
    assert yb.tolist() == [0, 1, 2, 3] and yb.dtype == tge.int64
    assert not xb.requires_grad


def test_shuffle_is_a_permutation_and_reproducible():
    ds = _ds(10)

    def epoch(loader):
        return np.concatenate([yb.cpu().numpy() for _, yb in loader]).tolist()

    g1, g2 = tge.Generator().manual_seed(7), tge.Generator().manual_seed(7)
    a, b = DataLoader(ds, 3, shuffle=True, generator=g1), DataLoader(ds, 3, shuffle=True, generator=g2)
    e1, e2 = epoch(a), epoch(a)
    assert sorted(e1) == list(range(10)) and e1 != list(range(10))
    assert e1 != e2  # a new order every epoch
    assert [epoch(b), epoch(b)] == [e1, e2]  # same seed, same sequence of epochs
    # the default generator: tge.manual_seed makes it repeat
    tge.manual_seed(3)
    d1 = epoch(DataLoader(ds, 4, shuffle=True))
    tge.manual_seed(3)
    assert epoch(DataLoader(ds, 4, shuffle=True)) == d1


def test_fast_path_equals_per_sample_collate():
    ds = _ds(9)
    g1, g2 = tge.Generator().manual_seed(1), tge.Generator().manual_seed(1)
    fast = list(DataLoader(ds, 4, shuffle=True, generator=g1))
    slow = list(DataLoader(ds, 4, shuffle=True, generator=g2, collate_fn=lambda b: default_collate(b)))
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert np.array_equal(fx.cpu().numpy(), sx.cpu().numpy()) and np.array_equal(fy.cpu().numpy(), sy.cpu().numpy())
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype


def test_fast_path_batch_is_a_copy():
    ds = _ds(4)
    xb, _ = next(iter(DataLoader(ds, 2)))
    xb.array[:] = -1
    assert ds.tensors[0].cpu().numpy()[0, 0] == 0


def test_default_collate_of_generic_samples():
    xb, sq, names = next(iter(DataLoader(Squares(5), batch_size=3)))
    assert xb.shape == (3, 2) and xb.dtype == tge.float32
    assert sq.tolist() == [0, 1, 4] and sq.dtype == tge.int64
    assert names == ["s0", "s1", "s2"]
    out = default_collate([{"a": 1.5, "b": tge.ones(2)}, {"a": 2.5, "b": tge.zeros(2)}])
    assert out["a"].dtype == tge.float64 and out["b"].shape == (2, 2)


def test_default_collate_unequal_shapes_error():
    with pytest.raises(RuntimeError, match=r"equal size.*\[3\] at entry 0 and \[2\] at entry 1"):
        default_collate([tge.zeros(3), tge.zeros(2)])


def test_loader_errors():
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(_ds(), shuffle=True, sampler=[0, 1])
    with pytest.raises(TypeError, match="__getitem__ and __len__"):
        DataLoader(5)


def test_sampler_order():
    loader = DataLoader(_ds(10), batch_size=2, sampler=[9, 8, 1])
    assert [yb.tolist() for _, yb in loader] == [[9, 8], [1]] and len(loader) == 2


@pytest.mark.parametrize("n,lengths,expected", [
    (10, [7, 3], [7, 3]), (10, [0.33, 0.33, 0.34], [4, 3, 3]), (11, [0.5, 0.5], [6, 5]), (10, [0.8, 0.2], [8, 2]),
])
def test_random_split_sizes_and_disjointness(n, lengths, expected):
    parts = random_split(range(n), lengths, generator=tge.Generator().manual_seed(0))
    assert [len(p) for p in parts] == expected
    seen = [i for p in parts for i in p.indices]
    assert sorted(seen) == list(range(n))  # disjoint and complete
    assert [p[0] for p in parts] == [p.indices[0] for p in parts]


def test_random_split_reproducible_and_errors():
    a = random_split(range(20), [0.5, 0.5], generator=tge.Generator().manual_seed(4))
    b = random_split(range(20), [0.5, 0.5], generator=tge.Generator().manual_seed(4))
    assert [p.indices for p in a] == [p.indices for p in b]
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="fractions must sum to 1"):
        random_split(range(10), [0.3, 0.3])


def test_loader_over_a_random_split_subset():
    train, val = random_split(_ds(10), [0.8, 0.2], generator=tge.Generator().manual_seed(0))
    batches = list(DataLoader(val, batch_size=4))
    assert len(batches) == 1 and batches[0][0].shape == (2, 3)
    assert sorted(batches[0][1].tolist()) == sorted(val.indices)


def test_loader_keeps_the_array_namespace(strict_backend):
    """Batches stay in the dataset's array namespace (CuPy on a GPU); StrictArray stands in."""
    from tests.strict_array import StrictArray

    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = TensorDataset(tge.Tensor(StrictArray(x)), tge.Tensor(StrictArray(np.arange(6))))
    fast = next(iter(DataLoader(ds, batch_size=4, shuffle=True, generator=tge.Generator().manual_seed(0))))
    slow = next(iter(DataLoader(ds, batch_size=4, shuffle=True, generator=tge.Generator().manual_seed(0),
                                collate_fn=lambda b: default_collate(b))))
    for f, s in zip(fast, slow):
        assert isinstance(f.array, StrictArray) and isinstance(s.array, StrictArray)
        assert np.array_equal(f.array.to_numpy(), s.array.to_numpy())
