/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for content negotiation: what Prometheus, browsers and curl send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

#include "negotiate.h"

static void test_accept(void **state)
{
    (void)state;
    static const struct {
        const char *accept;
        bool om;
    } cases[] = {
        {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
         "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
         true}, /* Prometheus 2 */
        {"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;"
         "version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,"
         "*/*;q=0.1",
         true},         /* Prometheus 3 */
        {"*/*", false}, /* curl */
        {NULL, false},
        {"", false},
        {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false}, /* a browser */
        {"application/openmetrics-text", true},
        {"application/openmetrics-text;q=0", false},
        {"application/openmetrics-text;version=2.0.0", false},
        {"text/plain;version=0.0.4, application/openmetrics-text;q=0.5", false},
        {"text/plain;q=0.2 , application/openmetrics-text ; version=1.0.0 ; q=0.9", true},
        {"application/openmetrics-text;q=0.5,text/plain;q=0.5", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (negotiate_openmetrics(cases[i].accept) != cases[i].om)
            fail_msg("Accept '%s': expected %s", cases[i].accept ? cases[i].accept : "(none)",
                     cases[i].om ? "OpenMetrics" : "text");
}

static void test_gzip(void **state)
{
    (void)state;
    static const struct {
        const char *ae;
        bool gzip;
    } cases[] = {
        {"gzip", true},
        {"gzip, deflate, br", true},
        {"deflate, gzip;q=0.5", true},
        {"gzip;q=0", false},
        {"identity", false},
        {NULL, false},
        {"*", true},
        {"GZIP", true},
        {"x-gzip-ish", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (negotiate_gzip(cases[i].ae) != cases[i].gzip)
            fail_msg("Accept-Encoding '%s': expected %d", cases[i].ae ? cases[i].ae : "(none)", cases[i].gzip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_accept), cmocka_unit_test(test_gzip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
