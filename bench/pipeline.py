"""dlrun's data pipeline in Python, for another framework to read the same
batches: epochs shuffled by Fisher-Yates with std::mt19937_64 draws
(runtime/src/train/Trainer.cpp), IDX pixels / 255, byte-level text windows;
and the safetensors files dlrun writes. NumPy only."""

import json
import struct

import numpy as np


class MT19937_64:
    """std::mt19937_64, which dlrun's shuffles and text windows draw from."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.mt = [seed & self.MASK]
        for i in range(1, 312):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i)
                           & self.MASK)
        self.index = 312

    def _twist(self):
        mt = self.mt
        for i in range(312):
            x = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % 312] & 0x7FFFFFFF)
            shifted = x >> 1
            if x & 1:
                shifted ^= 0xB5026F5AA96619E9
            mt[i] = mt[(i + 156) % 312] ^ shifted
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & self.MASK


def epoch_order(n, seed, epoch):
    """The sample order of a dlrun training epoch (Trainer.cpp)."""
    order = list(range(n))
    rng = MT19937_64(seed * 1000003 + epoch)
    for i in range(n - 1, 0, -1):
        j = rng() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)


def read_idx(path):
    import gzip
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(directory, split):
    """(images as float32 / 255, labels as int64), as dlrun loads them."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(f"{directory}/{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(f"{directory}/{prefix}-labels-idx1-ubyte.gz")
    return (images.astype(np.float32) / np.float32(255),
            labels.astype(np.int64))


def text_windows(path, context, split, seed=0):
    """(tokens, targets) windows of a byte-level corpus, as
    loadTextCorpus makes them."""
    text = np.frombuffer(open(path, "rb").read(), np.uint8)
    present = np.zeros(256, bool)
    present[text] = True
    ids = np.cumsum(present) - 1
    size = len(text)
    held, window = size // 10, context + 1
    if split == "train":
        span = size - held
        rng = MT19937_64(seed * 1000003 + 7919)
        starts = [rng() % (span - window + 1) for _ in range(span // context)]
    else:
        starts = list(range(size - held, size - window + 1, context))
    windows = np.stack([text[s:s + window] for s in starts])
    tokens = ids[windows].astype(np.int64)
    return tokens[:, :-1], tokens[:, 1:]


def read_safetensors(path):
    """{name: array} of a safetensors file (what dlrun --save writes)."""
    kinds = {"F32": np.float32, "F64": np.float64, "I32": np.int32,
             "I64": np.int64}
    blob = open(path, "rb").read()
    size = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + size])
    base, tensors = 8 + size, {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(blob[base + begin:base + end],
                                      kinds[entry["dtype"]]).reshape(entry["shape"])
    return tensors
