#!/usr/bin/python3
"""eval.py - the detection-quality report of vigil (`make eval`).

For each seed, `vigil-gen scenario --rich` writes a host-week of a team's
normal life with an intrusion on the last night, and labels.tsv beside the
logs: which lines are the intrusion's, each step's first and last event time,
the rules that detect it and the entities it acts as. vigil reads the logs
with --once; every alert is then judged against the labels only:

  - a step is detected by an alert (>= low) of one of its rules naming one of
    its entities; time to detect = alert time - the step's first line, both
    event time;
  - an alert is false when it names none of the intruder's entities, or comes
    before the intrusion began or an hour after it ended. False alerts are
    counted per rule and severity, per 100k normal lines; a false
    incident.chain is one about anyone but the intruder.

Then the benign one-liners of ../shared/corpora/tldr/commands.tsv are
replayed as one known user's shell history (after a learned day) and every
command that raises an alert >= medium is counted, by rule, apart for the
pages of offensive tools (hydra, john, msfvenom, ...) and reverse shells.

usage: eval.py [--seeds 1,2,3] [--no-tldr] [--out DIR] [--require-recall] [--require-bursts]
Exit 1 with --require-recall when a step is missed on any seed, with
--require-bursts when a guessing burst is reported in more than 3 lines.
"""
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import fnmatch
import ipaddress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = os.environ.get("B", "build")
VIGIL = os.path.join(ROOT, B, "vigil")
GEN = os.path.join(ROOT, B, "vigil-gen")
SEV = ["info", "low", "medium", "high", "critical"]
NS = 1_000_000_000
OFFENSIVE = re.compile(
    r"^(common|linux)/(aircrack-ng|airdecap-ng|aireplay-ng|airmon-ng|airodump-ng|amass.*|chisel|crunch|"
    r"evil-winrm|feroxbuster|ffuf|gobuster|hashcat|hashid|hping3?|hydra|impacket-.*|john|zip2john|"
    r"masscan|medusa|msfconsole|msfvenom|netexec|nxc.*|nikto|nmap|nuclei|patator|rarcrack|recon-ng|"
    r"searchsploit|sherlock|smbmap|sqlmap|subfinder|theharvester|wfuzz|wpscan|zmap|arpspoof|autorecon|"
    r"bully|cewl|dirb|dirbuster|dnsrecon|enum4linux|fcrackzip|ldapdomaindump|macchanger|sslstrip|"
    r"bloodhound-python|kerbrute|responder|mimikatz|crackmapexec|ncrack)$")
# Rules whose false alerts come from other parts than the per-rule detectors:
# guessing episodes and success after failures (detectors/auth_guess.c) and
# the incident chain (detectors/incident.c); reported apart as well.
GUESS_RULES = {"auth.bruteforce", "auth.spray", "auth.distributed", "auth.success_after_failures"}
CHAIN_RULES = {"incident.chain"}

# Seeds whose alerts were looked at while the detectors were tuned (1-5, and
# 11-15 once); the others (21-25 by default) are held out and reported apart,
# so a rule tuned until one seed scores well shows.
TUNED = {1, 2, 3, 4, 5, 11, 12, 13, 14, 15}
REVSHELL = re.compile(r"reverse shell|bind shell|backdoor|spawn a shell|listen.*shell", re.I)


SIGMA_RULES = os.path.join(ROOT, "..", "shared", "sigma")


def config(path, logs, state, throttle="10m", sigma=False):
    # the Sigma detector with SigmaHQ's Linux rules, in the tldr run only
    extra = f"  sigma:\n    rules: [\"{SIGMA_RULES}\"]\n" if sigma and os.path.isdir(SIGMA_RULES) else ""
    os.makedirs(state, exist_ok=True)
    with open(path, "w") as f:
        f.write(f"""service:
  state_dir: {state}
  flush_interval: 200ms
  grace_period: 10s
  log_level: warn
  hostname: web-1
inputs:
  - name: auth
    type: file
    paths: ["{logs}/auth.log"]
    parser: auth
    read_from: head
  - name: api
    type: file
    paths: ["{logs}/app/*.log"]
    parser: json
    tag: app.api
    read_from: head
  - name: shell
    type: file
    paths: ["{logs}/home/*/.bash_history"]
    parser: shell
    read_from: head
alerts: {{format: json, min_severity: info, throttle: {throttle}}}
detectors:
  learning_period: 24h
{extra}outputs: []
""")


