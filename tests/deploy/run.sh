#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Deployment checks: promtool on the rules and their unit tests, yamllint on every YAML
# file, structural checks of the manifests, and the end-to-end test with a real Prometheus.
# Needs EXPORTER_BIN (ctest sets it) or build/redis_memory_exporter.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
step() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok: $name"
  else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
step "mixin: the committed alerts, rules and dashboard are what mixin/ makes" bash mixin/build.sh --check
step "promtool check rules" promtool check rules deploy/prometheus/redis_memory_rules.yml deploy/prometheus/redis_memory_alerts.yml
step "promtool check config" promtool check config --syntax-only deploy/prometheus/prometheus.yml deploy/prometheus/fleet.yml
step "promtool test rules" promtool test rules tests/deploy/rules_test.yml
step "amtool check-config" amtool check-config deploy/alertmanager/alertmanager.yml
step "yamllint" yamllint -c tests/deploy/yamllint.yml deploy grafana/provisioning
step "Debian package: dpkg-buildpackage, lintian" bash tests/deploy/package_build.sh
step "manifests and Prometheus end to end" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/deploy
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
