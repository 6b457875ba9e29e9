#!/bin/sh
# Every pixel format vf_lutsr takes gives the planes `lutsr upscale` gives:
# yuv420p/422p/444p, the yuvj variants, gray, nv12 and yuva420p (alpha
# through the engine's bicubic).
. tests/ffmpeg/common.inc "$@"
W=66; H=50

for f in 420 422 444; do
    clip "$T/in$f.y4m" $W $H 3 "yuv${f}p"
    "$LUTSR" upscale -q -m x2 -i "$T/in$f.y4m" -o "$T/cli$f.y4m" || fail "lutsr upscale $f"
    md5s "$T/cli$f.y4m" > "$T/cli$f.md5"
    vf_md5s "$T/in$f.y4m" lutsr > "$T/ff.md5"
    same "$T/cli$f.md5" "$T/ff.md5" "yuv${f}p: filter != CLI"
    # yuvj: the same bytes, tagged full range (raw input so nothing converts).
    ff -i "$T/in$f.y4m" -f rawvideo "$T/in$f.yuv"
    vf_md5s "$T/in$f.yuv" lutsr -f rawvideo -pix_fmt "yuvj${f}p" -s ${W}x$H > "$T/ffj.md5"
    same "$T/cli$f.md5" "$T/ffj.md5" "yuvj${f}p: filter != CLI"
    echo "yuv${f}p, yuvj${f}p: filter == CLI"
done

clip "$T/gray.y4m" $W $H 3 gray
"$LUTSR" upscale -q -m x2 -i "$T/gray.y4m" -o "$T/cligray.y4m" || fail "lutsr upscale gray"
same "$(md5s "$T/cligray.y4m" > "$T/a"; echo "$T/a")" "$(vf_md5s "$T/gray.y4m" lutsr > "$T/b"; echo "$T/b")" "gray: filter != CLI"
echo "gray: filter == CLI"

# NV12: the filter must take it as is (no conversion in front); converting its
# output back to yuv420p is a plain de-interleave, so the bytes must match.
"$FFMPEG" -nostdin -hide_banner -i "$T/in420.y4m" -vf "format=nv12,lutsr,showinfo" -frames:v 1 -f null - 2>&1 |
    grep -q 'fmt:nv12 .*s:132x100' || fail "lutsr did not run on nv12 (or gave the wrong size)"
ff -i "$T/in420.y4m" -vf "format=nv12,lutsr,format=yuv420p" -f framemd5 -c:v rawvideo "$T/nv12.fmd5"
grep -v '^#' "$T/nv12.fmd5" | awk -F, '{print $NF}' > "$T/nv12.md5"
same "$T/cli420.md5" "$T/nv12.md5" "nv12: filter != CLI"
echo "nv12: filter == CLI"

# yuva420p: Y/U/V as yuv420p, alpha = bicubic of the alpha plane (here the
# luma of the clip, through alphamerge).
ff -i "$T/in420.y4m" -i "$T/in420.y4m" -filter_complex "[0][1]alphamerge,lutsr,split[a][b];[a]format=yuv420p[yuv];[b]extractplanes=a[al]" \
   -map "[yuv]" -f framemd5 -c:v rawvideo "$T/yuva.fmd5" -map "[al]" -f framemd5 -c:v rawvideo "$T/alpha.fmd5"
grep -v '^#' "$T/yuva.fmd5" | awk -F, '{print $NF}' > "$T/yuva.md5"
same "$T/cli420.md5" "$T/yuva.md5" "yuva420p: Y/U/V != CLI"
ff -i "$T/in420.y4m" -vf format=gray -f yuv4mpegpipe -strict -1 "$T/alpha.y4m"
"$LUTSR" upscale -q -m bicubic-x2 -i "$T/alpha.y4m" -o "$T/alpha-cli.y4m" || fail "lutsr upscale alpha"
md5s "$T/alpha-cli.y4m" > "$T/alpha-cli.md5"
grep -v '^#' "$T/alpha.fmd5" | awk -F, '{print $NF}' > "$T/alpha.md5"
same "$T/alpha-cli.md5" "$T/alpha.md5" "yuva420p: alpha != engine bicubic"
echo "yuva420p: filter == CLI (alpha via bicubic)"

# Formats outside the list are converted by FFmpeg in front of the filter.
ff -i "$T/in420.y4m" -vf "format=rgb24,lutsr" -frames:v 1 -f framemd5 "$T/rgb.fmd5"
grep -q ',' "$T/rgb.fmd5" || fail "rgb24 input gave no frame"
echo "rgb24: negotiated through scale"
