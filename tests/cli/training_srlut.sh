#!/bin/sh
# SR-LUT training pipeline end to end on a tiny generated data set (CPU):
#  - train.py runs every stage (net, transfer, finetune) and exports a model
#    that `lutsr` loads, with the training metadata;
#  - a run stopped mid-net and mid-finetune and resumed twice (with batch
#    prefetching) exports the same LUT as an uninterrupted run (model,
#    optimizer and RNG states);
#  - the C engine (--cpu none and auto) equals the Python integer LUT path
#    byte for byte, on the trained model (x2) and on random x3/x4 LUTs;
#  - the fine-tuning (float) forward at the rounded parameters is exactly
#    nearest + T / 2^out_shift of the integer path, and rounds to its bytes;
#  - with ../shared/data/val: the Python protocol LR equals the LR images
#    `lutsr eval --save-lr` writes (Set5 x2/x3/x4, Set14 x3 with a gray image);
#    a cache built with them keeps Set5 and Set14 for the val line, Set5 first.
. tests/cli/common.inc "$@"
. tests/cli/training_common.inc
need_torch

tiny_cache "$T/c.npz"
TRAIN="training/train.py --config training/configs/srlut-x2.json --cache $T/c.npz --threads 2
       --device cpu --set stages.net.iters=6 --set stages.net.warmup=0 --set stages.finetune.iters=4
       --set data.batch=4 --set data.patch=16 --set val_every=3 --set log_every=2
       --set checkpoint_every=0"

# Uninterrupted run.
tpy $TRAIN --out "$T/a"
M="$T/a/srlut-x2.lsr"
[ -f "$M" ] || fail "no model exported"
grep -q '\[net\] 6/6 loss [0-9.]* lr .* it/s ETA' "$T/tpy.out" || fail "progress line: $(cat "$T/tpy.out")"
grep -q '\[finetune\] 3/4 val Y PSNR [0-9.]* dB' "$T/tpy.out" ||
    fail "no val line: $(cat "$T/tpy.out")"
ok info "$M"
for want in 'kind: srlut' 'scale: 2' 'interval_bits 4' 'out_shift: 6' 'iterations: net 6, finetune 4' \
            'note: trained on CPU' 'seed: 1' 'git: ' 'date: '; do
    grep -q "$want" "$T/ok.out" || fail "lutsr info lacks '$want': $(cat "$T/ok.out")"
done

# Same run, stopped after 4 iterations (mid-net), then after 4 more (mid-
# finetune), then finished: the same LUT. With batches made ahead in a
# thread, which must not change the batch sequence either.
TRAIN="$TRAIN --set data.prefetch=2"
tpy $TRAIN --out "$T/b" --stop-after 4
grep -q 'stopped at stage 0 (net) iteration 4' "$T/tpy.out" || fail "stop: $(tail -n 2 "$T/tpy.out")"
[ ! -f "$T/b/srlut-x2.lsr" ] || fail "a stopped run exported a model"
tpy $TRAIN --out "$T/b" --resume --stop-after 4
grep -q 'stopped at stage 2 (finetune) iteration 2' "$T/tpy.out" || fail "stop: $(tail -n 2 "$T/tpy.out")"
tpy $TRAIN --out "$T/b" --resume
lut_bytes "$M" > "$T/a.lut"
lut_bytes "$T/b/srlut-x2.lsr" > "$T/b.lut"
size_is "$T/a.lut" 334084
cmp -s "$T/a.lut" "$T/b.lut" || fail "resumed run's LUT differs from the uninterrupted run's"
# A run folder with a checkpoint is not overwritten by accident.
OMP_NUM_THREADS=2 $TPY $TRAIN --out "$T/a" > "$T/again.txt" 2>&1 && fail "re-ran over a checkpoint"
grep -q 'already has a checkpoint' "$T/again.txt" || fail "$(cat "$T/again.txt")"
# export.py from the final checkpoint gives the same LUT.
tpy training/export.py "$T/a" -o "$T/exp.lsr"
lut_bytes "$T/exp.lsr" | cmp -s - "$T/a.lut" || fail "export.py LUT differs from train.py's"

