#!/bin/sh
# ECLUT training code vs the C engine (CPU only):
#  - the Python integer LUT path (training/eclut.py) equals `lutsr upscale`
#    (--cpu none and auto) byte for byte on random int8 LUTs, x2/x3/x4,
#    several out_shift values, tiny (1x1, 1xN, Nx1) and odd sizes, frames
#    with extremes;
#  - the torch paths (per-pair network vs literal convs, expanded conv vs
#    its formula, quantised network and fine-tuning forward vs the integer
#    path) agree (eclut.py selftest, x2);
#  - train.py runs every ECLUT stage (net, qat, transfer, finetune) on a
#    tiny generated data set and exports a model that `lutsr` loads and that
#    the C engine reproduces exactly; a run stopped mid-finetune and resumed
#    exports the same LUT; the fine-tuning forward at the
#    checkpoint's rounded parameters is exactly nearest + T / 2^out_shift
#    of the integer path and rounds to its bytes.
. tests/cli/common.inc "$@"
. tests/cli/training_common.inc
need_torch

tpy training/eclut.py selftest --scales 2

# Inputs: random frames of many sizes (3 frames each), and one frame of
# extremes and steps (0/255 next to each other, ramps) for the clip paths.
SIZES="1x1 2x1 1x2 1x3 3x1 2x2 3x2 2x5 7x4 37x23 67x9"
for sz in $SIZES; do
    w=${sz%x*} h=${sz#*x}
    gen_bytes $((w * h * 3)) $((w * 31 + h)) > "$T/in-$sz.raw"
done
{ bytes 0 255 0 255 0 255 0 255 255 0; i=0; while [ $i -lt 7 ]; do bytes $((i * 37)) 255 0 15 16 17 240 241 255 0; i=$((i + 1)); done; } |
    head -c 70 > "$T/in-10x7.raw"
SIZES="$SIZES 10x7"

# Random LUTs (values -128..127, extremes forced): every size at the
# default shift, a few sizes at other shifts and with small values (8:
# |L| <= 8, where the rounding of T rather than the clip decides).
FULL="2:6 3:6 4:6"
MORE="2:0 2:1 2:12 2:6:8 3:3 4:9"
mkdir "$T/r"
tpy training/eclut.py random-models "$T/r" $FULL $MORE
: > "$T/jobs"
for spec in $FULL $MORE; do
    IFS=: read s k r _ <<EOF
$spec:0
EOF
    case " $FULL " in *" $spec "*) sizes=$SIZES ;; *) sizes="1x2 37x23 10x7" ;; esac
    for sz in $sizes; do
        echo "$T/r/r-x$s-k$k-r$r.lsr $sz $T/in-$sz.raw $T/r/x$s-k$k-r$r.$sz.py" >> "$T/jobs"
    done
done
tpy training/eclut.py infer --jobs "$T/jobs"
while read m sz in py; do
    for cpu in none auto; do
        ok upscale -q -m "$m" -i "$in" -o "$T/c.raw" --size "$sz" --cpu $cpu
        cmp -s "$T/c.raw" "$py" || fail "C (--cpu $cpu) != Python integer path: $(basename "$m") $sz"
    done
done < "$T/jobs"
# Several threads split the plane into slices: still the same bytes.
ok upscale -q -m "$T/r/r-x3-k6-r0.lsr" -i "$T/in-37x23.raw" -o "$T/c.raw" --size 37x23 --threads 3
cmp -s "$T/c.raw" "$T/r/x3-k6-r0.37x23.py" || fail "C --threads 3 != Python integer path"

# A tiny training run through every stage.
tiny_cache "$T/c.npz"
TRAIN="training/train.py --config training/configs/eclut-x2.json --cache $T/c.npz --threads 2
       --device cpu --set stages.net.iters=6 --set stages.qat.iters=3 --set stages.finetune.iters=4
       --set data.batch=4 --set data.patch=16 --set val_every=0 --set log_every=2
       --set checkpoint_every=0"
tpy $TRAIN --out "$T/a"
cp "$T/tpy.out" "$T/train.out"
M="$T/a/eclut-x2.lsr"
[ -f "$M" ] || fail "no model exported"
for want in '\[net\] 6/6 loss' '\[qat\] 3/3 loss' 'transfer: 65536 entries x 36 values' '\[finetune\] 4/4 loss'; do
    grep -q "$want" "$T/train.out" || fail "train.py output lacks /$want/: $(cat "$T/train.out")"
done
# Stopped mid-finetune and resumed: the same LUT (the pipeline's state,
# the LUT parameter included, is all in the checkpoint).
tpy $TRAIN --out "$T/b" --stop-after 10
grep -q 'stopped at stage 3 (finetune) iteration 1' "$T/tpy.out" || fail "stop: $(tail -n 2 "$T/tpy.out")"
tpy $TRAIN --out "$T/b" --resume
lut_bytes "$M" > "$T/a.lut"
lut_bytes "$T/b/eclut-x2.lsr" | cmp -s - "$T/a.lut" || fail "resumed run's LUT differs"
size_is "$T/a.lut" $((65536 * 36))
ok info "$M"
for want in 'kind: eclut' 'scale: 2' 'out_shift: 4' 'iterations: net 6, qat 3, finetune 4'; do
    grep -q "$want" "$T/ok.out" || fail "lutsr info lacks '$want': $(cat "$T/ok.out")"
done
: > "$T/jobs"
for sz in 37x23 10x7 1x3; do
    echo "$M $sz $T/in-$sz.raw $T/t.$sz.py" >> "$T/jobs"
done
tpy training/eclut.py infer --jobs "$T/jobs"
while read m sz in py; do
    for cpu in none auto; do
        ok upscale -q -m "$m" -i "$in" -o "$T/c.raw" --size "$sz" --cpu $cpu
        cmp -s "$T/c.raw" "$py" || fail "C (--cpu $cpu) != Python integer path: trained model $sz"
    done
done < "$T/jobs"
# The trained model really is more than nearest-neighbour replication.
head -c $((37 * 23)) "$T/in-37x23.raw" > "$T/one.raw"
ok upscale -q -m "$M" -i "$T/one.raw" -o "$T/m.raw" --size 37x23
replicate 37 23 2 < "$T/one.raw" > "$T/near.raw"
cmp -s "$T/m.raw" "$T/near.raw" && fail "trained model = nearest"
# Fine-tuning (float) forward at the rounded parameters vs the integer path.
tpy training/eclut.py check-float -m "$M" --checkpoint "$T/a/ckpt.pt" --size 37x23 "$T/in-37x23.raw"
grep -q 'exactly; rounded == integer path' "$T/tpy.out" || fail "check-float: $(cat "$T/tpy.out")"
exit 0
