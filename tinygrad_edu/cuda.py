"""``tge.cuda``: what PyTorch scripts ask about the GPU (``torch.cuda.is_available()``,
``device_count()``, ``manual_seed(0)``, ``synchronize()``, ``current_device()``).

The GPU here is CuPy. Whether it works is probed once, the first time anything asks,
and the answer is cached: CuPy must import, report at least one CUDA device, and run
one tiny computation on it. That last step matters: a CuPy wheel built for a newer
CUDA than the driver supports imports fine and counts devices, then fails at the
first kernel. Any failure (no CuPy, no driver, no device, a mismatched toolkit)
means "no GPU", never an exception, so

    device = "cuda" if tge.cuda.is_available() else "cpu"

always runs. ``unavailable_reason()`` says what was missing; the error of
``tensor.to("cuda")`` on such a machine quotes it.

Random numbers for every device are drawn on the host from the framework's one
generator (see ``random.py``) and then moved, so a seed gives the same numbers on CPU
and GPU. Seeding "the CUDA generators" is therefore seeding that one generator: a
deliberate difference from PyTorch, which keeps one generator per device.
"""
from . import cuda_amp as amp  # tge.cuda.amp.GradScaler / autocast: no-ops on CPU (see cuda_amp.py)
from . import random as _random

_device_count = None  # probed once, on first use (None: not probed yet)
_reason = ""  # why CUDA is unusable, when it is


def _probe():
    """(number of usable CUDA devices, reason when 0). Never raises."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken install raising anything at import
        return 0, (
            f"CuPy is not installed or does not import ({type(exc).__name__}: {exc}); "
            "install the GPU extra that matches your CUDA: pip install 'tinygrad_edu[gpu]' (CUDA 12) "
            "or 'tinygrad_edu[gpu-cuda13]' (CUDA 13)"
        )
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
        if count < 1:
            return 0, "CuPy is installed but found no CUDA device"
        with cupy.cuda.Device(0):
            if int((cupy.arange(3) + 1).sum()) != 6:  # one kernel launch: driver, toolkit and device agree
                return 0, "CuPy is installed but a test computation on cuda:0 gave a wrong result"
    except Exception as exc:  # CUDARuntimeError (no driver, driver too old), CompileException, ...
        return 0, f"CuPy is installed but CUDA does not work here ({type(exc).__name__}: {exc})"
    return count, ""


def _ensure_probed():
    global _device_count, _reason
    if _device_count is None:
        _device_count, _reason = _probe()


def device_count():
    """How many CUDA devices are usable (0 without a working CuPy)."""
    _ensure_probed()
    return _device_count


def is_available():
    """True when at least one CUDA device is usable through CuPy (probed once, cached)."""
    return device_count() > 0


def unavailable_reason():
    """Why CUDA cannot be used here ("" when it can): what is missing or what failed."""
    _ensure_probed()
    return _reason


def _require(index=None):
    """The ``cupy`` module, after checking that CUDA works and ``index`` names a device;
    a clear RuntimeError otherwise (never a raw CUDARuntimeError)."""
    if not is_available():
        raise RuntimeError(
            f"CUDA is not available: {_reason}. tinygrad_edu runs on the GPU through CuPy; "
            "check tge.cuda.is_available() first, or use device='cpu'."
        )
    if index is not None and not 0 <= index < _device_count:
        raise RuntimeError(
            f"CUDA error: invalid device ordinal: cuda:{index} was requested, but "
            f"{_device_count} CUDA device(s) are usable (cuda:0 to cuda:{_device_count - 1})"
        )
    import cupy

    return cupy


def current_device():
    """The index of the current CUDA device (the one ``"cuda"`` without an index means)."""
    return _require().cuda.runtime.getDevice()


def _index_of(device):
    """None, an index, ``"cuda"``, ``"cuda:1"`` or a ``tge.device`` -> the device index
    (None: the current device)."""
    if device is None or isinstance(device, int):
        return device
    text = str(device)
    kind, _, index = text.partition(":")
    if kind != "cuda":
        raise ValueError(f"tge.cuda: expected a CUDA device, got {text!r}")
    return int(index) if index else None


def set_device(device):
    """Make ``device`` (an index, ``"cuda:1"`` or a ``tge.device``) the current CUDA device."""
    index = _index_of(device) or 0
    _require(index).cuda.runtime.setDevice(index)


def synchronize(device=None):
    """Wait until every kernel queued on ``device`` (default: the current one) has finished.

    GPU work is asynchronous: a call returns once the kernel is queued. Time a GPU step
    only between two ``synchronize()`` calls, or you measure the queueing."""
    index = _index_of(device)
    cupy = _require(index)
    (cupy.cuda.Device() if index is None else cupy.cuda.Device(index)).synchronize()


def manual_seed(seed):
    """Seed the generator that draws the numbers for CUDA tensors: the framework's one
    generator (the same as ``tge.manual_seed``; PyTorch keeps a separate one per device).
    Like PyTorch, it is silently accepted without a GPU."""
    _random.manual_seed(seed)


def manual_seed_all(seed):
    """Seed the generators of all CUDA devices: here the one generator (see ``manual_seed``)."""
    _random.manual_seed(seed)
