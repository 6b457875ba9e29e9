#!/usr/bin/env python3
"""Trains a LUT or small-CNN super-resolution model and exports it as a .lsr file.

    /usr/bin/python3 training/train.py --config training/configs/srlut-x2.json \\
        [--out training/runs/NAME] [--resume] [--iters N] [--set KEY=VALUE ...]

Runs the model kind's stages in order (SR-LUT: net -> transfer -> finetune),
checkpoints into the run folder every `checkpoint_every` iterations (and at
each stage's end, and on Ctrl-C / SIGTERM), resumes from the last
checkpoint with --resume (model, optimizer and every RNG state, so a resumed
run continues the same batch sequence), logs progress lines to stdout and
RUN/log.txt, and finally writes RUN/<kind>-x<scale>.lsr with its training
metadata. The official scores come from `lutsr eval` (training/evaluate.py);
the "val" lines here are a quick Python PSNR on Set5 Y from the cache
(and Set14's, where the cache holds it).

Pipeline interface (one module per kind, named after cfg["kind"], e.g.
srlut.py, eclut.py; train.py calls module.make_pipeline(cfg, device)):

    class Pipeline:
        kind: str                       "srlut", "eclut" (lsr_format kind name)
        scale: int
        stages: [(name, "train" | "once"), ...]   in run order
        params(stage) -> [tensor]       what the optimizer trains in a "train" stage
        forward(stage, lr) -> sr        lr: N x 1 x h x w float pixel values 0..255
                                        (on the pipeline's device); sr: N x 1 x sh x sw
                                        float pixel units, differentiable, not rounded
        run_once(stage, log)            a "once" stage (e.g. transfer); log(str)
        predict(stage, lr_u8) -> uint8  SR of one 2-D uint8 plane as the model stands
                                        after `stage` (LUT stages: the bit-exact
                                        integer engine path), for the val PSNR
        state_dict() / load_state_dict(d)   everything needed to resume
        export() -> (params, lut_int8, meta)
                                        params as lsr_format.write() takes them,
                                        lut_int8 numpy (entries, values), meta a
                                        dict of extra metadata lines

Config (JSON; paths relative to the repository root; --set a.b=v overrides
any key, the value parsed as JSON when it parses, else taken as a string):

    name, kind, scale, seed
    model:  kind-specific (srlut: interval_bits, nf, layers)
    data:   cache (.npz from data.py), patch (LR side), batch, jitter [lo, hi],
            augment, invert (also train on negatives, 255 - HR, half the time;
            default false), mix (probability of a random luma of the RGB
            image instead of its Y, data.py; default 0), rgb_cache (its
            planes; default training/cache/train-rgb.npz, built when
            missing), weight ("sqrt" | "area" | "uniform"), limit (first N images),
            subset (a seeded random set of whole images holding that
            fraction of the pixels, for data-size experiments),
            prefetch (batches made ahead in a thread; default 4 on CUDA, 0 on CPU)
    stages: {NAME: {iters, lr, lr_end, schedule ("cosine" | "constant" | "step"),
                    warmup, weight_decay, loss ("mse" | "l1"), batch, patch}}
    checkpoint_every, log_every, val_every  (iterations; 0 disables val)
    distill (optional): {"teacher": RUN_DIR | CHECKPOINT.pt | CNN_MODEL.lsr,
            "weight": w (default 0.5), "stages": [names] (default: the first
            training stage), "ensemble": 1 | 8 (default 1; 8: the teacher's
            output is the mean over the 8 flips/rotations of the LR patch,
            each mapped back, its "x8 self-ensemble", a stronger teacher
            at 8x its cost), "edge": "replicate" | "zero" (a .lsr teacher
            at the patch's edges: the patch replicate-padded by the graph's
            reach, up to 8 LR pixels, as CNN training does, or the engine's
            zero padding, which the runs before 2026-11-24 used; a run
            folder teacher always pads as its own training did)}: adds w
            times the stage's own loss (mse or l1,
            on [0,1]) between sr and the teacher's output to those stages'
            loss. The teacher is a run folder / checkpoint of any kind
            (its last trained stage's forward, e.g. a CNN or a fine-tuned LUT)
            or a cnn .lsr run by cnn_export.run_graph; same scale as the
            student. Works for every kind's training stages (CNN students;
            SR-LUT / ECLUT / MuLUT network stages).

Kinds: srlut.py, eclut.py, mulut.py (LUTs), cnn.py (eSR, ECBSR, FSRCNN,
IMDN layer graphs; see cnn_models.py, cnn_export.py).
"""
import argparse
import copy
import importlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time

