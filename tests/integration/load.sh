# The short version of tests/bench/load.sh (make bench: 1000 sessions):
# 100 sessions log in on a still screen and stay up, login p99 under
# 50 ms, RSS growth under 32 MiB, idle CPU under 5 % of a core.
LOAD_N=${LOAD_N:-100} LOAD_RSS_MB=${LOAD_RSS_MB:-32} LOAD_IDLE_S=${LOAD_IDLE_S:-5} \
    exec sh "$TOP/tests/bench/load.sh"
