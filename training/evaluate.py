#!/usr/bin/env python3
"""Official scores of a model: runs the C `lutsr eval` (MATLAB-compatible
protocol, tools/eval.h) on the validation sets and reports mean Y PSNR/SSIM.

    /usr/bin/python3 training/evaluate.py MODEL.lsr [--sets Set5 Set14]
        [--lutsr build/bin/lutsr] [--val ../shared/data/val] [--json]
        [--bicubic]   also score the engine's bicubic at the model's scale

Interface:
    evaluate(model, sets=("Set5", "Set14"), lutsr=None, val_root=None)
        -> {set: {"psnr": float, "ssim": float, "images": int}}
    The binary defaults to build/bin/lutsr (run `make` first); a model's
    scale is the file's own.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_LUTSR = os.path.join(ROOT, "build", "bin", "lutsr")
DEFAULT_VAL = os.path.join(ROOT, "..", "shared", "data", "val")

MEAN = re.compile(r"^mean: PSNR ([0-9.]+) dB  SSIM ([0-9.]+)  \((\d+) images, scale (\d)")


def evaluate(model, sets=("Set5", "Set14"), lutsr=None, val_root=None, extra=()):
    lutsr = lutsr or DEFAULT_LUTSR
    val_root = val_root or DEFAULT_VAL
    if not os.access(lutsr, os.X_OK):
        raise FileNotFoundError("%s not found: build it first (make)" % lutsr)
    res = {}
    for s in sets:
        d = os.path.join(val_root, s)
        csv = os.path.join("/tmp", "lutsr-evaluate-%d.csv" % os.getpid())
        p = subprocess.run([lutsr, "eval", "-q", "-m", model, "--hr", d, "--csv", csv] + list(extra),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("lutsr eval failed on %s: %s" % (d, p.stderr.strip()))
        m = MEAN.match(p.stdout.strip().splitlines()[-1])
        if not m:
            raise RuntimeError("unexpected lutsr eval output: %r" % p.stdout)
        # The CSV has 4 decimals where the mean line has 2.
        psnr, ssim = float(m.group(1)), float(m.group(2))
        try:
            with open(csv) as f:
                for line in f:
                    if line.startswith("mean,"):
                        psnr, ssim = float(line.split(",")[3]), float(line.split(",")[4])
        finally:
            if os.path.exists(csv):
                os.unlink(csv)
        res[s] = {"psnr": psnr, "ssim": ssim, "images": int(m.group(3)), "scale": int(m.group(4))}
    return res


def main(argv):
    ap = argparse.ArgumentParser(description="Score a model with `lutsr eval` (Y PSNR/SSIM).")
    ap.add_argument("model")
    ap.add_argument("--sets", nargs="+", default=["Set5", "Set14"])
    ap.add_argument("--lutsr", default=DEFAULT_LUTSR)
    ap.add_argument("--val", default=DEFAULT_VAL, help="folder holding the sets")
    ap.add_argument("--bicubic", action="store_true", help="also score bicubic at the same scale")
    ap.add_argument("--json", action="store_true", help="print JSON")
    a = ap.parse_args(argv)
    out = {a.model: evaluate(a.model, a.sets, a.lutsr, a.val)}
    if a.bicubic:
        sc = next(iter(out[a.model].values()))["scale"]
        name = "bicubic-x%d" % sc
        out[name] = evaluate(name, a.sets, a.lutsr, a.val)
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        for model, res in out.items():
            for s, r in res.items():
                print("%-10s x%d  PSNR %.4f dB  SSIM %.4f  (%d images)  %s" % (
                    s, r["scale"], r["psnr"], r["ssim"], r["images"], model))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
