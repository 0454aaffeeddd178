// SPDX-License-Identifier: Apache-2.0
// Alerts for Redis memory. Each alert's severity follows what will fail (as the
// exporter's findings do): critical when writes fail or are about to, warning when
// something needs a person this week, info for a note (an allkeys-* cache at its limit
// evicts by design). Every alert names the Redis (addr) and links to its section of
// docs/runbooks.md. deploy/alertmanager/alertmanager.yml's inhibit_rules make one
// incident one page. They need the recording rules (rules.libsonnet) too.
// c: the mixin's _config (config.libsonnet).
local pct(x) = '%d %%' % std.floor(x * 100 + 0.5);
// with redis_exporter's series addr is empty: the Redis is then its exporter's instance
local who = 'Redis {{ with $labels.addr }}{{ . }} (exporter {{ $labels.instance }}){{ else }}at {{ $labels.instance }}{{ end }}';
local perSecond = '{{ printf "%.2f" $value }} per second';
// the finding ids behind an alert, asked of Prometheus when the alert is sent
// the watched key that grew most in the last 15 minutes, asked when the alert is sent
local growingKey =
  '{{ with query (printf "topk(1, delta(redis_key_size{addr=%q,instance=%q}[15m]))" $labels.addr $labels.instance) }}{{ range . }} It is db {{ .Labels.db }} key {{ .Labels.key }}: {{ printf "%.0f" .Value }} entries more in 15 minutes.{{ end }}{{ end }}';
local findings(sev) =
  '{{ with query (printf "redis_memory_finding{addr=%q,instance=%q,severity=%q} == 1" $labels.addr $labels.instance "' + sev + '") }} The exporter\'s ' + sev + ' findings: {{ range . }}{{ .Labels.id }} {{ end }}(their fix: the landing page, `redis_memory_exporter doctor`).{{ end }}';

