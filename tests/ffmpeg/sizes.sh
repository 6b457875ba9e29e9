#!/bin/sh
# Odd and tiny frame sizes (chroma of ceil(w/2) x ceil(h/2)), every scale,
# and a resolution change in mid-stream (FFmpeg re-configures the filter).
. tests/ffmpeg/common.inc "$@"

models="x2"
for m in x3 x4; do "$LUTSR" info "$m" >/dev/null 2>&1 && models="$models $m"; done
for size in 33x17 17x33 1x1 2x2 3x1 1x5 7x3; do
    w=${size%x*}; h=${size#*x}
    clip "$T/in.y4m" "$w" "$h" 2
    for m in $models; do
        "$LUTSR" upscale -q -m "$m" -i "$T/in.y4m" -o "$T/cli.y4m" || fail "lutsr upscale -m $m $size"
        md5s "$T/cli.y4m" > "$T/cli.md5"
        vf_md5s "$T/in.y4m" "lutsr=model=$m" -filter_threads 3 > "$T/ff.md5"
        same "$T/cli.md5" "$T/ff.md5" "$size -m $m: filter != CLI"
    done
done
echo "sizes 33x17 17x33 1x1 2x2 3x1 1x5 7x3, models $models: filter == CLI"

# Mid-stream size change, as a live H.264 stream does it: three Annex B
# streams (64x48, 50x34, 64x48) back to back in one file; the decoder
# switches size, ffmpeg re-configures the graph, and every frame must equal
# the output of a run on its own part.
for p in a:64:48:3 b:50:34:2; do
    n=${p%%:*}; r=${p#*:}
    clip "$T/$n.y4m" "${r%%:*}" "$(echo "$r" | cut -d: -f2)" "${r##*:}"
    ff -i "$T/$n.y4m" -c:v libx264 -preset ultrafast -qp 10 -bsf:v h264_mp4toannexb -f h264 "$T/$n.h264"
done
cat "$T/a.h264" "$T/b.h264" "$T/a.h264" > "$T/abc.h264"
showinfo() { # "WxH CHECKSUM" of each frame after lutsr
    "$FFMPEG" -nostdin -hide_banner "$@" -vf lutsr,showinfo -f null - 2>&1 |
        sed -n 's/.*Parsed_showinfo.* s:\([0-9x]*\) .*checksum:\([0-9A-F]*\).*/\1 \2/p'
}
showinfo -i "$T/abc.h264" > "$T/stream.txt"
{ showinfo -i "$T/a.h264"; showinfo -i "$T/b.h264"; showinfo -i "$T/a.h264"; } > "$T/parts.txt"
[ "$(wc -l < "$T/stream.txt")" = 8 ] || { cat "$T/stream.txt" >&2; fail "size change: expected 8 frames"; }
grep -q '^100x68 ' "$T/stream.txt" || fail "size change: no 100x68 frame"
same "$T/parts.txt" "$T/stream.txt" "size change: frames differ from separate runs"
echo "mid-stream change 64x48 -> 50x34 -> 64x48: 8 frames, each equal to a separate run"
