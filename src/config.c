/* SPDX-License-Identifier: Apache-2.0 */
/* config: flags and environment. See include/config.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "credmap.h"
#include "fmt.h"
#include "safefile.h"
#include "sampler.h"
#include "watch.h"
#include "webcfg.h"
#include "xalloc.h"

typedef int (*flag_parser)(config *c, const char *value, char *err, size_t errlen);

/* What a flag's value is, and so how it is parsed and where it is stored. */
typedef enum flag_kind {
    F_DURATION, /* double seconds: "1s", "250ms", "2m" */
    F_NUMBER,   /* double */
    F_BYTES,    /* double bytes: "1048576", "512kb", "100mb" */
    F_COUNT,    /* unsigned long */
    F_ENUM,     /* int: the index of the value in names */
    F_SWITCH,   /* bool, set by the flag's presence (env: true/false, 1/0, yes/no) */
    F_PATH,     /* char[CONFIG_PATH_MAX]: a regular file that must be readable now */
    F_NAME,     /* char[CONFIG_PATH_MAX]: a file read later, whose errors the reader reports */
    F_CUSTOM,   /* parse() decides (addresses, files) */
} flag_kind;

typedef struct flag {
    const char *name; /* without the leading "--" */
    const char *env;  /* environment variable, or NULL */
    const char *arg;  /* metavariable for --help; NULL for a switch */
    flag_kind kind;
    size_t offset;            /* where the value goes in config (not F_CUSTOM) */
    double min, max;          /* bounds (F_DURATION, F_NUMBER, F_BYTES, F_COUNT) */
    double def;               /* default (typed kinds; F_ENUM: an index) */
    const char *const *names; /* F_ENUM: the accepted values, NULL-terminated */
    const char *custom_def;   /* F_CUSTOM: default, parsed like a value; NULL = none */
    flag_parser parse;        /* F_CUSTOM */
    bool doctor_only;         /* the daemon refuses it rather than ignore it */
    const char *help;
} flag;

int config_parse_duration(const char *s, double *seconds)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0) return -1;
    double unit;
    /* A bare number has no unit: "500" meant as milliseconds would be 500 s. Prometheus
     * and Go durations need one too; only 0 is the same in every unit. */
    if (*end == '\0' && v != 0) return -1;
    if (*end == '\0' || strcmp(end, "s") == 0) unit = 1;
    else if (strcmp(end, "ms") == 0) unit = 0.001;
    else if (strcmp(end, "m") == 0) unit = 60;
    else if (strcmp(end, "h") == 0) unit = 3600;
    else return -1;
    *seconds = v * unit;
    return 0;
}

int config_parse_bytes(const char *s, double *bytes)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0 || s[0] == '-') return -1;
    double unit;
    if (*end == '\0' || strcasecmp(end, "b") == 0) unit = 1;
    else if (strcasecmp(end, "kb") == 0 || strcasecmp(end, "kib") == 0 || strcasecmp(end, "k") == 0) unit = 1024.0;
    else if (strcasecmp(end, "mb") == 0 || strcasecmp(end, "mib") == 0 || strcasecmp(end, "m") == 0) unit = 1048576.0;
    else if (strcasecmp(end, "gb") == 0 || strcasecmp(end, "gib") == 0 || strcasecmp(end, "g") == 0)
        unit = 1073741824.0;
    else return -1;
    *bytes = v * unit;
    return 0;
}

static int parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 65535) return -1;
    *port = (int)v;
    return 0;
}

static int copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port" into t->host / t->port (default 6379). */
static int parse_hostport(const char *s, size_t n, config_target *t, char *err, size_t errlen)
{
    const char *end = s + n;
    const char *host = s, *host_end, *colon = NULL;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb) return fmt_error(err, errlen, "unclosed '[' in address");
        host = s + 1;
        host_end = rb;
        if (rb + 1 < end) {
            if (rb[1] != ':') return fmt_error(err, errlen, "expected ':' after ']'");
            colon = rb + 1;
        }
    } else {
        colon = memchr(s, ':', n);
        host_end = colon ? colon : end;
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            return fmt_error(err, errlen, "an IPv6 address needs brackets: [addr]:port");
    }
    if (host_end == host) return fmt_error(err, errlen, "empty host");
    if (copy(t->host, sizeof t->host, host, (size_t)(host_end - host)))
        return fmt_error(err, errlen, "host name too long");
    t->port = 6379;
    if (colon) {
        char port[16];
        if (copy(port, sizeof port, colon + 1, (size_t)(end - colon - 1)) || parse_port(port, &t->port))
            return fmt_error(err, errlen, "port must be 1-65535");
    }
    return 0;
}

