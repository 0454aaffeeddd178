// SPDX-License-Identifier: Apache-2.0
// What the alerts and the dashboard share: change a threshold here (or in your own
// _config+::) and the expressions, the alert texts and the dashboard follow.
{
  // used / maxmemory for a warning and for critical: the exporter's own defaults
  // (--diagnose.memory-warning, --diagnose.memory-critical).
  memoryWarning: 0.80,
  memoryCritical: 0.95,
  // fragmentation that matters: the ratio and the wasted bytes, as
  // --diagnose.fragmentation-ratio and --diagnose.fragmentation-min-bytes
  fragmentationRatio: 1.5,
  fragmentationMinBytes: 100 * 1024 * 1024,
  // time to full that is a warning, in seconds
  fullSoonSeconds: 3600,
  // a target whose last good poll is older than this while the exporter records no
  // failure: the exporter is stuck, not Redis
  staleSeconds: 60,
  // where docs/runbooks.md is served; every alert links to its own section. The default is
  // where the Debian package installs it: point it at your copy (a wiki, the repository).
  runbookBase: 'file:///usr/share/doc/redis-memory-exporter/runbooks.md',
  // every dashboard query narrows to the chosen Prometheus targets and Redis addresses
  dashboardSelector: 'instance=~"$instance", addr=~"$addr"',
}
