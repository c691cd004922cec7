#!/usr/bin/env bash
# Generate the Kotlin, Swift and Python bindings into OUT_DIR (default:
# target/bindings), from the library as built (library mode: no UDL).
#   mobile-bindings/generate.sh [OUT_DIR] [debug|release]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/bindings}"
profile="${2:-debug}"
flags=()
[ "$profile" = "release" ] && flags=(--release)
cd "$root"
cargo build -p mobile-bindings --lib --bin uniffi-bindgen "${flags[@]}" --quiet
lib="$root/target/$profile/libalongside.so"
bindgen="$root/target/$profile/uniffi-bindgen"
mkdir -p "$out/python" "$out/kotlin" "$out/swift"
"$bindgen" generate "$lib" --language python --out-dir "$out/python"
"$bindgen" generate "$lib" --language kotlin --out-dir "$out/kotlin" --no-format
"$bindgen" generate "$lib" --language swift --out-dir "$out/swift"
# Python loads the library from next to the generated module.
cp "$lib" "$out/python/"
echo "bindings written to $out"