int config_parse_target(const char *s, config_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->db = -1;
    if (strncmp(s, "unix://", 7) == 0 || s[0] == '/') {
        const char *path = s[0] == '/' ? s : s + 7;
        if (path[0] != '/') return fmt_error(err, errlen, "unix socket path must be absolute (unix:///path)");
        t->kind = CONFIG_ADDR_UNIX;
        if (copy(t->path, sizeof t->path, path, strlen(path)))
            return fmt_error(err, errlen, "unix socket path too long");
        snprintf(t->label, sizeof t->label, "%s", t->path);
        return 0;
    }
    static const struct {
        const char *prefix;
        bool tls;
    } schemes[] = {{"redis://", false}, {"valkey://", false}, {"rediss://", true}, {"valkeys://", true}};
    const char *rest = s;
    bool url = false;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !url; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncmp(s, schemes[i].prefix, n) == 0) {
            rest = s + n;
            url = true;
            t->tls = schemes[i].tls;
        }
    }
    if (!url && strstr(s, "://"))
        return fmt_error(err, errlen, "unknown scheme (use redis://, rediss://, unix:// or host:port)");

    const char *slash = strchr(rest, '/');
    size_t authority_len = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *at = memchr(rest, '@', authority_len);
    if (at) {
        if (!url) return fmt_error(err, errlen, "user@ is only accepted in redis:// URLs");
        /* Never echo what is before '@': it might be a password. */
        if (memchr(rest, ':', (size_t)(at - rest)))
            return fmt_error(err, errlen,
                             "passwords in the URL are not accepted; use REDIS_PASSWORD, --redis.password-file or "
                             "--redis.password-map-file");
        if (copy(t->user, sizeof t->user, rest, (size_t)(at - rest)))
            return fmt_error(err, errlen, "user name too long");
        authority_len -= (size_t)(at + 1 - rest);
        rest = at + 1;
    }
    if (parse_hostport(rest, authority_len, t, err, errlen)) return -1;
    if (slash) {
        if (!url) return fmt_error(err, errlen, "a /db suffix is only accepted in redis:// URLs");
        if (slash[1] != '\0') {
            char *end;
            long db = strtol(slash + 1, &end, 10);
            if (*end || db < 0 || db > INT_MAX) return fmt_error(err, errlen, "database must be a number");
            t->db = (int)db;
        }
    }
    bool v6 = strchr(t->host, ':') != NULL;
    int n = snprintf(t->label, sizeof t->label, v6 ? "[%s]:%d" : "%s:%d", t->host, t->port);
    if (t->db >= 0) snprintf(t->label + n, sizeof t->label - (size_t)n, "/%d", t->db);
    return 0;
}

/* Parsers, one per kind of value. Each names no flag: the caller prefixes the flag name. */
static int p_addr(config *c, const char *v, char *err, size_t errlen)
{
    config_target t;
    char why[160];
    if (config_parse_target(v, &t, why, sizeof why)) return fmt_error(err, errlen, "%s", why);
    for (size_t i = 0; i < c->n_targets; i++)
        if (strcmp(c->targets[i].label, t.label) == 0) return fmt_error(err, errlen, "%s is listed twice", t.label);
    c->targets = xrealloc(c->targets, (c->n_targets + 1) * sizeof *c->targets);
    c->targets[c->n_targets++] = t;
    return 0;
}

static int p_ns_separator(config *c, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "none") == 0) c->sampler_ns_separator = 0;
    else if (strlen(v) == 1 && v[0] > 0x20 && v[0] < 0x7f) c->sampler_ns_separator = v[0];
    else return fmt_error(err, errlen, "expected one printable character (: / . _ -) or none");
    return 0;
}

static int p_watch(config *c, const char *v, char *err, size_t errlen)
{
    watch_items_free(c->watch_items, c->n_watch_items);
    c->watch_items = NULL;
    c->n_watch_items = 0;
    char why[160];
    if (!watch_parse(v, WATCH_MAX_KEYS, &c->watch_items, &c->n_watch_items, why, sizeof why))
        return fmt_error(err, errlen, "%s (the format is db0=queue:jobs,db1=stream:events)", why);
    return 0;
}

static int p_server_name(config *c, const char *v, char *err, size_t errlen)
{
    if (copy(c->tls.server_name, sizeof c->tls.server_name, v, strlen(v)))
        return fmt_error(err, errlen, "name too long");
    return 0;
}

static int p_shard(config *c, const char *v, char *err, size_t errlen)
{
    unsigned long i, n;
    char *end, *slash = strchr(v, '/');
    if (!slash || v[0] == '-' || slash[1] == '-') return fmt_error(err, errlen, "expected I/N, e.g. 0/3");
    errno = 0;
    i = strtoul(v, &end, 10);
    if (end != slash || errno) return fmt_error(err, errlen, "expected I/N, e.g. 0/3");
    n = strtoul(slash + 1, &end, 10);
    if (*end || errno || n < 1 || n > 10000 || i >= n)
        return fmt_error(err, errlen, "expected I/N with 0 <= I < N <= 10000");
    c->shard_index = (unsigned)i;
    c->shard_count = (unsigned)n;
    return 0;
}

static int p_user(config *c, const char *v, char *err, size_t errlen)
{
    if (copy(c->user, sizeof c->user, v, strlen(v))) return fmt_error(err, errlen, "user name too long");
    return 0;
}

