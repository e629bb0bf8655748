#!/usr/bin/env bash
# Times vetlint against the parse-only floor and three JSON Schema validators (ajv-cli,
# jsonschema-cli, check-jsonschema) on the same generated corpus of training plans.
#
#   benches/compare.sh [N] [json]      N plans (default 1000); JSON is the only format the
#                                      three peers all read
#
# The peers are installed by this script, without root and outside any global prefix, into
# $COMPARE_PEERS (default target/peers): npm packages under npm/, the cargo binary under
# cargo/bin, check-jsonschema in a venv. A peer whose registry cannot be reached is skipped
# with a message. Nothing fetches schemas from the network: every timed command runs in an
# empty network namespace when `unshare -rn` works, and each peer gets vetlint's schemas from
# local files (see "Schemas" below).
#
# Environment:
#   COMPARE_PEERS=DIR      where the peers are installed (default target/peers)
#   COMPARE_OUT=DIR        schemas, corpus and logs (default target/compare)
#   COMPARE_ROUNDS=R       alternating rounds over the tools (default 3); medians are reported
#   COMPARE_CJS=0          skip check-jsonschema
#   COMPARE_CJS_FILES=K    check-jsonschema (and the floor and vetlint beside it) on the first K
#                          plans only; default: all plans up to 1000, else 1000; 0 means all
#   COMPARE_SKIP="a b"     skip these tools (ajv-cli, jsonschema-cli, check-jsonschema)
#   COMPARE_NO_INSTALL=1   use the peers already in COMPARE_PEERS, install nothing
set -euo pipefail

