#!/bin/sh
# Bad inputs: every failure is a non-zero exit with one readable
# "lutsr: <what>: <detail>" line, never a crash, and never clobbers or
# leaves behind an output file.
. tests/cli/common.inc "$@"

gen_bytes 20 1 > "$T/a.raw"
y4m_file "$T/a.y4m" 4 4 420jpeg 1 1

# Missing inputs.
expect_error 'nope.png: cannot open for reading' upscale -m bicubic -i "$T/nope.png" -o "$T/o.png"
expect_error 'nope.y4m: cannot open for reading' upscale -m bicubic -i "$T/nope.y4m" -o "$T/o.y4m"
expect_error 'nope.raw: cannot open for reading' upscale -m bicubic -i "$T/nope.raw" -o "$T/o.raw" --size 5x4

# Models: missing path, unknown short name, junk file, truncated file.
expect_error "cannot load model: $T/missing.lsr: cannot open" upscale -m "$T/missing.lsr" -i "$T/a.y4m" -o "$T/o.y4m"
expect_error "cannot load model: no-such-model: no model found" upscale -m no-such-model -i "$T/a.y4m" -o "$T/o.y4m"
gen_bytes 300 2 > "$T/junk.lsr"
expect_error "cannot load model" upscale -m "$T/junk.lsr" -i "$T/a.y4m" -o "$T/o.y4m"
expect_error "cannot load model" info "$T/junk.lsr"
ok make-model --kind srlut --scale 2 --function nearest -o "$T/good.lsr"
head -c 5000 "$T/good.lsr" > "$T/cut.lsr"
expect_error "cannot load model" upscale -m "$T/cut.lsr" -i "$T/a.y4m" -o "$T/o.y4m"
expect_error "cannot load model" bench -m "$T/cut.lsr"

# Formats: unknown extension, mismatched kinds, --size where it has no use.
expect_error 'cannot tell the format' upscale -m bicubic -i "$T/a.bmp" -o "$T/o.png"
expect_error 'cannot tell the format' upscale -m bicubic -i "$T/a.y4m" -o "$T/o"
expect_error 'input is Y4M but output .* is PNG' upscale -m bicubic -i "$T/a.y4m" -o "$T/o.png"
expect_error 'input is raw gray but output .* is Y4M' upscale -m bicubic -i "$T/a.raw" -o - --size 5x4
expect_error 'applies to raw input only' upscale -m bicubic -i "$T/a.y4m" -o "$T/o.y4m" --size 4x4
expect_error 'is the input file' upscale -m bicubic -i "$T/a.y4m" -o "$T/a.y4m"
expect_error "unexpected argument 'extra'" upscale -m bicubic -i "$T/a.y4m" -o "$T/o.y4m" extra

# Unwritable output.
expect_error 'cannot open for writing' upscale -m bicubic -i "$T/a.y4m" -o "$T/no/such/dir/o.y4m"
expect_error 'cannot open for writing' make-model -o "$T/no/such/dir/m.lsr"

# A bad input never clobbers an existing output.
echo keep > "$T/keep.y4m"
printf 'YUV4MPEG2 W4 H4 C411\n' > "$T/bad.y4m"
expect_error "unsupported Y4M colorspace 'C411'" upscale -m bicubic -i "$T/bad.y4m" -o "$T/keep.y4m"
[ "$(cat "$T/keep.y4m")" = keep ] || fail "existing output was clobbered"
printf 'not a png at all' > "$T/bad.png"
expect_error 'not a PNG file' upscale -m bicubic -i "$T/bad.png" -o "$T/o.png"
: > "$T/empty.png"
expect_error 'empty file' upscale -m bicubic -i "$T/empty.png" -o "$T/o.png"
: > "$T/empty.raw"
expect_error 'not a multiple' upscale -m bicubic -i "$T/empty.raw" -o "$T/o.raw" --size 2x2
expect_error 'empty input' upscale -m bicubic -i - -o - < /dev/null
for f in o.png o.y4m o.raw; do
    [ ! -e "$T/$f" ] || fail "a failed run left $f"
done
exit 0
