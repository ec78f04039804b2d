#!/usr/bin/env python3
"""Runs many forward passes of ../shared/tools/llama_reference.py in one process, for the lab's tests.

Usage: reference_driver.py REFERENCE.py MODEL.gguf JOBS.json OUT_DIR
JOBS.json: [{"tokens": [..], "capture": ["l_out-*"], "patch": {"NAME": {"file": "F.f64", "shape": [..]}},
             "ablate": {"L": [h, ..]}, "steer": {"L": {"file": "F.f64", "scale": S}}}, ...]
For job i, every array the reference returns is written to OUT_DIR/i/NAME.f64 (little-endian float64, C order) and
listed in OUT_DIR/index.txt as "i NAME dim dim ...". Only the reference's own forward pass computes values here.
"""
import importlib.util
import json
import os
import sys

import numpy as np


def main():
    ref_path, model_path, jobs_path, out = sys.argv[1:5]
    spec = importlib.util.spec_from_file_location("llama_reference", ref_path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    model = ref.Llama(model_path)
    with open(jobs_path) as f:
        jobs = json.load(f)
    lines = []
    for i, job in enumerate(jobs):
        tokens = job["tokens"]
        n = len(tokens)
        pos = list(range(n))
        mask = np.tril(np.ones((n, n), dtype=bool))
        load = lambda s: np.fromfile(s["file"], dtype="<f8").reshape(s["shape"])
        patch = {name: load(s) for name, s in job.get("patch", {}).items()}
        ablate = {int(l): list(h) for l, h in job.get("ablate", {}).items()}
        steer = {int(l): load(s) * float(s.get("scale", 1.0)) for l, s in job.get("steer", {}).items()}
        seen = model.forward(tokens, pos, mask, job.get("capture", []), patch, ablate, None, set(), steer)
        os.makedirs(os.path.join(out, str(i)), exist_ok=True)
        for name, value in seen.items():
            a = np.ascontiguousarray(value, dtype="<f8")
            a.tofile(os.path.join(out, str(i), name + ".f64"))
            lines.append(" ".join([str(i), name] + [str(d) for d in a.shape]))
    with open(os.path.join(out, "index.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