def run_vigil(cfg, out):
    with open(out, "w") as o, open(out + ".err", "w") as e:
        rc = subprocess.call([VIGIL, "-c", cfg, "--once"], stdout=o, stderr=e)
    if rc != 0:
        sys.exit(f"eval: vigil exited {rc}, see {out}.err")
    return [json.loads(l) for l in open(out) if l.startswith("{")]


def ts_ns(s):
    # 2026-11-23T03:10:00.123Z
    import datetime
    d = datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    frac = s[20:23] if len(s) > 20 and s[19] == "." else "0"
    return int(d.timestamp()) * NS + int(frac.ljust(3, "0")) * 1_000_000


def labels(path):
    lab = {"lines": {}, "steps": [], "intruder": set(), "bots": set()}
    for l in open(path):
        f = l.rstrip("\n").split("\t")
        if f[0] == "lines":
            lab["lines"][f[1]] = (int(f[2]), int(f[3]))
        elif f[0] == "step":
            lab["steps"].append(dict(id=int(f[1]), name=f[2], first=int(f[3]) * 1000, last=int(f[4]) * 1000,
                                     rules=f[5].split("|"), entity=set(f[6].split("|"))))
        elif f[0] == "bot":
            lab["bots"].add(f[1])
        elif f[0] == "intruder":
            lab["intruder"] = set(f[1].split("|"))
    return lab


def bot_key(src, bots):
    """The labelled bot an alert's source stands for: the address itself, or
    an IPv6 /64 (vigil counts a v6 source as its /64) holding a bot."""
    if src in bots:
        return src
    if src and src.endswith("/64"):
        try:
            net = ipaddress.ip_network(src, strict=False)
        except ValueError:
            return None
        for b in bots:
            if ":" in b and ipaddress.ip_address(b) in net:
                return str(net)
    return None


def bursts_of(times, gap_ns):
    """Alert times of one source split into bursts: a gap longer than gap_ns
    between two alert lines starts a new one. Returns the lines per burst."""
    out, last = [], None
    for t in sorted(times):
        if last is None or t - last > gap_ns:
            out.append(0)
        out[-1] += 1
        last = t
    return out


def names(a, ent):
    return any(f"{k}={v}" in ent for k, v in a.get("entity", {}).items())


def judge_seed(seed, work, days):
    d = os.path.join(work, f"seed-{seed}")
    subprocess.run(["rm", "-rf", d], check=True)
    subprocess.run([GEN, "scenario", f"{d}/logs", "--rich", "--seed", str(seed), "--days", str(days)],
                   check=True, stderr=subprocess.DEVNULL)
    config(f"{d}/v.yaml", f"{d}/logs", f"{d}/state")
    alerts = run_vigil(f"{d}/v.yaml", f"{d}/alerts.json")
    lab = labels(f"{d}/logs/labels.tsv")
    normal = sum(a - k for a, k in lab["lines"].values())
    t0 = min(s["first"] for s in lab["steps"])
    t1 = max(s["last"] for s in lab["steps"]) + 3600 * NS
    res = dict(seed=seed, normal_lines=normal, steps=[], false=[], alerts=len(alerts),
               bursts=collections.Counter(), burst_sev=collections.Counter(), bots=len(lab["bots"]),
               burst_lines=[])
    bot_times = collections.defaultdict(list)
    for s in lab["steps"]:
        hits = [a for a in alerts if SEV.index(a["severity"]) >= 1 and names(a, s["entity"])
                and any(fnmatch.fnmatchcase(a["rule"], r) for r in s["rules"])
                and ts_ns(a["ts"]) >= s["first"] - NS]
        ttd = min((ts_ns(a["ts"]) - s["first"]) / NS for a in hits) if hits else None
        res["steps"].append(dict(name=s["name"], detected=bool(hits), ttd=ttd,
                                 rules=sorted({a["rule"] for a in hits})))
    for a in alerts:
        t = ts_ns(a["ts"])
        src = a.get("entity", {}).get("src_ip")
        bot = bot_key(src, lab["bots"]) if a["rule"].startswith("auth.") else None
        if bot:
            # a report of internet guessing: expected, judged by lines per
            # burst and by severity, not as a false alert
            res["bursts"][bot] += 1
            res["burst_sev"][a["severity"]] += 1
            bot_times[bot].append(t)
        elif not (t0 <= t <= t1 and names(a, lab["intruder"])):
            res["false"].append(a)
    # a burst: one source's alert lines with no more than an hour between two
    for times in bot_times.values():
        res["burst_lines"] += bursts_of(times, 3600 * NS)
    return res


