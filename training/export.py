#!/usr/bin/env python3
"""Writes a trained pipeline's LUT as a lutsr model file (.lsr).

    /usr/bin/python3 training/export.py RUN_DIR_OR_CHECKPOINT [-o MODEL.lsr]

A run folder means its last checkpoint (RUN/ckpt.pt); any stage-*.pt or
ckpt.pt whose model already has a LUT (SR-LUT: after the transfer) can be
exported, e.g. stage-transfer.pt for the un-fine-tuned LUT.

Interface (train.py uses the same two functions, so a model exported here
from the final checkpoint is byte-identical to the one train.py wrote,
except for the metadata's date):

    metadata(cfg, history, pipe, info) -> {key: value}
        key: value lines: arch, scale, kind params, data, iterations per
        stage, seed, date, device, git commit, "trained on CPU" when so,
        the last quick Set5 PSNR (Python) and the config name.
    write_model(pipe, meta, path)
        pipe.export() -> lsr_format.write() (or write_mulut() when the
        export's LUT is a dict of tensors, write_cnn() for kind "cnn":
        graph rows and float32 weights); the file is re-read and
        checked before it replaces `path`.
"""
import argparse
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsr_format  # noqa: E402


def metadata(cfg, history, pipe, info):
    m = {
        "arch": getattr(pipe, "arch", pipe.kind),
        "scale": pipe.scale,
        "config": cfg.get("name", "?"),
        # the network's shape (nf, layers, out_shift...) as trained: the
        # config name alone does not say which --set overrides were used
        "model": json.dumps(cfg.get("model", {}), sort_keys=True),
        "data": info.get("data", "?"),
        "iterations": ", ".join("%s %d" % (n, history.get(n, {}).get("iters", 0))
                                for n, k in pipe.stages if k == "train"),
        "seed": cfg.get("seed"),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "device": info.get("device", "?"),
        "git": info.get("git", "unknown"),
        "training_seconds": "%.0f" % sum(v.get("seconds", 0) for v in history.values()),
    }
    if cfg.get("distill"):
        d = cfg["distill"]
        m["distill"] = "teacher %s, weight %s, stages %s" % (
            d.get("teacher"), d.get("weight", 0.5), "+".join(d.get("stages", [])) or "first")
    if info.get("trained_on_cpu"):
        m["note"] = "trained on CPU"
    vals = [v["val"][-1][1] for n, _ in pipe.stages for v in [history.get(n, {})] if v.get("val")]
    if vals:
        m["psnr_set5_y_python"] = "%.3f" % vals[-1]
    return m


def write_model(pipe, meta, path):
    params, lut, extra = pipe.export()
    meta = dict(meta)
    for k, v in extra.items():
        meta.setdefault(k, v)
    text = "".join("%s: %s\n" % (k, str(v).replace("\n", " ")) for k, v in meta.items())
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    if pipe.kind == "cnn":  # params = layer rows, lut = {tensor name: float32 array}
        lsr_format.write_cnn(tmp, pipe.scale, params, lut, text)
        back = lsr_format.read(tmp)
        if any(back["tensors"][name][2] != v.astype("<f4").tobytes() for name, v in lut.items()):
            raise RuntimeError("%s: weights read back differ" % tmp)
    elif isinstance(lut, dict):  # mulut: params = stage rows, lut = {tensor name: int8 array}
        lsr_format.write_mulut(tmp, pipe.scale, params, lut, text)
        back = lsr_format.read(tmp)
        if any(back["tensors"][name][2] != v.tobytes() for name, v in lut.items()):
            raise RuntimeError("%s: LUT read back differs" % tmp)
    else:
        lsr_format.write(tmp, pipe.kind, pipe.scale, params, lut, text)
        back = lsr_format.read(tmp)  # validates the whole file
        if back["lut"] != lut.tobytes():
            raise RuntimeError("%s: LUT read back differs" % tmp)
    os.replace(tmp, path)
    return path


def load_pipeline(path, device="cpu"):
    """(pipe, checkpoint dict) from a run folder or a checkpoint file."""
    import importlib

    import torch
    if os.path.isdir(path):
        path = os.path.join(path, "ckpt.pt")
    st = torch.load(path, map_location="cpu")
    pipe = importlib.import_module(st["cfg"]["kind"]).make_pipeline(st["cfg"], device)
    pipe.load_state_dict(st["pipeline"])
    return pipe, st


def main(argv):
    ap = argparse.ArgumentParser(description="Export a training checkpoint's LUT as .lsr.")
    ap.add_argument("checkpoint", help="run folder (its ckpt.pt) or a .pt checkpoint")
    ap.add_argument("-o", "--out", help="model file (default: next to the checkpoint, "
                                        "<kind>-x<scale>.lsr)")
    a = ap.parse_args(argv)
    pipe, st = load_pipeline(a.checkpoint)
    try:
        pipe.export()
    except (AttributeError, TypeError) as e:
        raise SystemExit("%s: no LUT to export yet (stage %d): %s" % (a.checkpoint, st["stage_idx"], e))
    base = a.checkpoint if os.path.isdir(a.checkpoint) else os.path.dirname(a.checkpoint)
    out = a.out or os.path.join(base, "%s-x%d.lsr" % (pipe.kind, pipe.scale))
    meta = metadata(st["cfg"], st["history"], pipe, st.get("info", {}))
    if st["stage_idx"] < len(pipe.stages):
        meta["stage"] = "checkpoint at stage %s, iteration %d" % (
            pipe.stages[st["stage_idx"]][0], st["it"])
    write_model(pipe, meta, out)
    print("export: %s (%d bytes)" % (out, os.path.getsize(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