N=${1:-1000}
FORMAT=${2:-json}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: N must be a positive integer, not '$N'" >&2; exit 2; }
[[ $FORMAT == json ]] || {
    echo "compare.sh: only json: jsonschema-cli reads no YAML (vetlint's own YAML figures come from the corpus bench)" >&2
    exit 2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${COMPARE_PEERS:-$ROOT/target/peers}
OUT=${COMPARE_OUT:-$ROOT/target/compare}
ROUNDS=${COMPARE_ROUNDS:-3}
CJS=${COMPARE_CJS:-1}
SKIP=" ${COMPARE_SKIP:-} "
mkdir -p "$PEERS" "$OUT"
PEERS=$(cd "$PEERS" && pwd)
OUT=$(cd "$OUT" && pwd)
LOGS=$OUT/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
STARTED=$(date +%s)
PHASES=""
# Marks the end of a phase of the script, for the closing line.
phase() {
    local now
    now=$(date +%s)
    PHASES+="${PHASES:+, }$1 $((now - ${PHASE_START:-$STARTED})) s"
    PHASE_START=$now
}

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

for tool in cargo python3; do have "$tool" || die "$tool is needed"; done

# ---------------------------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------------------------

AJV=$PEERS/npm/node_modules/.bin/ajv
JSCLI=$PEERS/cargo/bin/jsonschema-cli
CJSBIN=$PEERS/venv/bin/check-jsonschema
declare -A ENABLED=()
declare -A VERSION=()
declare -A SKIPPED=()

# Runs an install step with its output in a log; on failure says why and returns 1.
install_step() {
    local name=$1 registry=$2 log=$LOGS/install-$1.log
    shift 2
    say "installing $name into $PEERS ($registry)..."
    if "$@" >"$log" 2>&1; then
        return 0
    fi
    say "compare.sh: could not install $name from $registry; is it reachable? Skipping $name."
    say "  last lines of $log:"
    tail -n 5 "$log" | sed 's/^/    /' >&2
    return 1
}

want() {
    if [[ $SKIP == *" $1 "* ]]; then
        SKIPPED[$1]="COMPARE_SKIP"
        return 1
    fi
}
# Records why a wanted peer is not there after its install step.
missing() { [[ -n ${ENABLED[$1]:-} ]] || SKIPPED[$1]=${SKIPPED[$1]:-"not installed (see the messages above and $LOGS/install-$1.log)"}; }

if want ajv-cli; then
    if [[ ! -x $AJV && -z ${COMPARE_NO_INSTALL:-} ]]; then
        if ! have npm || ! have node; then
            say "compare.sh: node and npm are needed for ajv-cli; skipping it."
        else
            install_step ajv-cli "the npm registry" \
                npm install --prefix "$PEERS/npm" --cache "$PEERS/npm-cache" \
                --no-audit --no-fund --no-update-notifier --fetch-retries=1 --fetch-timeout=60000 \
                ajv-cli ajv-formats || true
        fi
    fi
    if [[ -x $AJV ]]; then
        ENABLED[ajv-cli]=1
        VERSION[ajv-cli]="ajv-cli $(node -p "require('$PEERS/npm/node_modules/ajv-cli/package.json').version"), ajv $(node -p "require('$PEERS/npm/node_modules/ajv/package.json').version"), ajv-formats $(node -p "require('$PEERS/npm/node_modules/ajv-formats/package.json').version"), node $(node --version)"
    fi
fi

if want jsonschema-cli; then
    if [[ ! -x $JSCLI && -z ${COMPARE_NO_INSTALL:-} ]]; then
        # --locked: the crate's own lock file; the build happens in a temporary folder.
        CARGO_NET_RETRY=1 CARGO_HTTP_TIMEOUT=60 install_step jsonschema-cli crates.io \
            cargo install --locked --root "$PEERS/cargo" jsonschema-cli || true
    fi
    if [[ -x $JSCLI ]]; then
        ENABLED[jsonschema-cli]=1
        VERSION[jsonschema-cli]=$("$JSCLI" --version)
    fi
fi

[[ $CJS == 0 ]] && SKIPPED[check-jsonschema]="COMPARE_CJS=0"
if [[ $CJS != 0 ]] && want check-jsonschema; then
    if [[ ! -x $CJSBIN && -z ${COMPARE_NO_INSTALL:-} ]]; then
        if [[ ! -x $PEERS/venv/bin/pip ]]; then
            rm -rf "$PEERS/venv"
            python3 -m venv "$PEERS/venv" || say "compare.sh: python3 -m venv failed"
        fi
        if [[ -x $PEERS/venv/bin/pip ]]; then
            install_step check-jsonschema PyPI \
                "$PEERS/venv/bin/pip" install --timeout 60 --retries 1 --cache-dir "$PEERS/pip-cache" check-jsonschema || true
        fi
    fi
    if [[ -x $CJSBIN ]]; then
        ENABLED[check-jsonschema]=1
        VERSION[check-jsonschema]="$("$CJSBIN" --version | sed 's/, version / /'), $("$PEERS/venv/bin/python" --version)"
    fi
fi

for peer in ajv-cli jsonschema-cli check-jsonschema; do missing "$peer"; done

# ---------------------------------------------------------------------------------------------
# vetlint, the floor, the corpus
# ---------------------------------------------------------------------------------------------

phase install
say "building vetlint and the corpus bench (release)..."
(cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
VETLINT=$ROOT/target/release/vetlint
# The bench binary itself, so that cargo's own start-up is not timed.
FLOOR=$(cd "$ROOT" && cargo bench --bench corpus --no-run --message-format=json 2>"$LOGS/build-corpus.log" |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "corpus" and m.get("executable"):
        print(m["executable"])') || true
[[ -n $FLOOR && -x $FLOOR ]] || die "cannot build the corpus bench; see $LOGS/build-corpus.log"

count_plans() { find "$1/plans" -name "*.$FORMAT" 2>/dev/null | wc -l; }

CORPUS=$OUT/corpus-$FORMAT-$N
if [[ -f $CORPUS/vetlint.toml && $(count_plans "$CORPUS") -eq $N ]]; then
    say "reusing the corpus in $CORPUS"
else
    rm -rf "$CORPUS"
    say "generating $N $FORMAT plans in $CORPUS..."
    "$FLOOR" gen "$CORPUS" "$N" "$FORMAT"
fi

# check-jsonschema is slow: by default it gets at most 1000 plans.
CJS_FILES=${COMPARE_CJS_FILES:-1000}
if [[ $CJS_FILES == 0 || $CJS_FILES -ge $N ]]; then CJS_FILES=$N; fi
SUBSET=""
if [[ -n ${ENABLED[check-jsonschema]:-} && $CJS_FILES -lt $N ]]; then
    # A workspace of its own with the first K plans, so the floor and vetlint can be timed on
    # the same files (vetlint does not follow symbolic links: copies).
    SUBSET=$OUT/corpus-$FORMAT-$N-first-$CJS_FILES
    if [[ ! -f $SUBSET/vetlint.toml || $(count_plans "$SUBSET") -ne $CJS_FILES ]]; then
        rm -rf "$SUBSET"
        mkdir -p "$SUBSET/plans/000"
        cp -r "$CORPUS/standards" "$CORPUS/registries" "$CORPUS/vetlint.toml" "$SUBSET/"
        find "$CORPUS/plans" -name "*.$FORMAT" | sort | head -n "$CJS_FILES" |
            xargs cp -t "$SUBSET/plans/000/"
    fi
fi

# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------
# vetlint's published plan schema $refs `common.schema.json#/$defs/…`, relative to its $id
# (https://schemas.vetlint.dev/v1/plan.schema.json). Each peer gets it locally:
# - ajv-cli: the common schema as a referenced schema (`-r`); ajv matches it by its $id.
# - jsonschema-cli 0.60 takes a single schema, and its `bundle --resource` embeds only one
#   definition of the common schema (the result fails with "Pointer '/$defs/schema_uri' does
#   not exist"): it gets plan.inlined.json, the plan schema with the common definitions
#   copied into its own $defs (as `common.NAME`) and the $refs rewritten. One resource, so
#   nothing to resolve outside the file; `--offline` besides.
# - check-jsonschema could read common.schema.json itself with `--base-uri file://…` (without
#   it, it tries to download the common schema), but the `referencing` library then re-crawls
#   the registry on every cross-file $ref, about 0.8 s per plan. It gets plan.inlined.json too.
SCHEMAS=$OUT/schemas
mkdir -p "$SCHEMAS"
"$VETLINT" schema plan >"$SCHEMAS/plan.schema.json"
"$VETLINT" schema common >"$SCHEMAS/common.schema.json"
python3 - "$SCHEMAS" <<'EOF'
import json, sys
from pathlib import Path
folder = Path(sys.argv[1])
plan = json.loads((folder / "plan.schema.json").read_text())
common = json.loads((folder / "common.schema.json").read_text())
outside = ("common.schema.json#", common["$id"] + "#")

def local(ref, in_common):
    """The $ref as a pointer into the inlined plan schema."""
    for prefix in outside:
        if ref.startswith(prefix):
            ref, in_common = "#" + ref[len(prefix):], True
    if not ref.startswith("#"):
        sys.exit(f"compare.sh: cannot inline the $ref {ref!r}")
    if not in_common:
        return ref
    if not ref.startswith("#/$defs/"):
        sys.exit(f"compare.sh: cannot inline the $ref {ref!r} of the common schema")
    return "#/$defs/common." + ref[len("#/$defs/"):]

def rewrite(node, in_common):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            node["$ref"] = local(node["$ref"], in_common)
        for value in node.values():
            rewrite(value, in_common)
    elif isinstance(node, list):
        for value in node:
            rewrite(value, in_common)

rewrite(plan, False)
rewrite(common, True)
defs = plan.setdefault("$defs", {})
for name, schema in common["$defs"].items():
    assert "common." + name not in defs, name
    defs["common." + name] = schema
text = json.dumps(plan, ensure_ascii=False, indent=1)
(folder / "plan.inlined.json").write_text(text + "\n")
EOF
# shellcheck disable=SC2016 # $schema is a JSON key, not a shell variable
DIALECT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("$schema",""))' "$SCHEMAS/plan.schema.json")
case $DIALECT in
    *2020-12*) AJV_SPEC=draft2020; JSCLI_DRAFT=2020 ;;
    *2019-09*) AJV_SPEC=draft2019; JSCLI_DRAFT=2019 ;;
    *draft-07*) AJV_SPEC=draft7; JSCLI_DRAFT=7 ;;
    *) die "unexpected \$schema '$DIALECT' in the plan schema" ;;