static void set_password(config *c, const char *pw, size_t n)
{
    if (c->password) {
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
    }
    c->password = NULL;
    if (n == 0) return;
    c->password = xcalloc(1, n + 1);
    memcpy(c->password, pw, n);
}

char *config_read_password_file(const char *path, char *err, size_t errlen)
{
    size_t n = 0;
    /* a password line and a little more; a FIFO or a device is refused, never waited on */
    char *text = safefile_read(path, 4096, &n, NULL, err, errlen);
    if (!text) return NULL;
    size_t line = 0; /* the first line's length, NUL bytes counted (strcspn would stop there) */
    while (line < n && text[line] != '\r' && text[line] != '\n') line++;
    char *pw = NULL;
    /* An empty file means no password (no AUTH): what systemd's SetCredential= fallback and
     * an optional Kubernetes secret give for a Redis without one. */
    credmap probe;
    char why[200];
    bool is_map = n > 0 && text[strspn(text, " \t\r\n")] == '{' && credmap_parse(text, n, &probe, why, sizeof why) == 0;
    if (is_map) credmap_free(&probe);
    /* redis_exporter's --redis.password-file takes this map: sent as a password it would
     * only ever be refused (and its first line is a brace). */
    if (is_map)
        fmt_error(err, errlen,
                  "%s holds a JSON map of passwords (redis_exporter's format): give it with "
                  "--redis.password-map-file",
                  path);
    else if (memchr(text, '\0', line)) fmt_error(err, errlen, "%s: a NUL byte in the password", path);
    else if (line > 1023) fmt_error(err, errlen, "%s: password longer than 1023 bytes", path);
    else {
        text[line] = '\0';
        pw = xstrdup(text);
    }
    explicit_bzero(text, n);
    free(text);
    return pw;
}

static int p_password_file(config *c, const char *v, char *err, size_t errlen)
{
    char *pw = config_read_password_file(v, err, errlen);
    if (!pw) return -1;
    if (strlen(v) >= sizeof c->password_file) {
        explicit_bzero(pw, strlen(pw));
        free(pw);
        return fmt_error(err, errlen, "path too long");
    }
    set_password(c, pw, strlen(pw));
    explicit_bzero(pw, strlen(pw));
    free(pw);
    snprintf(c->password_file, sizeof c->password_file, "%s", v);
    return 0;
}

/* The HMAC key for --sampler.hash-keys: the file's bytes (16 to 256), as they are. */
static int p_hash_secret(config *c, const char *v, char *err, size_t errlen)
{
    size_t n = 0;
    char *text = safefile_read(v, sizeof c->hash_secret, &n, NULL, err, errlen);
    if (!text)
        return strstr(err, "larger than")
            ? fmt_error(err, errlen, "%s must hold 16 to %zu bytes", v, sizeof c->hash_secret)
            : -1;
    if (n < 16) {
        explicit_bzero(text, n);
        free(text);
        return fmt_error(err, errlen, "%s must hold 16 to %zu bytes", v, sizeof c->hash_secret);
    }
    memcpy(c->hash_secret, text, n);
    c->hash_secret_len = n;
    explicit_bzero(text, n);
    free(text);
    return 0;
}

/* Checked at once (and read again when the server starts), so a mistake is a flag error. */
static int p_web_config(config *c, const char *v, char *err, size_t errlen)
{
    if (strlen(v) >= sizeof c->web_config_file) return fmt_error(err, errlen, "path too long");
    webcfg w;
    char why[500];
    if (webcfg_load(v, &w, why, sizeof why) != 0) return fmt_error(err, errlen, "%s", why);
    webcfg_free(&w);
    snprintf(c->web_config_file, sizeof c->web_config_file, "%s", v);
    return 0;
}

static int p_listen(config *c, const char *v, char *err, size_t errlen)
{
    config_target t;
    char why[160];
    if (v[0] == ':') { /* ":port" = every interface */
        c->listen_host[0] = '\0';
        if (parse_port(v + 1, &c->listen_port)) return fmt_error(err, errlen, "port must be 1-65535");
        return 0;
    }
    if (!strrchr(v, ':')) return fmt_error(err, errlen, "expected host:port or :port");
    if (parse_hostport(v, strlen(v), &t, why, sizeof why)) return fmt_error(err, errlen, "%s", why);
    snprintf(c->listen_host, sizeof c->listen_host, "%s", t.host);
    c->listen_port = t.port;
    return 0;
}

static int p_path(config *c, const char *v, char *err, size_t errlen)
{
    if (v[0] != '/' || strlen(v) >= sizeof c->telemetry_path || strcmp(v, "/") == 0 || strcmp(v, "/healthz") == 0)
        return fmt_error(err, errlen, "must start with '/' and not be / or /healthz");
    snprintf(c->telemetry_path, sizeof c->telemetry_path, "%s", v);
    return 0;
}

