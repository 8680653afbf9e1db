/* kafka_mock.c - a Kafka cluster for tests: librdkafka's mock cluster with
 * real listeners on 127.0.0.1, driven by commands on stdin so a test can take
 * brokers down, add latency, inject errors, and read back what arrived.
 *
 * Prints "bootstraps HOST:PORT,..." first, then answers each command line:
 *   create TOPIC PARTITIONS          -> "ok"
 *   down ID | up ID                  -> "ok"      (broker ids start at 1)
 *   rtt ID MS                        -> "ok"
 *   errors N                         -> "ok"      (next N Produce requests fail, retriable)
 *   consume TOPIC N TIMEOUT_MS       -> "msg PARTITION OFFSET KEYHEX VALUEHEX" lines, then "done COUNT"
 *                                       (N 0: all there is, until 2 s pass without a message)
 *   quit
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void hex(const void *p, size_t n)
{
    const unsigned char *u = p;
    if (!n)
        fputs("-", stdout);
    for (size_t i = 0; i < n; i++)
        printf("%02x", u[i]);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void consume(const char *bootstraps, const char *topic, long want, long timeout_ms)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, err, sizeof(err));
    /* a fresh group per call: a second consumer of one group waits on the
     * mock's coordinator past any timeout */
    static unsigned calls;
    char group[32];
    snprintf(group, sizeof(group), "vigil-test-%u", ++calls);
    rd_kafka_conf_set(c, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", err, sizeof(err));
    rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk) {
        printf("error %s\ndone 0\n", err);
        return;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    long got = 0;
    long long end = now_ms() + timeout_ms, last = 0;
    while ((want <= 0 || got < want) && now_ms() < end) {
        /* want 0: everything there is: stop 2 s after the last message */
        if (want <= 0 && got && now_ms() - last > 2000)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        last = now_ms();
        if (!m->err) {
            printf("msg %d %lld ", (int)m->partition, (long long)m->offset);
            hex(m->key, m->key_len);
            putchar(' ');
            hex(m->payload, m->len);
            putchar('\n');
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    printf("done %ld\n", got);
    fflush(stdout);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

int main(int argc, char **argv)
{
    int brokers = argc > 1 ? atoi(argv[1]) : 3;
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!owner) {
        fprintf(stderr, "kafka_mock: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(owner, brokers);
    if (!mc) {
        fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
        return 1;
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    printf("bootstraps %s\n", bs);
    fflush(stdout);
    char line[1024];
    while (fgets(line, sizeof(line), stdin)) {
        char a[512] = "", b[64] = "";
        long n = 0, m = 0;
        if (sscanf(line, "create %511s %ld", a, &n) == 2) {
            rd_kafka_mock_topic_create(mc, a, (int)n, brokers < 3 ? brokers : 3);
        } else if (sscanf(line, "down %ld", &n) == 1) {
            rd_kafka_mock_broker_set_down(mc, (int32_t)n);
        } else if (sscanf(line, "up %ld", &n) == 1) {
            rd_kafka_mock_broker_set_up(mc, (int32_t)n);
        } else if (sscanf(line, "rtt %ld %ld", &n, &m) == 2) {
            rd_kafka_mock_broker_set_rtt(mc, (int32_t)n, (int)m);
        } else if (sscanf(line, "errors %ld", &n) == 1) {
            for (long i = 0; i < n; i++)
                rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1,
                                                  RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
        } else if (sscanf(line, "consume %511s %ld %ld", a, &n, &m) == 3) {
            consume(bs, a, n, m);
            continue;
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        } else {
            printf("error unknown command\n");
            fflush(stdout);
            continue;
        }
        (void)b;
        printf("ok\n");
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(owner);
    return 0;
}