esac

# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

# No network for the timed commands, when an unprivileged namespace can be had.
NONET=()
if have unshare && unshare -rn true 2>/dev/null; then
    NONET=(unshare -rn)
elif have unshare && unshare -n true 2>/dev/null; then
    NONET=(unshare -n)
else
    say "compare.sh: no network namespace (unshare -rn failed): the peers run with the network; their flags keep them offline"
fi

TIMER=()
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%e %M' true 2>/dev/null; then
    TIMER=(/usr/bin/time -q -f '%e %M %x' -o)
else
    cat >"$OUT/timeit.py" <<'EOF'
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
started = time.monotonic()
code = subprocess.call(cmd)
wall = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
open(out, "w").write(f"{wall:.2f} {peak} {code}\n")
sys.exit(code)
EOF
    TIMER=(python3 "$OUT/timeit.py")
fi

# The plans of a workspace, sorted, for the tools that take a list of files.
list_plans() { find "$1/plans" -name "*.$FORMAT" | sort; }

# Each entry: "set|tool|work done"; `run_tool` knows how to run each tool on a set.
TOOLS=()
add_set() {
    local set=$1 dir=$2 count=$3
    TOOLS+=("$set|floor|parse $count plans (serde_json, all cores)")
    TOOLS+=("$set|vetlint|check $count plans: schema + policy rules, --format short")
    [[ -n ${ENABLED[ajv-cli]:-} && $set == all ]] &&
        TOOLS+=("$set|ajv-cli|schema of $count plans (first error per file)")
    [[ -n ${ENABLED[jsonschema-cli]:-} && $set == all ]] &&
        TOOLS+=("$set|jsonschema-cli|schema of $count plans (all errors)")
    if [[ -n ${ENABLED[check-jsonschema]:-} ]]; then
        if [[ $set == all && -z $SUBSET ]] || [[ $set == subset ]]; then
            TOOLS+=("$set|check-jsonschema|schema of $count plans (all errors)")
        fi
    fi
    return 0
}
add_set all "$CORPUS" "$N"
[[ -n $SUBSET ]] && add_set subset "$SUBSET" "$CJS_FILES"

