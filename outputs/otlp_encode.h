/* otlp_encode.h - records as OpenTelemetry log records (OTLP), for the otlp
 * output (docs/wire-format.md, "OTLP"). Each record becomes one LogRecord as
 * it is added to a batch; a batch is sent as one ExportLogsServiceRequest
 * holding one ResourceLogs (this host) with one ScopeLogs (scope `vigil`)
 * around those records. Both OTLP encodings: protobuf (packed by protobuf-c
 * from the .proto files vendored in outputs/otlp/proto/) and OTLP/JSON
 * (lowerCamelCase keys, 64-bit integers as strings, enums as numbers).
 * Pure code: no logging, no I/O. */
#ifndef VIGIL_OTLP_ENCODE_H
#define VIGIL_OTLP_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outputs/batch.h"
#include "sidecar/record.h"
#include "sidecar/span.h"

enum otlp_encoding { OTLP_ENC_PROTOBUF, OTLP_ENC_JSON };

/* Resource attributes of every request; NULL or "" = not sent. */
struct otlp_resource {
    const char *service_name;       /* service.name */
    const char *host_name;          /* host.name */
    const char *k8s_pod_name, *k8s_namespace_name, *k8s_node_name;
};

struct otlp_encoder;

/* Copies what it needs of res. NULL on allocation failure. */
struct otlp_encoder *otlp_encoder_new(const struct otlp_resource *res);
void otlp_encoder_free(struct otlp_encoder *e);

/* Appends r as one LogRecord. Protobuf: the ScopeLogs.log_records field
 * (tag 2, length, message), so records concatenate into a ScopeLogs body.
 * JSON: the object followed by ','. Returns -1 only on allocation failure
 * (out is then unchanged). */
int otlp_encode_record(struct otlp_encoder *e, int encoding, struct buf *out,
                       const struct record *r);

/* One ExportLogsServiceRequest around records[0..len), which holds
 * otlp_encode_record output of the same encoding, back to back: the body is
 * head, then records[0..records_len), then tail, so the batch bytes can be
 * sent as they are. head points into the encoder (valid until the next call). */
struct otlp_request {
    const unsigned char *head, *records, *tail;
    size_t head_len, records_len, tail_len;
};
/* Returns 0, -1 on allocation failure, -2 when records is not such a
 * sequence (a disk buffer left by another output type under the same name). */
int otlp_request_parts(struct otlp_encoder *e, int encoding, const void *records, size_t len,
                       struct otlp_request *req);
/* The same request appended to out in one piece. */
int otlp_encode_request(struct otlp_encoder *e, int encoding, struct buf *out,
                        const void *records, size_t len);

/* Reads an ExportLogsServiceResponse: *rejected = partial_success.
 * rejected_log_records (0 when absent) and its error_message into msg (cap
 * bytes, NUL-terminated, "" when none; raw: escape before printing).
 * Returns 0, or -1 when body is not a response of that encoding. An empty
 * body is a full success. */
int otlp_parse_response(int encoding, const void *body, size_t len, int64_t *rejected,
                        char *msg, size_t cap);

/* The OTel severity number (1..24) of a level word as vigil's parsers
 * normalise it, or of an alert's severity (info..critical) when alert;
 * 0 (unspecified) for words it does not know. Case-insensitive. */
int otlp_severity_number(struct span level, bool alert);

#endif
