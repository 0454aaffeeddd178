#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes the alerts, the recording rules and the Grafana dashboard from the mixin.
#   bash mixin/build.sh           write deploy/prometheus/redis_memory_{alerts,rules}.yml and
#                                 grafana/dashboards/redis_memory.json
#   bash mixin/build.sh --check   write them elsewhere and fail if the committed files differ
# Needs Debian's jsonnet.
set -euo pipefail
cd "$(dirname "$0")/.."
check=""
[ "${1:-}" = --check ] && check=1
dest=.
if [ -n "$check" ]; then
  dest=$(mktemp -d)
  trap 'rm -rf "$dest"' EXIT
  mkdir -p "$dest/deploy/prometheus" "$dest/grafana/dashboards"
fi
header='# Generated from mixin/ by mixin/build.sh: edit the jsonnet there, not this file.\n'
yaml() {   # yaml FIELD FILE
  jsonnet -J . -S -e "'$header' + std.manifestYamlDoc((import 'mixin/mixin.libsonnet').$1, indent_array_in_object=true, quote_keys=false)" \
    >"$dest/$2"
}
yaml prometheusRules deploy/prometheus/redis_memory_rules.yml
yaml prometheusAlerts deploy/prometheus/redis_memory_alerts.yml
jsonnet -J . -e "(import 'mixin/mixin.libsonnet').grafanaDashboards['redis_memory.json']" \
  >"$dest/grafana/dashboards/redis_memory.json"
if [ -n "$check" ]; then
  status=0
  for f in deploy/prometheus/redis_memory_rules.yml deploy/prometheus/redis_memory_alerts.yml \
           grafana/dashboards/redis_memory.json; do
    if ! diff -u "$f" "$dest/$f"; then
      echo "mixin: $f differs from what mixin/ makes: run bash mixin/build.sh" >&2
      status=1
    fi
  done
  exit $status
fi
