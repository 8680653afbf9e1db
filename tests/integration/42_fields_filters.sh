#!/bin/sh
# Static fields and line filters. With service.kubernetes: true and the
# Downward API variables and labels file of a pod, every record and every
# alert (text and JSON) names the pod and its namespace; service.fields and an
# input's fields (values from ${VAR}) reach every record, the input's winning.
# exclude_lines / include_lines drop lines before parsing and detection:
# dropped health checks never reach an output, a brute force hidden among
# them still alerts, and /metrics counts what was dropped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
mkdir -p "$T/logs" "$T/out" "$T/state" "$T/podinfo"
printf 'app="shop-api"\npod-template-hash="7c9f\\"x"\n' >"$T/podinfo/labels"
"$PY" - "$T/logs/auth.log" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(40):
        f.write("2026-11-18T09:%02d:%02d.000000+00:00 web-1 sshd[%d]: Failed password for root from 203.0.113.9 port %d ssh2\n"
                % (i // 30, (i * 2) % 60, 4000 + i, 50000 + i))
        f.write("2026-11-18T09:%02d:%02d.500000+00:00 web-1 healthd[77]: GET /healthz 200\n" % (i // 30, (i * 2) % 60))
    f.write("2026-11-18T09:05:00.000000+00:00 web-1 CRON[9]: pam_unix(cron:session): session opened for user root\n")
PYEOF
conf() {   # conf NAME FORMAT
cat >"$T/$1.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
  kubernetes: true
  kubernetes_labels_file: $T/podinfo/labels
  fields: {team: "\${TEAM}", cluster: eu-1}
  http: {listen: "127.0.0.1:0"}
inputs:
  - name: auth
    type: file
    paths: ["$T/logs/auth.log"]
    read_from: head
    parser: auth
    fields: {cluster: eu-2, source_kind: auth}
    exclude_lines: ['healthd\\[[0-9]+\\]: GET /healthz']
    include_lines: ['sshd|healthd']
alerts: {format: $2, min_severity: low}
outputs:
  - {name: archive, type: file, path: $T/out, batch: {max_delay: 100ms}}
YEOF
}
export POD_NAME=shop-api-7c9f-x2 POD_NAMESPACE=shop NODE_NAME=node-3 POD_IP=10.1.2.3 TEAM=payments
conf j json
start_vigil_api "$T/j.yaml"
wait_for 10 metric_eq 'vigil_input_lines_filtered_total{input="auth"}' 41 ||
    { metric 'vigil_input_lines_filtered_total{input="auth"}'; fail "dropped lines not counted (40 health checks + 1 cron line)"; }
wait_for 10 sh -c "grep -q auth.bruteforce '$T/vigil.out'" || { cat "$T/vigil.out"; fail "no brute-force alert"; }
wait_for 10 sh -c "'$VIGIL_CAT' '$T/out'/* 2>/dev/null | grep -q auth.bruteforce" || fail "alert not shipped"
stop_vigil
"$PY" - "$T/vigil.out" <<'PYEOF' || fail "JSON alerts do not name the pod"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert alerts, "no JSON alert"
for a in alerts:
    f = a.get("fields", {})
    assert f.get("k8s.pod") == "shop-api-7c9f-x2" and f.get("k8s.namespace") == "shop", a
    assert f.get("k8s.node") == "node-3" and f.get("k8s.pod_ip") == "10.1.2.3" and f.get("team") == "payments", a
print("%d JSON alerts name the pod" % len(alerts))
PYEOF
"$VIGIL_CAT" "$T/out"/* | "$PY" -c '
import json, sys
recs = [json.loads(l)["record"] for l in sys.stdin]
logs = [r for r in recs if "sshd" in r.get("message", "") or "healthd" in r.get("message", "") or "CRON" in r.get("message", "")]
assert len(logs) == 40, "expected the 40 sshd lines only, got %d" % len(logs)
assert all("sshd" in r["message"] for r in logs), "a filtered line was shipped"
for r in recs:
    assert r.get("k8s.pod") == "shop-api-7c9f-x2" and r.get("k8s.namespace") == "shop", r
    assert r.get("team") == "payments", r
    assert r.get("k8s.labels") == {"app": "shop-api", "pod-template-hash": "7c9f\"x"}, r.get("k8s.labels")
for r in logs:
    assert r.get("cluster") == "eu-2" and r.get("source_kind") == "auth", r
alerts = [r for r in recs if r.get("rule")]
assert alerts and all(r.get("cluster") == "eu-1" for r in alerts), "alerts carry service.fields"
print("%d records, %d alerts: pod, labels and fields on each" % (len(recs), len(alerts)))
' || fail "records lack their fields"
say "JSON alerts and records: ok"
# text alerts: the pod on the headline
rm -rf "$T/state" "$T/out" && mkdir -p "$T/state" "$T/out" && : >"$T/vigil.out"
conf t text
VIGIL_COLUMNS=0 start_vigil_api "$T/t.yaml"
wait_for 10 sh -c "grep -q auth.bruteforce '$T/vigil.out'" || { cat "$T/vigil.out"; fail "no text alert"; }
stop_vigil
grep auth.bruteforce "$T/vigil.out" | head -1
grep auth.bruteforce "$T/vigil.out" | grep -q ' pod=shop/shop-api-7c9f-x2 ' || fail "text alert does not name the pod"
say "text alerts: ok"
# a bad regex is a config error
sed -i 's/exclude_lines: .*/exclude_lines: ["a(b"]/' "$T/t.yaml"
"$VIGIL" -c "$T/t.yaml" --validate >/dev/null 2>"$T/e" && fail "a bad regex validated"
grep -q 'exclude_lines.*bad regex' "$T/e" || { cat "$T/e"; fail "bad regex not reported with its key"; }
say "ok"
