"""Writes a float32 or int32 .npy file without numpy, for the lit tests.

usage: npy.py OUT.npy f32|i32 SHAPE VALUE...   (SHAPE like 2x3; VALUEs repeat
to fill the shape)"""
import struct
import sys

path, dtype, shape = sys.argv[1], sys.argv[2], sys.argv[3]
dims = [int(d) for d in shape.split("x")] if shape != "scalar" else []
count = 1
for d in dims:
    count *= d
values = [float(v) for v in sys.argv[4:]] or [0.0]
values = (values * count)[:count]
descr, fmt = {"f32": ("<f4", "<f"), "i32": ("<i4", "<i")}[dtype]
shape_text = "(" + "".join(f"{d}, " for d in dims).rstrip(" ")
shape_text = shape_text.rstrip(",") + ("," if len(dims) == 1 else "") + ")"
header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
    f.write(header.encode())
    for v in values:
        f.write(struct.pack(fmt, int(v) if dtype == "i32" else v))
