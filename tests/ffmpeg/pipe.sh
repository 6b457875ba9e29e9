#!/bin/sh
# Live-style use: y4m in on a pipe, y4m out on a pipe. Frames stream through
# (output appears while the input is still open) and none is lost.
. tests/ffmpeg/common.inc "$@"

N=12
clip "$T/in.y4m" 160 120 $N
vf_md5s "$T/in.y4m" lutsr > "$T/ref.md5"

# Split the y4m into its stream header and frames (each "FRAME\n" + data).
fsize=$((160 * 120 * 3 / 2 + 6))
hsize=$(( $(stat -c %s "$T/in.y4m") - N * fsize ))
mkfifo "$T/in.fifo"
"$FFMPEG" -nostdin -hide_banner -loglevel error -f yuv4mpegpipe -i - -vf lutsr -f yuv4mpegpipe - \
    < "$T/in.fifo" > "$T/out.y4m" 2>"$T/ff.err" &
ffpid=$!
{
    head -c "$hsize" "$T/in.y4m"
    i=0
    while [ $i -lt $N ]; do
        tail -c +$((hsize + i * fsize + 1)) "$T/in.y4m" | head -c $fsize
        i=$((i + 1))
        if [ $i = 6 ]; then
            # Half the stream is in and the pipe is still open: output
            # frames must already be coming out.
            t=0
            while [ "$(stat -c %s "$T/out.y4m")" -lt $((320 * 240 * 3 / 2)) ] && [ $t -lt 100 ]; do
                sleep 0.1; t=$((t + 1))
            done
            stat -c %s "$T/out.y4m" > "$T/mid-size"
        fi
    done
} > "$T/in.fifo"
wait $ffpid || { cat "$T/ff.err" >&2; fail "ffmpeg on a pipe"; }
[ "$(cat "$T/mid-size")" -ge $((320 * 240 * 3 / 2)) ] ||
    fail "no output frame while the input pipe was open ($(cat "$T/mid-size") bytes after 6 frames)"
md5s "$T/out.y4m" > "$T/out.md5"
[ "$(wc -l < "$T/out.md5")" = $N ] || fail "$(wc -l < "$T/out.md5") of $N frames came out"
same "$T/ref.md5" "$T/out.md5" "piped output differs from the file-based run"
echo "pipe: $N of $N frames, identical; $(cat "$T/mid-size") bytes out after 6 frames in"
