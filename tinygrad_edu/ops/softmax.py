"""``softmax`` and ``log_softmax`` along a dim, stable for large logits."""


def _todo(name):
    raise NotImplementedError(f"{name} is being written")


def softmax(input, dim): _todo("softmax")
def log_softmax(input, dim): _todo("log_softmax")
