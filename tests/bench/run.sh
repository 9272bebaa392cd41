#!/bin/sh
# tests/bench/run.sh (make bench): every benchmark script in tests/bench/,
# each under the same headless display setup as make check.
set -u
B=${B:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-1200} BENCH=1 B=$B \
    sh tests/run.sh