function(c)
local alert(name, anchor, expr, wait, severity, summary, description) = {
  alert: name,
  expr: expr,
  'for': wait,
  labels: { severity: severity },
  annotations: { summary: summary, description: description, runbook_url: c.runbookBase + '#' + anchor },
};
local allkeys = 'on (job, instance, addr) redis_instance_info{maxmemory_policy=~"allkeys-.*"}';
// A target the exporter has stopped polling: no success for a while and no failure
// counted either. RedisDown leaves these to RedisMemoryExporterStale; it needs nothing
// else of this exporter's own, so it works with redis_exporter's series too.
local stuck(pad) = '(time() - redis_memory_exporter_last_poll_success_timestamp_seconds) > %d' % c.staleSeconds +
                   '\n' + pad + 'unless on (job, instance, addr) increase(redis_memory_exporter_poll_errors_total[2m]) > 0';
{
  groups: [
    {
      name: 'redis_memory.alerts',
      rules: [
        alert('RedisOOMRejections', 'redisoomrejections',
              'redis:oom_rejections:rate5m > 0',
              '1m', 'critical',
              who + ' rejects writes with OOM errors (' + perSecond + ')',
              "Clients get \"OOM command not allowed when used memory > 'maxmemory'\": writes are failing now." + findings('critical') + ' What holds the memory decides the fix: no eviction policy frees client buffers.'),
        alert('RedisMemoryCritical', 'redismemorycritical',
              'redis:memory_used:ratio >= %g\n  unless %s\n' % [c.memoryCritical, allkeys],
              '5m', 'critical',
              who + ' is at {{ $value | humanizePercentage }} of maxmemory',
              'used_memory is at or above ' + pct(c.memoryCritical) + ' of maxmemory and the policy is not allkeys-*: writes will be rejected, or keys with a TTL evicted, at the limit.' + findings('critical')),
        alert('RedisMemoryHigh', 'redismemoryhigh',
              'redis:memory_used:ratio >= %g\n  unless %s\n' % [c.memoryWarning, allkeys],
              '5m', 'warning',
              who + ' uses {{ $value | humanizePercentage }} of maxmemory',
              'used_memory has been at or above ' + pct(c.memoryWarning) + ' of maxmemory for 5 minutes. At the limit Redis rejects writes (noeviction, volatile-* without TTL keys) or evicts keys with a TTL. Find the cause before it is reached: `redis_memory_exporter doctor`.'),
        alert('RedisMemoryHigh', 'redismemoryhigh',
              'redis:memory_used:ratio >= %g\n  and %s\n' % [c.memoryWarning, allkeys],
              '5m', 'info',
              who + ' (an allkeys-* cache) uses {{ $value | humanizePercentage }} of maxmemory',
              'An allkeys-* cache at ' + pct(c.memoryWarning) + ' or more of maxmemory evicts the least used keys by design: nothing fails. Look only if the keyspace hit ratio falls.'),
        alert('RedisUnexpectedEvictions', 'redisunexpectedevictions',
              |||
                redis:evicted_keys:rate5m > 0
                  unless %s
              ||| % allkeys,
              '5m', 'warning',
              who + ' evicts keys under a non-allkeys policy (' + perSecond + ')',
              'Keys are being evicted although the policy is not allkeys-*: keys with a TTL are deleted before they expire (volatile-*), or the policy was just changed. Memory is at the limit: see the findings for what holds it.'),
        alert('RedisMemoryFullSoon', 'redismemoryfullsoon',
              'redis_memory_time_to_full_seconds < %d\n  unless %s\n' % [c.fullSoonSeconds, allkeys],
              '10m', 'warning',
              who + ' reaches maxmemory in {{ $value | humanizeDuration }}',
              'At the growth of the last minutes used_memory reaches maxmemory within ' + std.toString(c.fullSoonSeconds / 60) + ' minutes. Find what writes (new keys without a TTL?); `redis_memory_exporter doctor` names the largest namespaces.'),
        alert('RedisMemoryFragmented', 'redismemoryfragmented',
              |||
                redis_mem_fragmentation_ratio > %g
                  and on (job, instance, addr) redis_mem_fragmentation_bytes > %d
              ||| % [c.fragmentationRatio, c.fragmentationMinBytes],
              '15m', 'warning',
              who + ' fragmentation ratio {{ $value | printf "%.2f" }}',
              'The process holds much more RAM than its data needs. CONFIG SET activedefrag yes where the build allows it (Debian\'s, linked to the system jemalloc, does not); MEMORY PURGE releases part of it now; for good, fail over to a freshly started replica.'),
        alert('RedisRssBelowUsedMemory', 'redisrssbelowusedmemory',
              '(redis_memory_used_bytes - redis_memory_used_rss_bytes) > %d' % c.fragmentationMinBytes,
              '10m', 'warning',
              who + ' has {{ $value | humanize1024 }}B of used memory outside RAM',
              'RSS is below used_memory: pages are swapped out (every access waits on the disk) or were never touched (harmless). Check VmSwap of redis-server; keep maxmemory below free RAM and set vm.swappiness=1.'),
        alert('RedisVolatilePolicyWithoutTTLKeys', 'redisvolatilepolicywithoutttlkeys',
              |||
                redis:keys_with_ttl:ratio < 0.01
                  and on (job, instance, addr) redis_instance_info{maxmemory_policy=~"volatile-.*"}
                  and on (job, instance, addr) redis_memory_max_bytes > 0
              |||,
              '15m', 'warning',
              who + ': a volatile-* policy, and almost no key has a TTL',
              'Only {{ $value | humanizePercentage }} of keys have a TTL: at maxmemory Redis will reject writes as if the policy were noeviction. Give keys a TTL (SET ... EX, EXPIRE), or if the data is a cache: CONFIG SET maxmemory-policy allkeys-lru.'),
        alert('RedisDown', 'redisdown',
              'redis_up == 0\n  unless on (job, instance, addr) (\n    ' + stuck('      ') + '\n  )\n',
              '1m', 'critical',
              who + ' does not answer the exporter',
              'The exporter\'s polls of {{ $labels.addr }} fail. redis_memory_exporter_poll_errors_total{addr="{{ $labels.addr }}"} gives the reason (connect, auth, noperm, tls, timeout, loading ...) and the landing page what Redis said. Check that redis-server runs and that the address and credentials are right.'),
        alert('RedisMemoryExporterStale', 'redismemoryexporterstale',
              stuck('  ') + '\n',
              '2m', 'critical',
              'redis_memory_exporter {{ $labels.instance }} has not polled {{ $labels.addr }} for {{ $value | humanizeDuration }}',
              'The exporter answers scrapes but neither a poll of {{ $labels.addr }} nor a failure has been recorded: its event loop is stuck, and every alert of its targets is blind. Restart it (systemctl restart redis-memory-exporter) and keep the log lines around the stall.'),
        alert('RedisMemoryExporterDown', 'redismemoryexporterdown',
              'up{job=~".*redis.*"} == 0',
              '2m', 'critical',
              'Prometheus cannot scrape the Redis exporter at {{ $labels.instance }}',
              'No Redis numbers arrive from this exporter, so none of its targets\' alerts can fire. Check the process (systemctl status redis-memory-exporter) and that --web.listen-address is reachable from Prometheus.'),
        alert('RedisMemoryExporterAbsent', 'redismemoryexporterabsent',
              'absent(redis_up)',
              '5m', 'warning',
              'No redis_up series at all',
              'No Redis exporter is being scraped, so none of the memory alerts can fire. Check the scrape config and the exporter.'),
        alert('RedisMemoryFindingCritical', 'redismemoryfindingcritical',
              'redis_memory_finding{severity="critical"} == 1',
              '5m', 'critical',
              who + ': {{ $labels.id }}',
              'The exporter\'s diagnosis reports {{ $labels.id }}. Its landing page and `redis_memory_exporter doctor` show the numbers behind it and the command that fixes it.'),
        alert('RedisMemoryEvictionCannotFree', 'redismemoryevictioncannotfree',
              'redis_memory_finding{id=~"client_query_buffers|client_output_buffers|cluster_links|replication_backlog|script_cache|memory_not_data", severity="warning"} == 1',
              '5m', 'warning',
              who + ': {{ $labels.id }} holds memory eviction cannot free',
              'Much of used memory is held by {{ $labels.id }}. Evicting keys or raising maxmemory would not free it: follow the finding\'s fix (landing page or `redis_memory_exporter doctor`). When it turns critical, RedisMemoryFindingCritical fires instead.'),
        alert('RedisKeyGrowingUnbounded', 'rediskeygrowingunbounded',
              'redis_memory_finding{id="key_growing_unbounded", severity="warning"} == 1',
              '5m', 'warning',
              who + ': a watched key only grows, near the limit',
              'A key of --keys.watch has been longer at every check for its growth window while memory nears maxmemory: a queue nobody consumes, or a stream written without MAXLEN.' + growingKey + ' The finding\'s fix (landing page) has the exact XTRIM, or says to start the consumers.'),
        alert('RedisForkMayExhaustHostMemory', 'redisforkmayexhausthostmemory',
              'redis_memory_finding{id="fork_memory", severity="warning"} == 1',
              '15m', 'warning',
              who + ': the limit plus a fork\'s copy exceeds the host\'s RAM',
              'A BGSAVE, AOF rewrite or full sync forks Redis; with maxmemory this close to the host\'s RAM the kernel can kill it during one. Lower maxmemory as the finding says, or take saves on a replica.'),
        alert('RedisNoMemoryLimit', 'redisnomemorylimit',
              'redis_memory_finding{id="no_memory_limit"} == 1',
              '15m', 'warning',
              who + ' has no maxmemory and fills its host',
              'Without maxmemory, Redis grows until the kernel\'s OOM killer ends it. Set the limit the finding suggests (it fits today\'s data, so nothing is evicted when it is set).'),
        alert('RedisLoadingDataset', 'redisloadingdataset',
              'redis_loading_dump_file == 1',
              '10m', 'warning',
              who + ' has been loading its dataset for 10 minutes',
              'It refuses commands until loading ends; redis_loading_progress_ratio and redis_loading_eta_seconds show how far it is. A dataset this slow to load makes every restart and failover long.'),
        alert('RedisClusterShardNearLimitAlone', 'redisclustershardnearlimitalone',
              'redis_cluster_finding{id="shard_near_limit_alone"} == 1',
              '5m', 'warning',
              'Redis Cluster {{ $labels.cluster }}: shard {{ $labels.shard }} is near its limit alone',
              'One shard holds far more than the others (hot slots or large keys): raising maxmemory everywhere only postpones it. Move slots off it with redis-cli --cluster reshard, or split the large key; the exporter\'s landing page has the command.'),
      ],
    },
  ],
}
