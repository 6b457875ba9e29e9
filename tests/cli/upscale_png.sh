#!/bin/sh
# PNG upscaling: gray, RGB, RGBA, palette and 16-bit inputs; output sizes;
# `-m bicubic` on a gray PNG equals the engine's bicubic (raw path on the
# same pixels); gray stays exactly gray through the RGB path (full-range
# Y'CbCr is exact on gray), so every RGB channel equals the gray result;
# alpha goes through bicubic. PNGs are written/decoded by tests/cli/pngtool.py
# (python3, stdlib only), independently of libpng.
. tests/cli/common.inc "$@"
need_python
png() { "$PY" "$PNGTOOL" "$@" || fail "pngtool $*"; }

w=11 h=7
gen_bytes $((w * h)) 3 > "$T/g.raw"
png write $w $h 0 8 "$T/g.png" < "$T/g.raw"
ok make-model --kind srlut --scale 3 --function random --seed 2 -o "$T/r3.lsr"

for m in bicubic bicubic-x4 "$T/r3.lsr"; do
    ok upscale -q -m "$m" -i "$T/g.png" -o "$T/g.up.png"
    ok upscale -q -m "$m" -i "$T/g.raw" -o "$T/g.up.raw" --size ${w}x$h
    set -- $(png read "$T/g.up.png" "$T/g.png.raw")
    s=$(( $1 / w ))
    [ "$1 $2 $3" = "$((w * s)) $((h * s)) 1" ] || fail "gray PNG output is $1x$2x$3 ($m)"
    cmp "$T/g.png.raw" "$T/g.up.raw" || fail "gray PNG path != raw path ($m)"

    # The same gray as RGB, and as RGBA with a random alpha.
    od -An -v -tu1 "$T/g.raw" | awk '{ for (i = 1; i <= NF; i++) printf "%s %s %s\n", $i, $i, $i }' \
        > "$T/rgb.txt"
    printf "$(awk '{ printf "\\%03o\\%03o\\%03o", $1, $2, $3 }' "$T/rgb.txt")" > "$T/rgb.raw"
    png write $w $h 2 8 "$T/rgb.png" < "$T/rgb.raw"
    ok upscale -q -m "$m" -i "$T/rgb.png" -o "$T/rgb.up.png"
    set -- $(png read "$T/rgb.up.png" "$T/rgb.up.raw")
    [ "$3" = 3 ] || fail "RGB output has $3 channels"
    for c in 0 1 2; do
        od -An -v -tu1 "$T/rgb.up.raw" | awk -v c=$c '{ for (i = 1; i <= NF; i++) if (n++ % 3 == c) printf "%s\n", $i }' > "$T/ch.txt"
        od -An -v -tu1 "$T/g.up.raw" | awk '{ for (i = 1; i <= NF; i++) print $i }' > "$T/gray.txt"
        cmp -s "$T/ch.txt" "$T/gray.txt" || fail "RGB channel $c of a gray image != gray path ($m)"
    done
done

# RGBA: colour from gray as above, alpha = bicubic of the alpha plane.
gen_bytes $((w * h)) 4 > "$T/a.raw"
od -An -v -tu1 "$T/g.raw" | awk '{ for (i = 1; i <= NF; i++) print $i }' > "$T/g.txt"
od -An -v -tu1 "$T/a.raw" | awk '{ for (i = 1; i <= NF; i++) print $i }' > "$T/a.txt"
printf "$(paste "$T/g.txt" "$T/a.txt" | awk '{ printf "\\%03o\\%03o\\%03o\\%03o", $1, $1, $1, $2 }')" > "$T/rgba.raw"
png write $w $h 6 8 "$T/rgba.png" < "$T/rgba.raw"
ok upscale -q -m "$T/r3.lsr" -i "$T/rgba.png" -o "$T/rgba.up.png"
set -- $(png read "$T/rgba.up.png" "$T/rgba.up.raw")
[ "$1 $2 $3" = "33 21 4" ] || fail "RGBA output is $1x$2x$3"
ok upscale -q -m bicubic-x3 -i "$T/a.raw" -o "$T/a.up.raw" --size ${w}x$h
ok upscale -q -m "$T/r3.lsr" -i "$T/g.raw" -o "$T/g3.up.raw" --size ${w}x$h
od -An -v -tu1 "$T/rgba.up.raw" | awk '{ for (i = 1; i <= NF; i++) if (n++ % 4 == 3) print $i }' > "$T/got.a"
od -An -v -tu1 "$T/a.up.raw" | awk '{ for (i = 1; i <= NF; i++) print $i }' > "$T/want.a"
cmp -s "$T/got.a" "$T/want.a" || fail "alpha is not the bicubic of the input alpha"
od -An -v -tu1 "$T/rgba.up.raw" | awk '{ for (i = 1; i <= NF; i++) if (n++ % 4 == 1) print $i }' > "$T/got.g"
od -An -v -tu1 "$T/g3.up.raw" | awk '{ for (i = 1; i <= NF; i++) print $i }' > "$T/want.g"
cmp -s "$T/got.g" "$T/want.g" || fail "RGBA colour of a gray image != gray path"

# A colour image: sizes, and the model changes the result (Y goes through it).
gen_bytes $((w * h * 3)) 8 > "$T/c.raw"
png write $w $h 2 8 "$T/c.png" < "$T/c.raw"
ok upscale -q -m bicubic-x3 -i "$T/c.png" -o "$T/c.bic.png"
ok upscale -q -m "$T/r3.lsr" -i "$T/c.png" -o "$T/c.mod.png"
set -- $(png read "$T/c.mod.png" "$T/c.mod.raw")
[ "$1 $2 $3" = "33 21 3" ] || fail "RGB output is $1x$2x$3"
png read "$T/c.bic.png" "$T/c.bic.raw" > /dev/null
! cmp -s "$T/c.mod.raw" "$T/c.bic.raw" || fail "the model had no effect on an RGB image"

# Palette input becomes RGB; 16-bit input warns and still works.
gen_bytes $((w * h)) 9 > "$T/idx.raw"
png write $w $h 3 8 "$T/pal.png" < "$T/idx.raw"
ok upscale -m bicubic -i "$T/pal.png" -o "$T/pal.up.png"
set -- $(png read "$T/pal.up.png" "$T/pal.up.raw")
[ "$1 $2 $3" = "22 14 3" ] || fail "palette output is $1x$2x$3"
gen_bytes $((w * h * 2)) 10 > "$T/g16.raw"
png write $w $h 0 16 "$T/g16.png" < "$T/g16.raw"
ok upscale -m bicubic -i "$T/g16.png" -o "$T/g16.up.png"
grep -q 'warning: 16-bit PNG reduced to 8 bits' "$T/ok.err" || fail "no 16-bit warning"
set -- $(png read "$T/g16.up.png" "$T/g16.up.raw")
[ "$1 $2 $3" = "22 14 1" ] || fail "16-bit output is $1x$2x$3"

# Corrupt and truncated PNGs are rejected cleanly; no output is left.
head -c 100 "$T/c.png" > "$T/trunc.png"
expect_error 'truncated PNG' upscale -m bicubic -i "$T/trunc.png" -o "$T/x.png"
{ bytes 137 80 78 71 13 10 26 10; gen_bytes 200 1; } > "$T/garbage.png"
expect_error 'corrupt or unsupported PNG' upscale -m bicubic -i "$T/garbage.png" -o "$T/x.png"
[ ! -e "$T/x.png" ] || fail "a failed run left an output file"
exit 0
