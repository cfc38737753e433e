"""Input checks shared by the models: a wrong image gets an error that names the model,
the layer that would fail, the sizes it got, and the sizes that work."""


def check_images(model, x, channels, layer="the first convolution"):
    """Raise ValueError unless ``x`` is a batch of images (N, ``channels``, H, W)."""
    if x.ndim != 4:
        raise ValueError(f"{model}: expected images (N, C, H, W), got input of shape {tuple(x.shape)}")
    if x.shape[1] != channels:
        raise ValueError(f"{model}: {layer} expects {channels} input channel(s), got input of shape "
                         f"{tuple(x.shape)} with {x.shape[1]} channel(s)")


def check_min_size(model, x, minimum, why):
    """Raise ValueError when the image is smaller than ``minimum`` x ``minimum``."""
    h, w = x.shape[-2:]
    if h < minimum or w < minimum:
        raise ValueError(f"{model}: input of size {h}x{w} is too small: {why}; use images of at least "
                         f"{minimum}x{minimum}")


def check_multiple(model, x, factor, why):
    """Raise ValueError unless height and width are multiples of ``factor`` (stride-2 models)."""
    h, w = x.shape[-2:]
    if h % factor or w % factor or h == 0 or w == 0:
        raise ValueError(f"{model}: input of size {h}x{w} does not work: {why}, so height and width must be "
                         f"positive multiples of {factor} (e.g. {max(factor, h - h % factor)}x"
                         f"{max(factor, w - w % factor)}); pad or crop the image")
