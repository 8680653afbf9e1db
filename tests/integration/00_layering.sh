#!/bin/sh
# Layering, by the includes: the base layer (sidecar/{buf,clock,escape,fsutil,
# hash,log,timestamp,utf8,span,limits}) includes only itself; nothing under
# detectors/, sidecar/parsers/ or sidecar/inputs/ includes a header from
# outputs/. Needs no binary.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
BASE="buf clock escape fsutil hash log timestamp utf8 span limits"
bad=""
for m in $BASE; do
    for f in sidecar/$m.c sidecar/$m.h; do
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
            ok=0
            for b in $BASE; do
                [ "$inc" = "sidecar/$b.h" ] && ok=1
            done
            [ "$ok" = 1 ] || bad="$bad
$f includes $inc (above the base layer)"
        done
    done
done
up=$(grep -rn '#include "outputs/' detectors sidecar/parsers sidecar/inputs --include='*.c' --include='*.h' || true)
[ -z "$up" ] || bad="$bad
$up"
[ -z "$bad" ] || fail "layering:$bad"
n=$(for m in $BASE; do ls sidecar/$m.c sidecar/$m.h 2>/dev/null; done | wc -l)
say "base layer: $n files include only each other; detectors, parsers and inputs include nothing from outputs/"
