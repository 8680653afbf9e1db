#!/bin/sh
# Kafka output against librdkafka's mock cluster (3 brokers on loopback,
# started by the test): every event arrives exactly once after a clean stop,
# one event per message keyed by host; a broker down and injected produce
# errors lose nothing. With `message: batch` and topic batch.${tag}, a batch
# of two interleaved tags lands one message per tag on each tag's topic, read
# back with the consumer snippet of docs/scaling.md.
. "$(dirname "$0")/lib.sh"
"$PY" "$ROOT/tests/integration/kafka_test.py" "$ROOT/$B" "$T"
