/* config: flags and environment. See include/config.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef int (*flag_parser)(config *c, const char *value, char *err, size_t errlen);

typedef struct flag {
    const char *name;       /* without the leading "--" */
    const char *env;        /* environment variable, or NULL */
    const char *arg;        /* metavariable for --help; NULL for a switch */
    const char *def;        /* default as shown and applied; NULL = none */
    flag_parser parse;
    const char *help;
} flag;

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int config_parse_duration(const char *s, double *seconds)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0) return -1;
    double unit;
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
    if (end == s || errno || v < 0 || s[0] == '-') return -1;
    double unit;
    if (*end == '\0' || strcasecmp(end, "b") == 0) unit = 1;
    else if (strcasecmp(end, "kb") == 0 || strcasecmp(end, "kib") == 0 || strcasecmp(end, "k") == 0) unit = 1024.0;
    else if (strcasecmp(end, "mb") == 0 || strcasecmp(end, "mib") == 0 || strcasecmp(end, "m") == 0) unit = 1048576.0;
    else if (strcasecmp(end, "gb") == 0 || strcasecmp(end, "gib") == 0 || strcasecmp(end, "g") == 0) unit = 1073741824.0;
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
        if (!rb) return fail(err, errlen, "unclosed '[' in address");
        host = s + 1;
        host_end = rb;
        if (rb + 1 < end) {
            if (rb[1] != ':') return fail(err, errlen, "expected ':' after ']'");
            colon = rb + 1;
        }
    } else {
        colon = memchr(s, ':', n);
        host_end = colon ? colon : end;
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            return fail(err, errlen, "an IPv6 address needs brackets: [addr]:port");
    }
    if (host_end == host) return fail(err, errlen, "empty host");
    if (copy(t->host, sizeof t->host, host, (size_t)(host_end - host)))
        return fail(err, errlen, "host name too long");
    t->port = 6379;
    if (colon) {
        char port[16];
        if (copy(port, sizeof port, colon + 1, (size_t)(end - colon - 1)) || parse_port(port, &t->port))
            return fail(err, errlen, "port must be 1-65535");
    }
    return 0;
}

