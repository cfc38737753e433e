"""Shape ops: ``reshape``/``view``, ``flatten``, ``squeeze``, ``unsqueeze``, ``transpose``,
``permute``, ``expand``/``broadcast_to``, ``cat``, ``stack``, ``split``, ``chunk``, ``repeat``.

Each is paired with its inverse in the backward (reshape <-> reshape back,
permute <-> inverse permute, expand <-> sum, cat <-> split).
"""


def _todo(name):
    raise NotImplementedError(f"{name} is being written")


def reshape(input, shape): _todo("reshape")
def view(input, shape): _todo("view")
def flatten(input, start_dim=0, end_dim=-1): _todo("flatten")
def unflatten(input, dim, sizes): _todo("unflatten")
def squeeze(input, dim=None): _todo("squeeze")
def unsqueeze(input, dim): _todo("unsqueeze")
def transpose(input, dim0, dim1): _todo("transpose")
def permute(input, dims): _todo("permute")
def expand(input, sizes): _todo("expand")
def broadcast_to(input, shape): _todo("broadcast_to")
def cat(tensors, dim=0): _todo("cat")
def stack(tensors, dim=0): _todo("stack")
def split(input, split_size_or_sections, dim=0): _todo("split")
def chunk(input, chunks, dim=0): _todo("chunk")
def repeat(input, sizes): _todo("repeat")
