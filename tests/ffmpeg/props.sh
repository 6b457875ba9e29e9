#!/bin/sh
# Frame properties survive the filter: pts, duration, sample aspect ratio,
# colour range/space/primaries/transfer; the frame rate and the display
# aspect ratio of the output stream are the input's.
. tests/ffmpeg/common.inc "$@"

clip "$T/in.y4m" 64 48 4
ff -i "$T/in.y4m" -vf "setsar=4/3" -r 30000/1001 -c:v libx264 -preset ultrafast -crf 20 \
   -color_primaries bt709 -color_trc bt709 -colorspace bt709 -color_range tv "$T/in.mp4"
# Strip the frame-size fields; everything else showinfo prints must match.
"$FFMPEG" -nostdin -nostats -hide_banner -i "$T/in.mp4" -vf "showinfo,lutsr,showinfo" -f null - 2>"$T/log" ||
    { cat "$T/log" >&2; fail "ffmpeg showinfo"; }
grep 'Parsed_showinfo_0' "$T/log" | grep -E 'pts:|color_range|duration' |
    sed -e 's/^\[[^]]*\] *//' -e 's/ s:[0-9x]*//' -e 's/ checksum:.*//' > "$T/before"
grep 'Parsed_showinfo_2' "$T/log" | grep -E 'pts:|color_range|duration' |
    sed -e 's/^\[[^]]*\] *//' -e 's/ s:[0-9x]*//' -e 's/ checksum:.*//' > "$T/after"
[ "$(grep -c 'pts:' "$T/before")" -ge 4 ] || { cat "$T/log" >&2; fail "expected 4 or more frames"; }
grep -q 'sar:4/3' "$T/before" || fail "input SAR not 4/3: $(head -n 1 "$T/before")"
grep -q 'color_range:tv color_space:bt709 color_primaries:bt709 color_trc:bt709' "$T/before" ||
    fail "input colour properties missing: $(cat "$T/before")"
same "$T/before" "$T/after" "frame properties changed by lutsr"
grep 'Parsed_showinfo_2' "$T/log" | grep -q ' s:128x96 ' || fail "output is not 128x96"

"$FFMPEG" -nostdin -hide_banner -i "$T/in.mp4" -vf lutsr -c:v libx264 -preset ultrafast "$T/out.mp4" 2>"$T/log" ||
    { cat "$T/log" >&2; fail "encode"; }
probe() { "$FFPROBE" -v error -select_streams v:0 -show_entries stream="$2" -of csv=p=0 "$1"; }
[ "$(probe "$T/out.mp4" width,height)" = "128,96" ] || fail "out.mp4 size $(probe "$T/out.mp4" width,height)"
[ "$(probe "$T/out.mp4" r_frame_rate)" = "30000/1001" ] || fail "frame rate $(probe "$T/out.mp4" r_frame_rate)"
[ "$(probe "$T/out.mp4" sample_aspect_ratio,display_aspect_ratio)" = "4:3,16:9" ] ||
    fail "aspect $(probe "$T/out.mp4" sample_aspect_ratio,display_aspect_ratio), expected 4:3,16:9"
[ "$(probe "$T/out.mp4" color_space,color_primaries,color_transfer)" = "bt709,bt709,bt709" ] ||
    fail "colour tags $(probe "$T/out.mp4" color_space,color_primaries,color_transfer)"
echo "pts, duration, SAR 4/3, bt709/tv, 30000/1001 fps kept; output 128x96 (DAR 16:9)"
