/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for config: target addresses, durations, sizes, flags, environment,
 * password file. Errors must name the flag and never echo a secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "watch.h"

static void test_targets(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ok;
        config_addr_kind kind;
        const char *host;
        int port, db;
        const char *user, *label;
        bool tls;
    } cases[] = {
        {"127.0.0.1:6380", 1, CONFIG_ADDR_TCP, "127.0.0.1", 6380, -1, "", "127.0.0.1:6380", false},
        {"cache.local", 1, CONFIG_ADDR_TCP, "cache.local", 6379, -1, "", "cache.local:6379", false},
        {"[::1]:6381", 1, CONFIG_ADDR_TCP, "::1", 6381, -1, "", "[::1]:6381", false},
        {"redis://monitor@h:1/3", 1, CONFIG_ADDR_TCP, "h", 1, 3, "monitor", "h:1/3", false},
        {"redis://h", 1, CONFIG_ADDR_TCP, "h", 6379, -1, "", "h:6379", false},
        {"valkey://h:7000/", 1, CONFIG_ADDR_TCP, "h", 7000, -1, "", "h:7000", false},
        {"unix:///run/redis.sock", 1, CONFIG_ADDR_UNIX, "", 0, -1, "", "/run/redis.sock", false},
        {"/run/redis.sock", 1, CONFIG_ADDR_UNIX, "", 0, -1, "", "/run/redis.sock", false},
        {"rediss://h:1", 1, CONFIG_ADDR_TCP, "h", 1, -1, "", "h:1", true},
        {"valkeys://mon@[::1]:6380/2", 1, CONFIG_ADDR_TCP, "::1", 6380, 2, "mon", "[::1]:6380/2", true},
        {"rediss://", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"redis+tls://h:1", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"http://h:1", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"h:0", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"h:65536", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"h:abc", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {":6379", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"::1:6379", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"[::1", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"u@h:1", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"redis://h:1/x", 0, 0, NULL, 0, 0, NULL, NULL, false},
        {"unix://relative", 0, 0, NULL, 0, 0, NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config_target t;
        char err[200];
        int rc = config_parse_target(cases[i].in, &t, err, sizeof err);
        if ((rc == 0) != cases[i].ok) fail_msg("%s: rc %d (%s)", cases[i].in, rc, rc ? err : "");
        if (!cases[i].ok) continue;
        assert_int_equal(t.kind, cases[i].kind);
        if (t.kind == CONFIG_ADDR_TCP) {
            assert_string_equal(t.host, cases[i].host);
            assert_int_equal(t.port, cases[i].port);
        }
        assert_int_equal(t.db, cases[i].db);
        assert_string_equal(t.user, cases[i].user);
        assert_string_equal(t.label, cases[i].label);
        if (t.tls != cases[i].tls) fail_msg("%s: tls %d", cases[i].in, t.tls);
    }
    config_target t;
    char err[200];
    assert_int_equal(config_parse_target("redis://admin:hunter2@h:1", &t, err, sizeof err), -1);
    assert_null(strstr(err, "hunter2"));
    assert_null(strstr(err, "admin"));
}

static void test_durations_and_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        double want;
    } ok[] = {
        {"1s", 1}, {"250ms", 0.25}, {"2m", 120}, {"1h", 3600}, {"1.5s", 1.5}, {"0", 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double d;
        assert_int_equal(config_parse_duration(ok[i].in, &d), 0);
        assert_true(d == ok[i].want);
    }
    static const char *const bad[] = {"",    "s",    "1x",    "-1s", "1 s", "abc", "nan",
                                      "inf", "infs", "1e999", "500", "1.5" /* a bare number has no unit (issue 24) */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double d;
        if (config_parse_duration(bad[i], &d) == 0) fail_msg("duration '%s' accepted", bad[i]);
    }
    double b;
    assert_true(config_parse_bytes("100mb", &b) == 0 && b == 100.0 * 1048576);
    assert_true(config_parse_bytes("512KB", &b) == 0 && b == 512.0 * 1024);
    assert_true(config_parse_bytes("7", &b) == 0 && b == 7);
    assert_true(config_parse_bytes("1gb", &b) == 0 && b == 1073741824.0);
    assert_int_equal(config_parse_bytes("-1mb", &b), -1);
    assert_int_equal(config_parse_bytes("10 parsecs", &b), -1);
}