def tldr(work):
    """The tldr one-liners as the history of user tess, after a learned day."""
    corpus = os.path.join(ROOT, "..", "shared", "corpora", "tldr", "commands.tsv")
    if not os.path.exists(corpus):
        return None
    d = os.path.join(work, "tldr")
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(f"{d}/logs/home/tess", exist_ok=True)
    os.makedirs(f"{d}/logs/app", exist_ok=True)
    start = 1794787200  # Monday 2026-11-16, as vigil-gen
    usual = ["git status", "ls -la", "cd ~/src", "make", "vim README.md", "git pull", "grep -rn foo .",
             "docker ps", "ssh build-1", "curl -s https://api.internal/healthz", "python3 -m pytest -q"]
    rows = []
    with open(corpus) as f:
        next(f)
        for l in f:
            p = l.rstrip("\n").split("\t")
            if len(p) == 3 and p[2].strip():
                rows.append(p)
    fill = re.compile(r"\{\{(.*?)\}\}")
    with open(f"{d}/logs/home/tess/.bash_history", "w") as h, open(f"{d}/logs/auth.log", "w") as au:
        t = start + 8 * 3600
        au.write("2026-11-16T08:00:00.000000+00:00 web-1 sshd[100]: Accepted publickey for tess from "
                 "10.0.0.44 port 40000 ssh2: ED25519 SHA256:dGVzcy1rZXk\n")
        for i in range(200):  # a learned day of ordinary work
            t += 120
            h.write(f"#{t}\n{usual[i % len(usual)]}\n")
        t = start + 2 * 86400
        when = {}
        for page, desc, cmd in rows:
            t += 5
            c = fill.sub(lambda m: m.group(1), cmd)
            when[t] = (page, desc, c)
            h.write(f"#{t}\n{c}\n")
    open(f"{d}/logs/app/api.log", "w").close()
    config(f"{d}/v.yaml", f"{d}/logs", f"{d}/state", throttle="0s", sigma=True)
    alerts = run_vigil(f"{d}/v.yaml", f"{d}/alerts.json")
    flagged = collections.defaultdict(set)   # command time -> vigil's own rules >= medium
    sigma = collections.defaultdict(set)     # command time -> Sigma rules >= medium
    titles = {}
    for a in alerts:
        if SEV.index(a["severity"]) >= 2:
            t = ts_ns(a["ts"]) // NS
            if t in when:
                if a["rule"].startswith("sigma."):
                    sigma[t].add(a["rule"])
                    titles[a["rule"]] = a["message"].split(" by ")[0].replace("Sigma: ", "", 1)
                else:
                    flagged[t].add(a["rule"])
    out = dict(total=0, offensive=0, hit=0, hit_off=0, by_rule=collections.Counter(),
               by_rule_off=collections.Counter(), examples=[], sigma_hit=0, sigma_hit_off=0,
               sigma_by_rule=collections.Counter(), sigma_by_rule_off=collections.Counter(),
               sigma_titles=titles)
    for t, (page, desc, c) in when.items():
        off = bool(OFFENSIVE.match(page) or REVSHELL.search(desc))
        out["offensive" if off else "total"] += 1
        if t in flagged:
            out["hit_off" if off else "hit"] += 1
            for r in flagged[t]:
                (out["by_rule_off"] if off else out["by_rule"])[r] += 1
            if not off and len(out["examples"]) < 400:
                out["examples"].append((sorted(flagged[t]), page, c))
        if t in sigma:
            out["sigma_hit_off" if off else "sigma_hit"] += 1
            for r in sigma[t]:
                (out["sigma_by_rule_off"] if off else out["sigma_by_rule"])[r] += 1
    return out


