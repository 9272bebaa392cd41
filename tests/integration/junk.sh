# The short version of tests/bench/junk.sh: 10 viewers at 30 Hz, 10 idle
# sessions and 9 hostile clients (30 %) for 8 s: every viewer stays, and
# the flood adds at most 500 ms to the longest wait for a picture (the
# bench's limit is 100 ms in all; make check runs beside other work).
JUNK_C=${JUNK_C:-9} JUNK_IDLE=${JUNK_IDLE:-10} JUNK_SECS=${JUNK_SECS:-8} \
    JUNK_GAP_MS=${JUNK_GAP_MS:-3000} JUNK_SLACK_MS=${JUNK_SLACK_MS:-500} \
    exec sh "$TOP/tests/bench/junk.sh"
