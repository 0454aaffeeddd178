// SPDX-License-Identifier: Apache-2.0
// redis_memory_exporter's Prometheus mixin, the one source of its alerts, recording rules
// and Grafana dashboard (as kube-prometheus users import mixins):
//   local redis = import 'redis_memory_exporter/mixin/mixin.libsonnet';
//   redis { _config+:: { memoryWarning: 0.75 } }
// mixin/build.sh writes the files in deploy/prometheus and grafana/dashboards from it.
{
  _config:: import 'config.libsonnet',
  prometheusRules:: (import 'rules.libsonnet')(self._config),
  prometheusAlerts:: (import 'alerts.libsonnet')(self._config),
  grafanaDashboards:: {
    'redis_memory.json': (import 'dashboard.libsonnet')($._config),
  },
}