# C engine vs Python integer path: extremes, ramps, noise, odd sizes.
gen_bytes $((37 * 23 * 2)) 5 > "$T/in.raw"
{ bytes 0 255 0 255 0 255 0; i=0; while [ $i -lt 7 ]; do bytes $((i * 37)) 255 0 15 16 17 240 241 255 0; i=$((i + 1)); done; } |
    head -c 70 > "$T/ext.raw"
check_c_vs_py() {  # MODEL IN WxH
    tpy training/srlut.py infer -m "$1" --size "$3" "$2" "$T/py.raw"
    for cpu in none auto; do
        ok upscale -q -m "$1" -i "$2" -o "$T/c.raw" --size "$3" --cpu $cpu --threads 2
        cmp -s "$T/c.raw" "$T/py.raw" || fail "C (--cpu $cpu) != Python integer path: $1 $3"
    done
}
check_c_vs_py "$M" "$T/in.raw" 37x23
check_c_vs_py "$M" "$T/ext.raw" 10x7
for sk in 3:3 4:5; do
    ok make-model --kind srlut --scale ${sk%:*} --interval-bits ${sk#*:} --function random --seed 11 -o "$T/r.lsr"
    check_c_vs_py "$T/r.lsr" "$T/in.raw" 37x23
done
# The trained model really is more than nearest-neighbour replication.
replicate 37 23 2 < "$T/in.raw" | head -c $((37 * 23 * 4)) > "$T/near.raw"
ok upscale -q -m "$M" -i "$T/in.raw" -o "$T/m.raw" --size 37x23
head -c $((37 * 23 * 4)) "$T/m.raw" | cmp -s - "$T/near.raw" && fail "trained model = nearest"

# Float (fine-tuning) path at the rounded parameters vs the integer path.
tpy training/srlut.py check-float -m "$M" --checkpoint "$T/a/ckpt.pt" --size 37x23 "$T/in.raw"
grep -q 'exactly; rounded == integer path' "$T/tpy.out" || fail "check-float: $(cat "$T/tpy.out")"

# Python LR vs the C protocol's LR.
DATA=${LUTSR_DATA_DIR:-../shared/data/val}
if [ -d "$DATA/Set5" ] && [ -d "$DATA/Set14" ] && have_pil; then
    for ds in Set5:2 Set5:3 Set5:4 Set14:3; do
        d=${ds%:*} s=${ds#*:}
        rm -rf "$T/lr"; mkdir "$T/lr"
        ok eval -q -m bicubic-x$s --hr "$DATA/$d" --save-lr "$T/lr"
        tpy training/data.py check-lr --hr "$DATA/$d" --lr "$T/lr" --scale $s
    done
    # The cache keeps Set5 and Set14 apart from the training images; the
    # val line gives Set5's PSNR first, then Set14's.
    TRAIN_PNG=${LUTSR_TRAIN_DIR:-../shared/data/train}
    if [ -d "$TRAIN_PNG" ]; then
        tpy training/data.py build --train "$TRAIN_PNG" --val "$DATA" --limit 2 --out "$T/v.npz"
        tpy training/data.py info "$T/v.npz"
        grep -q ' 2 train images, .*; val: Set14/baboon, .*Set5/baby' "$T/tpy.out" ||
            fail "val sets in the cache: $(cat "$T/tpy.out")"
        tpy training/train.py --config training/configs/srlut-x2.json --cache "$T/v.npz" --threads 2 \
            --device cpu --out "$T/v" --set stages.net.iters=1 --set stages.finetune.iters=0 \
            --set data.batch=2 --set data.patch=16 --set val_every=1 --set checkpoint_every=0
        grep -q '\[net\] 1/1 val Y PSNR [0-9.]* dB (Set5, 5 images, python), Set14 [0-9.]* dB (14 images)$' \
            "$T/tpy.out" || fail "val line: $(cat "$T/tpy.out")"
    fi
else
    echo "no $DATA/Set5, $DATA/Set14 or no PIL: LR resizer check skipped"
fi
exit 0
