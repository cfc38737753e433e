"""The course models written again in PyTorch, with the same module names, so a state_dict
moves between the two by key. Each twin follows the architecture as its paper (or
torchvision) describes it; the tests load the same weights into both and compare outputs.
Imported only when torch is installed."""
import torch
from torch import nn
import torch.nn.functional as F


def make_vgg_layers(config, in_channels):
    layers, c = [], in_channels
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, item, 3, padding=1), nn.ReLU()]
            c = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, config, in_channels, pool, classifier):
        super().__init__()
        self.features = make_vgg_layers(config, in_channels)
        self.avgpool = nn.AdaptiveAvgPool2d((pool, pool))
        self.classifier = classifier

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg7(in_channels=3, num_classes=1):
    return VGG((32, 64, "M", 128, 128, "M", 256, "M"), in_channels, 4,
               nn.Sequential(nn.Linear(4096, 512), nn.ReLU(), nn.Linear(512, num_classes)))


class BasicBlock(nn.Module):
    def __init__(self, cin, c, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + identity)


class ResNet(nn.Module):
    """torchvision's ResNet with basic blocks."""

    def __init__(self, blocks, num_classes=1000):
        super().__init__()
        self.cin = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._layer(64, blocks[0], 1)
        self.layer2 = self._layer(128, blocks[1], 2)
        self.layer3 = self._layer(256, blocks[2], 2)
        self.layer4 = self._layer(512, blocks[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _layer(self, c, n, stride):
        down = None
        if stride != 1 or self.cin != c:
            down = nn.Sequential(nn.Conv2d(self.cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))
        layers = [BasicBlock(self.cin, c, stride, down)]
        self.cin = c
        layers += [BasicBlock(c, c) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ZeroPad(nn.Module):
    def __init__(self, extra):
        super().__init__()
        self.extra = extra

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))


class CifarResNet(nn.Module):
    def __init__(self, n=3, num_classes=10, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.cin = 16
        self.layer1 = self._layer(16, n, 1)
        self.layer2 = self._layer(32, n, 2)
        self.layer3 = self._layer(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)

    def _layer(self, c, n, stride):
        layers = [BasicBlock(self.cin, c, stride, ZeroPad(c - self.cin) if stride != 1 else None)]
        self.cin = c
        layers += [BasicBlock(c, c) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
                                      nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
                                        nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class DnCNN(nn.Module):
    def __init__(self, channels=1, depth=17, features=64, batch_norm=True, residual=True):
        super().__init__()
        layers = [nn.Conv2d(channels, features, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers.append(nn.Conv2d(features, features, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(features))
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(features, channels, 3, padding=1, bias=False))
        self.layers = nn.Sequential(*layers)
        self.residual = residual

    def forward(self, y):
        return y - self.layers(y) if self.residual else self.layers(y)


class ResBlock(nn.Module):
    def __init__(self, c, bias=True):
        super().__init__()
        self.res = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=bias), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=bias))

    def forward(self, x):
        return x + self.res(x)


class DNResNet(nn.Module):
    def __init__(self, channels=1, features=64, blocks=8):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(channels, features, 3, padding=1), nn.ReLU())
        self.blocks = nn.Sequential(*[ResBlock(features) for _ in range(blocks)])
        self.tail = nn.Conv2d(features, channels, 3, padding=1)

    def forward(self, y):
        return y - self.tail(self.blocks(self.head(y)))


class DRUNet(nn.Module):
    """KAIR's UNetRes (DPIR), written out."""

    def __init__(self, in_channels=1, out_channels=1, features=(64, 128, 256, 512), blocks=4):
        super().__init__()
        f = features
        rb = lambda c: [ResBlock(c, bias=False) for _ in range(blocks)]  # noqa: E731
        self.m_head = nn.Conv2d(in_channels + 1, f[0], 3, padding=1, bias=False)
        self.m_down1 = nn.Sequential(*rb(f[0]), nn.Conv2d(f[0], f[1], 2, 2, bias=False))
        self.m_down2 = nn.Sequential(*rb(f[1]), nn.Conv2d(f[1], f[2], 2, 2, bias=False))
        self.m_down3 = nn.Sequential(*rb(f[2]), nn.Conv2d(f[2], f[3], 2, 2, bias=False))
        self.m_body = nn.Sequential(*rb(f[3]))
        self.m_up3 = nn.Sequential(nn.ConvTranspose2d(f[3], f[2], 2, 2, bias=False), *rb(f[2]))
        self.m_up2 = nn.Sequential(nn.ConvTranspose2d(f[2], f[1], 2, 2, bias=False), *rb(f[1]))
        self.m_up1 = nn.Sequential(nn.ConvTranspose2d(f[1], f[0], 2, 2, bias=False), *rb(f[0]))
        self.m_tail = nn.Conv2d(f[0], out_channels, 3, padding=1, bias=False)

    def forward(self, x, sigma):
        x = torch.cat([x, torch.full_like(x[:, :1], sigma)], 1)
        x1 = self.m_head(x)
        x2 = self.m_down1(x1)
        x3 = self.m_down2(x2)
        x4 = self.m_down3(x3)
        x = self.m_body(x4)
        x = self.m_up3(x + x4)
        x = self.m_up2(x + x3)
        x = self.m_up1(x + x2)
        return self.m_tail(x + x1)


def double_conv(cin, c, padding):
    return nn.Sequential(nn.Conv2d(cin, c, 3, padding=padding), nn.ReLU(), nn.Conv2d(c, c, 3, padding=padding), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=2, features=64, depth=4, padding=0, merge="concat"):
        super().__init__()
        widths = [features * 2 ** i for i in range(depth + 1)]
        self.merge = merge
        self.encoder = nn.ModuleList()
        c = in_channels
        for w in widths[:-1]:
            self.encoder.append(double_conv(c, w, padding))
            c = w
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(widths[-2], widths[-1], padding)
        self.upconvs, self.decoder = nn.ModuleList(), nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.upconvs.append(nn.ConvTranspose2d(2 * w, w, 2, 2))
            self.decoder.append(double_conv(2 * w if merge == "concat" else w, w, padding))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x):
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, stage, skip in zip(self.upconvs, self.decoder, reversed(skips)):
            x = up(x)
            top, left = (skip.shape[2] - x.shape[2]) // 2, (skip.shape[3] - x.shape[3]) // 2
            skip = skip[:, :, top:top + x.shape[2], left:left + x.shape[3]]
            x = stage(torch.cat([skip, x], 1) if self.merge == "concat" else skip + x)
        return self.head(x)