int config_parse_target(const char *s, config_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->db = -1;
    if (strncmp(s, "unix://", 7) == 0 || s[0] == '/') {
        const char *path = s[0] == '/' ? s : s + 7;
        if (path[0] != '/') return fail(err, errlen, "unix socket path must be absolute (unix:///path)");
        t->kind = CONFIG_ADDR_UNIX;
        if (copy(t->path, sizeof t->path, path, strlen(path)))
            return fail(err, errlen, "unix socket path too long");
        snprintf(t->label, sizeof t->label, "%s", t->path);
        return 0;
    }
    if (strncmp(s, "rediss://", 9) == 0 || strncmp(s, "valkeys://", 10) == 0)
        return fail(err, errlen, "TLS (rediss://) is not supported by this build");
    const char *rest = s;
    bool url = false;
    if (strncmp(s, "redis://", 8) == 0) { rest = s + 8; url = true; }
    else if (strncmp(s, "valkey://", 9) == 0) { rest = s + 9; url = true; }
    else if (strstr(s, "://")) return fail(err, errlen, "unknown scheme (use redis://, unix:// or host:port)");

    const char *slash = strchr(rest, '/');
    size_t authority_len = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *at = memchr(rest, '@', authority_len);
    if (at) {
        if (!url) return fail(err, errlen, "user@ is only accepted in redis:// URLs");
        /* Never echo what is before '@': it might be a password. */
        if (memchr(rest, ':', (size_t)(at - rest)))
            return fail(err, errlen, "passwords in the URL are not accepted; use REDIS_PASSWORD or --redis.password-file");
        if (copy(t->user, sizeof t->user, rest, (size_t)(at - rest)))
            return fail(err, errlen, "user name too long");
        authority_len -= (size_t)(at + 1 - rest);
        rest = at + 1;
    }
    if (parse_hostport(rest, authority_len, t, err, errlen)) return -1;
    if (slash) {
        if (!url) return fail(err, errlen, "a /db suffix is only accepted in redis:// URLs");
        if (slash[1] != '\0') {
            char *end;
            long db = strtol(slash + 1, &end, 10);
            if (*end || db < 0 || db > INT_MAX) return fail(err, errlen, "database must be a number");
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
    if (config_parse_target(v, &t, why, sizeof why)) return fail(err, errlen, "%s", why);
    for (size_t i = 0; i < c->n_targets; i++)
        if (strcmp(c->targets[i].label, t.label) == 0)
            return fail(err, errlen, "%s is listed twice", t.label);
    config_target *grown = realloc(c->targets, (c->n_targets + 1) * sizeof *grown);
    if (!grown) return fail(err, errlen, "out of memory");
    c->targets = grown;
    c->targets[c->n_targets++] = t;
    return 0;
}

static int p_user(config *c, const char *v, char *err, size_t errlen)
{
    if (copy(c->user, sizeof c->user, v, strlen(v))) return fail(err, errlen, "user name too long");
    return 0;
}

static int set_password(config *c, const char *pw, size_t n, char *err, size_t errlen)
{
    if (c->password) {
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
    }
    c->password = NULL;
    if (n == 0) return 0;
    c->password = malloc(n + 1);
    if (!c->password) return fail(err, errlen, "out of memory");
    memcpy(c->password, pw, n);
    c->password[n] = '\0';
    return 0;
}

static int p_password_file(config *c, const char *v, char *err, size_t errlen)
{
    FILE *f = fopen(v, "r");
    if (!f) return fail(err, errlen, "cannot read %s: %s", v, strerror(errno));
    char line[1024];
    size_t n = fread(line, 1, sizeof line - 1, f);
    bool too_long = !feof(f) && n == sizeof line - 1;
    fclose(f);
    line[n] = '\0';
    char *nl = strpbrk(line, "\r\n");
    if (nl) *nl = '\0';
    int rc = too_long ? fail(err, errlen, "%s: password longer than 1023 bytes", v)
                      : set_password(c, line, strlen(line), err, errlen);
    if (rc == 0 && !c->password) rc = fail(err, errlen, "%s is empty", v);
    explicit_bzero(line, sizeof line);
    return rc;
}

static int p_duration_into(double *dst, double min, const char *v, char *err, size_t errlen)
{
    double d;
    if (config_parse_duration(v, &d)) return fail(err, errlen, "'%s' is not a duration (e.g. 1s, 500ms, 2m)", v);
    if (d < min) return fail(err, errlen, "must be at least %gms", min * 1000);
    *dst = d;
    return 0;
}
static int p_interval(config *c, const char *v, char *e, size_t n) { return p_duration_into(&c->poll_interval, 0.01, v, e, n); }
static int p_timeout(config *c, const char *v, char *e, size_t n) { return p_duration_into(&c->poll_timeout, 0.01, v, e, n); }
static int p_backoff(config *c, const char *v, char *e, size_t n) { return p_duration_into(&c->max_backoff, 0.01, v, e, n); }

static int p_unsigned(const char *v, unsigned long long min, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*v == '-') return -1;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || errno || x < min || x > max) return -1;
    *out = x;
    return 0;
}

/* A whole number in [min, max]; the error states the range. */
static int p_count(unsigned long long *x, unsigned long long min, unsigned long long max, const char *v, char *err,
                   size_t errlen)
{
    if (p_unsigned(v, min, max, x)) return fail(err, errlen, "must be a whole number from %llu to %llu", min, max);
    return 0;
}

static int p_max_reply(config *c, const char *v, char *err, size_t errlen)
{
    unsigned long long x;
    if (p_count(&x, 1024, 1ULL << 30, v, err, errlen)) return -1;
    c->max_reply_bytes = (size_t)x;
    return 0;
}

