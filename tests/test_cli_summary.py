"""``tinygrad-edu summary NAME``: the per-layer table of a course model."""
import pytest

from tinygrad_edu.cli import main
from tinygrad_edu.models.registry import MODELS


@pytest.mark.parametrize("name, total", [("lenet5", "61,706"), ("resnet20", "269,722"), ("dncnn", "556,096"),
                                         ("dcgan_generator", None), ("coordinate_mlp", None)])
def test_summary_prints_layers_shapes_and_total(name, total, capsys):
    assert main(["summary", name, "--depth", "2"]) == 0
    out = capsys.readouterr().out
    assert "Total params:" in out
    assert any(layer in out for layer in ("Conv2d", "ConvTranspose2d", "Linear"))
    if total:
        assert f"Total params: {total}" in out


def test_summary_lists_every_model_and_refuses_unknown_names(capsys):
    assert {"vgg7", "vgg16", "alexnet", "resnet18", "resnet34", "unet", "drunet", "dcgan_discriminator"} <= set(MODELS)
    with pytest.raises(SystemExit):
        main(["summary", "vgg19"])
    assert "invalid choice: 'vgg19'" in capsys.readouterr().err
