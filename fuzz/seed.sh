#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs:
#   - the repository's fixtures/**/*.{json,yaml,yml}
#   - ../shared/conformance/json-test-suite/test_parsing/*.json   (when present)
#   - ../shared/conformance/yaml-test-suite/*/in.yaml             (when present)
# relative to the repository root. Inputs are named by their SHA-1, as libFuzzer names them,
# so running the script twice adds nothing. The corpus is generated: never commit it.
#
# Usage: fuzz/seed.sh            (from anywhere)
set -euo pipefail

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$fuzz_dir")
corpus="$fuzz_dir/corpus"
conformance="$repo/../shared/conformance"
json_suite="$conformance/json-test-suite/test_parsing"
yaml_suite="$conformance/yaml-test-suite"

targets=(load_json load_yaml check pointer positions)
for t in "${targets[@]}"; do mkdir -p "$corpus/$t"; done

# add <target> <prefix-bytes (printf format)> <file>: copies prefix + file, named by SHA-1.
add() {
    local target=$1 prefix=$2 file=$3 tmp
    tmp=$(mktemp)
    { printf "$prefix"; cat "$file"; } > "$tmp"
    mv "$tmp" "$corpus/$target/$(sha1sum "$tmp" | cut -c1-40)"
}

# Per file: which targets get it. check and pointer take a format byte (0 JSON, 1 YAML);
# positions takes an 8-byte header (offsets A and B, line, column; little endian).
seed_json() {
    add load_json '' "$1"
    add load_yaml '' "$1"            # JSON is (nearly) YAML 1.2
    add check '\x00' "$1"
    add pointer '\x00' "$1"
}
seed_yaml() {
    add load_yaml '' "$1"
    add check '\x01' "$1"
    add pointer '\x01' "$1"
}
seed_positions() {
    add positions '\x07\x00\x40\x00\x02\x00\x03\x00' "$1"
}

count=0
while IFS= read -r -d '' f; do
    case "$f" in
        *.json) seed_json "$f" ;;
        *) seed_yaml "$f" ;;
    esac
    seed_positions "$f"
    count=$((count + 1))
done < <(find "$repo/fixtures" -type f \( -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) -print0)
echo "fixtures: $count files"

if [ -d "$json_suite" ]; then
    count=0
    for f in "$json_suite"/*.json; do
        [ -f "$f" ] || continue
        seed_json "$f"
        count=$((count + 1))
    done
    echo "json-test-suite: $count files"
else
    echo "json-test-suite: $json_suite not found, skipped"
fi

if [ -d "$yaml_suite" ]; then
    count=0
    for f in "$yaml_suite"/*/in.yaml; do
        [ -f "$f" ] || continue
        seed_yaml "$f"
        seed_positions "$f"
        count=$((count + 1))
    done
    echo "yaml-test-suite: $count files"
else
    echo "yaml-test-suite: $yaml_suite not found, skipped"
fi

# A few hand-made position seeds: line terminators and multi-byte characters.
tmp=$(mktemp)
for s in 'a: 中文 𠀀 x\r\nb: y\rc\n' '\r\r\n\n' 'é\r\n😀\r' ''; do
    printf "$s" > "$tmp"
    seed_positions "$tmp"
done
rm -f "$tmp"

for t in "${targets[@]}"; do
    printf '%-10s %6d inputs\n' "$t" "$(find "$corpus/$t" -type f | wc -l)"
done
