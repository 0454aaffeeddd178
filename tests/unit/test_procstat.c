/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for procstat's reading of another process's swap: only a Redis, Valkey or
 * KeyDB server's VmSwap is taken (a pid from INFO may name another process here), from a
 * procfs laid out in a temporary directory. */
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

#include "procstat.h"

static void put(const char *dir, long pid, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%ld", dir, pid);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%ld/%s", dir, pid, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_parse(void **state)
{
    (void)state;
    double b;
    assert_true(procstat_parse_vmswap("Name:\tredis-server\nVmRSS:\t  100 kB\nVmSwap:\t    2048 kB\n", &b));
    assert_true(b == 2048.0 * 1024);
    assert_false(procstat_parse_vmswap("Name:\tredis-server\nVmRSS:\t  100 kB\n", &b)); /* a kernel thread */
    assert_false(procstat_parse_vmswap("VmSwap:\tlots\n", &b));
    assert_false(procstat_parse_vmswap("", &b));
}

static void test_only_servers(void **state)
{
    (void)state;
    char dir[] = "/tmp/rme-procfs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    put(dir, 10, "comm", "redis-server\n");
    put(dir, 10, "status", "Name:\tredis-server\nVmSwap:\t  512 kB\n");
    put(dir, 11, "comm", "valkey-server\n");
    put(dir, 11, "status", "VmSwap:\t0 kB\n");
    put(dir, 12, "comm", "bash\n"); /* the pid INFO gave is someone else's here */
    put(dir, 12, "status", "VmSwap:\t99999 kB\n");
    double b = -1;
    assert_true(procstat_server_swap(dir, 10, &b) && b == 512.0 * 1024);
    assert_true(procstat_server_swap(dir, 11, &b) && b == 0);
    assert_false(procstat_server_swap(dir, 12, &b));
    assert_false(procstat_server_swap(dir, 13, &b)); /* no such process */
    assert_false(procstat_server_swap(dir, 0, &b));
    /* the real thing: this process is no Redis */
    assert_false(procstat_server_swap("/proc", (long)getpid(), &b));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_only_servers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
