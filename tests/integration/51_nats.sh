#!/bin/sh
# NATS JetStream output against a real nats-server -js on loopback: round trip,
# the server killed mid-stream and restarted (nothing lost), and a retried
# batch deduplicated by its Nats-Msg-Id. Two tags interleaved in one batch land
# on their own subjects, read back with docs/scaling.md's consumer snippet.
. "$(dirname "$0")/lib.sh"
command -v nats-server >/dev/null || fail "nats-server is not installed (scripts/deps.sh installs it)"
"$PY" "$ROOT/tests/integration/nats_test.py" "$ROOT/$B" "$T"
