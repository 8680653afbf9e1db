#!/bin/sh
# Kafka output against librdkafka's mock cluster (3 brokers on loopback,
# started by the test): every event arrives exactly once after a clean stop,
# one event per message keyed by host; a broker down and injected produce
# errors lose nothing.
. "$(dirname "$0")/lib.sh"
exec "$PY" "$ROOT/tests/integration/kafka_test.py" "$ROOT/$B" "$T"
