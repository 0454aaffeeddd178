/* SPDX-License-Identifier: Apache-2.0 */
/* fmt: a fix split into prose and commands, as the landing page and the doctor's JSON
 * both read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fmt.h"

static void test_fix_pieces(void **state)
{
    (void)state;
    static const struct {
        const char *fix, *want;
    } cases[] = {
        {"Run `CONFIG SET maxmemory 6mb` (then `CONFIG REWRITE` to keep it).",
         "p[Run ]c[CONFIG SET maxmemory 6mb]p[ (then ]c[CONFIG REWRITE]p[ to keep it).]"},
        {"`MEMORY PURGE`", "c[MEMORY PURGE]"},
        {"no command here", "p[no command here]"},
        {"", ""},
        {"cut `short", "p[cut ]c[short]"},
        {"``", "c[]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[256] = "";
        size_t n;
        bool is_cmd;
        for (const char *cur = cases[i].fix, *p; (p = fmt_fix_piece(&cur, &n, &is_cmd)) != NULL;)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%c[%.*s]", is_cmd ? 'c' : 'p', (int)n, p);
        if (strcmp(got, cases[i].want) != 0) fail_msg("'%s': got %s, want %s", cases[i].fix, got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fix_pieces)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