dir_of() { if [[ $1 == subset ]]; then echo "$SUBSET"; else echo "$CORPUS"; fi; }

# A precise clock for the wall time (GNU time's %e has two decimals; the few milliseconds of
# time, unshare and cd are paid by every tool alike).
now() { if [[ -n ${EPOCHREALTIME:-} ]]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi; }

run_tool() {
    local set=$1 tool=$2 round=$3 dir stem started
    local -a cmd files
    dir=$(dir_of "$set")
    stem=$LOGS/$set-$tool-$round
    # The peers that take a list of files get the same sorted list, relative to the workspace.
    mapfile -t files < <(cd "$dir" && list_plans .)
    case $tool in
        floor) cmd=("$FLOOR" floor "$dir") ;;
        vetlint) cmd=("$VETLINT" check --format short) ;;
        ajv-cli)
            # ajv-cli expands the glob itself; -c ajv-formats for `format: date`.
            cmd=("$AJV" validate --spec="$AJV_SPEC" -c ajv-formats --errors=line
                -s "$SCHEMAS/plan.schema.json" -r "$SCHEMAS/common.schema.json"
                -d "plans/**/*.$FORMAT") ;;
        jsonschema-cli)
            cmd=("$JSCLI" validate --offline --draft "$JSCLI_DRAFT" --assert-format
                "$SCHEMAS/plan.inlined.json" -i "${files[@]}") ;;
        check-jsonschema)
            cmd=("$CJSBIN" -o JSON --schemafile "$SCHEMAS/plan.inlined.json" "${files[@]}") ;;
    esac
    started=$(now)
    (cd "$dir" && "${TIMER[@]}" "$stem.time" "${NONET[@]}" "${cmd[@]}") >"$stem.out" 2>"$stem.err" || true
    echo "$started $(now)" >"$stem.wall"
}

