#!/bin/sh
# Y4M upscaling: every chroma layout with several frames and odd sizes;
# exact output sizes; header tags kept with W/H scaled; Y through the model
# and U/V through bicubic (checked against the raw path on the same planes);
# stdin/stdout streaming gives the same bytes as files.
. tests/cli/common.inc "$@"

ok make-model --kind srlut --scale 2 --function random --seed 5 -o "$T/r2.lsr"
ok make-model --kind eclut --scale 3 --function random --seed 6 -o "$T/e3.lsr"

# c  w  h  frames model scale
for spec in "420jpeg 13 7 3 r2 2" "420paldv 8 6 2 e3 3" "420mpeg2 9 9 2 r2 2" \
            "420 5 3 2 e3 3" "422 11 5 3 r2 2" "444 7 4 2 e3 3" "mono 9 5 3 r2 2" \
            " 6 5 2 r2 2"; do
    set -- $spec
    if [ $# = 5 ]; then c=; w=$1 h=$2 n=$3 m=$4 s=$5; else c=$1 w=$2 h=$3 n=$4 m=$5 s=$6; fi
    y4m_file "$T/in.y4m" $w $h "$c" $n 100 " XCOMMENT=hello"
    ok upscale -m "$T/$m.lsr" -i "$T/in.y4m" -o "$T/out.y4m"
    grep -q "upscaled $n frames ${w}x$h -> $((w * s))x$((h * s))" "$T/ok.err" || fail "summary: $(cat "$T/ok.err")"
    W=$((w * s)) H=$((h * s))
    # Output chroma is ceil() of the output luma size, like the input's.
    case $c in
    420*|'') fb=$((W * H + 2 * ((W + 1) / 2) * ((H + 1) / 2))) ;;
    422)     fb=$((W * H + 2 * ((W + 1) / 2) * H)) ;;
    444)     fb=$((3 * W * H)) ;;
    mono)    fb=$((W * H)) ;;
    esac
    hdr="YUV4MPEG2 W$W H$H F25:1 Ip A1:1${c:+ C$c} XCOMMENT=hello"
    [ "$(head -n 1 "$T/out.y4m")" = "$hdr" ] || fail "header '$(head -n 1 "$T/out.y4m")' != '$hdr'"
    size_is "$T/out.y4m" $(( ${#hdr} + 1 + n * (6 + fb) ))
done

# Plane routing, end to end: 444 frames so no plane is cropped. Y must
# equal the raw path through the model, U and V the raw path through the
# engine's bicubic (bicubic-x2, same engine).
w=10 h=6 W=20 H=12
y4m_file "$T/c.y4m" $w $h 444 2 7
ok upscale -q -m "$T/r2.lsr" -i "$T/c.y4m" -o "$T/c.up.y4m"
hl=$(head -n 1 "$T/c.y4m" | wc -c) HL=$(head -n 1 "$T/c.up.y4m" | wc -c)
for f in 0 1; do
    for p in 0 1 2; do
        dd if="$T/c.y4m" of="$T/p.raw" bs=1 skip=$((hl + 6 + f * (6 + 3 * w * h) + p * w * h)) \
            count=$((w * h)) 2>/dev/null
        dd if="$T/c.up.y4m" of="$T/got.raw" bs=1 skip=$((HL + 6 + f * (6 + 3 * W * H) + p * W * H)) \
            count=$((W * H)) 2>/dev/null
        if [ $p = 0 ]; then m="$T/r2.lsr"; else m=bicubic-x2; fi
        ok upscale -q -m "$m" -i "$T/p.raw" -o "$T/want.raw" --size ${w}x$h
        cmp "$T/got.raw" "$T/want.raw" || fail "frame $f plane $p differs from the raw path with $m"
    done
done

# --ensemble 8 changes Y only: U and V stay the engine's bicubic bytes.
ok upscale -m "$T/r2.lsr" --ensemble 8 -i "$T/c.y4m" -o "$T/c.e8.y4m"
grep -q "(srlut x2, x8 self-ensemble)" "$T/ok.err" || fail "ensemble summary: $(cat "$T/ok.err")"
for f in 0 1; do
    for p in 0 1 2; do
        off=$((HL + 6 + f * (6 + 3 * W * H) + p * W * H))
        dd if="$T/c.up.y4m" of="$T/a.raw" bs=1 skip=$off count=$((W * H)) 2>/dev/null
        dd if="$T/c.e8.y4m" of="$T/b.raw" bs=1 skip=$off count=$((W * H)) 2>/dev/null
        if [ $p = 0 ]; then
            ! cmp -s "$T/a.raw" "$T/b.raw" || fail "frame $f: --ensemble 8 left Y unchanged"
        else
            cmp "$T/a.raw" "$T/b.raw" || fail "frame $f plane $p: --ensemble 8 changed chroma"
        fi
    done
done

# Odd-sized 420: the chroma plane is the top-left of the full bicubic result.
w=7 h=5 W=14 H=10
y4m_file "$T/o.y4m" $w $h 420jpeg 1 21
ok upscale -q -m "$T/r2.lsr" -i "$T/o.y4m" -o "$T/o.up.y4m"
hl=$(head -n 1 "$T/o.y4m" | wc -c) HL=$(head -n 1 "$T/o.up.y4m" | wc -c)
dd if="$T/o.y4m" of="$T/u.raw" bs=1 skip=$((hl + 6 + w * h)) count=12 2>/dev/null
ok upscale -q -m bicubic -i "$T/u.raw" -o "$T/u.up.raw" --size 4x3    # 8x6
dd if="$T/o.up.y4m" of="$T/u.got.raw" bs=1 skip=$((HL + 6 + W * H)) count=35 2>/dev/null
: > "$T/u.want.raw"
for r in 0 1 2 3 4; do
    dd if="$T/u.up.raw" bs=1 skip=$((r * 8)) count=7 2>/dev/null >> "$T/u.want.raw"
done
cmp "$T/u.got.raw" "$T/u.want.raw" || fail "odd 420 chroma is not the top-left 7x5 of the 8x6 bicubic"

# Pipes: stdin -> stdout gives the same stream as files.
y4m_file "$T/p.y4m" 12 8 420jpeg 3 40
ok upscale -q -m "$T/e3.lsr" -i "$T/p.y4m" -o "$T/p.file.y4m"
cat "$T/p.y4m" | "$LUTSR" upscale -q -m "$T/e3.lsr" -i - -o - > "$T/p.pipe.y4m" || fail "pipe run"
cmp "$T/p.file.y4m" "$T/p.pipe.y4m" || fail "stdin/stdout output differs from the file output"

# FRAME parameters pass through; an empty stream gives a header-only one.
{ printf 'YUV4MPEG2 W4 H2 Cmono\nFRAME Ixyz\n'; gen_bytes 8 1; } > "$T/fp.y4m"
ok upscale -q -m bicubic -i "$T/fp.y4m" -o "$T/fp.up.y4m"
sed -n 2p "$T/fp.up.y4m" | grep -q '^FRAME Ixyz' || fail "FRAME parameters lost"
printf 'YUV4MPEG2 W4 H2 C422\n' > "$T/empty.y4m"
ok upscale -m bicubic-x4 -i "$T/empty.y4m" -o "$T/empty.up.y4m"
[ "$(cat "$T/empty.up.y4m")" = "YUV4MPEG2 W16 H8 C422" ] || fail "empty stream output"

# Malformed streams: one clear line, no output left behind.
printf 'YUV4MPEG2 W4 H2 C420p10\nFRAME\n' > "$T/bad.y4m"
expect_error "unsupported Y4M colorspace 'C420p10'" upscale -m bicubic -i "$T/bad.y4m" -o "$T/bad.up.y4m"
printf 'YUV4MPEG2 H2\n' > "$T/bad.y4m"
expect_error 'lacks the W tag' upscale -m bicubic -i "$T/bad.y4m" -o "$T/bad.up.y4m"
printf 'YUV4MPEG W4 H2\n' > "$T/bad.y4m"
expect_error 'not a Y4M stream' upscale -m bicubic -i "$T/bad.y4m" -o "$T/bad.up.y4m"
{ printf 'YUV4MPEG2 W4 H2 Cmono\nFRAME\n'; gen_bytes 8 1; printf 'FRAME\n'; gen_bytes 5 2; } > "$T/bad.y4m"
expect_error 'truncated frame 2: got 5 of 8 bytes' upscale -m bicubic -i "$T/bad.y4m" -o "$T/bad.up.y4m"
[ ! -e "$T/bad.up.y4m" ] || fail "a failed run left its output"
exit 0
