#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes the man page (roff) to stdout: docs/redis_memory_exporter.1.scd with its OPTIONS
# made from the binary's own flag table (--help), through scdoc.
#   bash docs/man.sh path/to/redis_memory_exporter > redis_memory_exporter.1
set -euo pipefail
bin=${1:?usage: man.sh path/to/redis_memory_exporter}
here=$(dirname "$0")
options=$("$bin" --help | awk '
  /^  --/ {
    flag = $1; sub(/^  --[^ ]+ +/, ""); text = $0
    # --name=ARG: the flag in bold, the argument underlined
    name = flag; arg = ""
    if (index(flag, "=")) { name = substr(flag, 1, index(flag, "=") - 1); arg = substr(flag, index(flag, "=") + 1) }
    gsub(/\*/, "\\*", text); gsub(/_/, "\\_", text)
    if (arg != "") printf "*%s*=_%s_\n", name, arg; else printf "*%s*\n", name
    printf "\t%s\n\n", text
  }')
awk -v opts="$options" '$0 == "@OPTIONS@" { print opts; next } { print }' "$here/redis_memory_exporter.1.scd" | scdoc
