/* nats_peek.c - reads back a JetStream stream for the tests:
 *   nats_peek URL STREAM            -> "msgs N" then "msg SEQ SUBJECT MSGID PAYLOADHEX" lines
 *   nats_peek URL STREAM --publish SUBJECT MSGID HEX   (publishes one message, prints "dup 0|1")
 */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, natsStatus s)
{
    fprintf(stderr, "nats_peek: %s: %s\n", what, natsStatus_GetText(s));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: nats_peek URL STREAM [--publish SUBJECT MSGID HEX]\n");
        return 2;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsStatus s = natsConnection_ConnectTo(&nc, argv[1]);
    if (s != NATS_OK)
        return fail("connect", s);
    if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK)
        return fail("jetstream", s);
    jsErrCode je = 0;
    if (argc == 7 && strcmp(argv[3], "--publish") == 0) {
        size_t n = strlen(argv[6]) / 2;
        unsigned char *data = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            sscanf(argv[6] + 2 * i, "%2hhx", &data[i]);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = argv[5];
        jsPubAck *pa = NULL;
        if ((s = js_Publish(&pa, js, argv[4], data, (int)n, &po, &je)) != NATS_OK)
            return fail("publish", s);
        printf("dup %d\n", pa->Duplicate ? 1 : 0);
        jsPubAck_Destroy(pa);
        free(data);
    } else {
        jsStreamInfo *si = NULL;
        if ((s = js_GetStreamInfo(&si, js, argv[2], NULL, &je)) != NATS_OK)
            return fail("stream info", s);
        printf("msgs %llu\n", (unsigned long long)si->State.Msgs);
        for (uint64_t seq = si->State.FirstSeq; seq && seq <= si->State.LastSeq; seq++) {
            natsMsg *m = NULL;
            if (js_GetMsg(&m, js, argv[2], seq, NULL, &je) != NATS_OK)
                continue;
            const char *id = "-";
            natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
            printf("msg %llu %s %s ", (unsigned long long)seq, natsMsg_GetSubject(m), id ? id : "-");
            const unsigned char *d = (const unsigned char *)natsMsg_GetData(m);
            for (int i = 0; i < natsMsg_GetDataLength(m); i++)
                printf("%02x", d[i]);
            putchar('\n');
            natsMsg_Destroy(m);
        }
        jsStreamInfo_Destroy(si);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return 0;
}