def main():
    args = sys.argv[1:]
    seeds = [1, 2, 3, 4, 5, 21, 22, 23, 24, 25]
    days, outdir, do_tldr, require, require_bursts = 8, os.path.join(ROOT, B, "eval"), True, False, False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--seeds":
            seeds = [int(x) for x in args[i + 1].split(",")]
            i += 1
        elif a == "--days":
            days = int(args[i + 1])
            i += 1
        elif a == "--out":
            outdir = args[i + 1]
            i += 1
        elif a == "--no-tldr":
            do_tldr = False
        elif a == "--require-recall":
            require = True
        elif a == "--require-bursts":
            require_bursts = True
        else:
            sys.exit(__doc__)
        i += 1
    os.makedirs(outdir, exist_ok=True)
    rep = []
    say = lambda s="": (print(s), rep.append(s))
    results = [judge_seed(s, outdir, days) for s in seeds]
    say(f"# vigil detection quality: {len(seeds)} seeds of `vigil-gen scenario --rich --days {days}`")
    say()
    say("## Per seed")
    say()
    say("| seed | normal lines | steps detected | median TTD (s) | max TTD (s) | false >= low /100k | false >= medium /100k | false incident.chain |")
    say("|---|---|---|---|---|---|---|---|")
    missed_any = False
    all_ttd, tot_lines = [], 0
    fr = collections.Counter()
    for r in results:
        det = [s for s in r["steps"] if s["detected"]]
        ttd = [s["ttd"] for s in det]
        all_ttd += ttd
        tot_lines += r["normal_lines"]
        fl = [a for a in r["false"] if SEV.index(a["severity"]) >= 1]
        fm = [a for a in r["false"] if SEV.index(a["severity"]) >= 2]
        fi = [a for a in r["false"] if a["rule"] == "incident.chain"]
        missed_any |= len(det) != len(r["steps"])
        for a in r["false"]:
            fr[(a["rule"], a["severity"])] += 1
        say(f"| {r['seed']} | {r['normal_lines']} | {len(det)}/{len(r['steps'])} | "
            f"{statistics.median(ttd) if ttd else '-':.1f} | {max(ttd) if ttd else 0:.1f} | "
            f"{len(fl) * 1e5 / r['normal_lines']:.1f} | {len(fm) * 1e5 / r['normal_lines']:.1f} | {len(fi)} |")
    say()
    say("Internet guessing (bots on many networks and shared NAT addresses, labelled by the generator) "
        "is judged apart: alert lines per guessing source, and their severities.")
    say()
    say("A burst is one source's alert lines with no more than an hour between two (all rules: "
        "brute force, spraying, scan); an IPv6 source counts as its /64.")
    say()
    say("| seed | guessing sources | sources alerted | bursts | max lines per burst | bursts > 3 lines | "
        "max lines per source (week) | lines at >= medium |")
    say("|---|---|---|---|---|---|---|---|")
    for r in results:
        b, bl = r["bursts"], r["burst_lines"]
        say(f"| {r['seed']} | {r['bots']} | {len(b)} | {len(bl)} | {max(bl) if bl else 0} | "
            f"{sum(1 for n in bl if n > 3)} | {max(b.values()) if b else 0} | "
            f"{sum(n for s, n in r['burst_sev'].items() if SEV.index(s) >= 2)} |")
    say()
    say("## Per intrusion step (all seeds)")
    say()
    say("| step | detected | median TTD (s) | rules |")
    say("|---|---|---|---|")
    for k, s0 in enumerate(results[0]["steps"]):
        col = [r["steps"][k] for r in results if k < len(r["steps"])]
        n = sum(s["detected"] for s in col)
        t = [s["ttd"] for s in col if s["detected"]]
        rules = sorted({x for s in col for x in s["rules"]})
        say(f"| {s0['name']} | {n}/{len(col)} | {statistics.median(t) if t else float('nan'):.1f} | {', '.join(rules)} |")
    say()
    say(f"## False alerts per rule and severity ({tot_lines} normal lines)")
    say()
    say("| rule | severity | alerts | per 100k lines |")
    say("|---|---|---|---|")
    for (rule, sev), n in sorted(fr.items(), key=lambda kv: (-SEV.index(kv[0][1]), -kv[1], kv[0][0])):
        say(f"| {rule} | {sev} | {n} | {n * 1e5 / tot_lines:.2f} |")
    nl = sum(n for (r, s), n in fr.items() if SEV.index(s) >= 1)
    nm = sum(n for (r, s), n in fr.items() if SEV.index(s) >= 2)
    ni = sum(n for (r, s), n in fr.items() if r == "incident.chain")
    say()
    groups = [("all seeds", results), ("seeds used while tuning", [r for r in results if r["seed"] in TUNED]),
              ("held-out seeds", [r for r in results if r["seed"] not in TUNED])]
    for name, rs in groups:
        if not rs:
            continue
        lines = sum(r["normal_lines"] for r in rs)
        ttd = [s["ttd"] for r in rs for s in r["steps"] if s["detected"]]
        fl = sum(1 for r in rs for a in r["false"] if SEV.index(a["severity"]) >= 1)
        fm = sum(1 for r in rs for a in r["false"] if SEV.index(a["severity"]) >= 2)
        fi = sum(1 for r in rs for a in r["false"] if a["rule"] == "incident.chain")
        rest = [a for r in rs for a in r["false"] if a["rule"] not in GUESS_RULES | CHAIN_RULES]
        rl = sum(1 for a in rest if SEV.index(a["severity"]) >= 1)
        rm = sum(1 for a in rest if SEV.index(a["severity"]) >= 2)
        say(f"Overall, {name} ({', '.join(str(r['seed']) for r in rs)}; {lines} normal lines): recall "
            f"{sum(s['detected'] for r in rs for s in r['steps'])}/{sum(len(r['steps']) for r in rs)} steps, "
            f"median TTD {statistics.median(ttd) if ttd else float('nan'):.1f} s, false alerts "
            f"{fl * 1e5 / lines:.1f}/100k >= low, {fm * 1e5 / lines:.1f}/100k >= medium, "
            f"{fi} false incident.chain; without the guessing rules and incident.chain "
            f"{rl * 1e5 / lines:.1f}/100k >= low, {rm * 1e5 / lines:.1f}/100k >= medium")
        say()
    if do_tldr:
        t = tldr(outdir)
        if t:
            say()
            say(f"## tldr one-liners as a known user's history")
            say()
            say(f"{t['hit']} of {t['total']} benign commands raise >= medium "
                f"({100.0 * t['hit'] / max(t['total'], 1):.2f}%); offensive-tool pages: {t['hit_off']} of "
                f"{t['offensive']} ({100.0 * t['hit_off'] / max(t['offensive'], 1):.1f}%).")
            say()
            say("| rule (>= medium) | benign pages | offensive pages |")
            say("|---|---|---|")
            for r in sorted(set(t["by_rule"]) | set(t["by_rule_off"]), key=lambda r: -t["by_rule"][r]):
                say(f"| {r} | {t['by_rule'][r]} | {t['by_rule_off'][r]} |")
            if t["sigma_titles"] or os.path.isdir(SIGMA_RULES):
                say()
                say(f"### Sigma rules (SigmaHQ Linux, min_status test) on the same commands")
                say()
                say(f"{t['sigma_hit']} of {t['total']} benign commands raise a Sigma alert >= medium "
                    f"({100.0 * t['sigma_hit'] / max(t['total'], 1):.2f}%); offensive-tool pages: "
                    f"{t['sigma_hit_off']} of {t['offensive']}.")
                say()
                say("| Sigma rule (>= medium) | title | benign pages | rate | offensive pages |")
                say("|---|---|---|---|---|")
                sr = set(t["sigma_by_rule"]) | set(t["sigma_by_rule_off"])
                for r in sorted(sr, key=lambda r: -t["sigma_by_rule"][r]):
                    n = t["sigma_by_rule"][r]
                    say(f"| {r} | {t['sigma_titles'].get(r, '')} | {n} | "
                        f"{100.0 * n / max(t['total'], 1):.2f}% | {t['sigma_by_rule_off'][r]} |")
            with open(os.path.join(outdir, "tldr-flagged.txt"), "w") as f:
                for rules, page, c in t["examples"]:
                    f.write(f"{','.join(rules)}\t{page}\t{c}\n")
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(rep) + "\n")
    with open(os.path.join(outdir, "false.jsonl"), "w") as f:
        for r in results:
            for a in r["false"]:
                a["seed"] = r["seed"]
                f.write(json.dumps(a) + "\n")
    long_bursts = [(r["seed"], n) for r in results for n in r["burst_lines"] if n > 3]
    if require_bursts and long_bursts:
        for seed, n in long_bursts:
            print(f"LONG BURST seed {seed}: {n} lines")
        sys.exit(1)
    if require and missed_any:
        for r in results:
            for s in r["steps"]:
                if not s["detected"]:
                    print(f"MISSED seed {r['seed']}: {s['name']}")
        sys.exit(1)


if __name__ == "__main__":
    main()
