#!/bin/sh
# MuLUT models through the CLI: make-model --kind mulut, `lutsr info`, a
# "nearest" model is pixel replication, the generated "bilinear" one equals
# the srlut one (it only fills the last stage's S LUT), and the bytes do not
# depend on --threads or --cpu.
. tests/cli/common.inc "$@"

gen_bytes $((23 * 9)) 3 > "$T/a.raw"

# info: the stages, their patterns and LUT sizes.
ok make-model --kind mulut --scale 2 --stages 2 --patterns SDY --function random --seed 4 -o "$T/r2.lsr"
ok info "$T/r2.lsr"
grep -q '^kind: mulut (MuLUT: 2 stages' "$T/ok.out" || fail "info kind: $(cat "$T/ok.out")"
grep -q '^stage 0: x1, patterns SDY, interval_bits 4, luts 17^4 = 83521 entries x 1 int8 value, out_shift 8$' \
    "$T/ok.out" || fail "info stage 0: $(cat "$T/ok.out")"
grep -q '^stage 1: x2, patterns SDY, interval_bits 4, luts 17^4 = 83521 entries x 4 int8 values, out_shift 8$' \
    "$T/ok.out" || fail "info stage 1: $(cat "$T/ok.out")"
grep -q '^  patterns: SDY$' "$T/ok.out" || fail "info metadata"

# Nearest: replication for every scale and stage count, any patterns.
for spec in "2 1 S" "3 2 DY" "4 3 SDY" "2 4 Y"; do
    set -- $spec
    ok make-model --kind mulut --scale $1 --stages $2 --patterns $3 --function nearest -o "$T/n.lsr"
    ok upscale -q -m "$T/n.lsr" -i "$T/a.raw" -o "$T/n.up.raw" --size 23x9
    replicate 23 9 $1 < "$T/a.raw" > "$T/n.want.raw"
    cmp "$T/n.up.raw" "$T/n.want.raw" || fail "mulut x$1 $2 stages $3 nearest != replication"
done

# Bilinear: the last stage's S LUT is srlut's bilinear LUT, the rest zero.
for s in 2 3; do
    ok make-model --kind mulut --scale $s --stages 2 --function bilinear -o "$T/b.lsr"
    ok make-model --kind srlut --scale $s --function bilinear -o "$T/sb.lsr"
    ok upscale -q -m "$T/b.lsr" -i "$T/a.raw" -o "$T/b.raw" --size 23x9
    ok upscale -q -m "$T/sb.lsr" -i "$T/a.raw" -o "$T/sb.raw" --size 23x9
    cmp "$T/b.raw" "$T/sb.raw" || fail "mulut x$s bilinear != srlut bilinear"
    ! cmp -s "$T/b.raw" "$T/n.want.raw" || fail "bilinear had no effect"
done

# Thread count, CPU level and frame splitting never change the bytes.
gen_bytes $((203 * 61 * 2)) 17 > "$T/t.raw"
for m in r2 r3; do
    [ $m = r3 ] && ok make-model --kind mulut --scale 3 --stages 3 --patterns DY --interval-bits 5 \
        --function random --seed 9 -o "$T/r3.lsr"
    ok upscale -q -m "$T/$m.lsr" -i "$T/t.raw" -o "$T/t1.raw" --size 203x61 --threads 1
    ok upscale -q -m "$T/$m.lsr" -i "$T/t.raw" -o "$T/t3.raw" --size 203x61 --threads 3
    cmp "$T/t1.raw" "$T/t3.raw" || fail "--threads 1 vs 3 differ ($m)"
    ok upscale -q -m "$T/$m.lsr" -i "$T/t.raw" -o "$T/tc.raw" --size 203x61 --threads 2 --cpu none
    cmp "$T/t1.raw" "$T/tc.raw" || fail "--cpu none vs auto differ ($m)"
done
size_is "$T/t1.raw" $((609 * 183 * 2))
dd if="$T/t.raw" of="$T/f2.raw" bs=$((203 * 61)) skip=1 count=1 2>/dev/null
ok upscale -q -m "$T/r3.lsr" -i "$T/f2.raw" -o "$T/f2.up.raw" --size 203x61
dd if="$T/t1.raw" of="$T/f2.want.raw" bs=$((609 * 183)) skip=1 count=1 2>/dev/null
cmp "$T/f2.up.raw" "$T/f2.want.raw" || fail "frame 2 alone differs from frame 2 of the stream"

# Options and their errors.
ok make-model --help
grep -q -- '--stages N .*(default: 2)' "$T/ok.out" || fail "help lacks --stages"
grep -q -- '--patterns P .*(default: SDY)' "$T/ok.out" || fail "help lacks --patterns"
expect_error '--stages and --patterns apply to mulut only' make-model --kind srlut --stages 2 -o "$T/x.lsr"
expect_error '--stages and --patterns apply to mulut only' make-model --kind eclut --patterns S -o "$T/x.lsr"
expect_error "--patterns takes letters of S, D and Y, each at most once \(e.g. SDY\), got 'SX'" \
    make-model --kind mulut --patterns SX -o "$T/x.lsr"
expect_error "got 'SS'" make-model --kind mulut --patterns SS -o "$T/x.lsr"
expect_error "got ''" make-model --kind mulut --patterns '' -o "$T/x.lsr"
expect_error 'Invalid argument "5" for option --stages; should be an integer 1..4' \
    make-model --kind mulut --stages 5 -o "$T/x.lsr"
expect_error '--function bilinear needs pattern S' make-model --kind mulut --patterns DY -o "$T/x.lsr"
expect_error 'a mulut x4 with --interval-bits 2 needs' \
    make-model --kind mulut --scale 4 --interval-bits 2 -o "$T/x.lsr"
[ ! -e "$T/x.lsr" ] || fail "a failed make-model left a file"
exit 0
