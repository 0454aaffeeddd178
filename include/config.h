/* SPDX-License-Identifier: Apache-2.0 */
/* config: command line and environment -> an immutable configuration.
 *
 * Flags are rows of a table (src/config.c) that say where each value goes, its kind,
 * bounds and default: adding a numeric flag is one row. Every error
 * names the flag it is about and never echoes a secret. The configuration is built once
 * in main() before any thread starts and is only read afterwards. */
#ifndef RME_CONFIG_H
#define RME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "diagnose.h"
#include "log.h"

typedef enum config_mode { CONFIG_MODE_SERVE, CONFIG_MODE_DOCTOR } config_mode;

typedef struct config {
    config_mode mode;
    config_target *targets; /* owned: --redis.addr */
    size_t n_targets;
    char targets_file[CONFIG_PATH_MAX];      /* --targets.file (targets.h); "" = none */
    unsigned shard_index, shard_count;       /* --targets.shard=I/N; count 1 = everything */
    char user[128];                          /* --redis.user / REDIS_USER */
    char *password;                          /* owned, wiped by config_free; NULL = no AUTH */
    char password_file[CONFIG_PATH_MAX];     /* --redis.password-file, re-read on reload; "" = none */
    char password_map_file[CONFIG_PATH_MAX]; /* --redis.password-map-file (credmap.h); "" = none */
    config_tls tls;
    double poll_interval;       /* seconds */
    double poll_timeout;        /* seconds */
    double max_backoff;         /* seconds */
    double forecast_window;     /* seconds of used_memory the time-to-full line is fit to */
    unsigned long max_connects; /* connects in flight at once over all targets; 0: no cap */
    unsigned long max_reply_bytes;
    char listen_host[256]; /* empty = all interfaces */
    int listen_port;
    char telemetry_path[256];
    unsigned long max_connections;
    unsigned long max_connections_per_client;
    char web_config_file[CONFIG_PATH_MAX]; /* --web.config.file; "" = plain HTTP, no authentication */
    int log_level;                         /* a log_level */
    int log_format;                        /* a log_format */
    int json_output;                       /* doctor --output: 0 text, 1 json */
    int commandstats_mode;                 /* --collect.commandstats: 0 auto, 1 true, 2 false */
    bool collect_commandstats;             /* ... resolved: auto is on for one --redis.addr alone */
    diagnose_thresholds thresholds;
    double sampler_keys_per_second; /* 0 = key sampler off */
    unsigned long sampler_top_n;
    unsigned long sampler_memory_samples;
    bool sampler_hash_keys;
    struct watch_item *watch_items; /* --keys.watch (owned; freed by config_free) */
    size_t n_watch_items;
    unsigned long watch_max; /* --keys.watch-max */
    double watch_interval;   /* seconds */
    double watch_keys_per_second;
    double watch_growth_window;     /* seconds */
    bool labels_role;               /* --labels.role: role="master"|"slave" on every target series */
    char sampler_ns_separator;      /* key namespaces end at this byte; 0: no namespaces */
    unsigned char hash_secret[256]; /* HMAC key for hashed key names: from the file, else random */
    size_t hash_secret_len;
    unsigned long doctor_max_keys;
    char doctor_from_file[CONFIG_PATH_MAX]; /* doctor: diagnose a saved INFO instead of a server */
    bool show_help, show_version;
} config;

/* Parses argv and the environment into c (which it initialises). On error writes one
 * line naming the flag into err and returns -1; c is then freed already. */
int config_parse(config *c, int argc, char **argv, char *err, size_t errlen);
/* Frees what c owns and wipes the password. */
void config_free(config *c);
/* Prints the flag table as --help text. */
void config_usage(FILE *out);

/* Reads the first line of a password file. Returns it (owned: wipe and free it), or NULL
 * with the reason in err (never the file's content). */
char *config_read_password_file(const char *path, char *err, size_t errlen);
/* Parses one target address (exposed for tests). Returns 0, or -1 with a reason in err. */
int config_parse_target(const char *s, config_target *t, char *err, size_t errlen);
/* Parses "1048576", "512kb", "100mb", "2gb" (1024-based, any case); -1 when malformed. */
int config_parse_bytes(const char *s, double *bytes);
/* Parses "1s", "250ms", "2m", "1h" or plain seconds; returns -1 when malformed. */
int config_parse_duration(const char *s, double *seconds);

#endif
