/* SPDX-License-Identifier: Apache-2.0 */
/* yamlguard: see include/yamlguard.h. */
#include "yamlguard.h"

#include <yaml.h>

#include "fmt.h"

int yamlguard_check(const char *text, size_t len, char *err, size_t errlen)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return fmt_error(err, errlen, "cannot start the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int depth = 0, rc = -1;
    size_t events = 0;
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            fmt_error(err, errlen, "not YAML: %s (line %zu)", p.problem ? p.problem : "syntax error",
                      p.problem_mark.line + 1);
            break;
        }
        yaml_event_type_t type = e.type;
        size_t line = e.start_mark.line + 1;
        yaml_event_delete(&e);
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) depth++;
        else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) depth--;
        if (depth > YAMLGUARD_MAX_DEPTH) {
            fmt_error(err, errlen, "nested deeper than %d levels (line %zu): not a file this exporter reads",
                      YAMLGUARD_MAX_DEPTH, line);
            break;
        }
        if (++events > YAMLGUARD_MAX_EVENTS) {
            fmt_error(err, errlen, "more than %d YAML events: too large to read", YAMLGUARD_MAX_EVENTS);
            break;
        }
        if (type == YAML_STREAM_END_EVENT) {
            rc = 0;
            break;
        }
    }
    yaml_parser_delete(&p);
    return rc;
}
