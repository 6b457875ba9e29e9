#!/bin/sh
# Small-CNN training (kind "cnn": eSR-MAX/TM/TR/CNN, ECBSR, FSRCNN, IMDN) end
# to end on a tiny generated data set (CPU):
#  - cnn.py selftest: for every family and scale, random weights, the
#    exported graph run in PyTorch equals the network (max |diff| < 1e-4),
#    ECBSR re-parameterised into one 3x3 conv per block equals the
#    multi-branch network (max |diff| < 1e-4; so does its training forward,
#    which convolves with the branches' summed kernel), a 7-block IMDN is refused
#    (128-layer limit); FSRCNN's and IMDN's fast training forwards (phase
#    conv for the deconvolution; channels-last) equal their plain PyTorch
#    form in output and in every parameter's gradient (< 1e-4);
#  - train.py runs each family for 3 iterations and exports a .lsr; the C
#    engine (`lutsr upscale`, --cpu none and auto) reproduces the PyTorch
#    training-time network's output (ECBSR: the conv of its five branches'
#    kernel, which the selftest checks against the five-branch form) within
#    1 on every pixel, at most 1% of pixels different, on an image where
#    PyTorch's output has at least 16 levels;
#  - a run stopped and resumed exports the same weights; export.py from the
#    checkpoint writes the same tensors as train.py;
#  - distillation: a CNN student with a checkpoint teacher (also as an x8
#    self-ensemble) and one with a .lsr teacher train, log the
#    distillation term, record it in the
#    metadata and end with other weights than the same run without it; an
#    SR-LUT student's network stage distils from a CNN checkpoint;
#  - data.invert (negatives) changes training and is in the metadata;
#  - data.mix (random lumas of the RGB planes) changes training and is in
#    the metadata; mix 0 with the RGB cache loaded trains exactly as
#    without it; a probability outside [0, 1] and an RGB cache of other
#    images are refused with a message;
#  - data.subset trains on a seeded, reproducible set of whole images and
#    says so in the log and the metadata; a fraction outside (0, 1] is refused.
. tests/cli/common.inc "$@"
. tests/cli/training_common.inc
need_torch

tiny_cache "$T/c.npz"
COMMON="--cache $T/c.npz --threads 2 --device cpu --set stages.net.iters=3 --set stages.net.warmup=0 --set stages.net.lr=0.01
        --set data.batch=2 --set data.patch=12 --set val_every=0 --set log_every=1
        --set checkpoint_every=0"

# same_tensors A B: 0 when the two models' tensors are byte-identical.
same_tensors() {
    "$TPY" -c 'import sys; sys.path.insert(0, "training"); import lsr_format as f
sys.exit(0 if f.read(sys.argv[1])["tensors"] == f.read(sys.argv[2])["tensors"] else 1)' "$1" "$2"
}

# Export and re-parameterisation, random weights.
tpy training/cnn.py selftest
grep -q 'selftest: all ok' "$T/tpy.out" || { cat "$T/tpy.out"; fail "cnn.py selftest"; }
[ "$(grep -c 'ECBSR.*reparam max |diff| [0-9.e-]*$' "$T/tpy.out")" -eq 6 ] ||
    { cat "$T/tpy.out"; fail "want 6 ECBSR re-parameterisation checks"; }
grep -q 'imdn, 7 blocks: rejected' "$T/tpy.out" || fail "7-block IMDN not refused"
# FSRCNN trains its deconvolution as a phase conv + pixel shuffle, IMDN in
# channels-last on CPU: output and every parameter's gradient must equal
# the plain nn.ConvTranspose2d / default-layout form (x2, x3, x4 each;
# FSRCNN and IMDN each with and without the global residual).
[ "$(grep -c '^\(FSRCNN\|IMDN\).*fast-training max |diff| [0-9.e-]*  grad rel diff [0-9.e-]*$' \
    "$T/tpy.out")" -eq 12 ] || { cat "$T/tpy.out"; fail "want 12 fast-training equivalence checks"; }
[ "$(grep -c '^FSRCNN(.*residual)' "$T/tpy.out")" -eq 3 ] || fail "want 3 residual FSRCNN checks"
[ "$(grep -c '^IMDN (.*residual) .* 122 ' "$T/tpy.out")" -eq 3 ] || fail "want 3 residual IMDN checks, 122 layers"