# How busy the CPUs were with other work just before timing: on a shared machine the figures
# mean little above a few percent.
busy() {
    local -a a b
    read -ra a </proc/stat
    sleep 2
    read -ra b </proc/stat
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for ((i = 1; i < ${#a[@]}; i++)); do total=$((total + b[i] - a[i])); done
    echo $(( total > 0 ? 100 - 100 * idle / total : 0 ))
}
phase "build, corpus and schemas"
BUSY_BEFORE=$(busy)
say "CPUs busy with other work before timing: $BUSY_BEFORE %"
for ((round = 1; round <= ROUNDS; round++)); do
    for entry in "${TOOLS[@]}"; do
        IFS='|' read -r set tool _ <<<"$entry"
        say "round $round/$ROUNDS: $tool ($set)"
        run_tool "$set" "$tool" "$round"
    done
done
BUSY_AFTER=$(busy)
phase "timing ($ROUNDS rounds)"

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

export COMPARE_VERSIONS COMPARE_SKIPPED
COMPARE_VERSIONS=$(for k in "${!VERSION[@]}"; do printf '%s\t%s\n' "$k" "${VERSION[$k]}"; done)
COMPARE_SKIPPED=$(for k in "${!SKIPPED[@]}"; do printf '%s: %s\n' "$k" "${SKIPPED[$k]}"; done)
printf '%s\n' "${TOOLS[@]}" >"$LOGS/tools.txt"
python3 - "$LOGS" "$ROUNDS" "$N" "$CJS_FILES" "$VETLINT" "$BUSY_BEFORE $BUSY_AFTER" "${#NONET[@]}" "$CORPUS" <<'EOF'
import json, os, re, statistics, subprocess, sys
from pathlib import Path

logs, rounds, n, subset_n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
vetlint, netless = sys.argv[5], sys.argv[7] != "0"
busy_before, busy_after = map(int, sys.argv[6].split())
corpus = Path(sys.argv[8])
tools = [line.split("|", 2) for line in (logs / "tools.txt").read_text().splitlines()]

def timing(stem):
    # The wall clock around the command; /usr/bin/time -q writes "wall peak_kib exit".
    started, ended = map(float, Path(f"{stem}.wall").read_text().split())
    line = Path(f"{stem}.time").read_text().strip().splitlines()[-1].split()
    return ended - started, int(line[1]) / 1024, int(line[2])

def invalid(tool, stem):
    """(files checked, files reported invalid) from a tool's output, or None when unknown."""
    out = Path(f"{stem}.out").read_text(errors="replace")
    err = Path(f"{stem}.err").read_text(errors="replace")
    if tool == "floor":
        m = re.search(r"parsed (\d+) of (\d+) files", out)
        return (int(m[2]), int(m[2]) - int(m[1])) if m else None
    if tool == "vetlint":
        files = {}
        for line in out.splitlines():
            m = re.match(r"(.+?):\d+:\d+: (\w+)\[([\w-]+)\]", line)
            if m and m[2] == "error":
                files.setdefault(m[1], set()).add(m[3])
        schema = sum(1 for rules in files.values() if any(r.startswith("schema-") for r in rules))
        return None, (len(files), schema)
    if tool == "ajv-cli":
        text = out + err
        bad = len(re.findall(r" invalid$", text, re.M))
        good = len(re.findall(r" valid$", text, re.M))
        return good + bad, bad
    if tool == "jsonschema-cli":
        bad = len(re.findall(r" - INVALID\.", out))
        good = len(re.findall(r" - VALID$", out, re.M))
        return good + bad, bad
    if tool == "check-jsonschema":
        try:
            data = json.loads(out)
        except ValueError:
            return None
        bad = {e["filename"] for e in data.get("errors", [])}
        bad |= {e["filename"] for e in data.get("parse_errors", [])}
        return None, len(bad)
    return None

rows = []
for set_, tool, work in tools:
    samples, by_round = [], {}
    for r in range(1, rounds + 1):
        stem = logs / f"{set_}-{tool}-{r}"
        try:
            samples.append(timing(stem))
            by_round[r] = samples[-1][0]
        except (OSError, IndexError, ValueError):
            pass
    if not samples:
        print(f"{tool} ({set_}): no timing; see {logs}/{set_}-{tool}-1.err", file=sys.stderr)
        continue
    wall = statistics.median(s[0] for s in samples)
    rss = statistics.median(s[1] for s in samples)
    codes = sorted({s[2] for s in samples})
    rows.append(dict(set=set_, tool=tool, work=work, wall=wall, rss=rss, codes=codes,
                     found=invalid(tool, logs / f"{set_}-{tool}-1"), runs=len(samples),
                     by_round=by_round))

def by(set_, tool):
    return next((r for r in rows if r["set"] == set_ and r["tool"] == tool), None)

def label(set_):
    """The files of a set as the report names them: `all N` or `first K`."""
    return f"all {n}" if set_ == "all" else f"first {subset_n}"

def fmt_ratio(x):
    return "—" if x is None else (f"{x:.1f}×" if x >= 1 else f"{x:.2f}×")

print()
size = sum(p.stat().st_size for p in (corpus / "plans").rglob("*.json")) / 1e6
print(f"vetlint `check` against the peers, {n} JSON plans ({size:.1f} MB), median of {rounds} alternating rounds")
print(f"(timed commands {'in an empty network namespace' if netless else 'with the network'}; "
      f"CPUs busy with other work: {busy_before} % before, {busy_after} % after)")
print()
print("| files | tool | work done | median wall | median peak RSS | ÷ floor | vetlint ÷ tool | files reported invalid | exit |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    floor, vet = by(r["set"], "floor"), by(r["set"], "vetlint")
    files = label(r["set"])
    to_floor = r["wall"] / floor["wall"] if floor and floor["wall"] > 0 else None
    vs = vet["wall"] / r["wall"] if vet and r["tool"] != "vetlint" and r["wall"] > 0 else None
    found = r["found"]
    if r["tool"] == "floor":
        found_text = f"{found[1]} unparsable of {found[0]}" if found else "?"
    elif r["tool"] == "vetlint":
        found_text = f"{found[1][0]} with errors, {found[1][1]} with schema errors" if found else "?"
    elif found is None:
        found_text = "? (output not understood)"
    else:
        checked, bad = found
        found_text = f"{bad}" + (f" of {checked}" if checked is not None else "")
    print(f"| {files} | {r['tool']} | {r['work']} | {r['wall']:.3f} s | {r['rss']:.0f} MiB | "
          f"{fmt_ratio(to_floor)} | {fmt_ratio(vs)} | {found_text} | {'/'.join(map(str, r['codes']))} |")

# The ratio of two medians moves with the machine between rounds; within a round the tools
# ran one after the other, so the ratio of a round's two times is the steadier comparison.
print()
print("Round by round, vetlint's time ÷ the other tool's in the same round:")
for r in rows:
    vet = by(r["set"], "vetlint")
    if r["tool"] == "vetlint" or not vet:
        continue
    ratios = [vet["by_round"][k] / r["by_round"][k]
              for k in sorted(r["by_round"]) if k in vet["by_round"] and r["by_round"][k] > 0]
    if not ratios:
        continue
    files = label(r["set"])
    faster = "" if r["tool"] == "floor" else \
        f"; vetlint faster in {sum(x < 1 for x in ratios)} of {len(ratios)} rounds"
    print(f"- {files}, vetlint ÷ {r['tool']}: " + " ".join(f"{x:.2f}" for x in ratios)
          + f" (median {statistics.median(ratios):.2f}{faster})")

# A peer that reports nothing invalid checks nothing: the corpus has planted schema mistakes.
print()
problems = []
for r in rows:
    if r["tool"] in ("floor", "vetlint"):
        continue
    found = r["found"]
    if found is None or found[1] == 0:
        problems.append(f"{r['tool']} ({r['set']}) reported no invalid file: misconfigured? See {logs}/{r['set']}-{r['tool']}-1.*")
    vet = by(r["set"], "vetlint")
    if found and vet and vet["found"] and found[1] != vet["found"][1][1]:
        problems.append(f"{r['tool']} ({r['set']}) found {found[1]} invalid files, vetlint {vet['found'][1][1]} with schema errors")
    if found and found[0] is not None and found[0] != (n if r["set"] == "all" else subset_n):
        problems.append(f"{r['tool']} ({r['set']}) checked {found[0]} files")
for p in problems:
    print("WARNING:", p)
peers = [r for r in rows if r["tool"] not in ("floor", "vetlint")]
if not problems and peers:
    print("Every peer reported the same number of schema-invalid plans as vetlint's schema-* findings.")
if max(busy_before, busy_after) > 10:
    print(f"WARNING: other processes kept the CPUs up to {max(busy_before, busy_after)} % busy: the times are inflated and noisy")
for line in sorted(os.environ.get("COMPARE_SKIPPED", "").splitlines()):
    if line:
        print(f"Skipped {line}")

print()
print("Versions:")
print(f"- {subprocess.run([vetlint, '--version'], capture_output=True, text=True).stdout.strip()} (release build)")
for line in sorted(os.environ.get("COMPARE_VERSIONS", "").splitlines()):
    if line:
        print(f"- {line.split(chr(9), 1)[1]}")
EOF
say ""
say "compare.sh: done in $(($(date +%s) - STARTED)) s ($PHASES); logs in $LOGS"
