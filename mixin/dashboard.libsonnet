// SPDX-License-Identifier: Apache-2.0
// The Grafana dashboard: Redis memory against maxmemory, why it runs out, and the
// exporter's findings. Panels share the instance/Redis selector and the data source.
local ds = { type: 'prometheus', uid: '${datasource}' };

local target(expr, legend) = { expr: expr, legendFormat: legend, datasource: ds };

// refIds A, B, ... in order; every panel reads the dashboard's data source.
local panel(id, type, title, description, gridPos, targets, extra) = {
  id: id,
  type: type,
  title: title,
  description: description,
  datasource: ds,
  gridPos: gridPos,
  targets: [targets[i] { refId: std.char(65 + i) } for i in std.range(0, std.length(targets) - 1)],
} + extra;

function(c)
local s = { sel: c.dashboardSelector };
{
  "uid": "redis-memory",
  "title": "Redis memory",
  "tags": [
    "redis",
    "memory"
  ],
  "timezone": "browser",
  "schemaVersion": 38,
  "version": 1,
  "editable": true,
  "refresh": "30s",
  "time": {
    "from": "now-3h",
    "to": "now"
  },
  "description": "Redis memory against maxmemory, why it runs out, and the exporter's findings. Works with redis_memory_exporter; the shared panels also work with oliver006/redis_exporter.",
  "templating": {
    "list": [
      {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1
      },
      {
        "name": "instance",
        "label": "Instance",
        "type": "query",
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "query": {
          "query": "label_values(redis_up, instance)",
          "refId": "instance"
        },
        "definition": "label_values(redis_up, instance)",
        "refresh": 2,
        "includeAll": true,
        "multi": true,
        "allValue": ".*",
        "current": {
          "text": "All",
          "value": "$__all"
        },
        "sort": 1
      },
      {
        "name": "addr",
        "label": "Redis",
        "type": "query",
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "query": {
          "query": "label_values(redis_up{instance=~\"$instance\"}, addr)",
          "refId": "addr"
        },
        "definition": "label_values(redis_up{instance=~\"$instance\"}, addr)",
        "refresh": 2,
        "includeAll": true,
        "multi": true,
        "allValue": ".*",
        "current": {
          "text": "All",
          "value": "$__all"
        },
        "sort": 1
      }
    ]
  },
  "annotations": {
    "list": []
  },
  "panels": [
    panel(1, "stat", "Redis up",
          "1 when the exporter's last poll succeeded and is recent.",
          { x: 0, y: 0, w: 4, h: 5 },
          [
            target("redis_up{%(sel)s}" % s, "{{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"mappings": [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red"}, "1": {"text": "UP", "color": "green"}}}], "thresholds": {"mode": "absolute", "steps": [{"color": "red", "value": null}, {"color": "green", "value": 1}]}}, "overrides": []}, "options": {}}),
    panel(2, "gauge", "Memory used / maxmemory",
          "used_memory over maxmemory. Empty where maxmemory is 0 (no limit): see 'Limit set'.",
          { x: 4, y: 0, w: 5, h: 5 },
          [
            target("redis_memory_used_bytes{%(sel)s} / (redis_memory_max_bytes{%(sel)s} > 0)" % s, "{{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "percentunit", "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": null}, {"color": "orange", "value": c.memoryWarning}, {"color": "red", "value": c.memoryCritical}]}, "min": 0, "max": 1}, "overrides": []}, "options": {}}),
    panel(3, "stat", "Limit set",
          "1 when maxmemory is set. Without a limit Redis grows until the host runs out of RAM.",
          { x: 9, y: 0, w: 3, h: 5 },
          [
            target("redis_memory_max_bytes{%(sel)s} > bool 0" % s, "{{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"mappings": [{"type": "value", "options": {"0": {"text": "no limit", "color": "orange"}, "1": {"text": "set", "color": "green"}}}]}, "overrides": []}, "options": {}}),
    panel(4, "stat", "Time to full",
          "Forecast from the recent growth (least squares over 5 min). Empty when flat or shrinking.",
          { x: 12, y: 0, w: 4, h: 5 },
          [
            target("redis_memory_time_to_full_seconds{%(sel)s}" % s, "{{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "s", "thresholds": {"mode": "absolute", "steps": [{"color": "red", "value": null}, {"color": "orange", "value": 3600}, {"color": "green", "value": 86400}]}}, "overrides": []}, "options": {}}),
    panel(5, "table", "Policy and version",
          "maxmemory_policy, version, role and allocator of each instance.",
          { x: 16, y: 0, w: 8, h: 5 },
          [
            target("redis_instance_info{%(sel)s}" % s, "") + {"format": "table", "instant": true},
          ],
          {"fieldConfig": {"defaults": {}, "overrides": []}, "options": {"showHeader": true}}),
    panel(6, "timeseries", "Memory used vs maxmemory",
          "used_memory against maxmemory with the 80 % and 95 % alert levels.",
          { x: 0, y: 5, w: 12, h: 8 },
          [
            target("redis_memory_used_bytes{%(sel)s}" % s, "used {{addr}} {{instance}}"),
            target("redis_memory_max_bytes{%(sel)s} > 0" % s, "maxmemory {{addr}} {{instance}}"),
            target("%g * (redis_memory_max_bytes{%s} > 0)" % [c.memoryWarning, c.dashboardSelector], "%d %% {{addr}} {{instance}}" % std.floor(c.memoryWarning * 100 + 0.5)),
            target("%g * (redis_memory_max_bytes{%s} > 0)" % [c.memoryCritical, c.dashboardSelector], "%d %% {{addr}} {{instance}}" % std.floor(c.memoryCritical * 100 + 0.5)),
            target("redis_memory_used_rss_bytes{%(sel)s}" % s, "rss {{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "bytes"}, "overrides": []}, "options": {}}),
    panel(7, "timeseries", "Fragmentation",
          "RSS / used memory (left axis), and the bytes it wastes (right axis); alerts above %g with %d MiB wasted." % [c.fragmentationRatio, c.fragmentationMinBytes / 1048576],
          { x: 12, y: 5, w: 12, h: 8 },
          [
            target("redis_mem_fragmentation_ratio{%(sel)s}" % s, "ratio {{addr}} {{instance}}"),
            target("redis_mem_fragmentation_bytes{%(sel)s}" % s, "wasted {{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "none", "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": null}, {"color": "orange", "value": c.fragmentationRatio}]}}, "overrides": [{"matcher": {"id": "byRegexp", "options": "wasted .*"}, "properties": [{"id": "unit", "value": "bytes"}, {"id": "custom.axisPlacement", "value": "right"}]}]}, "options": {}}),
    panel(8, "timeseries", "Evictions, expirations, OOM rejections per second",
          "OOM rejections are writes that failed at maxmemory.",
          { x: 0, y: 13, w: 12, h: 8 },
          [
            target("rate(redis_evicted_keys_total{%(sel)s}[$__rate_interval])" % s, "evicted {{addr}} {{instance}}"),
            target("rate(redis_expired_keys_total{%(sel)s}[$__rate_interval])" % s, "expired {{addr}} {{instance}}"),
            target("rate(redis_errors_total{%(sel)s, err=\"OOM\"}[$__rate_interval])" % s, "OOM rejected {{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "ops"}, "overrides": []}, "options": {}}),
    panel(9, "timeseries", "Keys with and without TTL",
          "Under a volatile-* policy only keys with a TTL can be evicted.",
          { x: 12, y: 13, w: 12, h: 8 },
          [
            target("redis_db_keys_expiring{%(sel)s}" % s, "with TTL {{db}} {{addr}} {{instance}}"),
            target("redis_db_keys{%(sel)s} - redis_db_keys_expiring{%(sel)s}" % s, "without TTL {{db}} {{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"custom": {"stacking": {"mode": "normal"}}}, "overrides": []}, "options": {}}),
    panel(10, "table", "Active findings",
          "The exporter's diagnosis: one row per active finding. Its landing page and `redis_memory_exporter doctor` give the fix.",
          { x: 0, y: 21, w: 12, h: 7 },
          [
            target("redis_memory_finding{%(sel)s} == 1" % s, "") + {"format": "table", "instant": true},
          ],
          {"fieldConfig": {"defaults": {}, "overrides": []}, "options": {}}),
    panel(11, "timeseries", "Exporter health",
          "Poll duration and age of the data (seconds, left axis); failed polls by reason (per second, right axis).",
          { x: 12, y: 21, w: 12, h: 7 },
          [
            target("redis_memory_exporter_poll_duration_seconds{%(sel)s}" % s, "poll duration {{addr}} {{instance}}"),
            target("time() - redis_memory_exporter_last_poll_success_timestamp_seconds{%(sel)s}" % s, "data age {{addr}} {{instance}}"),
            target("sum by (addr, instance, reason) (rate(redis_memory_exporter_poll_errors_total{%(sel)s}[$__rate_interval]))" % s, "errors {{reason}} {{addr}} {{instance}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "s"}, "overrides": [{"matcher": {"id": "byRegexp", "options": "errors .*"}, "properties": [{"id": "unit", "value": "reqps"}, {"id": "custom.axisPlacement", "value": "right"}]}]}, "options": {}}),
    panel(12, "timeseries", "Where used memory goes",
          "used_memory split into its parts (redis_memory_breakdown_bytes): data, client buffers, replication backlog and replica buffers, AOF buffer, scripts, startup and the rest of the overhead. Client buffers, replication and scripts are memory that evicting keys cannot free.",
          { x: 0, y: 28, w: 24, h: 8 },
          [
            target("redis_memory_breakdown_bytes{%(sel)s}" % s, "{{addr}} {{part}}"),
          ],
          {"fieldConfig": {"defaults": {"custom": {"stacking": {"mode": "normal", "group": "A"}, "fillOpacity": 40}, "unit": "bytes"}, "overrides": []}, "options": {}}),
    panel(13, "timeseries", "Largest key namespaces",
          "Estimated memory of the largest key namespaces (key names up to ':'), from the optional key sampler (--sampler.keys-per-second); the legend's TTL share says which ones never expire.",
          { x: 0, y: 36, w: 24, h: 8 },
          [
            target("redis_key_namespace_bytes{%(sel)s}" % s, "{{addr}} {{namespace}}:*"),
            target("redis_key_namespace_ttl_ratio{%(sel)s}" % s, "{{addr}} {{namespace}}:* with a TTL"),
          ],
          {"fieldConfig": {"defaults": {"unit": "bytes", "custom": {"fillOpacity": 10}}, "overrides": [{"matcher": {"id": "byRegexp", "options": ".*with a TTL"}, "properties": [{"id": "unit", "value": "percentunit"}, {"id": "custom.axisPlacement", "value": "right"}]}]}, "options": {"legend": {"displayMode": "table", "placement": "right"}}}),
    panel(14, "timeseries", "Data by time to live",
          "What expiry frees by itself: estimated bytes of the keys whose TTL ends within 5 minutes, an hour, a day, a week, later, and of the keys that never expire (key sampler: redis_key_ttl_bytes, redis_key_persistent_bytes). Under a volatile-* policy only the bytes with a TTL can be evicted.",
          { x: 0, y: 44, w: 8, h: 8 },
          [
            target("sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"300\"})" % s, "within 5 min"),
            target("sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"3600\"}) - sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"300\"})" % s, "within an hour"),
            target("sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"86400\"}) - sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"3600\"})" % s, "within a day"),
            target("sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"604800\"}) - sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"86400\"})" % s, "within a week"),
            target("sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"+Inf\"}) - sum(redis_key_ttl_bytes{%(sel)s, ttl_le=\"604800\"})" % s, "later"),
            target("sum(redis_key_persistent_bytes{%(sel)s})" % s, "never"),
          ],
          {"fieldConfig": {"defaults": {"unit": "bytes", "custom": {"drawStyle": "bars", "fillOpacity": 80, "stacking": {"mode": "normal", "group": "A"}}}, "overrides": []}, "options": {"legend": {"displayMode": "list", "placement": "bottom"}}}),
    panel(15, "timeseries", "Namespace growth",
          "How fast each of the largest key namespaces grows (redis_key_namespace_growth_bytes_per_hour, from the key sampler's whole cycles); the time-to-full finding names the fastest.",
          { x: 8, y: 44, w: 8, h: 8 },
          [
            target("redis_key_namespace_growth_bytes_per_hour{%(sel)s}" % s, "{{addr}} {{namespace}}:*"),
          ],
          {"fieldConfig": {"defaults": {"unit": "bytes"}, "overrides": []}, "options": {}}),
    panel(16, "timeseries", "Watched keys",
          "Length of each key of --keys.watch (redis_key_size: LLEN, XLEN, SCARD, ZCARD, HLEN or STRLEN by type). A line that only rises is a queue nobody consumes or a stream without MAXLEN (key_growing_unbounded).",
          { x: 16, y: 44, w: 8, h: 8 },
          [
            target("redis_key_size{%(sel)s}" % s, "{{addr}} {{db}} {{key}}"),
          ],
          {"fieldConfig": {"defaults": {"unit": "short"}, "overrides": []}, "options": {}}),
  ]
}
