#!/usr/bin/env bash
# Print the path of a Python interpreter of version $1 (e.g. 3.13), or nothing and exit 1.
# Looks on PATH first (python3.13), then in pyenv's versions folder ($PYENV_ROOT, default ~/.pyenv; newest
# patch release first). Used by the Makefile (the quick pass of `make test`) and .ci/run, which says what it found.
set -euo pipefail
version="${1:?usage: tools/find_python.sh 3.13}"
candidates=()
if found="$(command -v "python$version" 2>/dev/null)"; then
    candidates+=("$found")
fi
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
while IFS= read -r found; do
    candidates+=("$found")
done < <(ls -d "$pyenv_root/versions/$version".*/bin/"python$version" 2>/dev/null | sort -t. -k3,3nr)
for candidate in "${candidates[@]}"; do
    # the interpreter must run and be the version asked for (a stale pyenv shim is neither)
    if [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$version" ]]; then
        echo "$candidate"
        exit 0
    fi
done
exit 1
