#!/bin/sh
# make bench-ffmpeg: fps of -vf lutsr (every shipped x2 model) next to
# scale=flags=bicubic and scale=flags=lanczos, at 960x540 -> 1920x1080 and
# 1920x1080 -> 3840x2160, with 1 and 2 threads, all in one run. The sample
# clip is decoded to y4m first so decoding is not timed; output goes to
# -f null. Prints a markdown table (fps = frames / wall time, best of 3 runs).
set -e
FFMPEG=${FFMPEG:-build/bin/ffmpeg}
LUTSR=${LUTSR:-build/bin/lutsr}
[ -x "$FFMPEG" ] || { echo "bench-ffmpeg: $FFMPEG not built (make ffmpeg)" >&2; exit 1; }
dir=$(sh scripts/sample-clip.sh "$FFMPEG")
T=$(mktemp -d "${TMPDIR:-/tmp}/lutsr-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
FRAMES=${FRAMES:-60}
for r in 540p 1080p; do
    "$FFMPEG" -nostdin -hide_banner -loglevel error -y -i "$dir/clip-$r.mp4" -frames:v "$FRAMES" \
        -f yuv4mpegpipe "$T/$r.y4m"
done

models=$(for m in models/*-x2.lsr; do [ -f "$m" ] && basename "$m" .lsr; done)
# The model `x2` resolves to (the engine's short-name order).
default=""
for k in eclut srlut mulut; do [ -z "$default" ] && [ -f "models/$k-x2.lsr" ] && default=$k-x2; done

# fps IN VF THREADS: best of 3 wall-clock runs.
fps() {
    best=0
    for i in 1 2 3; do
        s=$(date +%s.%N)
        "$FFMPEG" -nostdin -hide_banner -loglevel error -filter_threads "$3" -threads 1 -i "$1" -vf "$2" \
            -f null - || { echo "bench-ffmpeg: ffmpeg -vf $2 failed" >&2; exit 1; }
        e=$(date +%s.%N)
        best=$(echo "$s $e $best" | awk -v n="$FRAMES" '{f = n / ($2 - $1); print (f > $3 ? f : $3)}')
    done
    echo "$best"
}

echo "ffmpeg: $("$FFMPEG" -hide_banner -version | head -n 1)"
echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores; $FRAMES frames per run, best of 3"
echo
echo "| input -> output | filter | fps, 1 thread | fps, 2 threads | vs lanczos, 2 threads |"
echo "|---|---|---|---|---|"
for r in 540p 1080p; do
    case $r in 540p) io="960x540 -> 1920x1080"; ow=1920; oh=1080 ;; *) io="1920x1080 -> 3840x2160"; ow=3840; oh=2160 ;; esac
    l1=$(fps "$T/$r.y4m" "scale=$ow:$oh:flags=lanczos" 1)
    l2=$(fps "$T/$r.y4m" "scale=$ow:$oh:flags=lanczos" 2)
    b1=$(fps "$T/$r.y4m" "scale=$ow:$oh:flags=bicubic" 1)
    b2=$(fps "$T/$r.y4m" "scale=$ow:$oh:flags=bicubic" 2)
    printf '| %s | scale=flags=bicubic | %.1f | %.1f | %.2fx |\n' "$io" "$b1" "$b2" "$(echo "$b2 $l2" | awk '{print $1/$2}')"
    printf '| %s | scale=flags=lanczos | %.1f | %.1f | 1.00x |\n' "$io" "$l1" "$l2"
    for m in $models; do
        f1=$(fps "$T/$r.y4m" "lutsr=model=$m" 1)
        f2=$(fps "$T/$r.y4m" "lutsr=model=$m" 2)
        tag=""; [ "$m" = "$default" ] && tag=" (default)"
        printf '| %s | lutsr=model=%s%s | %.1f | %.1f | %.2fx |\n' "$io" "$m" "$tag" "$f1" "$f2" \
            "$(echo "$f2 $l2" | awk '{print $1/$2}')"
    done
done
echo
echo "vs lanczos: fps ratio to scale=flags=lanczos with 2 threads in this run (above 1 = faster)."