static int parse(config *c, char *err, size_t n, ...)
{
    char *argv[32] = {"redis_memory_exporter"};
    int argc = 1;
    va_list ap;
    va_start(ap, n);
    for (char *a; argc < 31 && (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    return config_parse(c, argc, argv, err, n);
}

static void clear_env(void)
{
    unsetenv("REDIS_ADDR");
    unsetenv("REDIS_USER");
    unsetenv("REDIS_PASSWORD");
    unsetenv("REDIS_PASSWORD_FILE");
    unsetenv("REDIS_EXPORTER_SKIP_TLS_VERIFICATION");
    unsetenv("REDIS_EXPORTER_TLS_CA_CERT_FILE");
}

static void test_defaults_and_forms(void **state)
{
    (void)state;
    clear_env();
    config c;
    char err[600];
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_true(c.poll_interval == 1 && c.poll_timeout == 1);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 39121);
    assert_string_equal(c.telemetry_path, "/metrics");
    assert_int_equal(c.n_targets, 1);
    assert_string_equal(c.targets[0].label, "localhost:6379");
    assert_null(c.password);
    assert_int_equal(c.mode, CONFIG_MODE_SERVE);
    assert_true(c.thresholds.memory_warning == 0.8 && c.thresholds.memory_critical == 0.95);
    /* The thresholds' defaults are the ones the diagnosis itself declares. */
    diagnose_thresholds th = diagnose_default_thresholds();
    assert_memory_equal(&c.thresholds, &th, sizeof th);
    assert_int_equal(c.sampler_memory_samples, 5);
    assert_int_equal(c.max_reply_bytes, 1048576);
    assert_int_equal(c.max_connections, 512);
    assert_int_equal(c.max_connections_per_client, 128);
    assert_true(c.sampler_keys_per_second == 0);
    config_free(&c);

    /* The doctor checks one server: a second address is refused, named. */
    assert_int_equal(parse(&c, err, sizeof err, "doctor", "--redis.addr", "a:1", "--redis.addr=b:2", NULL), -1);
    assert_non_null(strstr(err, "--redis.addr: the doctor checks one address, 2 were given"));
    assert_int_equal(parse(&c, err, sizeof err, "doctor", "--redis.addr=b:2", "--poll.interval=500ms",
                           "--web.listen-address=:9999", "--output=json", NULL),
                     0);
    assert_int_equal(c.mode, CONFIG_MODE_DOCTOR);
    assert_int_equal(c.n_targets, 1);
    assert_string_equal(c.targets[0].label, "b:2");
    assert_true(c.poll_interval == 0.5 && c.json_output);
    assert_string_equal(c.listen_host, "");
    assert_int_equal(c.listen_port, 9999);
    config_free(&c);
}

/* --collect.commandstats=auto: on for one Redis watched alone, off for a fleet (a series
 * per command and target), always as asked when true or false. */
static void test_commandstats_auto(void **state)
{
    (void)state;
    clear_env();
    static const struct {
        const char *a, *b, *c;
        bool want;
    } cases[] = {
        {"--redis.addr=a:1", NULL, NULL, true},
        {"--redis.addr=a:1", "--redis.addr=b:1", NULL, false},
        {"--redis.addr=a:1", "--redis.addr=b:1", "--collect.commandstats=true", true},
        {"--redis.addr=a:1", "--collect.commandstats=false", NULL, false},
        {"--targets.file=/etc/hostname", "--collect.commandstats=auto", NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config c;
        char err[600];
        assert_int_equal(parse(&c, err, sizeof err, cases[i].a, cases[i].b, cases[i].c, NULL), 0);
        if (c.collect_commandstats != cases[i].want) fail_msg("case %zu: %d", i, c.collect_commandstats);
        config_free(&c);
    }
    config c;
    char err[600];
    assert_int_equal(parse(&c, err, sizeof err, "--collect.commandstats=yes", NULL), -1);
    assert_non_null(strstr(err, "--collect.commandstats"));
}

static void test_errors_name_the_flag(void **state)
{
    (void)state;
    clear_env();
    static const struct {
        const char *arg;
        const char *flag;
    } cases[] = {
        {"--nope", "--nope"},
        {"--poll.interval=fast", "--poll.interval"},
        {"--poll.timeout=1h", "--poll.timeout"},
        {"--log.level=loud", "--log.level"},
        {"--log.format=xml", "--log.format"},
        {"--web.telemetry-path=metrics", "--web.telemetry-path"},
        {"--web.max-connections=0", "--web.max-connections"},
        {"--diagnose.memory-warning=2x", "--diagnose.memory-warning"},
        {"--diagnose.memory-critical=0.5", "--diagnose.memory-critical"},
        {"--sampler.top-n=99", "--sampler.top-n"},
        {"--version=3", "--version"},
        {"--redis.addr", "--redis.addr"},
        {"positional", "positional"},
        {"--redis.password=topsecret", "--redis.password"},
        {"--poll.interval=nan", "--poll.interval"},
        {"--poll.interval=inf", "--poll.interval"},
        {"--poll.max-backoff=1e300", "--poll.max-backoff"},
        {"--diagnose.large-key-bytes=nan", "--diagnose.large-key-bytes"},
        {"--diagnose.fragmentation-ratio=NaN", "--diagnose.fragmentation-ratio"},
        {"--sampler.keys-per-second=inf", "--sampler.keys-per-second"},
        {"--diagnose.memory-warning=-0.5", "--diagnose.memory-warning"},
        {"--web.max-connections=18446744073709551617", "--web.max-connections"},
        {"--poll.max-reply-bytes=-1", "--poll.max-reply-bytes"},
        {"--output=xml", "--output"},
        {"--tls.min-version=1.1", "--tls.min-version"},
        {"--tls.ca-file=/nonexistent/ca.pem", "--tls.ca-file"},
        {"--tls.cert-file=/etc/hostname", "--tls.cert-file"}, /* without --tls.key-file */
        {"--tls.key-file=/etc/hostname", "--tls.key-file"},   /* without --tls.cert-file */
        {"--tls.insecure-skip-verify=yes", "--tls.insecure-skip-verify"},
        {"--redis.password-map-file=/nonexistent/map.json", "--redis.password-map-file"},
        /* issue 12: the warning raised past the default critical names the warning */
        {"--diagnose.memory-warning=0.99", "--diagnose.memory-warning"},
        {"--sampler.namespace-separator=ab", "--sampler.namespace-separator"},
        {"--doctor.from-file=", "--doctor.from-file"},
        {"--keys.watch=dbx=queue", "--keys.watch"},
        {"--keys.watch=a,,b", "--keys.watch"},
        {"--keys.watch-interval=0s", "--keys.watch-interval"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config c;
        char err[600] = "";
        if (parse(&c, err, sizeof err, cases[i].arg, NULL) != -1) fail_msg("%s accepted", cases[i].arg);
        if (!strstr(err, cases[i].flag))
            fail_msg("%s: message '%s' does not name %s", cases[i].arg, err, cases[i].flag);
        assert_null(strstr(err, "topsecret"));
    }
    /* more watched keys than --keys.watch-max: refused, naming both */
    {
        config c;
        char err[600] = "";
        assert_int_equal(parse(&c, err, sizeof err, "--keys.watch=a,b,c", "--keys.watch-max=2", NULL), -1);
        assert_non_null(strstr(err, "--keys.watch: 3 keys, more than --keys.watch-max (2)"));
        assert_int_equal(parse(&c, err, sizeof err, "--keys.watch=db3=a,b", NULL), 0);
        assert_int_equal(c.n_watch_items, 2);
        assert_int_equal(c.watch_items[0].db, 3);
        config_free(&c);
    }
    /* Issue 24's traps: a flag taken as the previous one's value, a daemon given the
     * doctor's flags (accepted and ignored before). */
    static const struct {
        const char *a, *b, *flag;
    } pairs[] = {
        {"--redis.addr", "--log.level=debug", "--redis.addr"},
        {"--targets.file", "--poll.interval=1s", "--targets.file"},
        {"--poll.interval=500", "--log.level=info", "--poll.interval"},
        {"--output=json", "--log.level=info", "--output"},
        {"--doctor.max-keys=5", "--log.level=info", "--doctor.max-keys"},
        {"--doctor.from-file=/etc/hostname", "--log.level=info", "--doctor.from-file"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        config c;
        char err[600] = "";
        if (parse(&c, err, sizeof err, pairs[i].a, pairs[i].b, NULL) != -1)
            fail_msg("%s %s accepted", pairs[i].a, pairs[i].b);
        if (!strstr(err, pairs[i].flag)) fail_msg("%s: message '%s' does not name %s", pairs[i].a, err, pairs[i].flag);
    }
    config c;
    char err[600];
    assert_int_equal(parse(&c, err, sizeof err, "--redis.addr=a:1", "--redis.addr=a:1", NULL), -1);
    assert_non_null(strstr(err, "twice"));
}

static void test_environment_and_password_file(void **state)
{
    (void)state;
    clear_env();
    setenv("REDIS_ADDR", "a:1,redis://u@b:2", 1);
    setenv("REDIS_PASSWORD", "from-env", 1);
    setenv("REDIS_USER", "reader", 1);
    config c;
    char err[600];
    assert_int_equal(parse(&c, err, sizeof err, NULL), 0);
    assert_int_equal(c.n_targets, 2);
    assert_string_equal(c.targets[1].user, "u");
    assert_string_equal(c.user, "reader");
    assert_string_equal(c.password, "from-env");
    config_free(&c);
    /* A flag beats the environment. */
    assert_int_equal(parse(&c, err, sizeof err, "--redis.addr=z:9", NULL), 0);
    assert_int_equal(c.n_targets, 1);
    assert_string_equal(c.targets[0].label, "z:9");
    config_free(&c);

    char path[] = "/tmp/rme-pw-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *content = "from-file\r\nsecond line ignored\n";
    assert_int_equal(write(fd, content, strlen(content)), (int)strlen(content));
    close(fd);
    char flag[64];
    snprintf(flag, sizeof flag, "--redis.password-file=%s", path);
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), 0);
    assert_string_equal(c.password, "from-file"); /* the file wins over REDIS_PASSWORD */
    config_free(&c);
    assert_null(c.password);
    /* 1,023 bytes and a newline is the longest password; a NUL byte in it is refused (it
     * was cut there silently); a FIFO is refused at once, never waited on */
    char pw[1100];
    memset(pw, 'p', 1023);
    pw[1023] = '\n';
    FILE *pf = fopen(path, "w");
    fwrite(pw, 1, 1024, pf);
    fclose(pf);
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), 0);
    assert_int_equal(strlen(c.password), 1023);
    config_free(&c);
    pf = fopen(path, "w");
    fwrite(pw, 1, 1023, pf);
    fputs("pp\n", pf); /* 1,025 bytes before the newline */
    fclose(pf);
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), -1);
    assert_non_null(strstr(err, "longer than 1023 bytes"));
    pf = fopen(path, "w");
    fwrite("ab\0cd\n", 1, 6, pf);
    fclose(pf);
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), -1);
    assert_non_null(strstr(err, "NUL"));
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), -1);
    assert_non_null(strstr(err, "not a regular file"));
    unlink(path);
    assert_int_equal(parse(&c, err, sizeof err, flag, NULL), -1);
    assert_non_null(strstr(err, "--redis.password-file"));
    clear_env();
}