static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};
static const char *const format_names[] = {"logfmt", "json", NULL};
static const char *const output_names[] = {"text", "json", NULL};
static const char *const tls_version_names[] = {"1.2", "1.3", NULL};
static const char *const auto_names[] = {"auto", "true", "false", NULL};

#define AT(field) offsetof(config, field)
#define TH(field) offsetof(config, thresholds.field)
#define DAY 86400.0
#define PIB 1125899906842624.0

static const flag flags[] = {
    {"redis.addr", "REDIS_ADDR", "ADDR", F_CUSTOM, .custom_def = "redis://localhost:6379", .parse = p_addr,
     .help = "Redis to watch: host:port, redis://[user@]host:port[/db], rediss://... (TLS) or unix:///path. "
             "Repeat for several."},
    {"targets.file", "REDIS_EXPORTER_TARGETS_FILE", "FILE", F_PATH, AT(targets_file),
     .help = "YAML list of targets with labels, credentials, TLS and Cluster or Sentinel discovery; re-read on "
             "SIGHUP and when it changes."},
    {"targets.shard", NULL, "I/N", F_CUSTOM, .custom_def = "0/1", .parse = p_shard,
     .help = "Watch only this replica's share of the targets (rendezvous hashing on the address)."},
    {"redis.user", "REDIS_USER", "NAME", F_CUSTOM, .parse = p_user, .help = "ACL user name for AUTH (Redis 6+)."},
    {"redis.password-file", "REDIS_PASSWORD_FILE", "FILE", F_CUSTOM, .parse = p_password_file,
     .help = "File whose first line is the Redis password. REDIS_PASSWORD works too; there is no password flag."},
    {"redis.password-map-file", "REDIS_PASSWORD_MAP_FILE", "FILE", F_PATH, AT(password_map_file),
     .help = "JSON map of target URL to password, as redis_exporter's --redis.password-file: "
             "{\"redis://user@host:port\": \"password\"}. Wins over the one password; re-read on SIGHUP and after an "
             "AUTH failure."},
    {"tls.ca-file", "REDIS_EXPORTER_TLS_CA_CERT_FILE", "FILE", F_PATH, AT(tls.ca_file),
     .help = "CA certificates (PEM) that sign the servers' certificates, for rediss://; default: the system store."},
    {"tls.cert-file", "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE", "FILE", F_PATH, AT(tls.cert_file),
     .help = "Client certificate (PEM) for mutual TLS; re-read when it changes."},
    {"tls.key-file", "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE", "FILE", F_PATH, AT(tls.key_file),
     .help = "The client certificate's private key (PEM); re-read when it changes."},
    {"tls.server-name", "REDIS_EXPORTER_TLS_SERVER_NAME", "NAME", F_CUSTOM, .parse = p_server_name,
     .help = "Name sent as SNI and checked against the certificate; default: the target's host."},
    {"tls.min-version", NULL, "VERSION", F_ENUM, AT(tls.min_version), .def = 0, .names = tls_version_names,
     .help = "Oldest TLS version accepted: 1.2 or 1.3."},
    {"tls.insecure-skip-verify", "REDIS_EXPORTER_SKIP_TLS_VERIFICATION", NULL, F_SWITCH, AT(tls.insecure_skip_verify),
     .help = "Do not verify the server's certificate (logged as a warning; for tests only)."},
    {"poll.interval", NULL, "DURATION", F_DURATION, AT(poll_interval), 0.01, DAY, 1,
     .help = "How often each Redis is polled (INFO)."},
    {"poll.timeout", NULL, "DURATION", F_DURATION, AT(poll_timeout), 0.01, DAY, 1,
     .help = "Deadline of one poll: connect, AUTH and INFO."},
    {"poll.max-concurrent-connects", NULL, "N", F_COUNT, AT(max_connects), 0, 1000000, 64,
     .help = "Connects in flight at once over all targets (TCP and the TLS handshake), so that a fleet restart "
             "does not stampede; others wait for a later tick. 0: no cap."},
    {"poll.max-backoff", NULL, "DURATION", F_DURATION, AT(max_backoff), 0.01, DAY, 10,
     .help = "Longest wait between reconnect attempts."},
    {"poll.max-reply-bytes", NULL, "BYTES", F_COUNT, AT(max_reply_bytes), 1024, 1073741824.0, 1048576,
     .help = "Largest INFO reply accepted; a larger one fails the poll (too_large)."},
    {"web.listen-address", "REDIS_EXPORTER_WEB_LISTEN_ADDRESS", "HOST:PORT", F_CUSTOM, .custom_def = "127.0.0.1:39121",
     .parse = p_listen, .help = "Where /metrics is served. Use :39121 for every interface."},
    {"web.telemetry-path", "REDIS_EXPORTER_WEB_TELEMETRY_PATH", "PATH", F_CUSTOM, .custom_def = "/metrics",
     .parse = p_path, .help = "Path of the metrics page."},
    {"web.config.file", NULL, "FILE", F_CUSTOM, .parse = p_web_config,
     .help = "TLS, basic auth and headers for the HTTP server (exporter-toolkit format); re-read on SIGHUP and "
             "when it or its files change."},
    {"web.max-connections", NULL, "N", F_COUNT, AT(max_connections), 8, 100000, 512,
     .help = "Concurrent HTTP connections accepted; a tenth stays free for new clients."},
    {"web.max-connections-per-client", NULL, "N", F_COUNT, AT(max_connections_per_client), 1, 100000, 128,
     .help = "Concurrent HTTP connections accepted from one IP address."},
    {"log.level", NULL, "LEVEL", F_ENUM, AT(log_level), .def = LOG_INFO, .names = level_names,
     .help = "debug, info, warn or error."},
    {"log.format", NULL, "FORMAT", F_ENUM, AT(log_format), .def = LOG_LOGFMT, .names = format_names,
     .help = "logfmt or json."},
    {"diagnose.memory-warning", NULL, "RATIO", F_NUMBER, TH(memory_warning), 0.01, 10, DIAGNOSE_DEFAULT_MEMORY_WARNING,
     .help = "used/maxmemory from which memory_near_limit is a warning."},
    {"diagnose.memory-critical", NULL, "RATIO", F_NUMBER, TH(memory_critical), 0.01, 10,
     DIAGNOSE_DEFAULT_MEMORY_CRITICAL, .help = "used/maxmemory from which memory_near_limit is critical."},
    {"diagnose.fragmentation-ratio", NULL, "RATIO", F_NUMBER, TH(fragmentation_ratio), 1, 100,
     DIAGNOSE_DEFAULT_FRAGMENTATION_RATIO, .help = "mem_fragmentation_ratio from which fragmentation_high fires..."},
    {"diagnose.fragmentation-min-bytes", NULL, "BYTES", F_BYTES, TH(fragmentation_min_bytes), 0, PIB,
     DIAGNOSE_DEFAULT_FRAGMENTATION_MIN_BYTES,
     .help = "...if at least this much is wasted (also the swapped amount for rss_below_used)."},
    {"diagnose.ttl-keys-min-ratio", NULL, "RATIO", F_NUMBER, TH(ttl_min_ratio), 0, 1, DIAGNOSE_DEFAULT_TTL_MIN_RATIO,
     .help = "Under volatile-*, fewer keys with a TTL than this share count as none."},
    {"diagnose.no-limit-host-share", NULL, "RATIO", F_NUMBER, TH(no_limit_host_share), 0, 1,
     DIAGNOSE_DEFAULT_NO_LIMIT_HOST_SHARE,
     .help = "With no maxmemory, used memory above this share of the host's RAM is a no_memory_limit finding."},
    {"diagnose.forecast-window", NULL, "DURATION", F_DURATION, AT(forecast_window), 10, DAY, 300,
     .help = "The time-to-full forecast fits a line to used_memory over this long (at least 20 polls)."},
    {"diagnose.large-key-bytes", NULL, "BYTES", F_BYTES, TH(large_key_bytes), 1, PIB, DIAGNOSE_DEFAULT_LARGE_KEY_BYTES,
     .help = "A sampled key this large is a large_keys finding."},
    {"collect.commandstats", NULL, "WHEN", F_ENUM, AT(commandstats_mode), .def = 0, .names = auto_names,
     .help = "INFO commandstats as redis_exporter's redis_commands_*{cmd} families: auto, true or false. auto "
             "collects them for a single --redis.addr and not for a fleet (four series per command a server has "
             "run: about 0.4 KiB a target per command, 6 KiB for 15)."},
    {"sampler.keys-per-second", NULL, "N", F_NUMBER, AT(sampler_keys_per_second), 0, 100000, 0,
     .help = "Key sampler budget (SCAN + MEMORY USAGE + TYPE + PTTL, read-only); 0 turns it off."},
    {"keys.watch", NULL, "LIST", F_CUSTOM, .parse = p_watch,
     .help = "Keys to watch, redis_exporter's --check-single-keys format (db0=queue:jobs,db1=stream:events): "
             "redis_key_size (LLEN, XLEN, SCARD, ZCARD, HLEN or STRLEN by type) and redis_key_memory_usage_bytes."},
    {"keys.watch-max", NULL, "N", F_COUNT, AT(watch_max), 1, WATCH_MAX_KEYS, 1000,
     .help = "At most this many watched keys per target (more is refused: a bound on series and load)."},
    {"keys.watch-interval", NULL, "DURATION", F_DURATION, AT(watch_interval), 1, 3600, 5,
     .help = "Each watched key is asked at most this often."},
    {"keys.watch-keys-per-second", NULL, "N", F_NUMBER, AT(watch_keys_per_second), 1, 100000, 100,
     .help = "Budget: watched keys asked per second at most (two commands each), so many keys take longer rounds."},
    {"keys.watch-growth-window", NULL, "DURATION", F_DURATION, AT(watch_growth_window), 10, DAY, 600,
     .help = "A watched list or stream longer at every check for this long, near the limit, is key_growing_unbounded."},
    {"sampler.top-n", NULL, "N", F_COUNT, AT(sampler_top_n), 1, SAMPLER_MAX_TOP_KEYS, 10,
     .help = "How many of the largest sampled keys are exported (1-32)."},
    {"sampler.memory-samples", NULL, "N", F_COUNT, AT(sampler_memory_samples), 0, 1000, 5,
     .help = "MEMORY USAGE ... SAMPLES n for nested types (0 = every element: exact but slow on big keys)."},
    {"sampler.namespace-separator", NULL, "CHAR", F_CUSTOM, .custom_def = ":", .parse = p_ns_separator,
     .help = "Sampled keys are grouped by their name up to this character (session:* ...); \"none\" turns it off."},
    {"labels.role", NULL, NULL, F_SWITCH, AT(labels_role),
     .help = "Label every series of a target with its role from INFO (role=\"master\" or \"slave\"), right within "
             "one poll of a failover. Off by default: a failover then changes every series' identity."},
    {"sampler.hash-keys", NULL, NULL, F_SWITCH, AT(sampler_hash_keys),
     .help = "Show a keyed hash (HMAC-SHA256) of each key name instead of the name."},
    {"sampler.hash-keys-secret-file", NULL, "FILE", F_CUSTOM, .parse = p_hash_secret,
     .help = "The HMAC key (16-256 bytes) for --sampler.hash-keys; without it a random key per process."},
    {"output", NULL, "FORMAT", F_ENUM, AT(json_output), .def = 0, .names = output_names, .doctor_only = true,
     .help = "doctor only: text or json."},
    {"doctor.max-keys", NULL, "N", F_COUNT, AT(doctor_max_keys), 0, 100000000, 10000, .doctor_only = true,
     .help = "doctor only: keys sampled for large_keys (0 = a whole SCAN cycle)."},
    {"doctor.from-file", NULL, "FILE", F_NAME, AT(doctor_from_file), .doctor_only = true,
     .help = "doctor only: diagnose a saved INFO (optionally followed by CONFIG GET output) instead of a server."},
    {"help", NULL, NULL, F_SWITCH, AT(show_help), .help = "Show this help and exit."},
    {"version", NULL, NULL, F_SWITCH, AT(show_version), .help = "Show the version and exit."},
};
#define N_FLAGS (sizeof flags / sizeof flags[0])

