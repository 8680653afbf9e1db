/* fuzz_otlp_reply.c - what an OTLP receiver answers, on hostile bytes: the
 * ExportLogsServiceResponse reader (protobuf-c and the JSON scan), and the
 * check that tells a disk buffer's batch of log records from anything else.
 * The first input byte picks the encoding. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "outputs/otlp_encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct otlp_encoder *e;
    if (!e) {
        struct otlp_resource res = { .service_name = "fuzz", .host_name = "h" };
        e = otlp_encoder_new(&res);
        if (!e)
            return 0;
    }
    if (size < 1)
        return 0;
    int enc = data[0] & 1 ? OTLP_ENC_JSON : OTLP_ENC_PROTOBUF;
    data++;
    size--;
    int64_t rejected;
    char msg[64];
    volatile size_t sink = 0;
    if (otlp_parse_response(enc, data, size, &rejected, msg, sizeof(msg)) == 0)
        sink += (size_t)rejected + strlen(msg);
    struct otlp_request rq;
    if (otlp_request_parts(e, enc, data, size, &rq) == 0)
        sink += rq.head_len + rq.records_len + rq.tail_len;
    (void)sink;
    return 0;
}
