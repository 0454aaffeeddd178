/* SPDX-License-Identifier: Apache-2.0 */
/* The INFO fields the exporter reads: one row each, the only place a field is named.
 *
 *   X(ID, "info_key", "metric_name" or NULL, KIND, "HELP text")
 *
 * KIND is INFO_GAUGE, INFO_COUNTER, or INFO_USEC (a gauge INFO gives in microseconds and the
 * metric in seconds: the parser divides, so every reader sees seconds). A NULL metric name means the field is read for
 * derived values only. Metric names and units follow redis_exporter where it exports the
 * same quantity, so its dashboards and rules keep working. Adding a metric is one row. */
#ifndef RME_INFO_FIELDS_H
#define RME_INFO_FIELDS_H

#define INFO_NUMERIC_FIELDS(X) \
    X(USED_MEMORY, "used_memory", "redis_memory_used_bytes", INFO_GAUGE, \
      "Bytes allocated by Redis for data and overhead (INFO used_memory).") \
    X(USED_MEMORY_RSS, "used_memory_rss", "redis_memory_used_rss_bytes", INFO_GAUGE, \
      "Resident set size of the Redis process as the OS sees it (INFO used_memory_rss).") \
    X(USED_MEMORY_PEAK, "used_memory_peak", "redis_memory_used_peak_bytes", INFO_GAUGE, \
      "Highest used_memory since start or MEMORY PURGE (INFO used_memory_peak).") \
    X(USED_MEMORY_OVERHEAD, "used_memory_overhead", "redis_memory_used_overhead_bytes", INFO_GAUGE, \
      "Bytes used for internal structures rather than data (INFO used_memory_overhead).") \
    X(USED_MEMORY_STARTUP, "used_memory_startup", "redis_memory_used_startup_bytes", INFO_GAUGE, \
      "Bytes used by Redis at startup (INFO used_memory_startup).") \
    X(USED_MEMORY_DATASET, "used_memory_dataset", "redis_memory_used_dataset_bytes", INFO_GAUGE, \
      "Bytes used by the dataset: used_memory minus overhead (INFO used_memory_dataset).") \
    X(USED_MEMORY_LUA, "used_memory_lua", "redis_memory_used_lua_bytes", INFO_GAUGE, \
      "Bytes used by the Lua engine (INFO used_memory_lua).") \
    X(USED_MEMORY_SCRIPTS, "used_memory_scripts", "redis_memory_used_scripts_bytes", INFO_GAUGE, \
      "Bytes used by cached scripts (INFO used_memory_scripts).") \
    X(MAXMEMORY, "maxmemory", "redis_memory_max_bytes", INFO_GAUGE, \
      "The maxmemory limit in bytes; 0 means no limit (INFO maxmemory).") \
    X(MEM_FRAG_RATIO, "mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", INFO_GAUGE, \
      "RSS divided by used memory (INFO mem_fragmentation_ratio).") \
    X(MEM_FRAG_BYTES, "mem_fragmentation_bytes", "redis_mem_fragmentation_bytes", INFO_GAUGE, \
      "RSS minus used memory in bytes, may be negative (INFO mem_fragmentation_bytes).") \
    X(ALLOC_ALLOCATED, "allocator_allocated", "redis_allocator_allocated_bytes", INFO_GAUGE, \
      "Bytes allocated by the allocator (INFO allocator_allocated).") \
    X(ALLOC_ACTIVE, "allocator_active", "redis_allocator_active_bytes", INFO_GAUGE, \
      "Bytes in the allocator's active pages (INFO allocator_active).") \
    X(ALLOC_RESIDENT, "allocator_resident", "redis_allocator_resident_bytes", INFO_GAUGE, \
      "Bytes resident in the allocator (INFO allocator_resident).") \
    X(ALLOC_FRAG_RATIO, "allocator_frag_ratio", "redis_allocator_frag_ratio", INFO_GAUGE, \
      "Allocator fragmentation: active over allocated (INFO allocator_frag_ratio).") \
    X(ALLOC_FRAG_BYTES, "allocator_frag_bytes", "redis_allocator_frag_bytes", INFO_GAUGE, \
      "Allocator fragmentation in bytes (INFO allocator_frag_bytes).") \
    X(ALLOC_RSS_RATIO, "allocator_rss_ratio", "redis_allocator_rss_ratio", INFO_GAUGE, \
      "Resident over active allocator pages (INFO allocator_rss_ratio).") \
    X(ALLOC_RSS_BYTES, "allocator_rss_bytes", "redis_allocator_rss_bytes", INFO_GAUGE, \
      "Resident minus active allocator bytes (INFO allocator_rss_bytes).") \
    X(MEM_NOT_COUNTED, "mem_not_counted_for_evict", "redis_mem_not_counted_for_eviction_bytes", INFO_GAUGE, \
      "Bytes not counted against maxmemory (INFO mem_not_counted_for_evict).") \
    X(MEM_CLIENTS_NORMAL, "mem_clients_normal", "redis_mem_clients_normal", INFO_GAUGE, \
      "Bytes used by normal clients: their query and output buffers (INFO mem_clients_normal).") \
    X(MEM_CLIENTS_SLAVES, "mem_clients_slaves", "redis_mem_clients_slaves", INFO_GAUGE, \
      "Bytes used by replica clients: their output buffers (INFO mem_clients_slaves).") \
    X(CLIENT_MAX_OUTPUT_BUFFER, "client_recent_max_output_buffer", "redis_client_recent_max_output_buffer_bytes", \
      INFO_GAUGE, "The largest output buffer of a client in the last seconds (INFO client_recent_max_output_buffer).") \
    X(CLIENT_MAX_INPUT_BUFFER, "client_recent_max_input_buffer", "redis_client_recent_max_input_buffer_bytes", \
      INFO_GAUGE, "The largest query buffer of a client in the last seconds (INFO client_recent_max_input_buffer).") \
    X(PROCESS_ID, "process_id", NULL, INFO_GAUGE, "") \
    X(CLIENT_BIGGEST_INPUT_BUF, "client_biggest_input_buf", NULL, INFO_GAUGE, "") \
    X(CLIENT_LONGEST_OUTPUT_LIST, "client_longest_output_list", NULL, INFO_GAUGE, "") \
    X(RSS_OVERHEAD_BYTES, "rss_overhead_bytes", NULL, INFO_GAUGE, "") \
    X(USED_MEMORY_VM_TOTAL, "used_memory_vm_total", NULL, INFO_GAUGE, "") \
    X(MEM_REPL_BACKLOG, "mem_replication_backlog", "redis_mem_replication_backlog_bytes", INFO_GAUGE, \
      "Bytes used by the replication backlog (INFO mem_replication_backlog).") \
    X(ACTIVE_DEFRAG_RUNNING, "active_defrag_running", "redis_active_defrag_running", INFO_GAUGE, \
      "Whether active defragmentation is running now, CPU percent when it is (INFO active_defrag_running).") \
    X(LAZYFREE_PENDING, "lazyfree_pending_objects", "redis_lazyfree_pending_objects", INFO_GAUGE, \
      "Objects waiting to be freed in the background (INFO lazyfree_pending_objects).") \
    X(TOTAL_SYSTEM_MEMORY, "total_system_memory", "redis_total_system_memory_bytes", INFO_GAUGE, \
      "Memory of the host Redis runs on, not a container limit (INFO total_system_memory).") \
    X(CONNECTED_CLIENTS, "connected_clients", "redis_connected_clients", INFO_GAUGE, \
      "Client connections, replicas excluded (INFO connected_clients).") \
    X(BLOCKED_CLIENTS, "blocked_clients", "redis_blocked_clients", INFO_GAUGE, \
      "Clients waiting on a blocking call (INFO blocked_clients).") \
    X(UPTIME, "uptime_in_seconds", "redis_uptime_in_seconds", INFO_GAUGE, \
      "Seconds since the Redis server started (INFO uptime_in_seconds).") \
    X(EVICTED_KEYS, "evicted_keys", "redis_evicted_keys_total", INFO_COUNTER, \
      "Keys evicted because of the maxmemory limit (INFO evicted_keys).") \
    X(EXPIRED_KEYS, "expired_keys", "redis_expired_keys_total", INFO_COUNTER, \
      "Keys deleted because their TTL passed (INFO expired_keys).") \
    X(EVICTED_CLIENTS, "evicted_clients", "redis_evicted_clients_total", INFO_COUNTER, \
      "Clients evicted because of maxmemory-clients (INFO evicted_clients).") \
    X(KEYSPACE_HITS, "keyspace_hits", "redis_keyspace_hits_total", INFO_COUNTER, \
      "Successful key lookups (INFO keyspace_hits).") \
    X(KEYSPACE_MISSES, "keyspace_misses", "redis_keyspace_misses_total", INFO_COUNTER, \
      "Failed key lookups (INFO keyspace_misses).") \
    X(REJECTED_CONNECTIONS, "rejected_connections", "redis_rejected_connections_total", INFO_COUNTER, \
      "Connections rejected because of maxclients (INFO rejected_connections).") \
    X(COMMANDS_PROCESSED, "total_commands_processed", "redis_commands_processed_total", INFO_COUNTER, \
      "Commands processed by the server (INFO total_commands_processed).") \
    X(CONNECTIONS_RECEIVED, "total_connections_received", "redis_connections_received_total", INFO_COUNTER, \
      "Connections accepted by the server (INFO total_connections_received).") \
    X(NET_INPUT_BYTES, "total_net_input_bytes", "redis_net_input_bytes_total", INFO_COUNTER, \
      "Bytes read from the network by the server (INFO total_net_input_bytes).") \
    X(NET_OUTPUT_BYTES, "total_net_output_bytes", "redis_net_output_bytes_total", INFO_COUNTER, \
      "Bytes written to the network by the server (INFO total_net_output_bytes).") \
    X(DEFRAG_HITS, "active_defrag_hits", "redis_defrag_hits", INFO_GAUGE, \
      "Values moved by active defrag (INFO active_defrag_hits).") \
    X(DEFRAG_MISSES, "active_defrag_misses", "redis_defrag_misses", INFO_GAUGE, \
      "Values active defrag looked at and left (INFO active_defrag_misses).") \
    X(DEFRAG_KEY_HITS, "active_defrag_key_hits", "redis_defrag_key_hits", INFO_GAUGE, \
      "Keys active defrag moved (INFO active_defrag_key_hits).") \
    X(DEFRAG_KEY_MISSES, "active_defrag_key_misses", "redis_defrag_key_misses", INFO_GAUGE, \
      "Keys active defrag looked at and left (INFO active_defrag_key_misses).") \
    X(RDB_BGSAVE_IN_PROGRESS, "rdb_bgsave_in_progress", "redis_rdb_bgsave_in_progress", INFO_GAUGE, \
      "1 while a background save (a fork) runs (INFO rdb_bgsave_in_progress).") \
    X(RDB_CHANGES, "rdb_changes_since_last_save", "redis_rdb_changes_since_last_save", INFO_GAUGE, \
      "Writes since the last save (INFO rdb_changes_since_last_save).") \
    X(RDB_LAST_SAVE, "rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds", INFO_GAUGE, \
      "Unix time of the last successful save (INFO rdb_last_save_time).") \
    X(RDB_LAST_COW, "rdb_last_cow_size", "redis_rdb_last_cow_size_bytes", INFO_GAUGE, \
      "Copy-on-write bytes of the last background save's fork (INFO rdb_last_cow_size).") \
    X(AOF_LAST_COW, "aof_last_cow_size", "redis_aof_last_cow_size_bytes", INFO_GAUGE, \
      "Copy-on-write bytes of the last AOF rewrite's fork (INFO aof_last_cow_size).") \
    X(MEM_AOF_BUFFER, "mem_aof_buffer", "redis_mem_aof_buffer_bytes", INFO_GAUGE, \
      "Bytes of the AOF buffer and AOF rewrite buffer (INFO mem_aof_buffer).") \
    X(MEM_TOTAL_REPL_BUFFERS, "mem_total_replication_buffers", "redis_mem_total_replication_buffers_bytes", \
      INFO_GAUGE, "Bytes of the replication buffer shared by the backlog and the replicas (7.0+).") \
    X(MEM_CLUSTER_LINKS, "mem_cluster_links", "redis_mem_cluster_links_bytes", INFO_GAUGE, \
      "Bytes used by Cluster bus links (INFO mem_cluster_links, 7.0+).") \
    X(USED_MEMORY_VM_EVAL, "used_memory_vm_eval", "redis_memory_used_vm_eval_bytes", INFO_GAUGE, \
      "Bytes of the Lua engine for EVAL scripts, outside used_memory (INFO used_memory_vm_eval, 7.0+).") \
    X(USED_MEMORY_SCRIPTS_EVAL, "used_memory_scripts_eval", "redis_memory_used_scripts_eval_bytes", INFO_GAUGE, \
      "Bytes of the EVAL script cache, counted in used_memory (INFO used_memory_scripts_eval, 7.0+).") \
    X(USED_MEMORY_VM_FUNCTIONS, "used_memory_vm_functions", "redis_memory_used_vm_functions_bytes", INFO_GAUGE, \
      "Bytes of the Lua engine for functions (INFO used_memory_vm_functions, 7.0+).") \
    X(USED_MEMORY_FUNCTIONS, "used_memory_functions", "redis_memory_used_functions_bytes", INFO_GAUGE, \
      "Bytes of loaded function libraries (INFO used_memory_functions, 7.0+).") \
    X(CACHED_SCRIPTS, "number_of_cached_scripts", "redis_number_of_cached_scripts", INFO_GAUGE, \
      "EVAL scripts in the script cache (INFO number_of_cached_scripts, 7.0+).") \
    X(CONNECTED_SLAVES, "connected_slaves", "redis_connected_slaves", INFO_GAUGE, \
      "Replicas connected to this server (INFO connected_slaves).") \
    X(REPL_BACKLOG_SIZE, "repl_backlog_size", "redis_replication_backlog_bytes", INFO_GAUGE, \
      "The configured replication backlog size (INFO repl_backlog_size).") \
    X(TOTAL_ERROR_REPLIES, "total_error_replies", "redis_total_error_replies", INFO_GAUGE, \
      "Error replies sent to clients since start, OOM rejections among them (INFO total_error_replies, 6.2+). " \
      "A gauge: redis_exporter's name, and a counter must end in _total.") \
    X(LATEST_FORK, "latest_fork_usec", "redis_latest_fork_seconds", INFO_USEC, \
      "How long the latest fork (BGSAVE, AOF rewrite, full sync) blocked Redis, in seconds (INFO latest_fork_usec).") \
    X(RDB_LAST_BGSAVE_TIME, "rdb_last_bgsave_time_sec", "redis_rdb_last_bgsave_duration_seconds", INFO_GAUGE, \
      "Seconds the last background save took; -1 before the first (INFO rdb_last_bgsave_time_sec).") \
    X(RDB_CURRENT_BGSAVE_TIME, "rdb_current_bgsave_time_sec", "redis_rdb_current_bgsave_duration_seconds", INFO_GAUGE, \
      "Seconds the running background save has taken; -1 when none runs (INFO rdb_current_bgsave_time_sec).") \
    X(CURRENT_COW, "current_cow_size", "redis_current_cow_size_bytes", INFO_GAUGE, \
      "Copy-on-write bytes of the fork running now (INFO current_cow_size, 6.2+).") \
    X(AOF_ENABLED, "aof_enabled", "redis_aof_enabled", INFO_GAUGE, \
      "1 when the append-only file is on (INFO aof_enabled).") \
    X(AOF_REWRITE_IN_PROGRESS, "aof_rewrite_in_progress", "redis_aof_rewrite_in_progress", INFO_GAUGE, \
      "1 while an AOF rewrite (a fork) runs (INFO aof_rewrite_in_progress).") \
    X(LOADING, "loading", NULL, INFO_GAUGE, "") \
    X(ASYNC_LOADING, "async_loading", "redis_async_loading", INFO_GAUGE, \
      "1 while a replica loads a new dataset and serves the old one meanwhile (INFO async_loading, 7.0+).") \
    X(LOADING_PERC, "loading_loaded_perc", NULL, INFO_GAUGE, "") \
    X(LOADING_ETA, "loading_eta_seconds", NULL, INFO_GAUGE, "") \
    X(LOADING_LOADED_BYTES, "loading_loaded_bytes", NULL, INFO_GAUGE, "") \
    X(LOADING_TOTAL_BYTES, "loading_total_bytes", NULL, INFO_GAUGE, "") \
    X(MAXMEMORY_CLIENTS, "maxmemory_clients", NULL, INFO_GAUGE, "")

/* Text fields: X(ID, "info_key", "label name on redis_instance_info" or NULL) */
#define INFO_TEXT_FIELDS(X) \
    X(REDIS_VERSION, "redis_version", "redis_version") \
    X(VALKEY_VERSION, "valkey_version", "valkey_version") \
    X(REDIS_MODE, "redis_mode", "redis_mode") \
    X(ROLE, "role", "role") \
    X(OS, "os", "os") \
    X(MAXMEMORY_POLICY, "maxmemory_policy", "maxmemory_policy") \
    X(MEM_ALLOCATOR, "mem_allocator", "mem_allocator") \
    X(SERVER_MODE, "server_mode", NULL) \
    X(RUN_ID, "run_id", NULL)

#endif