static int p_max_conns(config *c, const char *v, char *err, size_t errlen)
{
    unsigned long long x;
    if (p_count(&x, 1, 100000, v, err, errlen)) return -1;
    c->max_connections = (unsigned)x;
    return 0;
}

static int p_listen(config *c, const char *v, char *err, size_t errlen)
{
    config_target t;
    char why[160];
    if (v[0] == ':') {  /* ":port" = every interface */
        c->listen_host[0] = '\0';
        if (parse_port(v + 1, &c->listen_port)) return fail(err, errlen, "port must be 1-65535");
        return 0;
    }
    if (!strrchr(v, ':')) return fail(err, errlen, "expected host:port or :port");
    if (parse_hostport(v, strlen(v), &t, why, sizeof why)) return fail(err, errlen, "%s", why);
    snprintf(c->listen_host, sizeof c->listen_host, "%s", t.host);
    c->listen_port = t.port;
    return 0;
}

static int p_path(config *c, const char *v, char *err, size_t errlen)
{
    if (v[0] != '/' || strlen(v) >= sizeof c->telemetry_path || strcmp(v, "/") == 0 ||
        strcmp(v, "/healthz") == 0)
        return fail(err, errlen, "must start with '/' and not be / or /healthz");
    snprintf(c->telemetry_path, sizeof c->telemetry_path, "%s", v);
    return 0;
}

static int p_level(config *c, const char *v, char *err, size_t errlen)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0) { c->log_level = (log_level)i; return 0; }
    return fail(err, errlen, "must be debug, info, warn or error");
}

static int p_format(config *c, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "logfmt") == 0) c->log_format = LOG_LOGFMT;
    else if (strcmp(v, "json") == 0) c->log_format = LOG_JSON;
    else return fail(err, errlen, "must be logfmt or json");
    return 0;
}

static int p_output(config *c, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "text") == 0) c->json_output = false;
    else if (strcmp(v, "json") == 0) c->json_output = true;
    else return fail(err, errlen, "must be text or json");
    return 0;
}

static int p_number_into(double *dst, double min, double max, const char *v, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= min && x <= max))
        return fail(err, errlen, "'%s' must be a number from %g to %g", v, min, max);
    *dst = x;
    return 0;
}
static int p_bytes_into(double *dst, const char *v, char *err, size_t errlen)
{
    if (config_parse_bytes(v, dst)) return fail(err, errlen, "'%s' is not a size (e.g. 1048576, 512kb, 100mb)", v);
    return 0;
}
static int p_mem_warn(config *c, const char *v, char *e, size_t n)
{ return p_number_into(&c->thresholds.memory_warning, 0.01, 10, v, e, n); }
static int p_mem_crit(config *c, const char *v, char *e, size_t n)
{ return p_number_into(&c->thresholds.memory_critical, 0.01, 10, v, e, n); }
static int p_frag_ratio(config *c, const char *v, char *e, size_t n)
{ return p_number_into(&c->thresholds.fragmentation_ratio, 1, 100, v, e, n); }
static int p_frag_bytes(config *c, const char *v, char *e, size_t n)
{ return p_bytes_into(&c->thresholds.fragmentation_min_bytes, v, e, n); }
static int p_ttl_ratio(config *c, const char *v, char *e, size_t n)
{ return p_number_into(&c->thresholds.ttl_min_ratio, 0, 1, v, e, n); }
static int p_large_key(config *c, const char *v, char *e, size_t n)
{ return p_bytes_into(&c->thresholds.large_key_bytes, v, e, n); }
static int p_sampler_kps(config *c, const char *v, char *e, size_t n)
{ return p_number_into(&c->sampler_keys_per_second, 0, 100000, v, e, n); }
static int p_sampler_top(config *c, const char *v, char *err, size_t errlen)
{
    unsigned long long x;
    if (p_count(&x, 1, 32, v, err, errlen)) return -1;
    c->sampler_top_n = (unsigned)x;
    return 0;
}
static int p_sampler_samples(config *c, const char *v, char *err, size_t errlen)
{
    unsigned long long x;
    if (p_count(&x, 0, 1000, v, err, errlen)) return -1;
    c->sampler_memory_samples = (unsigned)x;
    return 0;
}
static int p_sampler_hash(config *c, const char *v, char *err, size_t errlen)
{ (void)v; (void)err; (void)errlen; c->sampler_hash_keys = true; return 0; }
static int p_doctor_keys(config *c, const char *v, char *err, size_t errlen)
{
    unsigned long long x;
    if (p_count(&x, 0, 100000000, v, err, errlen)) return -1;
    c->doctor_max_keys = (unsigned long)x;
    return 0;
}

