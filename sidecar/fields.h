/* fields.h - static fields added to every record and alert: `fields:` under
 * `service:` and per input (values may come from ${VAR}), and with
 * `service.kubernetes: true` the pod as the Downward API describes it
 * (k8s.pod, k8s.namespace, k8s.node, k8s.pod_ip, k8s.service_account from
 * the environment, k8s.labels from a mounted labels file). Built once at
 * start; records borrow its spans for the life of the process. */
#ifndef VIGIL_FIELDS_H
#define VIGIL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/option.h"
#include "sidecar/span.h"

struct record;

#define FIELDS_MAX         64          /* static string fields per set */
#define FIELDS_MAX_LABELS  128         /* entries kept from the labels file */
#define FIELDS_LABELS_FILE_MAX (64u * 1024)

struct fields_entry {
    char *key, *val;
};

struct fieldset {
    struct fields_entry e[FIELDS_MAX];
    size_t n;
    struct fields_entry labels[FIELDS_MAX_LABELS];   /* k8s.labels, a map */
    size_t nlabels;
    bool has_labels;
};

/* Sets key to val (copied); a key already set gets the new value. -1 when
 * full or out of memory. */
int fields_set(struct fieldset *fs, const char *key, const char *val);
/* Adds every pair of m (later sets override earlier ones). */
int fields_add_map(struct fieldset *fs, const struct conf_strmap *m);
/* The Downward API: POD_NAME, POD_NAMESPACE, NODE_NAME, POD_IP and
 * POD_SERVICE_ACCOUNT when set, and labels_path when it exists (key="value"
 * lines, values quoted as the kubelet writes them). A missing POD_NAME is
 * logged once; nothing else is an error but running out of memory. */
int fields_add_kubernetes(struct fieldset *fs, const char *labels_path);
/* Parses a Downward API labels file's contents into fs->labels. */
void fields_parse_labels(struct fieldset *fs, const char *text, size_t len);
/* Copies a into fs (a's values first, fs's own afterwards win). */
int fields_inherit(struct fieldset *fs, const struct fieldset *a);
/* The value of key, or an empty span. */
struct span fields_get(const struct fieldset *fs, const char *key);
/* Adds fs's fields to r (borrowed spans; fs must outlive r's use). */
void fields_apply(const struct fieldset *fs, struct record *r);
void fields_fini(struct fieldset *fs);

#endif