/* The default as --help shows it, made from the typed value. */
static void describe_default(const flag *f, char *out, size_t cap)
{
    out[0] = '\0';
    switch (f->kind) {
    case F_DURATION:
        snprintf(out, cap, "%gs", f->def);
        break;
    case F_NUMBER:
        snprintf(out, cap, "%g", f->def);
        break;
    case F_COUNT:
        snprintf(out, cap, "%.0f", f->def);
        break;
    case F_BYTES:
        if (f->def >= 1048576 && fmod(f->def, 1048576) == 0) snprintf(out, cap, "%gmb", f->def / 1048576);
        else snprintf(out, cap, "%.0f", f->def);
        break;
    case F_ENUM:
        snprintf(out, cap, "%s", f->names[(int)f->def]);
        break;
    case F_CUSTOM:
        if (f->custom_def) snprintf(out, cap, "%s", f->custom_def);
        break;
    case F_SWITCH:
    case F_PATH:
    case F_NAME:
        break;
    }
}

void config_usage(FILE *out)
{
    fprintf(out,
            "Usage: redis_memory_exporter [FLAGS]\n"
            "       redis_memory_exporter doctor [FLAGS]   one-shot diagnosis of --redis.addr (or of a saved INFO: "
            "--doctor.from-file)\n\n"
            "Flags (--flag=value or --flag value):\n");
    for (size_t i = 0; i < N_FLAGS; i++) {
        char left[64], def[64];
        snprintf(left, sizeof left, "--%s%s%s", flags[i].name, flags[i].arg ? "=" : "",
                 flags[i].arg ? flags[i].arg : "");
        fprintf(out, "  %-34s %s", left, flags[i].help);
        describe_default(&flags[i], def, sizeof def);
        if (def[0]) fprintf(out, " [default: %s]", def);
        if (flags[i].env) fprintf(out, " [env: %s]", flags[i].env);
        fputc('\n', out);
    }
    fprintf(out, "\nEnvironment: REDIS_PASSWORD is the Redis password (never logged or shown).\n");
}

