#!/bin/sh
# Debian's own ffmpeg and mpv, run through build/bin/lutsr-env with the
# drop-in libavfilter.so.8, list the lutsr filter and run it; Debian's ffmpeg
# then writes the same bytes as the static ffmpeg.
. tests/ffmpeg/common.inc "$@"
ENV=$BUILD/bin/lutsr-env
[ -x "$ENV" ] && [ -f "$BUILD/lib/ffmpeg-dropin/libavfilter.so.8" ] || fail "drop-in not built (make ffmpeg-dropin)"
[ -x /usr/bin/ffmpeg ] || fail "Debian's ffmpeg is not installed (apt-get install ffmpeg)"

/usr/bin/ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' lutsr ' && fail "Debian's ffmpeg has lutsr without the drop-in?"
"$ENV" /usr/bin/ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' lutsr .*V->V' ||
    fail "Debian's ffmpeg does not list lutsr through lutsr-env"
"$ENV" /usr/bin/ffmpeg -hide_banner -h filter=lutsr 2>/dev/null | grep -q 'model' || fail "-h filter=lutsr shows no options"

clip "$T/in.y4m" 80 48 4
vf_md5s "$T/in.y4m" lutsr > "$T/static.md5"
"$ENV" /usr/bin/ffmpeg -nostdin -hide_banner -loglevel error -i "$T/in.y4m" -vf lutsr -filter_threads 2 \
    -f framemd5 -c:v rawvideo - 2>"$T/err" | grep -v '^#' | awk -F, '{print $NF}' > "$T/debian.md5"
same "$T/static.md5" "$T/debian.md5" "Debian's ffmpeg + drop-in differs from the static ffmpeg"
"$ENV" /usr/bin/ffprobe -v error -f lavfi -i "movie=$T/in.y4m,lutsr" -show_entries stream=width,height \
    -of csv=p=0 > "$T/probe" 2>&1
[ "$(cat "$T/probe")" = "160,96" ] || fail "Debian's ffprobe + drop-in: $(cat "$T/probe")"
echo "Debian ffmpeg $(/usr/bin/ffmpeg -version | sed -n '1s/ffmpeg version \([^ ]*\).*/\1/p') + drop-in: lists and runs lutsr, same bytes; ffprobe too"

if [ -x /usr/bin/mpv ]; then
    "$ENV" /usr/bin/mpv --no-config --vo=null --ao=null --frames=3 --msg-level=all=v \
        --vf=lavfi=[lutsr=model=x2] "$T/in.y4m" > "$T/mpv.log" 2>&1 || { tail -n 20 "$T/mpv.log" >&2; fail "mpv failed"; }
    grep -q 'lutsr' "$T/mpv.log" || { tail -n 20 "$T/mpv.log" >&2; fail "mpv log does not mention lutsr"; }
    grep -q 'VO: \[null\] 160x96' "$T/mpv.log" || { grep 'VO:' "$T/mpv.log" >&2; fail "mpv's output is not 160x96"; }
    echo "Debian mpv + drop-in: --vf=lavfi=[lutsr] plays at 160x96"
else
    fail "Debian's mpv is not installed (apt-get install mpv)"
fi
