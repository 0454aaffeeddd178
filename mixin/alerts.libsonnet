// Alerts for Redis memory. Thresholds match the exporter's own findings (80 % / 95 %,
// fragmentation 1.5 with 100 MiB wasted). Every alert says what to do; deploy/README.md
// has a short runbook for each. They need the recording rules (rules.libsonnet) too.
// c: the mixin's _config (config.libsonnet).
local alert(name, expr, wait, severity, summary, description) = {
  alert: name,
  expr: expr,
  'for': wait,
  labels: { severity: severity },
  annotations: { summary: summary, description: description },
};

function(c) {
  groups: [
    {
      name: 'redis_memory.alerts',
      rules: [
        alert("RedisMemoryHigh",
              'redis:memory_used:ratio >= %.2f' % c.memoryWarning,
              "5m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} uses {{ $value | humanizePercentage }} of maxmemory",
              "used_memory has been at or above 80 % of maxmemory for 5 minutes. At the limit Redis evicts keys or, under noeviction or volatile-* without TTL keys, rejects writes with OOM errors. Raise maxmemory (CONFIG SET maxmemory ...) if the host has RAM, or free memory; run `redis_memory_exporter doctor` for the cause."),
        alert("RedisMemoryCritical",
              "redis:memory_used:ratio >= %.2f\n  unless on (job, instance, addr) redis_instance_info{maxmemory_policy=~\"allkeys-.*\"}\n" % c.memoryCritical,
              "5m", "critical",
              "Redis {{ $labels.instance }} {{ $labels.addr }} is at {{ $value | humanizePercentage }} of maxmemory",
              "used_memory is at or above 95 % of maxmemory. Writes will be rejected or keys evicted now. Free memory (UNLINK large or unneeded keys) or raise maxmemory immediately; then fix the cause the exporter's findings name."),
        alert("RedisOOMRejections",
              "redis:oom_rejections:rate5m > 0",
              "1m", "critical",
              "Redis {{ $labels.instance }} {{ $labels.addr }} rejects writes with OOM ({{ $value | humanize }}/s)",
              "Clients get \"OOM command not allowed when used memory > 'maxmemory'\". First look at what holds the memory (redis_memory_exporter doctor, or the finding series): if client buffers do (redis_mem_clients_normal), disconnect the client that does not read (CLIENT LIST, CLIENT KILL); no eviction policy frees that. Otherwise free memory or raise maxmemory, and only if the data is a cache that can be rebuilt, CONFIG SET maxmemory-policy allkeys-lru."),
        alert("RedisUnexpectedEvictions",
              |||
        redis:evicted_keys:rate5m > 0
          and on (job, instance, addr) redis_instance_info{maxmemory_policy!~"allkeys-.*"}
      |||,
              "5m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} evicts keys under a non-allkeys policy",
              "Keys are being evicted ({{ $value | humanize }}/s) although the policy is not allkeys-*: keys with a TTL are deleted before it runs out (volatile-*), or the policy was just changed. Memory is at the limit: raise maxmemory or reduce the data."),
        alert("RedisMemoryFullSoon",
              "redis_memory_time_to_full_seconds < 3600",
              "10m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} reaches maxmemory in {{ $value | humanizeDuration }}",
              "At the growth of the last minutes used_memory reaches maxmemory within an hour. Find what writes (new keys without TTL?), raise maxmemory, or let Redis evict (allkeys-lru)."),
        alert("RedisMemoryFragmented",
              |||
        redis_mem_fragmentation_ratio > 1.5
          and on (job, instance, addr) redis_mem_fragmentation_bytes > 100 * 1024 * 1024
      |||,
              "15m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} fragmentation ratio {{ $value | humanize }}",
              "The process holds much more RAM than its data needs. CONFIG SET activedefrag yes where the build allows it (Debian's, linked to the system jemalloc, does not); MEMORY PURGE releases part of it now; for good, fail over to a freshly started replica."),
        alert("RedisRssBelowUsedMemory",
              "(redis_memory_used_bytes - redis_memory_used_rss_bytes) > 100 * 1024 * 1024",
              "10m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} is partly swapped out",
              "RSS is {{ $value | humanize1024 }}B below used_memory: part of Redis is in swap and every access to it waits on the disk. Check VmSwap of redis-server, keep maxmemory below free RAM, set vm.swappiness=1."),
        alert("RedisVolatilePolicyWithoutTTLKeys",
              |||
        redis:keys_with_ttl:ratio < 0.01
          and on (job, instance, addr) redis_instance_info{maxmemory_policy=~"volatile-.*"}
          and on (job, instance, addr) redis_memory_max_bytes > 0
      |||,
              "15m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }}: volatile-* policy but almost no keys have a TTL",
              "A volatile-* policy may evict only keys with a TTL; with {{ $value | humanizePercentage }} of keys carrying one, Redis will reject writes at maxmemory as if the policy were noeviction. Give keys a TTL (SET ... EX, EXPIRE) or CONFIG SET maxmemory-policy allkeys-lru."),
        alert("RedisDown",
              "redis_up == 0",
              "1m", "critical",
              "Redis {{ $labels.instance }} {{ $labels.addr }} does not answer the exporter",
              "The exporter's polls fail (see redis_memory_exporter_poll_errors_total for the reason: connect, auth, timeout, loading ...). Check that redis-server runs and the exporter's address and password are right."),
        alert("RedisMemoryExporterDown",
              "up{job=~\".*redis.*\"} == 0",
              "2m", "warning",
              "Prometheus cannot scrape the Redis exporter at {{ $labels.instance }}",
              "No Redis numbers arrive from this exporter: check the process (systemctl status redis_memory_exporter) and that --web.listen-address is reachable from Prometheus."),
        alert("RedisMemoryExporterAbsent",
              "absent(redis_up)",
              "5m", "warning",
              "No redis_up series at all",
              "No Redis exporter is being scraped, so none of the memory alerts can fire. Check the scrape config and the exporter."),
        alert("RedisMemoryExporterStale",
              |||
        (time() - redis_memory_exporter_last_poll_success_timestamp_seconds) > 60
          and on (job, instance, addr) redis_up == 1
      |||,
              "2m", "warning",
              "redis_memory_exporter at {{ $labels.instance }} serves data {{ $value | humanizeDuration }} old",
              "The exporter answers but its last successful poll is old: its event loop is stuck. Restart it and report the log lines around the stall."),
        alert("RedisMemoryFindingCritical",
              "redis_memory_finding{severity=\"critical\"} == 1",
              "5m", "critical",
              "Redis {{ $labels.instance }} {{ $labels.addr }}: {{ $labels.id }}",
              "The exporter's diagnosis reports {{ $labels.id }}. Its landing page and `redis_memory_exporter doctor` show the numbers behind it and the command that fixes it."),
        alert("RedisMemoryEvictionCannotFree",
              "redis_memory_finding{id=~\"client_query_buffers|client_output_buffers|cluster_links|replication_backlog|script_cache|memory_not_data\", severity=\"warning\"} == 1",
              "5m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }}: {{ $labels.id }} holds memory eviction cannot free",
              "Near the limit, much of used memory is held by {{ $labels.id }}. Evicting keys or raising maxmemory would not free it: follow the finding's fix (landing page or `redis_memory_exporter doctor`). When it turns critical, RedisMemoryFindingCritical fires instead."),
        alert("RedisForkMayExhaustHostMemory",
              "redis_memory_finding{id=\"fork_memory\", severity=\"warning\"} == 1",
              "15m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }}: the limit plus a fork's copy exceeds the host's RAM",
              "A BGSAVE, AOF rewrite or full sync forks Redis; with maxmemory this close to the host's RAM the kernel can kill it during one. Lower maxmemory as the finding says, or take saves on a replica."),
        alert("RedisNoMemoryLimit",
              "redis_memory_finding{id=\"no_memory_limit\"} == 1",
              "15m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} has no maxmemory and fills its host",
              "Without maxmemory, Redis grows until the kernel's OOM killer ends it. Set the limit the finding suggests (it fits today's data, so nothing is evicted when it is set)."),
        alert("RedisLoadingDataset",
              "redis_loading_dump_file == 1",
              "10m", "warning",
              "Redis {{ $labels.instance }} {{ $labels.addr }} has been loading its dataset for 10 minutes",
              "It refuses commands until loading ends; redis_loading_progress_ratio and redis_loading_eta_seconds show how far it is. A dataset this slow to load makes every restart and failover long."),
        alert("RedisClusterShardNearLimitAlone",
              "redis_cluster_finding{id=\"shard_near_limit_alone\"} == 1",
              "5m", "warning",
              "Redis Cluster {{ $labels.cluster }}: shard {{ $labels.shard }} is near its limit alone",
              "One shard holds far more than the others (hot slots or large keys): raising maxmemory everywhere only postpones it. Move slots off it with redis-cli --cluster reshard, or split the large key; the exporter's landing page has the command."),
      ],
    },
  ],
}