# One short run per family (scales spread over 2, 3, 4).
RUNS="esr-max:2 esr-tm:3 esr-tr:4 esr-cnn:2 ecbsr:2 ecbsr-m4c8:4 fsrcnn:3 fsrcnn-res:4 imdn:2 imdn-res:3"
for rs in $RUNS; do
    r=${rs%:*} s=${rs#*:}
    extra=""
    # Two IMDBs keep the run short; 3 iterations of the full 6 leave the
    # output too flat (< 16 levels) for the comparison below to mean much.
    case $r in imdn*) extra="--set model.blocks=2";; esac
    tpy training/train.py --config training/configs/$r-x$s.json $COMMON $extra --out "$T/$r"
    [ -f "$T/$r/cnn-x$s.lsr" ] || fail "$r: no model exported"
    grep -q '\[net\] \([0-9]*\)/\1 loss [0-9.]* lr' "$T/tpy.out" || fail "$r: progress: $(cat "$T/tpy.out")"
done
ok info "$T/ecbsr/cnn-x2.lsr"
for want in 'kind: cnn (layer graph, 14 layers' 'arch: ecbsr' 'network: ECBSR-M4C16' \
            'reparameterised: ' 'iterations: net 3' 'note: trained on CPU'; do
    grep -q "$want" "$T/ok.out" || fail "lutsr info lacks '$want': $(cat "$T/ok.out")"
done
ok info "$T/imdn/cnn-x2.lsr"
grep -q 'kind: cnn (layer graph, 44 layers' "$T/ok.out" || fail "imdn: $(head -n 1 "$T/ok.out")"
ok info "$T/imdn-res/cnn-x3.lsr"
grep -q 'kind: cnn (layer graph, 46 layers' "$T/ok.out" || fail "imdn-res: $(head -n 1 "$T/ok.out")"

# C engine vs the PyTorch network on a structured 41x29 image.
"$TPY" -c 'import sys; sys.path.insert(0, "training"); import numpy as np, data
data._synthetic_image(np.random.default_rng(3), 29, 41).tofile(sys.argv[1])' "$T/in.raw"
# Plain FSRCNN after 3 iterations is too flat (about 10 levels, once the
# engine no longer zero-pads the frame's edges, whose artefacts made
# levels): its residual form stands in; cnn_torch.sh checks plain FSRCNN
# with random weights.
CMP_RUNS=$(echo "$RUNS" | sed 's/fsrcnn:3 //')
DIRS=$(for rs in $CMP_RUNS; do printf '%s ' "$T/${rs%:*}"; done)
tpy training/cnn.py infer-runs --size 41x29 "$T/in.raw" $DIRS
PAIRS=
for rs in $CMP_RUNS; do
    d="$T/${rs%:*}"
    for cpu in none auto; do
        ok upscale -q -m "$d/cnn-x${rs#*:}.lsr" -i "$T/in.raw" -o "$d/c-$cpu.raw" --size 41x29 \
            --cpu $cpu --threads 2
        PAIRS="$PAIRS $d/torch.raw $d/c-$cpu.raw"
    done
done
tpy training/cnn.py compare --min-levels 16 $PAIRS
cat "$T/tpy.out"

# Stop after 2 iterations, resume: the same weights; export.py agrees.
tpy training/train.py --config training/configs/ecbsr-x2.json $COMMON --out "$T/b" --stop-after 2
grep -q 'stopped at stage 0 (net) iteration 2' "$T/tpy.out" || fail "stop: $(tail -n 2 "$T/tpy.out")"
tpy training/train.py --config training/configs/ecbsr-x2.json $COMMON --out "$T/b" --resume
same_tensors "$T/ecbsr/cnn-x2.lsr" "$T/b/cnn-x2.lsr" || fail "resumed run's weights differ"
tpy training/export.py "$T/ecbsr" -o "$T/exp.lsr"
same_tensors "$T/ecbsr/cnn-x2.lsr" "$T/exp.lsr" || fail "export.py weights differ from train.py's"

# Distillation: checkpoint teacher (ECBSR x2) for eSR-MAX x2 ...
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/d1" \
    --set distill.teacher="$T/ecbsr" --set distill.weight=0.5
