"""Writes a safetensors file of float32 tensors filled with one value, for
the lit tests (standard library only).

usage: safetensors.py OUT NAME=SHAPE[=VALUE]...   (SHAPE like 3x4)"""
import json
import struct
import sys

header, blobs, offset = {}, [], 0
for spec in sys.argv[2:]:
    parts = spec.split("=")
    name, dims = parts[0], [int(d) for d in parts[1].split("x")]
    value = float(parts[2]) if len(parts) > 2 else 0.0
    count = 1
    for d in dims:
        count *= d
    blob = struct.pack(f"<{count}f", *([value] * count))
    header[name] = {"dtype": "F32", "shape": dims,
                    "data_offsets": [offset, offset + len(blob)]}
    offset += len(blob)
    blobs.append(blob)
text = json.dumps(header).encode()
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