static int p_help(config *c, const char *v, char *err, size_t errlen)
{ (void)v; (void)err; (void)errlen; c->show_help = true; return 0; }
static int p_version(config *c, const char *v, char *err, size_t errlen)
{ (void)v; (void)err; (void)errlen; c->show_version = true; return 0; }

static const flag flags[] = {
    {"redis.addr", "REDIS_ADDR", "ADDR", "redis://localhost:6379", p_addr,
     "Redis to watch: host:port, redis://[user@]host:port[/db] or unix:///path. Repeat for several."},
    {"redis.user", "REDIS_USER", "NAME", NULL, p_user, "ACL user name for AUTH (Redis 6+)."},
    {"redis.password-file", "REDIS_PASSWORD_FILE", "FILE", NULL, p_password_file,
     "File whose first line is the Redis password. REDIS_PASSWORD works too; there is no password flag."},
    {"poll.interval", NULL, "DURATION", "1s", p_interval, "How often each Redis is polled (INFO)."},
    {"poll.timeout", NULL, "DURATION", "1s", p_timeout, "Deadline of one poll: connect, AUTH and INFO."},
    {"poll.max-backoff", NULL, "DURATION", "10s", p_backoff, "Longest wait between reconnect attempts."},
    {"poll.max-reply-bytes", NULL, "BYTES", "1048576", p_max_reply,
     "Largest INFO reply accepted; a larger one fails the poll (too_large)."},
    {"web.listen-address", NULL, "HOST:PORT", "127.0.0.1:39121", p_listen,
     "Where /metrics is served. Use :39121 for every interface."},
    {"web.telemetry-path", NULL, "PATH", "/metrics", p_path, "Path of the metrics page."},
    {"web.max-connections", NULL, "N", "64", p_max_conns, "Concurrent HTTP connections accepted."},
    {"log.level", NULL, "LEVEL", "info", p_level, "debug, info, warn or error."},
    {"log.format", NULL, "FORMAT", "logfmt", p_format, "logfmt or json."},
    {"diagnose.memory-warning", NULL, "RATIO", "0.8", p_mem_warn,
     "used/maxmemory from which memory_near_limit is a warning."},
    {"diagnose.memory-critical", NULL, "RATIO", "0.95", p_mem_crit,
     "used/maxmemory from which memory_near_limit is critical."},
    {"diagnose.fragmentation-ratio", NULL, "RATIO", "1.5", p_frag_ratio,
     "mem_fragmentation_ratio from which fragmentation_high fires..."},
    {"diagnose.fragmentation-min-bytes", NULL, "BYTES", "100mb", p_frag_bytes,
     "...if at least this much is wasted (also the swapped amount for rss_below_used)."},
    {"diagnose.ttl-keys-min-ratio", NULL, "RATIO", "0.01", p_ttl_ratio,
     "Under volatile-*, fewer keys with a TTL than this share count as none."},
    {"diagnose.large-key-bytes", NULL, "BYTES", "1mb", p_large_key, "A sampled key this large is a large_keys finding."},
    {"sampler.keys-per-second", NULL, "N", "0", p_sampler_kps,
     "Key sampler budget (SCAN + MEMORY USAGE + TYPE, read-only); 0 turns it off."},
    {"sampler.top-n", NULL, "N", "10", p_sampler_top, "How many of the largest sampled keys are exported (1-32)."},
    {"sampler.memory-samples", NULL, "N", "5", p_sampler_samples, "MEMORY USAGE ... SAMPLES n for nested types."},
    {"sampler.hash-keys", NULL, NULL, NULL, p_sampler_hash, "Export a hash of each key name instead of the name."},
    {"output", NULL, "FORMAT", "text", p_output, "doctor only: text or json."},
    {"doctor.max-keys", NULL, "N", "10000", p_doctor_keys,
     "doctor only: keys sampled for large_keys (0 = a whole SCAN cycle)."},
    {"help", NULL, NULL, NULL, p_help, "Show this help and exit."},
    {"version", NULL, NULL, NULL, p_version, "Show the version and exit."},
};
#define N_FLAGS (sizeof flags / sizeof flags[0])

