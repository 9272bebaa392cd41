# sstream framing+secretbox throughput against raw crypto_secretbox_easy
# on this machine (64 KiB and 1 MiB payloads).
"$TOP/$B/tests/bin/bench_sstream" 65536 2
"$TOP/$B/tests/bin/bench_sstream" 1048576 2
