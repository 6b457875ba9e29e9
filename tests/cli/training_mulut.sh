#!/bin/sh
# MuLUT training code vs the C engine (CPU only):
#  - the torch paths agree with each other and with the integer path
#    (mulut.py selftest: pattern windows vs literal ones, transferred LUTs
#    vs their networks, 1-stage S == srlut, float LUT path == integer path,
#    gradients reach every LUT);
#  - the Python integer LUT path (training/mulut.py) equals `lutsr upscale`
#    (--cpu none and auto) byte for byte on random int8 LUTs: 1 and 2
#    stages, pattern subsets, x2/x3/x4, interval_bits 3..6, out_shift 0..24,
#    tiny (1x1, 1xN, Nx1) and odd sizes, frames of extremes; also on a model
#    from the C generator (make-model --function random);
#  - train.py runs every MuLUT stage (net, transfer, finetune) on a tiny
#    generated data set and exports a model that `lutsr info` loads and the
#    C engine reproduces exactly; a run stopped mid-net and mid-finetune and
#    resumed exports the same LUTs; export.py from the checkpoint too; the
#    fine-tuning forward at the checkpoint's rounded parameters is exactly
#    T_t / 2^out_shift_t of the integer path at every stage and rounds to
#    its bytes.
. tests/cli/common.inc "$@"
. tests/cli/training_common.inc
need_torch

tpy training/mulut.py selftest --scales 2

# all_tensors MODEL: every tensor's bytes, in file order (no metadata: it
# has a date).
all_tensors() {
    "$TPY" -c 'import sys; sys.path.insert(0, "training"); import lsr_format
m = lsr_format.read(sys.argv[1])
for name, (dt, dims, raw) in m["tensors"].items():
    sys.stdout.buffer.write(("%s %s %s\n" % (name, dt, dims)).encode() + raw)' "$1"
}

