"""``torch.backends.mps`` (Apple GPUs): not supported here, so never available."""


def is_available():
    return False


def is_built():
    return False
