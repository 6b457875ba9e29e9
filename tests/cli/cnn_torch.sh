#!/bin/sh
# CNN models (kind 16) against PyTorch: tiny random-weight FSRCNN (plain and with
# the global residual), ECBSR,
# eSR-MAX/TM/TR and IMDN networks (training/cnn_testvec.py) exported with
# lsr_format.write_cnn and run on a luma crop of a real image (Set5
# butterfly where the shared data is there, else a synthetic one) by
# PyTorch (float32) and by the engine (`lutsr upscale`, raw gray): every
# output pixel within 1, at most 1% of pixels different. Skips (77)
# without torch.
. tests/cli/common.inc "$@"
. tests/cli/training_common.inc
need_torch

tpy training/cnn_testvec.py run "$T/v" --lutsr "$LUTSR" --crop 48x40 --seed 1 --threads 2
cat "$T/tpy.out"
grep -c 'max |diff| [01],' "$T/tpy.out" | grep -qx 10 || fail "want 10 networks within tolerance"
