/* SPDX-License-Identifier: Apache-2.0 */
/* yamlguard: a YAML text refused before libyaml's cost can grow. Pure.
 *
 * libyaml's scanner is quadratic in nesting depth (50,000 nested flow sequences, 100 KB,
 * took 12.8 s on the event loop). The text is parsed event by event first and refused at
 * the first event past YAMLGUARD_MAX_DEPTH levels, or past YAMLGUARD_MAX_EVENTS events, so
 * what libyaml has scanned by then is bounded; only a text that passes is loaded whole. */
#ifndef RME_YAMLGUARD_H
#define RME_YAMLGUARD_H

#include <stddef.h>

#define YAMLGUARD_MAX_DEPTH 32       /* a targets file needs 5, a web config 4 */
#define YAMLGUARD_MAX_EVENTS 4000000 /* 100,000 targets with labels and TLS need about 3 M */

/* 0 when text[0..len) is YAML within the bounds; -1 with the reason (and the line) in err
 * when it is deeper, longer, or not YAML. */
int yamlguard_check(const char *text, size_t len, char *err, size_t errlen);

#endif
