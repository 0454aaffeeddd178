// SPDX-License-Identifier: Apache-2.0
// Recording rules shared by the alerts and the Grafana dashboard. They use metric names
// that redis_memory_exporter and oliver006/redis_exporter share, so they work with either
// exporter (addr is empty for redis_exporter).
function(c) {
  groups: [
    {
      name: "redis_memory.rules",
      interval: "30s",
      rules: [
        { record: "redis:memory_used:ratio", expr: "redis_memory_used_bytes / (redis_memory_max_bytes > 0)" },
        { record: "redis:oom_rejections:rate5m", expr: "rate(redis_errors_total{err=\"OOM\"}[5m])" },
        { record: "redis:evicted_keys:rate5m", expr: "rate(redis_evicted_keys_total[5m])" },
        { record: "redis:expired_keys:rate5m", expr: "rate(redis_expired_keys_total[5m])" },
        { record: "redis:keys_with_ttl:ratio", expr: |||
        sum by (job, instance, addr) (redis_db_keys_expiring)
          / (sum by (job, instance, addr) (redis_db_keys) > 0)
      ||| },
      ],
    },
  ],
}
