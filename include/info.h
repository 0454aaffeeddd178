/* SPDX-License-Identifier: Apache-2.0 */
/* info: INFO reply text -> info_sample. Pure: no I/O, no clock, no globals.
 *
 * Parsing follows Sentinel's rules: split on LF (a CR before it is dropped), skip blank
 * lines, take "# Name" as a section header, split each other line at its first ':' and
 * match the whole key against the table in info_fields.h. Unknown keys are ignored; a
 * value that does not parse as a number leaves its field absent (never a fake 0). */
#ifndef RME_INFO_H
#define RME_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "info_fields.h"

typedef enum info_kind { INFO_GAUGE, INFO_COUNTER, INFO_USEC } info_kind;

#define INFO_ENUM_NUM(id, key, metric, kind, help) INFO_##id,
typedef enum info_num { INFO_NUMERIC_FIELDS(INFO_ENUM_NUM) INFO_NUM_COUNT } info_num;
#undef INFO_ENUM_NUM
#define INFO_ENUM_TEXT(id, key, label) INFO_##id,
typedef enum info_text { INFO_TEXT_FIELDS(INFO_ENUM_TEXT) INFO_TEXT_COUNT } info_text;
#undef INFO_ENUM_TEXT

/* Static description of a numeric field (from the table). */
typedef struct info_num_desc {
    const char *key;    /* INFO key */
    size_t keylen;      /* strlen(key), known at compile time: parsing compares lengths first */
    const char *metric; /* metric name, or NULL when only used for derived values */
    info_kind kind;
    const char *help;
} info_num_desc;

typedef struct info_text_desc {
    const char *key;
    size_t keylen;
    const char *label; /* label on redis_instance_info, or NULL */
} info_text_desc;

#define INFO_TEXT_MAX 96 /* longer text values are truncated */
#define INFO_TEXTS_BYTES \
    320                        /* all text values of a sample; one that does not fit any
                                     more (only a lying server sends that much) is absent */
#define INFO_ERRNAME_MAX 40    /* longer error prefixes are truncated */
#define INFO_MAX_ERRORSTATS 64 /* bounds the cardinality of redis_errors_total */
#define INFO_MAX_DBS 4096      /* bounds the keyspace lines kept */
#define INFO_CMDNAME_MAX 48    /* a longer command name is not a Redis command: dropped */
#define INFO_MAX_CMDSTATS \
    512 /* bounds redis_commands_*{cmd}: Redis 7.4 has about 240
                                     commands and subcommands */
#define INFO_FROM_CONFIG_MAXMEMORY 1u
#define INFO_FROM_CONFIG_POLICY 2u

typedef struct info_db {
    int index; /* N of "dbN" */
    double keys, expires;
    double avg_ttl_ms;
    bool has_expires, has_avg_ttl;
} info_db;

typedef struct info_errorstat {
    char name[INFO_ERRNAME_MAX]; /* the prefix after errorstat_, e.g. "OOM" */
    double count;
} info_errorstat;

/* One line of INFO commandstats: cmdstat_<name>:calls=N,usec=N[,rejected_calls=N,failed_calls=N]. */
typedef struct info_cmdstat {
    char name[INFO_CMDNAME_MAX]; /* "get", "client|list" (subcommands since 7.0) */
    double calls, usec;
    double rejected, failed; /* Redis 7.0+: see has_calls_split */
    bool has_calls_split;    /* rejected_calls and failed_calls were given */
} info_cmdstat;

typedef struct info_sample {
    double num[INFO_NUM_COUNT];
    bool has_num[INFO_NUM_COUNT];
    /* The text values, NUL-terminated, one after another: a few short strings (a version,
     * a role, a policy; `os`, the longest in the fixtures, is 53 bytes) in one block
     * instead of INFO_TEXT_COUNT slots of INFO_TEXT_MAX (every target keeps a sample). */
    char texts[INFO_TEXTS_BYTES];
    uint16_t text_at[INFO_TEXT_COUNT]; /* 1 + where the value starts in texts; 0 = absent */
    uint16_t texts_used;
    info_db *dbs; /* owned; sorted by index after info_parse */
    size_t n_dbs, cap_dbs;
    info_errorstat *errs; /* owned */
    size_t n_errs, cap_errs;
    info_cmdstat *cmds;      /* owned; sorted by name, one per name, after info_parse */
    size_t n_cmds, cap_cmds; /* (empty unless commandstats was asked for) */
    bool has_errorstats;     /* an "# Errorstats" header was seen (Redis >= 6.2) */
    bool has_keyspace;       /* an "# Keyspace" header or a dbN line was seen */
    uint8_t from_config;     /* INFO_FROM_CONFIG_* bits: values memmodel_fill_from_config
                                     took from CONFIG GET because INFO lacked them */
    size_t n_known;          /* lines that matched a table row or section */
    size_t n_bad_values;     /* known keys whose value did not parse */
} info_sample;

/* Descriptions of every numeric / text field, indexed by info_num / info_text. */
extern const info_num_desc info_num_table[INFO_NUM_COUNT];
extern const info_text_desc info_text_table[INFO_TEXT_COUNT];

/* Initialises an empty sample (no allocation). Pair with info_sample_free. */
void info_sample_init(info_sample *s);
/* Frees what the sample owns; it is empty and reusable afterwards. */
void info_sample_free(info_sample *s);
/* Marks every field absent, keeping the allocated storage. */
void info_sample_reset(info_sample *s);

/* Adds the fields found in text[0..len) to s; call once per reply when INFO comes as
 * several replies. text need not be NUL-terminated and is not kept.
 * Returns the number of lines recognised (0 for a text with nothing from the table). */
size_t info_parse(info_sample *s, const char *text, size_t len);

/* Looks up a field; returns false (and leaves *out alone) when absent. */
bool info_get(const info_sample *s, info_num f, double *out);
/* Returns the text value, or NULL when absent. */
const char *info_text_get(const info_sample *s, info_text f);
/* Sets a text value from v[0..n) (cut at INFO_TEXT_MAX - 1 bytes); absent when it does
 * not fit in what is left of the sample's INFO_TEXTS_BYTES. */
void info_text_set(info_sample *s, info_text f, const char *v, size_t n);
/* The count of an errorstat prefix: true with *out set when known. With an Errorstats
 * section present and no such line, the count is known to be 0. */
bool info_error_count(const info_sample *s, const char *name, double *out);
/* Parses "7.0.15" style versions; returns the major number, or -1. */
int info_major_version(const info_sample *s);
/* The server in words: "Valkey 8.0.1" (Valkey reports redis_version 7.2.4 for clients'
 * sake, valkey_version is its own), "Redis 7.0.15"; false without either version. */
bool info_server_words(const info_sample *s, char *out, size_t cap);

#endif
