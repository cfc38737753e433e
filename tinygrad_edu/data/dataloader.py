"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches.

Each epoch (each ``iter(loader)``) draws a fresh permutation from the framework's seeded
generator when ``shuffle=True``, cuts it into batches of ``batch_size`` indices and
collates the samples of each batch into tensors::

    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    for xb, yb in loader:   # xb: (64, ...) tensor, yb: (64,) tensor
        ...

Batches are plain data: new tensors with no autograd history.

``pin_memory=True`` (for training on a GPU) puts each batch's host arrays in page-locked
("pinned") memory, which the GPU can copy from directly and faster than from ordinary
pageable memory; the batch still lives on the CPU until ``.to("cuda")``. Without a usable
GPU it is accepted and does nothing, with a warning, as in PyTorch.
"""
import math
import warnings

import numpy as np

from .. import backend, cuda
from ..random import numpy_generator
from ..tensor import Tensor
from .dataset import TensorDataset


def _stack_arrays(arrays, where):
    shapes = [tuple(a.shape) for a in arrays]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 "
                f"and {list(s)} at entry {i}{where}; give equal-sized samples or pass your own collate_fn"
            )
    xp = backend.get_array_module(*arrays)
    return xp.stack(arrays)


def default_collate(batch, _where=""):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``:

    tensors / arrays -> one tensor with a new first dim (stacked);
    Python ints -> int64 tensor, floats -> float64 tensor, bools -> bool tensor;
    strings -> kept as a list; dicts -> dict of collated values;
    tuples / lists of fields -> a list with each field collated.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor._wrap(_stack_arrays([b.array for b in batch], _where))
    if backend.is_array(elem):
        return Tensor._wrap(_stack_arrays(list(batch), _where))
    if isinstance(elem, (bool, np.bool_)):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, (int, np.integer)):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, np.generic):  # NumPy scalars keep their dtype (np.float32 -> float32)
        return Tensor._wrap(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch], f"{_where} (key {k!r})") for k in elem}
    if isinstance(elem, (tuple, list)):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(field), f"{_where} (field {i})") for i, field in enumerate(zip(*batch))]
    raise TypeError(
        f"default_collate: batch must contain tensors, arrays, numbers, strings, dicts or lists; found {type(elem).__name__}"
    )


class DataLoader:
    """Mini-batches of ``dataset`` (PyTorch's ``torch.utils.data.DataLoader``, single process).

    - ``batch_size``: samples per batch; the last batch may be smaller unless ``drop_last``.
    - ``shuffle``: a new random order every epoch, drawn from ``generator`` (a
      ``tge.Generator``; default: the framework's, so ``tge.manual_seed`` makes it repeat).
    - ``sampler``: an iterable of indices to use instead (not together with ``shuffle``).
    - ``collate_fn``: how a list of samples becomes a batch (default ``default_collate``).
    - ``num_workers``: accepted for compatibility; loading always happens in this process.

    A ``TensorDataset`` with the default collate takes a fast path: each tensor is indexed
    once with the batch's index array instead of sample by sample (same result).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, num_workers=0, collate_fn=None,
                 drop_last=False, generator=None, pin_memory=False, pin_memory_device=""):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__, got {type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if num_workers:
            warnings.warn(f"DataLoader: num_workers={num_workers} ignored; tinygrad_edu loads batches in the main process")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self._pin = self.pin_memory and cuda.is_available()
        if self.pin_memory and not self._pin:
            warnings.warn(
                "DataLoader: 'pin_memory' argument is set as true but no GPU is usable "
                f"({cuda.unavailable_reason()}), so pinned memory won't be used"
            )

    def _indices(self):
        """This epoch's sample order."""
        if self.sampler is not None:
            return np.fromiter((int(i) for i in self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if self.shuffle:
            return numpy_generator(self.generator).permutation(n)
        return np.arange(n)

    def __iter__(self):
        order = self._indices()
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            idx = order[start:start + self.batch_size]
            if fast:
                batch = self._tensor_batch(idx)
            else:
                batch = self.collate_fn([self.dataset[int(i)] for i in idx])
            yield _pinned(batch) if self._pin else batch

    def _tensor_batch(self, idx):
        n = len(self.dataset)
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError(f"DataLoader: index {int(idx.max())} is out of range for a dataset of length {n}")
        batch = []
        for t in self.dataset.tensors:
            xp = backend.get_array_module(t.array)
            batch.append(Tensor._wrap(t.array[xp.asarray(idx)]))  # integer-array indexing copies
        return batch

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)


def _pinned(batch):
    """``batch`` (tensors, or tuples/lists/dicts of them) with every CPU tensor copied into
    page-locked host memory (``cupyx.empty_like_pinned``); other values unchanged."""
    if isinstance(batch, Tensor):
        if not isinstance(batch.array, np.ndarray):
            return batch  # already on a device
        import cupyx

        pinned = cupyx.empty_like_pinned(batch.array)
        pinned[...] = batch.array
        return Tensor._wrap(pinned)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pinned(b) for b in batch)
    if isinstance(batch, dict):
        return {k: _pinned(v) for k, v in batch.items()}
    return batch
