// What the alerts and the dashboard share.
{
  // used / maxmemory for a warning and for critical: the exporter's own defaults
  // (--diagnose.memory-warning, --diagnose.memory-critical).
  memoryWarning: 0.80,
  memoryCritical: 0.95,
  // every dashboard query narrows to the chosen Prometheus targets and Redis addresses
  dashboardSelector: 'instance=~"$instance", addr=~"$addr"',
}