/* A whole number in [min, max]; no sign, no overflow. */
static int parse_count(const char *v, double min, double max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (*v == '-' || *v == '+') return -1;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || errno || (double)x < min || (double)x > max) return -1;
    *out = (unsigned long)x;
    return 0;
}

/* A finite number in [min, max]. */
static int parse_number(const char *v, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < min || x > max) return -1;
    *out = x;
    return 0;
}

/* Parses v as f says and stores it; the error names no flag (the caller does). */
static int parse_value(config *c, const flag *f, const char *v, char *err, size_t errlen)
{
    void *dst = (char *)c + f->offset;
    double d;
    unsigned long n;
    switch (f->kind) {
    case F_DURATION:
        if (config_parse_duration(v, &d))
            return fmt_error(err, errlen, "'%.64s' is not a duration with a unit (e.g. 1s, 500ms, 2m)", v);
        if (d < f->min || d > f->max) return fmt_error(err, errlen, "must be from %gms to %gs", f->min * 1000, f->max);
        *(double *)dst = d;
        return 0;
    case F_NUMBER:
        if (parse_number(v, f->min, f->max, &d))
            return fmt_error(err, errlen, "'%.64s' must be a number from %g to %g", v, f->min, f->max);
        *(double *)dst = d;
        return 0;
    case F_BYTES:
        if (config_parse_bytes(v, &d))
            return fmt_error(err, errlen, "'%.64s' is not a size (e.g. 1048576, 512kb, 100mb)", v);
        if (d < f->min || d > f->max) return fmt_error(err, errlen, "must be from %.0f to %.0f bytes", f->min, f->max);
        *(double *)dst = d;
        return 0;
    case F_COUNT:
        if (parse_count(v, f->min, f->max, &n))
            return fmt_error(err, errlen, "must be a whole number from %.0f to %.0f", f->min, f->max);
        *(unsigned long *)dst = n;
        return 0;
    case F_ENUM:
        for (int i = 0; f->names[i]; i++)
            if (strcmp(v, f->names[i]) == 0) {
                *(int *)dst = i;
                return 0;
            }
        char list[128] = "";
        for (int i = 0; f->names[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", f->names[i]);
        return fmt_error(err, errlen, "must be one of: %s", list);
    case F_SWITCH:
        /* Present on the command line: "" (no value taken); from the environment: a word. */
        if (!*v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0) *(bool *)dst = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0) *(bool *)dst = false;
        else return fmt_error(err, errlen, "'%.16s' must be true or false", v);
        return 0;
    case F_PATH: {
        if (strlen(v) >= CONFIG_PATH_MAX) return fmt_error(err, errlen, "path too long");
        FILE *fp = safefile_open(v, err, errlen); /* readable now, and a regular file */
        if (!fp) return -1;
        fclose(fp);
        snprintf(dst, CONFIG_PATH_MAX, "%s", v);
        return 0;
    }
    case F_NAME:
        if (!*v) return fmt_error(err, errlen, "needs a file name");
        if (strlen(v) >= CONFIG_PATH_MAX) return fmt_error(err, errlen, "path too long");
        snprintf(dst, CONFIG_PATH_MAX, "%s", v);
        return 0;
    case F_CUSTOM:
        return f->parse(c, v, err, errlen);
    }
    return -1;
}

/* Every typed default, before anything is parsed. */
static void set_defaults(config *c)
{
    for (size_t i = 0; i < N_FLAGS; i++) {
        const flag *f = &flags[i];
        void *dst = (char *)c + f->offset;
        switch (f->kind) {
        case F_DURATION:
        case F_NUMBER:
        case F_BYTES:
            *(double *)dst = f->def;
            break;
        case F_COUNT:
            *(unsigned long *)dst = (unsigned long)f->def;
            break;
        case F_ENUM:
            *(int *)dst = (int)f->def;
            break;
        case F_SWITCH:
        case F_CUSTOM:
        case F_PATH:
        case F_NAME:
            break;
        }
    }
}

static const flag *find_flag(const char *name, size_t n)
{
    for (size_t i = 0; i < N_FLAGS; i++)
        if (strlen(flags[i].name) == n && memcmp(flags[i].name, name, n) == 0) return &flags[i];
    return NULL;
}

static int apply(config *c, const flag *f, const char *value, const char *origin, char *err, size_t errlen)
{
    char why[512];
    if (parse_value(c, f, value, why, sizeof why) == 0) return 0;
    return fmt_error(err, errlen, "%s%s: %s", origin, f->name, why);
}

void config_free(config *c)
{
    explicit_bzero(c->hash_secret, sizeof c->hash_secret);
    watch_items_free(c->watch_items, c->n_watch_items);
    c->watch_items = NULL;
    c->n_watch_items = 0;
    free(c->targets);
    c->targets = NULL;
    c->n_targets = 0;
    if (c->password) {
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
        c->password = NULL;
    }
}

int config_parse(config *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    set_defaults(c);
    bool seen[N_FLAGS] = {false};
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "doctor") == 0) {
        c->mode = CONFIG_MODE_DOCTOR;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0) a = "--help";
        if (strncmp(a, "--", 2) != 0) {
            fmt_error(err, errlen, "unexpected argument '%s' (flags start with --)", a);
            goto bad;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const flag *f = find_flag(name, nlen);
        if (!f) {
            if (nlen == 14 && memcmp(name, "redis.password", 14) == 0)
                fmt_error(
                    err, errlen,
                    "--redis.password: not accepted on the command line; use REDIS_PASSWORD or --redis.password-file");
            else fmt_error(err, errlen, "--%.*s: unknown flag (see --help)", (int)(nlen > 64 ? 64 : nlen), name);
            goto bad;
        }
        const char *value = "";
        if (f->arg) {
            if (eq) value = eq + 1;
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) value = argv[++i];
            else {
                fmt_error(err, errlen, "--%s: needs a value (--%s=VALUE)", f->name, f->name);
                goto bad;
            }
        } else if (eq) {
            fmt_error(err, errlen, "--%s: takes no value", f->name);
            goto bad;
        }
        if (f->doctor_only && c->mode != CONFIG_MODE_DOCTOR) {
            fmt_error(err, errlen, "--%s: a flag of the doctor only (redis_memory_exporter doctor --%s ...)", f->name,
                      f->name);
            goto bad;
        }
        seen[f - flags] = true;
        if (apply(c, f, value, "--", err, errlen)) goto bad;
    }
    /* Environment, then defaults, for what the command line did not set. */
    for (size_t k = 0; k < N_FLAGS; k++) {
        if (seen[k]) continue;
        const char *env = flags[k].env ? getenv(flags[k].env) : NULL;
        if (env && *env) {
            /* REDIS_ADDR may list several targets, comma-separated. */
            if (flags[k].parse == p_addr) {
                char *copy_env = xstrdup(env), *save = NULL;
                int rc = 0;
                for (char *tok = strtok_r(copy_env, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save))
                    rc = apply(c, &flags[k], tok, "env REDIS_ADDR for --", err, errlen);
                free(copy_env);
                if (rc) goto bad;
            } else if (apply(c, &flags[k], env, "env for --", err, errlen)) {
                goto bad;
            }
        } else if (flags[k].custom_def && !(flags[k].parse == p_addr && c->targets_file[0]) &&
                   apply(c, &flags[k], flags[k].custom_def, "default of --", err, errlen)) {
            /* (With a targets file, no --redis.addr means none: not localhost:6379.) */
            goto bad;
        }
    }
    if (!c->password) {
        const char *pw = getenv("REDIS_PASSWORD");
        if (pw && *pw) set_password(c, pw, strlen(pw));
    }
    /* No secret given: a random one, so hashed names cannot be recovered by hashing
     * guesses (they then change when the process restarts). */
    if (c->sampler_hash_keys && c->hash_secret_len == 0) {
        if (getrandom(c->hash_secret, 32, 0) != 32) {
            fmt_error(err, errlen,
                      "--sampler.hash-keys: no random key could be made; give --sampler.hash-keys-secret-file");
            goto bad;
        }
        c->hash_secret_len = 32;
    }
    if (c->thresholds.memory_critical < c->thresholds.memory_warning) {
        /* Name the flag the user gave: a warning raised past the default critical is the
         * warning's mistake (or a missing critical), not the critical's. */
        if (c->thresholds.memory_critical == DIAGNOSE_DEFAULT_MEMORY_CRITICAL)
            fmt_error(err, errlen,
                      "--diagnose.memory-warning: %g is above --diagnose.memory-critical (%g); give that "
                      "too",
                      c->thresholds.memory_warning, c->thresholds.memory_critical);
        else fmt_error(err, errlen, "--diagnose.memory-critical: must not be below --diagnose.memory-warning");
        goto bad;
    }
    if (c->n_watch_items > c->watch_max) {
        fmt_error(err, errlen, "--keys.watch: %zu keys, more than --keys.watch-max (%lu)", c->n_watch_items,
                  c->watch_max);
        goto bad;
    }
    if (c->mode == CONFIG_MODE_DOCTOR && c->n_targets > 1) {
        fmt_error(err, errlen, "--redis.addr: the doctor checks one address, %zu were given (REDIS_ADDR counts too)",
                  c->n_targets);
        goto bad;
    }
    if (c->mode == CONFIG_MODE_DOCTOR && c->n_targets == 0 && !c->doctor_from_file[0]) {
        fmt_error(err, errlen, "--redis.addr: the doctor checks one address; give it");
        goto bad;
    }
    if (!c->tls.cert_file[0] != !c->tls.key_file[0]) {
        fmt_error(err, errlen, "--tls.%s: needs --tls.%s too", c->tls.cert_file[0] ? "cert-file" : "key-file",
                  c->tls.cert_file[0] ? "key-file" : "cert-file");
        goto bad;
    }
    /* auto: a single Redis watched on its own, not a targets file's fleet; the doctor shows
     * no per-command series, so it never asks */
    c->collect_commandstats = c->mode != CONFIG_MODE_DOCTOR &&
        (c->commandstats_mode == 1 || (c->commandstats_mode == 0 && c->n_targets == 1 && !c->targets_file[0]));
    if (c->poll_timeout > c->poll_interval * 10) {
        fmt_error(err, errlen, "--poll.timeout: must not exceed 10 x --poll.interval");
        goto bad;
    }
    return 0;
bad:
    config_free(c);
    return -1;
}