/* A switch from the environment reads its word: "false" must not turn it on. */
static void test_switch_from_environment(void **state)
{
    (void)state;
    clear_env();
    config c;
    char err[600];
    static const struct {
        const char *v;
        int want;
    } cases[] = {
        {"false", 0}, {"0", 0}, {"no", 0}, {"true", 1}, {"1", 1}, {"yes", 1}, {"maybe", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("REDIS_EXPORTER_SKIP_TLS_VERIFICATION", cases[i].v, 1);
        int rc = parse(&c, err, sizeof err, NULL);
        if (cases[i].want < 0) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "--tls.insecure-skip-verify"));
            continue;
        }
        assert_int_equal(rc, 0);
        if ((int)c.tls.insecure_skip_verify != cases[i].want)
            fail_msg("%s read as %d", cases[i].v, c.tls.insecure_skip_verify);
        config_free(&c);
    }
    setenv("REDIS_EXPORTER_SKIP_TLS_VERIFICATION", "false", 1);
    assert_int_equal(parse(&c, err, sizeof err, "--tls.insecure-skip-verify", NULL), 0);
    assert_true(c.tls.insecure_skip_verify); /* the flag beats the environment */
    config_free(&c);
    setenv("REDIS_EXPORTER_TLS_CA_CERT_FILE", "/etc/hostname", 1);
    assert_int_equal(parse(&c, err, sizeof err, "--tls.min-version=1.3", NULL), 0);
    assert_string_equal(c.tls.ca_file, "/etc/hostname");
    assert_int_equal(c.tls.min_version, 1);
    config_free(&c);
    clear_env();
}

static void test_zero_memory_samples_is_kept(void **state)
{
    (void)state;
    clear_env();
    config c;
    char err[600];
    /* 0 means "every element" to MEMORY USAGE: it is honoured, not replaced. */
    assert_int_equal(parse(&c, err, sizeof err, "--sampler.memory-samples=0", NULL), 0);
    assert_int_equal(c.sampler_memory_samples, 0);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_durations_and_sizes),
        cmocka_unit_test(test_defaults_and_forms),
        cmocka_unit_test(test_errors_name_the_flag),
        cmocka_unit_test(test_environment_and_password_file),
        cmocka_unit_test(test_zero_memory_samples_is_kept),
        cmocka_unit_test(test_switch_from_environment),
        cmocka_unit_test(test_commandstats_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