grep -q 'distill: teacher .* (ecbsr cnn, stage net), weight 0.5, stages net' "$T/tpy.out" ||
    fail "distill: $(cat "$T/tpy.out")"
grep -q '\[net\] 3/3 loss .*, distill L1 0\.[0-9]*[1-9]' "$T/tpy.out" || fail "distill term: $(cat "$T/tpy.out")"
same_tensors "$T/esr-max/cnn-x2.lsr" "$T/d1/cnn-x2.lsr" && fail "distillation changed nothing"
ok info "$T/d1/cnn-x2.lsr"
grep -q 'distill: teacher .*ecbsr, weight 0.5' "$T/ok.out" || fail "metadata: $(cat "$T/ok.out")"
# ... the same teacher as an x8 self-ensemble (other targets: other
# weights), and an ensemble size other than 1 or 8 refused ...
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/d8" \
    --set distill.teacher="$T/ecbsr" --set distill.weight=0.5 --set distill.ensemble=8
grep -q 'distill: teacher .* (ecbsr cnn, stage net, x8 self-ensemble), weight 0.5' "$T/tpy.out" ||
    fail "distill x8: $(cat "$T/tpy.out")"
same_tensors "$T/d1/cnn-x2.lsr" "$T/d8/cnn-x2.lsr" && fail "the x8 teacher changed nothing"
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/d9" \
    --set distill.teacher="$T/ecbsr" --set distill.ensemble=4 > "$T/ens.txt" 2>&1 && fail "ensemble 4 accepted"
grep -q 'distill: ensemble must be 1 or 8, got 4' "$T/ens.txt" || fail "$(cat "$T/ens.txt")"
# ... a .lsr teacher (the eSR-TM x3 export) for FSRCNN x3 ...
tpy training/train.py --config training/configs/fsrcnn-x3.json $COMMON --out "$T/d2" \
    --set distill.teacher="$T/esr-tm/cnn-x3.lsr" --set distill.weight=1
grep -q 'distill: teacher .* (cnn graph, 7 layers, edge replicate 2), weight 1' "$T/tpy.out" ||
    fail "distill: $(cat "$T/tpy.out")"
same_tensors "$T/fsrcnn/cnn-x3.lsr" "$T/d2/cnn-x3.lsr" && fail ".lsr distillation changed nothing"
# (the patch's edges through the engine's zero padding instead: other
# targets; another edge mode is refused)
tpy training/train.py --config training/configs/fsrcnn-x3.json $COMMON --out "$T/d2z" \
    --set distill.teacher="$T/esr-tm/cnn-x3.lsr" --set distill.weight=1 --set distill.edge=zero
grep -q 'distill: teacher .* (cnn graph, 7 layers, edge zero), weight 1' "$T/tpy.out" ||
    fail "distill zero: $(cat "$T/tpy.out")"
same_tensors "$T/d2/cnn-x3.lsr" "$T/d2z/cnn-x3.lsr" && fail "distill.edge changed nothing"
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/fsrcnn-x3.json $COMMON --out "$T/d2e" \
    --set distill.teacher="$T/esr-tm/cnn-x3.lsr" --set distill.edge=mirror > "$T/edge.txt" 2>&1 &&
    fail "distill.edge=mirror accepted"
grep -q 'distill: edge must be "replicate" or "zero", got .mirror.' "$T/edge.txt" || fail "$(cat "$T/edge.txt")"
# ... a scale mismatch is refused, and an SR-LUT student's network stage.
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/esr-max-x3.json $COMMON --out "$T/d3" \
    --set distill.teacher="$T/ecbsr" > "$T/mis.txt" 2>&1 && fail "x2 teacher for an x3 student accepted"
grep -q 'teacher is x2, the student x3' "$T/mis.txt" || fail "$(cat "$T/mis.txt")"
tpy training/train.py --config training/configs/srlut-x2.json $COMMON --out "$T/d4" \
    --set stages.finetune.iters=1 --set distill.teacher="$T/ecbsr"
grep -q '\[net\] 3/3 loss .*, distill MSE 0\.[0-9]*[1-9]' "$T/tpy.out" || fail "srlut distill: $(cat "$T/tpy.out")"
grep -q '\[finetune\] 1/1 loss [0-9.]* lr [^,]*$' "$T/tpy.out" || fail "finetune distilled: $(cat "$T/tpy.out")"
[ -f "$T/d4/srlut-x2.lsr" ] || fail "srlut student: no model"