void config_usage(FILE *out)
{
    fprintf(out, "Usage: redis_memory_exporter [FLAGS]\n"
                 "       redis_memory_exporter doctor [FLAGS]   one-shot diagnosis of the first --redis.addr\n\n"
                 "Flags (--flag=value or --flag value):\n");
    for (size_t i = 0; i < N_FLAGS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", flags[i].name, flags[i].arg ? "=" : "",
                 flags[i].arg ? flags[i].arg : "");
        fprintf(out, "  %-34s %s", left, flags[i].help);
        if (flags[i].def) fprintf(out, " [default: %s]", flags[i].def);
        if (flags[i].env) fprintf(out, " [env: %s]", flags[i].env);
        fputc('\n', out);
    }
    fprintf(out, "\nEnvironment: REDIS_PASSWORD is the Redis password (never logged or shown).\n");
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
    if (f->parse(c, value, why, sizeof why) == 0) return 0;
    return fail(err, errlen, "%s%s: %s", origin, f->name, why);
}

void config_free(config *c)
{
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
            fail(err, errlen, "unexpected argument '%s' (flags start with --)", a);
            goto bad;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const flag *f = find_flag(name, nlen);
        if (!f) {
            if (nlen == 14 && memcmp(name, "redis.password", 14) == 0)
                fail(err, errlen, "--redis.password: not accepted on the command line; use REDIS_PASSWORD or --redis.password-file");
            else
                fail(err, errlen, "--%.*s: unknown flag (see --help)", (int)(nlen > 64 ? 64 : nlen), name);
            goto bad;
        }
        const char *value = "";
        if (f->arg) {
            if (eq) value = eq + 1;
            else if (i + 1 < argc) value = argv[++i];
            else { fail(err, errlen, "--%s: needs a value", f->name); goto bad; }
        } else if (eq) {
            fail(err, errlen, "--%s: takes no value", f->name);
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
                char *copy_env = strdup(env), *save = NULL;
                if (!copy_env) { fail(err, errlen, "out of memory"); goto bad; }
                int rc = 0;
                for (char *tok = strtok_r(copy_env, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save))
                    rc = apply(c, &flags[k], tok, "env REDIS_ADDR for --", err, errlen);
                free(copy_env);
                if (rc) goto bad;
            } else if (apply(c, &flags[k], env, "env for --", err, errlen)) {
                goto bad;
            }
        } else if (flags[k].def && apply(c, &flags[k], flags[k].def, "default of --", err, errlen)) {
            goto bad;
        }
    }
    if (!c->password) {
        const char *pw = getenv("REDIS_PASSWORD");
        if (pw && *pw && set_password(c, pw, strlen(pw), err, errlen)) goto bad;
    }
    if (c->thresholds.memory_critical < c->thresholds.memory_warning) {
        fail(err, errlen, "--diagnose.memory-critical: must not be below --diagnose.memory-warning");
        goto bad;
    }
    if (c->poll_timeout > c->poll_interval * 10) {
        fail(err, errlen, "--poll.timeout: must not exceed 10 x --poll.interval");
        goto bad;
    }
    return 0;
bad:
    config_free(c);
    return -1;
}