# Before torch loads libgomp: idle OpenMP workers sleep instead of spinning.
# On a shared 2-core machine spinning workers made steps up to 10x slower
# whenever another process ran; unloaded, passive costs nothing measurable.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import data  # noqa: E402
import export  # noqa: E402
import lut_ops  # noqa: E402

CKPT = "ckpt.pt"


# ------------------------------------------------------------------ config

def load_config(path, overrides=()):
    with open(path) as f:
        cfg = json.load(f)
    for o in overrides:
        key, sep, val = o.partition("=")
        if not sep:
            raise SystemExit("--set wants KEY=VALUE, got %r" % o)
        try:
            val = json.loads(val)
        except ValueError:
            pass
        d = cfg
        parts = key.split(".")
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = val
    for k in ("kind", "scale"):
        if k not in cfg:
            raise SystemExit("%s: missing %r" % (path, k))
    cfg.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    cfg.setdefault("seed", 1)
    cfg.setdefault("data", {})
    cfg.setdefault("stages", {})
    cfg.setdefault("checkpoint_every", 1000)
    cfg.setdefault("log_every", 100)
    cfg.setdefault("val_every", 5000)
    return cfg


def repo_path(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


def lr_at(sc, it, iters):
    """Learning rate at iteration it (0-based) of a stage."""
    lr0 = float(sc.get("lr", 1e-3))
    lr1 = float(sc.get("lr_end", lr0))
    warm = int(sc.get("warmup", 0))
    if it < warm:
        return lr0 * (it + 1) / warm
    t = (it - warm) / max(1, iters - warm)
    kind = sc.get("schedule", "cosine")
    if kind == "constant":
        return lr0
    if kind == "step":  # x0.5 at each of `steps` evenly spaced points, floor lr_end
        steps = int(sc.get("steps", 4))
        return max(lr1, lr0 * 0.5 ** math.floor(t * (steps + 1)))
    return lr1 + 0.5 * (lr0 - lr1) * (1 + math.cos(math.pi * min(1.0, t)))


def fmt_time(s):
    if not math.isfinite(s):
        return "?"
    s = int(s)
    return "%dh%02dm" % (s // 3600, s // 60 % 60) if s >= 3600 else "%dm%02ds" % (s // 60, s % 60)


def git_commit():
    try:
        h = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, timeout=10).stdout.strip()
        if not h:
            return "unknown"
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return h + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def device_name(dev):
    if dev.type == "cuda":
        return "cuda (%s)" % torch.cuda.get_device_name(dev)
    return "cpu (%s, %d threads)" % (platform.processor() or platform.machine(),
                                    torch.get_num_threads())


# ------------------------------------------------------------ distillation

class Teacher:
    """The distillation teacher of a config's "distill" (see the top)."""

    def __init__(self, dc, student, device):
        path = repo_path(str(dc["teacher"]))
        self.weight = float(dc.get("weight", 0.5))
        self.ensemble = dc.get("ensemble", 1)
        if self.ensemble not in (1, 8) or isinstance(self.ensemble, bool):
            raise SystemExit("distill: ensemble must be 1 or 8, got %r" % (self.ensemble,))
        edge = dc.get("edge", "replicate")
        if edge not in ("replicate", "zero"):
            raise SystemExit("distill: edge must be \"replicate\" or \"zero\", got %r" % (edge,))
        train_stages = [n for n, k in student.stages if k == "train"]
        self.stages = list(dc.get("stages", train_stages[:1]))
        bad = sorted(set(self.stages) - set(train_stages))
        if bad:
            raise SystemExit("distill: %s not training stages of %s (%s)" % (
                ", ".join(bad), student.kind, ", ".join(train_stages)))
        rng = torch.get_rng_state()  # building a teacher must not move the student's RNG
        if path.endswith(".lsr"):
            import cnn_export
            try:
                g = cnn_export.GraphModule(path, edge=edge == "replicate")
            except ValueError as e:
                raise SystemExit("distill: %s (a LUT teacher is given as its run folder)" % e)
            scale, what = g.s, "cnn graph, %d layers" % len(g.rows)
            # A patch's edges are not the image's: seen through zero
            # padding, a teacher's output there is worse than its own
            # (ECBSR x2: a 6 LR pixel band, 44% of a 48 x 48 patch). With
            # "replicate" the graph sees the patch extended by its reach, as
            # the engine extends a frame; "zero" reproduces the older runs.
            p = cnn_export.lr_radius(g.rows, g.s) if edge == "replicate" else 0
            what += ", edge %s%s" % (edge, " %d" % p if p else "")

            def graph(lr, g=g):
                return torch.clamp(g(lr / 255.0) * 255.0, 0.0, 255.0)
            self.fn = graph
        else:
            tp, st = export.load_pipeline(path, device)
            done = st["stage_idx"] + (1 if st["it"] > 0 else 0)
            names = [n for n, k in tp.stages[:done] if k == "train"]
            if not names:
                raise SystemExit("distill: %s has no trained stage yet" % path)
            tname = names[-1]
            scale = tp.scale
            what = "%s %s, stage %s" % (getattr(tp, "arch", tp.kind), tp.kind, tname)
            self.fn = lambda lr: tp.forward(tname, lr)
        torch.set_rng_state(rng)
        if scale != student.scale:
            raise SystemExit("distill: the teacher is x%d, the student x%d" % (scale, student.scale))
        self.desc = "teacher %s (%s%s), weight %g, stages %s" % (
            os.path.relpath(path, ROOT), what, ", x8 self-ensemble" if self.ensemble == 8 else "",
            self.weight, "+".join(self.stages))

    def __call__(self, lr):
        with torch.no_grad():
            if self.ensemble == 1:
                return self.fn(lr)
            acc = None
            for flip in (False, True):
                x = torch.flip(lr, [-1]) if flip else lr
                for k in range(4):
                    y = torch.rot90(self.fn(torch.rot90(x, k, [-2, -1])), -k, [-2, -1])
                    y = torch.flip(y, [-1]) if flip else y
                    acc = y if acc is None else acc + y
            return acc / 8


# ----------------------------------------------------------------- trainer

class Stop(Exception):
    pass


class Trainer:
    def __init__(self, cfg, out, device, log_file):
        self.cfg, self.out, self.device = cfg, out, device
        self.log_file = log_file
        torch.manual_seed(int(cfg["seed"]))
        mod = importlib.import_module(cfg["kind"])
        if getattr(device, "type", device) == "cpu":
            lut_ops.keep_freed_memory()
        self.pipe = mod.make_pipeline(cfg, device)
        self.teacher = Teacher(cfg["distill"], self.pipe, device) if cfg.get("distill") else None
        self.stage_idx, self.it = 0, 0
        self.sampler = None
        self.opt = None
        self.history = {}   # stage -> {"iters": n, "val": [(it, psnr)], "seconds": t}
        self.stop_requested = False
        self.stop_after = None  # --stop-after: iterations left in this invocation
        dc = cfg["data"]
        cache_path = repo_path(dc.get("cache", "training/cache/train-y.npz"))
        if not os.path.exists(cache_path):
            self.log("data: no cache at %s, building it" % cache_path)
            data.build_cache(cache_path, log=self.log)
        t0 = time.time()
        self.cache = data.load_cache(cache_path)
        self.log("data: %s: %d images, %.1f Mpx, loaded in %.1f s" % (
            os.path.relpath(cache_path, ROOT), len(self.cache.train), self.cache.pixels / 1e6,
            time.time() - t0))
        try:
            mix = data.check_mix(dc.get("mix", 0.0))
        except ValueError as e:
            raise SystemExit("data: %s" % e)
        if mix > 0:
            rgb_path = repo_path(dc.get("rgb_cache", "training/cache/train-rgb.npz"))
            if not os.path.exists(rgb_path):
                self.log("data: no RGB cache at %s, building it" % rgb_path)
                data.build_rgb_cache(rgb_path, log=self.log)
            try:
                self.cache.load_rgb(rgb_path)
            except ValueError as e:
                raise SystemExit("data: %s" % e)
            self.log("data: %s: R, G, B for data.mix %s" % (os.path.relpath(rgb_path, ROOT), dc["mix"]))
        subset = ""
        if dc.get("subset") is not None:
            try:
                keep = data.subset(self.cache, dc["subset"], cfg["seed"])
            except (TypeError, ValueError) as e:
                raise SystemExit("data.subset: %s" % e)
            self.cache.train = [self.cache.train[i] for i in keep]
            self.cache.train_names = [self.cache.train_names[i] for i in keep]
            if self.cache.rgb is not None:
                self.cache.rgb = [self.cache.rgb[i] for i in keep]
            subset = "; subset %s of the pixels" % dc["subset"]
            self.log("data: subset %s: %d images, %.1f Mpx" % (
                dc["subset"], len(self.cache.train), self.cache.pixels / 1e6))
        self.val = data.val_pairs(self.cache, self.pipe.scale)
        # The val lines lead with Set5 (or the only set), as the metadata's
        # psnr_set5_y_python does; other sets follow on the same line.
        sets = sorted({n.split("/")[0] for n, _, _ in self.val}, key=lambda v: (v != "Set5", v))
        self.val_sets = [(v, [i for i, (n, _, _) in enumerate(self.val) if n.split("/")[0] == v])
                         for v in sets]
        # What the exported model's metadata says about this run (kept in
        # the checkpoint, so export.py can write the same from it).
        self.info = {
            "data": "%s: %d images, %.1f Mpx (Y, BT.601); patch %s, batch %s, jitter %s, "
                    "augment %s" % (os.path.basename(cache_path), len(self.cache.train),
                                    self.cache.pixels / 1e6, dc.get("patch", 48),
                                    dc.get("batch", 16), dc.get("jitter", [0.7, 1.0]),
                                    dc.get("augment", True)) +
                    ("; invert" if dc.get("invert") else "") +
                    ("; mix %s" % dc["mix"] if dc.get("mix") else "") + subset,
            "device": device_name(device),
            "trained_on_cpu": device.type == "cpu",
            "git": git_commit(),
        }

    def log(self, msg):
        line = "%s %s" % (time.strftime("%H:%M:%S"), msg)
        print(line, flush=True)
        if self.log_file:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    # -- per-stage settings
    def stage_cfg(self, name):
        return self.cfg["stages"].get(name, {})

    def make_sampler(self, name):
        dc, sc = self.cfg["data"], self.stage_cfg(name)
        try:
            s = data.PatchSampler(self.cache, self.pipe.scale, int(sc.get("patch", dc.get("patch", 48))),
                                  int(sc.get("batch", dc.get("batch", 16))),
                                  seed=[int(self.cfg["seed"]), self.stage_idx],
                                  jitter=dc.get("jitter", (0.7, 1.0)), augment=dc.get("augment", True),
                                  weight=dc.get("weight", "sqrt"), limit=dc.get("limit"),
                                  invert=dc.get("invert", False), mix=dc.get("mix", 0.0))
        except ValueError as e:
            raise SystemExit("data: %s" % e)
        if s.skipped:
            self.log("data: %d images smaller than the %d px HR crop left out" % (s.skipped, s.hc))
        depth = int(dc.get("prefetch", 4 if self.device.type == "cuda" else 0))
        return data.Prefetcher(s, depth) if depth > 0 else s

    def make_opt(self, name):
        sc = self.stage_cfg(name)
        return torch.optim.Adam(self.pipe.params(name), lr=float(sc.get("lr", 1e-3)),
                                weight_decay=float(sc.get("weight_decay", 0)))

    def close_sampler(self):
        if isinstance(self.sampler, data.Prefetcher):
            self.sampler.close()
        self.sampler = None

    # -- checkpoints
    def save(self, tag=None):
        st = {
            "cfg": self.cfg, "stage_idx": self.stage_idx, "it": self.it,
            "pipeline": self.pipe.state_dict(),
            "opt": self.opt.state_dict() if self.opt else None,
            "sampler": self.sampler.state() if self.sampler else None,
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "history": self.history,
            "info": self.info,
        }
        path = os.path.join(self.out, CKPT)
        torch.save(st, path + ".tmp")
        os.replace(path + ".tmp", path)
        if tag:
            torch.save(st, os.path.join(self.out, "stage-%s.pt" % tag))

    def load(self):
        st = torch.load(os.path.join(self.out, CKPT), map_location="cpu")
        old = st["cfg"]
        for k in ("kind", "scale", "model"):
            if old.get(k) != self.cfg.get(k):
                raise SystemExit("--resume: the checkpoint's %s %r differs from the config's %r" % (
                    k, old.get(k), self.cfg.get(k)))
        self.pipe.load_state_dict(st["pipeline"])
        prev = st.get("info") or {}
        if prev.get("device") and prev["device"] not in self.info["device"]:
            self.info["device"] = prev["device"] + ", then " + self.info["device"]
        self.info["trained_on_cpu"] = self.info["trained_on_cpu"] or prev.get("trained_on_cpu", False)
        self.stage_idx, self.it, self.history = st["stage_idx"], st["it"], st["history"]
        torch.set_rng_state(st["torch_rng"])
        if st.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(st["cuda_rng"])
        if self.stage_idx < len(self.pipe.stages):
            name, kind = self.pipe.stages[self.stage_idx]
            if kind == "train":
                self.sampler = self.make_sampler(name)
                self.opt = self.make_opt(name)
                if st["sampler"] is not None:
                    self.sampler.set_state(st["sampler"])
                if st["opt"] is not None:
                    self.opt.load_state_dict(st["opt"])
        self.log("resume: stage %d (%s), iteration %d" % (
            self.stage_idx, self.pipe.stages[min(self.stage_idx, len(self.pipe.stages) - 1)][0],
            self.it))

    # -- validation
    def validate(self, name):
        """(the first set's mean PSNR, the val text for the log), or
        (None, "") without val images."""
        if not self.val:
            return None, ""
        s = self.pipe.scale
        vals = [lut_ops.psnr(self.pipe.predict(name, lr), hr, s) for _, lr, hr in self.val]
        means = [(v, float(np.mean([vals[i] for i in idx])), len(idx)) for v, idx in self.val_sets]
        v0, p0, n0 = means[0]
        text = "val Y PSNR %.3f dB (%s, %d images, python)" % (p0, v0, n0)
        for v, p, n in means[1:]:
            text += ", %s %.3f dB (%d images)" % (v, p, n)
        return p0, text

    # -- stages
    def run_train_stage(self, name):
        sc = self.stage_cfg(name)
        iters = int(sc.get("iters", 0))
        if self.opt is None:  # fresh stage (not resumed mid-stage)
            self.sampler, self.opt = self.make_sampler(name), self.make_opt(name)
        hist = self.history.setdefault(name, {"iters": iters, "val": [], "seconds": 0.0})
        hist["iters"] = iters
        loss_kind = sc.get("loss", "mse")
        ck, lg = int(self.cfg["checkpoint_every"]), max(1, int(self.cfg["log_every"]))
        ve = int(self.cfg["val_every"])
        win_loss, win_n, t_win, t_stage = 0.0, 0, time.time(), time.time()
        teacher = self.teacher if self.teacher and name in self.teacher.stages else None
        win_dist = 0.0
        sec0 = hist["seconds"]
        it0 = self.it
        while self.it < iters:
            if self.stop_requested:
                hist["seconds"] = sec0 + time.time() - t_stage
                self.save()
                raise Stop()
            lr_now = lr_at(sc, self.it, iters)
            for g in self.opt.param_groups:
                g["lr"] = lr_now
            lr_np, hr_np = self.sampler.next()
            lr = data.to_tensor(lr_np, self.device)
            hr = data.to_tensor(hr_np, self.device)
            sr = self.pipe.forward(name, lr)
            d = (sr - hr) / 255.0
            loss = (d * d).mean() if loss_kind == "mse" else d.abs().mean()
            if teacher is not None:
                # the stage's own loss toward the teacher: for an MSE stage,
                # MSE(gt) + w MSE(teacher) is MSE toward the blend
                # (gt + w teacher) / (1 + w), so w sets a mix, not a scale
                # mismatch between an L1 and an MSE term
                t = (sr - teacher(lr)) / 255.0
                dist = (t * t).mean() if loss_kind == "mse" else t.abs().mean()
                loss = loss + teacher.weight * dist
                win_dist += dist.detach()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.it += 1
            if self.stop_after is not None:
                self.stop_after -= 1
                self.stop_requested |= self.stop_after <= 0
            win_loss += loss.detach()  # no per-step device sync on CUDA
            win_n += 1
            if self.it % lg == 0 or self.it == iters:
                now = time.time()
                ips = win_n / max(1e-9, now - t_win)
                done_rate = (self.it - it0) / max(1e-9, now - t_stage)
                self.log("[%s] %d/%d loss %.6f lr %.3g %.2f it/s ETA %s%s" % (
                    name, self.it, iters, float(win_loss) / win_n, lr_now, ips,
                    fmt_time((iters - self.it) / max(1e-9, done_rate)),
                    "" if teacher is None else ", distill %s %.6f" % (
                        loss_kind.upper(), float(win_dist) / win_n)))
                win_loss, win_dist, win_n, t_win = 0.0, 0.0, 0, now
            if ve and (self.it % ve == 0 or self.it == iters):
                p, text = self.validate(name)
                if p is not None:
                    hist["val"].append((self.it, p))
                    self.log("[%s] %d/%d %s" % (name, self.it, iters, text))
            if ck and self.it % ck == 0 and self.it < iters:
                hist["seconds"] = sec0 + time.time() - t_stage
                self.save()
        hist["seconds"] = sec0 + time.time() - t_stage

    def run(self):
        stages = self.pipe.stages
        while self.stage_idx < len(stages):
            name, kind = stages[self.stage_idx]
            t0 = time.time()
            if kind == "once":
                self.pipe.run_once(name, self.log)
                self.history[name] = {"seconds": time.time() - t0}
                p, text = self.validate(name) if self.cfg["val_every"] else (None, "")
                if p is not None:
                    self.history[name]["val"] = [(0, p)]
                self.log("[%s] done in %.1f s%s" % (
                    name, time.time() - t0, "" if p is None else ", " + text))
            else:
                self.run_train_stage(name)
                self.log("[%s] done in %s" % (name, fmt_time(self.history[name]["seconds"])))
            self.stage_idx += 1
            self.it = 0
            self.close_sampler()
            self.opt = None
            self.save(tag=name)
        return self.pipe


def main(argv):
    ap = argparse.ArgumentParser(description="Train a LUT or CNN SR model and export it (.lsr).")
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", help="run folder (default training/runs/<config name>)")
    ap.add_argument("--resume", action="store_true", help="continue from RUN/ckpt.pt")
    ap.add_argument("--force", action="store_true", help="start over even if RUN has a checkpoint")
    ap.add_argument("--iters", type=int, help="iterations of every training stage")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key, e.g. stages.net.lr=5e-4 or data.limit=10")
    ap.add_argument("--cache", help="training cache .npz (default: the config's)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: all cores)")
    ap.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:N")
    ap.add_argument("--export", help="model file to write (default RUN/<kind>-x<scale>.lsr)")
    ap.add_argument("--stop-after", type=int, metavar="N",
                    help="stop with a checkpoint after N training iterations (--resume continues)")
    a = ap.parse_args(argv)

    cfg = load_config(a.config, a.set)
    if a.iters is not None:
        for name in cfg["stages"]:
            cfg["stages"][name]["iters"] = a.iters
    if a.cache:
        cfg["data"]["cache"] = os.path.abspath(a.cache)
    out = repo_path(a.out) if a.out else os.path.join(ROOT, "training", "runs", cfg["name"])
    os.makedirs(out, exist_ok=True)
    if os.path.exists(os.path.join(out, CKPT)) and not (a.resume or a.force):
        raise SystemExit("%s already has a checkpoint: pass --resume to continue it or --force "
                         "to start over" % out)
    if a.force and not a.resume:  # no stale stage snapshots from the old run
        for f in os.listdir(out):
            if f == CKPT or (f.startswith("stage-") and f.endswith(".pt")):
                os.unlink(os.path.join(out, f))
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    dev = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else
                       ("cpu" if a.device == "auto" else a.device))

    with open(os.path.join(out, "log.txt"), "a") as lf:
        tr = Trainer(copy.deepcopy(cfg), out, dev, lf)
        if a.resume and os.path.exists(os.path.join(out, CKPT)):
            tr.load()
        elif a.resume:
            tr.log("resume: no checkpoint in %s, starting from the beginning" % out)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        tr.log("train: %s (%s x%d) on %s, run folder %s, git %s" % (
            cfg["name"], cfg["kind"], cfg["scale"], tr.info["device"], os.path.relpath(out, ROOT),
            tr.info["git"]))
        if tr.teacher:
            tr.log("distill: %s" % tr.teacher.desc)

        # The first Ctrl-C / SIGTERM stops at the next iteration boundary
        # with a checkpoint; a second Ctrl-C interrupts at once.
        def on_signal(signum, frame):
            if tr.stop_requested and signum == signal.SIGINT:
                raise KeyboardInterrupt
            tr.stop_requested = True
            tr.log("signal %d: stopping after this iteration (Ctrl-C again: at once)" % signum)
        old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        tr.stop_after = a.stop_after
        try:
            tr.run()
        except Stop:
            tr.log("stopped at stage %d (%s) iteration %d; checkpoint saved, --resume continues" % (
                tr.stage_idx, tr.pipe.stages[tr.stage_idx][0], tr.it))
            return 0 if tr.stop_after is not None and tr.stop_after <= 0 else 130
        except KeyboardInterrupt:
            tr.log("interrupted; --resume continues from the last checkpoint")
            return 130
        finally:
            for sig, h in old.items():
                signal.signal(sig, h)

        path = a.export or os.path.join(out, "%s-x%d.lsr" % (tr.pipe.kind, tr.pipe.scale))
        export.write_model(tr.pipe, export.metadata(tr.cfg, tr.history, tr.pipe, tr.info), path)
        tr.log("export: %s (%d bytes)" % (path, os.path.getsize(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