# data.subset: a seeded set of whole images (data-size experiments), said
# in the log and the metadata, the same set every run; out of (0, 1]: refused.
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/s1" --set data.subset=0.5
grep -q 'data: subset 0.5: [123] images, 0.0[0-9]* Mpx' "$T/tpy.out" || fail "subset: $(cat "$T/tpy.out")"
ok info "$T/s1/cnn-x2.lsr"
grep -q 'data: .*; subset 0.5 of the pixels' "$T/ok.out" || fail "subset metadata: $(cat "$T/ok.out")"
same_tensors "$T/esr-max/cnn-x2.lsr" "$T/s1/cnn-x2.lsr" && fail "a subset run equals the full-data run"
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/s2" --set data.subset=0.5
same_tensors "$T/s1/cnn-x2.lsr" "$T/s2/cnn-x2.lsr" || fail "two subset runs differ"
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/s3" \
    --set data.subset=1.5 > "$T/sub.txt" 2>&1 && fail "data.subset=1.5 accepted"
grep -q 'data.subset must be in (0, 1\], got 1.5' "$T/sub.txt" || fail "$(cat "$T/sub.txt")"

# data.invert: negatives half the time (a training change, in the
# metadata); a value that is not true/false is refused with a message.
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/i1" --set data.invert=true
ok info "$T/i1/cnn-x2.lsr"
grep -q 'data: .*augment True; invert$' "$T/ok.out" || fail "invert metadata: $(cat "$T/ok.out")"
same_tensors "$T/esr-max/cnn-x2.lsr" "$T/i1/cnn-x2.lsr" && fail "data.invert changed nothing"
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/esr-max-x2.json $COMMON --out "$T/i2" \
    --set data.invert=2 > "$T/inv.txt" 2>&1 && fail "data.invert=2 accepted"
grep -q 'data: invert must be true or false, got 2' "$T/inv.txt" || fail "$(cat "$T/inv.txt")"

# data.mix: random lumas of the RGB planes (tiny_cache's images, with an
# RGB companion cache of the same names and sizes).
tpy training/data.py synthetic --out "$T/m.npz" --count 4 --size 96 --seed 7 --rgb-out "$T/m-rgb.npz"
MIX="--cache $T/m.npz --set data.rgb_cache=$T/m-rgb.npz"
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON $MIX --out "$T/m1" --set data.mix=1
grep -q 'data: .*m-rgb.npz: R, G, B for data.mix 1' "$T/tpy.out" || fail "mix log: $(cat "$T/tpy.out")"
ok info "$T/m1/cnn-x2.lsr"
grep -q 'data: .*augment True; mix 1$' "$T/ok.out" || fail "mix metadata: $(cat "$T/ok.out")"
same_tensors "$T/esr-max/cnn-x2.lsr" "$T/m1/cnn-x2.lsr" && fail "data.mix changed nothing"
tpy training/train.py --config training/configs/esr-max-x2.json $COMMON $MIX --out "$T/m0" --set data.mix=0
same_tensors "$T/esr-max/cnn-x2.lsr" "$T/m0/cnn-x2.lsr" || fail "data.mix=0 trains otherwise than no mix"
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/esr-max-x2.json $COMMON $MIX --out "$T/m2" \
    --set data.mix=1.5 > "$T/mix.txt" 2>&1 && fail "data.mix=1.5 accepted"
grep -q 'data: mix must be a probability in \[0, 1\], got 1.5' "$T/mix.txt" || fail "$(cat "$T/mix.txt")"
tpy training/data.py synthetic --out "$T/o.npz" --count 3 --size 96 --seed 7 --rgb-out "$T/o-rgb.npz"
OMP_NUM_THREADS=2 $TPY training/train.py --config training/configs/esr-max-x2.json $COMMON $MIX --out "$T/m3" \
    --set data.mix=0.5 --set data.rgb_cache="$T/o-rgb.npz" > "$T/mix.txt" 2>&1 && fail "other images' RGB cache accepted"
grep -q 'data: .*o-rgb.npz holds other images than .*m.npz' "$T/mix.txt" || fail "$(cat "$T/mix.txt")"
exit 0
