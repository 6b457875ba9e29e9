#!/bin/sh
# Raw gray upscaling: a generated "nearest" model is exact pixel replication
# (checked against od/awk), output sizes are exact, multi-frame files work,
# and the bytes do not depend on --threads or --cpu.
. tests/cli/common.inc "$@"

# 5x4 frame with the extremes and a ramp, plus a random 7x3 one.
bytes 0 255 1 254 128  10 20 30 40 50  255 255 0 0 7  99 98 97 96 95 > "$T/a.raw"
gen_bytes 21 5 > "$T/b.raw"

for kind in srlut eclut; do
    for s in 2 3 4; do
        ok make-model --kind $kind --scale $s --function nearest -o "$T/near.lsr"
        ok upscale -q -m "$T/near.lsr" -i "$T/a.raw" -o "$T/a.up.raw" --size 5x4
        replicate 5 4 $s < "$T/a.raw" > "$T/a.want.raw"
        size_is "$T/a.want.raw" $((20 * s * s))
        cmp "$T/a.up.raw" "$T/a.want.raw" || fail "$kind x$s nearest != replication (5x4)"
        ok upscale -q -m "$T/near.lsr" -i "$T/b.raw" -o "$T/b.up.gray" --size 7x3
        replicate 7 3 $s < "$T/b.raw" > "$T/b.want.raw"
        cmp "$T/b.up.gray" "$T/b.want.raw" || fail "$kind x$s nearest != replication (7x3)"
    done
done

# Several frames: each is upscaled on its own, in order.
gen_bytes $((13 * 7 * 3)) 11 > "$T/multi.yuv"
ok make-model --kind srlut --scale 2 --function random --seed 3 -o "$T/rand.lsr"
ok upscale -m "$T/rand.lsr" -i "$T/multi.yuv" -o "$T/multi.up.yuv" --size 13x7
size_is "$T/multi.up.yuv" $((26 * 14 * 3))
grep -q 'upscaled 3 frames 13x7 -> 26x14 gray' "$T/ok.err" || fail "summary: $(cat "$T/ok.err")"
dd if="$T/multi.yuv" of="$T/f2.raw" bs=91 skip=1 count=1 2>/dev/null
ok upscale -q -m "$T/rand.lsr" -i "$T/f2.raw" -o "$T/f2.up.raw" --size 13x7
dd if="$T/multi.up.yuv" of="$T/f2.from-multi.raw" bs=364 skip=1 count=1 2>/dev/null
cmp "$T/f2.up.raw" "$T/f2.from-multi.raw" || fail "frame 2 of a multi-frame file differs"

# Thread count and CPU level never change the bytes.
gen_bytes $((203 * 61 * 2)) 17 > "$T/t.raw"
for m in "$T/rand.lsr" bicubic-x3; do
    ok upscale -q -m "$m" -i "$T/t.raw" -o "$T/t1.raw" --size 203x61 --threads 1
    ok upscale -q -m "$m" -i "$T/t.raw" -o "$T/t3.raw" --size 203x61 --threads 3
    cmp "$T/t1.raw" "$T/t3.raw" || fail "--threads 1 vs 3 differ ($m)"
    ok upscale -q -m "$m" -i "$T/t.raw" -o "$T/tc.raw" --size 203x61 --threads 2 --cpu none
    cmp "$T/t1.raw" "$T/tc.raw" || fail "--cpu none vs auto differ ($m)"
done
ok make-model --kind eclut --scale 3 --function random --seed 9 -o "$T/erand.lsr"
ok upscale -q -m "$T/erand.lsr" -i "$T/t.raw" -o "$T/e1.raw" --size 203x61 --threads 1
ok upscale -q -m "$T/erand.lsr" -i "$T/t.raw" -o "$T/e3.raw" --size 203x61 --threads 3
cmp "$T/e1.raw" "$T/e3.raw" || fail "--threads 1 vs 3 differ (eclut)"
size_is "$T/e3.raw" $((609 * 183 * 2))

# Wrong --size is caught from the file size; a failed run leaves no output.
expect_error 'not a multiple of the frame size 7x7' upscale -m bicubic -i "$T/b.raw" -o "$T/x.raw" --size 7x7
[ ! -e "$T/x.raw" ] || fail "failed run left an output file"
expect_error 'needs --size' upscale -m bicubic -i "$T/b.raw" -o "$T/x.raw"
exit 0
