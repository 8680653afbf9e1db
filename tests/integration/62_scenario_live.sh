#!/bin/sh
# The scenario replayed live (vigil-gen appends in event-time order while
# vigil tails the files) and the same files read with --once give the same
# alerts: the same set of (rule, severity, entity). Detectors run on event
# time, so the wall clock between lines must not matter.
#
# One inherent difference is left out of the comparison: --once reads one file
# after the other (all of alice's history, then all of bob's), while live the
# lines of all files interleave. Host-wide shell rarity ("ran N times on this
# host, by anyone") counts what was read before, so a user's first `curl` can
# be shell.rare_command (low) in one run and shell.new_command (low or info) in
# the other. Those two rules at info/low are compared apart: the same users
# and commands must be flagged, only the rule name and level may differ.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/live"
scenario_config live "$T/live" "$T/state-live"
start_vigil "$T/live.yaml"
sleep 0.3
"$VIGIL_GEN" scenario "$T/live" --live 8 2>"$T/gen.err" || { cat "$T/gen.err"; fail "vigil-gen --live"; }
# let vigil read the tail: wait until its output stops growing
prev=-1
i=0
while :; do
    n=$(wc -l <"$T/vigil.out")
    [ "$n" = "$prev" ] && [ "$n" -gt 0 ] && break
    prev=$n
    i=$((i + 1))
    [ "$i" -gt 40 ] && break
    sleep 0.5
done
stop_vigil
scenario_config once "$T/live" "$T/state-once"
"$VIGIL" -c "$T/once.yaml" --once >"$T/once.json" 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero"; }
alert_keys "$T/vigil.out" >"$T/live.keys"
alert_keys "$T/once.json" >"$T/once.keys"
say "live: $(wc -l <"$T/vigil.out") alerts, $(wc -l <"$T/live.keys") distinct (rule, severity, entity); once: $(wc -l <"$T/once.json") alerts, $(wc -l <"$T/once.keys") distinct"
grep -q '"rule":"incident.chain"' "$T/vigil.out" || fail "no incident live"
order_dependent='^shell\.(new|rare)_command (info|low) '
grep -Ev "$order_dependent" "$T/once.keys" >"$T/once.strict" || true
grep -Ev "$order_dependent" "$T/live.keys" >"$T/live.strict" || true
say "     $(wc -l <"$T/once.strict") of them compared strictly"
if ! diff "$T/once.strict" "$T/live.strict" >"$T/diff"; then
    cat "$T/diff"
    fail "live and --once alerts differ"
fi
say "ok   the same (rule, severity, entity) live and with --once"
# the order-dependent ones: the same (user, command) flagged either way
grep -E "$order_dependent" "$T/once.keys" | sed 's/^[^ ]* [^ ]* //' | sort -u >"$T/once.rar"
grep -E "$order_dependent" "$T/live.keys" | sed 's/^[^ ]* [^ ]* //' | sort -u >"$T/live.rar"
diff "$T/once.rar" "$T/live.rar" || fail "shell rarity flagged other commands live"
say "ok   the same users and commands flagged as new or rare ($(wc -l <"$T/once.rar"))"