class ConvAutoencoder(nn.Module):
    def __init__(self, in_channels=1, features=32):
        super().__init__()
        f = features
        self.encoder = nn.Sequential(nn.Conv2d(in_channels, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Conv2d(f, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.decoder = nn.Sequential(nn.Conv2d(f, f, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
                                     nn.Conv2d(f, f, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
                                     nn.Conv2d(f, in_channels, 3, padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim=100, channels=1, features=64, image_size=28):
        super().__init__()
        widths, k = ([features * 4, features * 2, features], 4) if image_size == 32 else ([features * 2, features], 7)
        layers = [nn.ConvTranspose2d(latent_dim, widths[0], k, 1, 0, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.reshape(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    def __init__(self, channels=1, features=64, image_size=28):
        super().__init__()
        widths, k = ([features, features * 2, features * 4], 4) if image_size == 32 else ([features, features * 2], 7)
        layers = [nn.Conv2d(channels, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(widths[-1], 1, k, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x).flatten()


class CoordinateMLP(nn.Module):
    """Twin of CoordinateMLP with a given frequency matrix B (or none)."""

    def __init__(self, in_features=2, out_features=1, hidden=256, layers=4, B=None):
        super().__init__()
        if B is None:
            self.encoding, width = nn.Identity(), in_features
        else:
            self.encoding = FourierFeatures(B)
            width = 2 * B.shape[0]
        blocks = []
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        blocks.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*blocks)

    def forward(self, p):
        return self.net(self.encoding(p))


class FourierFeatures(nn.Module):
    def __init__(self, B):
        super().__init__()
        self.register_buffer("B", torch.as_tensor(B))

    def forward(self, p):
        arg = torch.pi * (p @ self.B.to(p.dtype).T)
        return torch.cat([arg.sin(), arg.cos()], -1)


class AlexNet(nn.Module):
    """torchvision's AlexNet layout."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg16(num_classes=1000):
    config = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
    classifier = nn.Sequential(nn.Linear(25088, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
                               nn.Dropout(), nn.Linear(4096, num_classes))
    return VGG(config, 3, 7, classifier)
