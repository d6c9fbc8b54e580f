"""The benchmark's models in PyTorch, written to compute exactly what the
examples/*.dl models compute, with the same parameter names (a module's
state_dict keys are the plan's parameter names), so both frameworks start
from the same checkpoint and update with the same optimizer.

Dense weights are [in, out] and products are `x @ w + b`, as in the DSL
(torch.nn.Linear would store the transpose)."""

import math

import torch
import torch.nn.functional as F
from torch import nn


# --------------------------------------------------------------------------
# The models
# --------------------------------------------------------------------------

class Dense(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = nn.Parameter(torch.empty(n_in, n_out))
        self.b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.w + self.b


class Conv(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.w = nn.Parameter(torch.empty(c_out, c_in, 3, 3))
        self.b = nn.Parameter(torch.zeros(c_out))

    def forward(self, x):
        return F.conv2d(x, self.w, self.b, padding=1)


class Mlp(nn.Module):
    """examples/mlp.dl: 784-128-10, ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = Dense(784, 128), Dense(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Cnn(nn.Module):
    """examples/cnn.dl: two 3x3 convolutions, max pool, two dense layers."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = Conv(1, 16), Conv(16, 32)
        self.fc1, self.fc2 = Dense(32 * 14 * 14, 256), Dense(256, 10)

    def forward(self, x):
        h = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        h = F.max_pool2d(h, 2).flatten(1)
        return self.fc2(torch.relu(self.fc1(h)))


class Norm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.g = nn.Parameter(torch.ones(d))
        self.b = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:], self.g, self.b, 1e-5)


class Attention(nn.Module):
    def __init__(self, d, heads, ctx):
        super().__init__()
        self.d, self.heads = d, heads
        self.w_qkv = nn.Parameter(torch.empty(d, 3 * d))
        self.b_qkv = nn.Parameter(torch.zeros(3 * d))
        self.w_out = nn.Parameter(torch.empty(d, d))
        self.b_out = nn.Parameter(torch.zeros(d))
        rows = torch.arange(ctx).unsqueeze(1)
        self.register_buffer("causal", torch.arange(ctx).unsqueeze(0) <= rows,
                             persistent=False)

    def forward(self, x):
        batch, ctx, d = x.shape
        hd = d // self.heads
        qkv = x @ self.w_qkv + self.b_qkv

        def split(part):
            return part.reshape(batch, ctx, self.heads, hd).transpose(1, 2)

        q, k, v = (split(qkv[..., i * d:(i + 1) * d]) for i in range(3))
        scores = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(hd))
        scores = torch.where(self.causal, scores, torch.tensor(-1e9, device=x.device))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2)
        return y.reshape(batch, ctx, d) @ self.w_out + self.b_out


class Feedforward(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.w1 = nn.Parameter(torch.empty(d, d_ff))
        self.b1 = nn.Parameter(torch.zeros(d_ff))
        self.w2 = nn.Parameter(torch.empty(d_ff, d))
        self.b2 = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        h = F.gelu(x @ self.w1 + self.b1, approximate="tanh")
        return h @ self.w2 + self.b2


class Block(nn.Module):
    def __init__(self, d, heads, ctx, d_ff):
        super().__init__()
        self.ln1, self.ln2 = Norm(d), Norm(d)
        self.attn = Attention(d, heads, ctx)
        self.mlp = Feedforward(d, d_ff)

    def forward(self, x):
        a = x + self.attn(self.ln1(x))
        return a + self.mlp(self.ln2(a))


class Gpt(nn.Module):
    """examples/gpt.dl: 4 pre-norm blocks, tied output head."""

    def __init__(self, vocab=128, ctx=64, d=128, heads=4, d_ff=512, layers=4):
        super().__init__()
        self.wte = nn.Parameter(torch.empty(vocab, d))
        self.wpe = nn.Parameter(torch.empty(ctx, d))
        for i in range(layers):
            setattr(self, f"h{i}", Block(d, heads, ctx, d_ff))
        self.layers = layers
        self.ln_f = Norm(d)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.wte[tokens] + self.wpe[positions]
        for i in range(self.layers):
            x = getattr(self, f"h{i}")(x)
        return self.ln_f(x) @ self.wte.t()


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                      nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    """ResNet-18 for 224 x 224 images, 1000 classes (torchvision's layout,
    written out so the GPU machine needs no torchvision)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, c_in = [], 64
        for c_out, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(c_in, c_out, stride),
                                        BasicBlock(c_out, c_out, 1)))
            c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODELS = {"mlp": Mlp, "cnn": Cnn, "gpt": Gpt}


def resnet18_for_inference():
    """ResNet-18 with seeded weights and batch-norm statistics as a trained
    network would have them (not the identity), in eval mode: the same on
    every machine with the same torch, which is how the GPU machine rebuilds
    the network dlc compiled here (the ONNX exporter folds batch norm into
    the convolutions, so the ONNX file's weights are not the state_dict's)."""
    torch.manual_seed(0)
    model = ResNet18().eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
    return model


# --------------------------------------------------------------------------
# Optimizers as the dl-optimizer pass builds them
# --------------------------------------------------------------------------

# The examples' train sections (examples/*.dl); bench.py checks them against
# the plan's description.
TRAINING = {
    "mlp": {"optimizer": "adam", "lr": 1e-3},
    "cnn": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9},
    "gpt": {"optimizer": "adamw", "lr": 3e-4, "weight_decay": 0.1,
            "cosine": (100, 5000), "clip_norm": 1.0},
}


class Trainer:
    """One optimizer step per call: the update rules, schedule and clipping
    of compiler/transforms/Optimizer.cpp with torch's optimizers (whose
    formulas are the same: SGD momentum without dampening; Adam with
    bias-corrected moments; AdamW decaying the parameter first)."""

    def __init__(self, model, name):
        self.settings = TRAINING[name]
        s = self.settings
        params = list(model.parameters())
        self.params = params
        if s["optimizer"] == "sgd":
            self.opt = torch.optim.SGD(params, lr=s["lr"],
                                       momentum=s.get("momentum", 0))
        elif s["optimizer"] == "adam":
            self.opt = torch.optim.Adam(params, lr=s["lr"])
        else:
            self.opt = torch.optim.AdamW(params, lr=s["lr"],
                                         weight_decay=s.get("weight_decay", 0))
        self.t = 0

    def rate(self, t):
        s = self.settings
        if "cosine" not in s:
            return s["lr"]
        warmup, total = s["cosine"]
        if t <= warmup:
            return t * s["lr"] / warmup
        progress = min(max((t - warmup) / max(1, total - warmup), 0), 1)
        return (math.cos(progress * math.pi) + 1) * 0.5 * s["lr"]

    def step(self):
        self.t += 1
        for group in self.opt.param_groups:
            group["lr"] = self.rate(self.t)
        if "clip_norm" in self.settings:
            torch.nn.utils.clip_grad_norm_(self.params, self.settings["clip_norm"])
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)


def load_dlc_state(model, path):
    """Copies the parameters of a dlrun checkpoint into `model`; every
    parameter of the model must be there."""
    from pipeline import read_safetensors

    tensors = read_safetensors(path)
    state = model.state_dict()
    missing = [k for k in state if k not in tensors]
    if missing:
        raise KeyError(f"{path} lacks {missing}")
    model.load_state_dict({k: torch.from_numpy(tensors[k].copy()) for k in state})