# Inputs: random frames of many sizes (2 frames each), and one frame of
# extremes and steps (0/255 next to each other, ramps) for the clip paths.
SIZES="1x1 2x1 1x2 1x3 3x1 2x2 5x3 3x5 7x4 37x23"
for sz in $SIZES; do
    w=${sz%x*} h=${sz#*x}
    gen_bytes $((w * h * 2)) $((w * 31 + h)) > "$T/in-$sz.raw"
done
{ bytes 0 255 0 255 0 255 0 255 255 0; i=0; while [ $i -lt 7 ]; do bytes $((i * 37)) 255 0 15 16 17 240 241 255 0; i=$((i + 1)); done; } |
    head -c 70 > "$T/in-10x7.raw"
SIZES="$SIZES 10x7"

# Random LUTs, SCALE:PATTERNS/K/OUT_SHIFT per stage[:RANGE] (mulut.py
# random-models): models r0..r2 on every size, the rest on a few. out_shift
# 0 clips nearly everything, 24 leaves nearest; RANGE 4 or 8 (|L| <= RANGE)
# makes the rounding of T, not the clip, decide.
FULL="2:SDY/4/8,SDY/4/8 3:SD/5/7,Y/4/8 4:D/6/5,SY/5/9 2:S/4/6"
MORE="3:DY/5/9 4:Y/6/8:8 2:Y/3/7,DY/6/0 3:SDY/6/12,SDY/6/24 2:SDY/5/9,S/5/3:4 4:SDY/4/10,DY/4/9:8"
mkdir "$T/r"
ok make-model --kind mulut --scale 3 --stages 2 --patterns DY --interval-bits 5 --function random \
    --seed 9 -o "$T/r/c.lsr"
: > "$T/jobs"
i=0
for spec in $FULL $MORE c; do
    if [ $spec = c ]; then m=c; else m=r$i; fi
    if [ $i -lt 3 ] || [ $m = c ]; then sizes=$SIZES; else sizes="1x1 2x1 37x23 10x7"; fi
    for sz in $sizes; do
        echo "$T/r/$m.lsr $sz $T/in-$sz.raw $T/r/$m.$sz.py" >> "$T/jobs"
    done
    i=$((i + 1))
done
tpy training/mulut.py random-models "$T/r" $FULL $MORE --jobs "$T/jobs"
while read m sz in py; do
    for cpu in none auto; do
        ok upscale -q -m "$m" -i "$in" -o "$T/c.raw" --size "$sz" --cpu $cpu
        cmp -s "$T/c.raw" "$py" || fail "C (--cpu $cpu) != Python integer path: $(basename "$m") $sz"
    done
done < "$T/jobs"
# The 1-stage S model really is SR-LUT (its LUT written as an srlut model).
"$TPY" -c 'import sys; sys.path.insert(0, "training"); import lsr_format
m = lsr_format.read(sys.argv[1])
lsr_format.write(sys.argv[2], "srlut", 2, (4, 6), m["tensors"]["lut0_S"][2])' "$T/r/r3.lsr" "$T/s.lsr" ||
    fail "srlut copy of r3"
ok upscale -q -m "$T/s.lsr" -i "$T/in-37x23.raw" -o "$T/c.raw" --size 37x23
cmp -s "$T/c.raw" "$T/r/r3.37x23.py" || fail "1-stage S mulut != srlut with the same LUT"

# Training: every stage, tiny data, one thread.
tiny_cache "$T/c.npz"
TRAIN="training/train.py --config training/configs/mulut-x2.json --cache $T/c.npz --threads 1
       --device cpu --set stages.net.iters=6 --set stages.net.warmup=0 --set stages.finetune.iters=4
       --set data.batch=4 --set data.patch=16 --set val_every=3 --set log_every=2
       --set checkpoint_every=0"
tpy $TRAIN --out "$T/a"
M="$T/a/mulut-x2.lsr"
[ -f "$M" ] || fail "no model exported"
grep -q '\[net\] 6/6 loss [0-9.]* lr .* it/s ETA' "$T/tpy.out" || fail "progress line: $(cat "$T/tpy.out")"
grep -q 'transfer: lut1_Y (x2 SDY k4 out_shift 8): 83521 entries x 4 values' "$T/tpy.out" ||
    fail "transfer lines: $(cat "$T/tpy.out")"
grep -q '\[finetune\] 3/4 val Y PSNR [0-9.]* dB' "$T/tpy.out" || fail "no val line: $(cat "$T/tpy.out")"
ok info "$M"
for want in '^kind: mulut' '^scale: 2' \
            '^stage 0: x1, patterns SDY, interval_bits 4, luts 17^4 = 83521 entries x 1 int8 value, out_shift 8$' \
            '^stage 1: x2, patterns SDY, interval_bits 4, luts 17^4 = 83521 entries x 4 int8 values, out_shift 8$' \
            'iterations: net 6, finetune 4' 'note: trained on CPU' 'seed: 1' 'git: ' 'date: ' \
            'stages: 0: x1 SDY interval_bits 4 out_shift 8; 1: x2 SDY'; do
    grep -q "$want" "$T/ok.out" || fail "lutsr info lacks '$want': $(cat "$T/ok.out")"
done
all_tensors "$M" > "$T/a.t"
[ "$(wc -c < "$T/a.t")" -gt $((3 * 83521 * 5)) ] || fail "tensors: $(wc -c < "$T/a.t") bytes"

# Fine-tuning (float) path at the checkpoint's rounded parameters vs the
# integer path, every stage; the C engine reproduces the integer path's
# output of the trained model, which is more than nearest.
tpy training/mulut.py check-float -m "$M" --checkpoint "$T/a/ckpt.pt" --size 37x23 \
    -o "$T/m.py" "$T/in-37x23.raw"
grep -q 'exactly at every stage (2 stages, 6 LUTs); rounded == integer path' "$T/tpy.out" ||
    fail "check-float: $(cat "$T/tpy.out")"
size_is "$T/m.py" $((37 * 23 * 4 * 2))
for cpu in none auto; do
    ok upscale -q -m "$M" -i "$T/in-37x23.raw" -o "$T/c.raw" --size 37x23 --cpu $cpu --threads 2
    cmp -s "$T/c.raw" "$T/m.py" || fail "C (--cpu $cpu) != Python integer path: trained model"
done
replicate 37 23 2 < "$T/in-37x23.raw" | head -c $((37 * 23 * 4)) > "$T/near.raw"
head -c $((37 * 23 * 4)) "$T/m.py" | cmp -s - "$T/near.raw" && fail "trained model = nearest"

# Same run, stopped after 4 iterations (mid-net), then after 4 more (mid-
# finetune), then finished: the same LUTs.
tpy $TRAIN --out "$T/b" --stop-after 4
grep -q 'stopped at stage 0 (net) iteration 4' "$T/tpy.out" || fail "stop: $(tail -n 2 "$T/tpy.out")"
[ ! -f "$T/b/mulut-x2.lsr" ] || fail "a stopped run exported a model"
tpy $TRAIN --out "$T/b" --resume --stop-after 4
grep -q 'stopped at stage 2 (finetune) iteration 2' "$T/tpy.out" || fail "stop: $(tail -n 2 "$T/tpy.out")"
tpy $TRAIN --out "$T/b" --resume
all_tensors "$T/b/mulut-x2.lsr" | cmp -s - "$T/a.t" ||
    fail "resumed run's LUTs differ from the uninterrupted run's"
# export.py from the final checkpoint gives the same LUTs.
tpy training/export.py "$T/a" -o "$T/exp.lsr"
all_tensors "$T/exp.lsr" | cmp -s - "$T/a.t" || fail "export.py LUTs differ from train.py's"
exit 0
