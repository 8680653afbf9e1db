#!/bin/sh
# The Kubernetes example: the ConfigMap's vigil.yaml validates, and the
# Deployment agrees with it (mounts, probes, scrape port, read-only logs,
# writable state, non-root, read-only root filesystem).
. "$(dirname "$0")/lib.sh"
M="$ROOT/deploy/kubernetes/vigil-sidecar.yaml"
"$PY" - "$M" "$T" <<'PYEOF'
import sys, yaml, os
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cm = next(d for d in docs if d["kind"] == "ConfigMap")
dep = next(d for d in docs if d["kind"] == "Deployment")
open(os.path.join(sys.argv[2], "cm.yaml"), "w").write(cm["data"]["vigil.yaml"])
conf = yaml.safe_load(cm["data"]["vigil.yaml"])
spec = dep["spec"]["template"]["spec"]
ann = dep["spec"]["template"]["metadata"]["annotations"]
cs = {c["name"]: c for c in spec["containers"]}
assert "vigil" in cs and len(cs) >= 2, "vigil must run beside an application container"
v = cs["vigil"]
vols = {x["name"]: x for x in spec["volumes"]}
mounts = {m["mountPath"]: m for m in v["volumeMounts"]}
def err(msg): print("FAIL:", msg); sys.exit(1)
# config file path
cfg = v["args"][v["args"].index("-c") + 1]
cdir = os.path.dirname(cfg)
if cdir not in mounts or vols[mounts[cdir]["name"]].get("configMap", {}).get("name") != cm["metadata"]["name"]:
    err(f"{cfg} is not mounted from the ConfigMap")
# every input path lies under a read-only mount that the app container also mounts
app_mounts = {(m["name"], m["mountPath"]) for n, c in cs.items() if n != "vigil" for m in c.get("volumeMounts", [])}
for inp in conf["inputs"]:
    for p in inp["paths"]:
        m = next((m for path, m in mounts.items() if p.startswith(path.rstrip("/") + "/")), None)
        if not m: err(f"input path {p} is on no volume of the vigil container")
        if not m.get("readOnly"): err(f"log volume {m['name']} is not read-only for vigil")
        if not any(n == m["name"] for n, _ in app_mounts): err(f"app does not write to volume {m['name']}")
        if "emptyDir" not in vols[m["name"]]: err("log volume is not an emptyDir")
# state_dir on a writable volume
sd = conf["service"]["state_dir"]
m = mounts.get(sd)
if not m or m.get("readOnly"): err(f"state_dir {sd} is not a writable mount")
# probes and scrape port agree with service.http.listen
port = int(conf["service"]["http"]["listen"].rsplit(":", 1)[1])
for probe in ("livenessProbe", "readinessProbe"):
    g = v[probe]["httpGet"]
    if g["path"] != "/healthz" or int(g["port"]) != port: err(f"{probe} does not ask /healthz on {port}")
if int(ann["prometheus.io/port"]) != port or ann["prometheus.io/path"] != "/metrics":
    err("Prometheus annotations do not point at /metrics on the listen port")
# the pod network gets what a probe and a scraper need, not the alert evidence
if conf["service"]["http"].get("alerts", True) is not False:
    err("service.http.alerts is not false on a port open to the pod network")
sc = v["securityContext"]
if not sc.get("readOnlyRootFilesystem") or sc.get("runAsUser", 0) == 0 or sc.get("allowPrivilegeEscalation", True):
    err("vigil container is not non-root with a read-only root filesystem")
if "requests" not in v.get("resources", {}): err("no resource requests")
# service.kubernetes: each Downward API variable vigil reads comes from its field
if conf["service"].get("kubernetes") is not True: err("service.kubernetes is not on")
env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") for e in v.get("env", [])}
want = {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace", "NODE_NAME": "spec.nodeName",
        "POD_IP": "status.podIP", "POD_SERVICE_ACCOUNT": "spec.serviceAccountName"}
for k, f in want.items():
    if env.get(k) != f: err(f"env {k} is not the Downward API field {f} (got {env.get(k)})")
lf = conf["service"].get("kubernetes_labels_file", "/etc/podinfo/labels")
m = next((m for path, m in mounts.items() if lf.startswith(path.rstrip("/") + "/")), None)
if not m: err(f"labels file {lf} is on no volume of the vigil container")
items = vols[m["name"]].get("downwardAPI", {}).get("items", [])
rel = lf[len(m["mountPath"].rstrip("/")) + 1:]
if not any(i.get("path") == rel and i.get("fieldRef", {}).get("fieldPath") == "metadata.labels" for i in items):
    err(f"{lf} is not the Downward API file of metadata.labels")
print("manifest checks: ok")
PYEOF
FORWARD_SHARED_KEY=test-key "$VIGIL" -c "$T/cm.yaml" --validate >"$T/o" 2>"$T/e" || { cat "$T/e"; fail "ConfigMap vigil.yaml does not validate"; }
grep -q test-key "$T/o" && fail "--validate printed the shared key"
say "ConfigMap validates: ok"
