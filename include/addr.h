/* SPDX-License-Identifier: Apache-2.0 */
/* addr: the types a target's address and its TLS settings are made of, shared by the flag
 * parser (config.h), the targets file and the specs (tspec.h) without the whole
 * configuration. Types only. */
#ifndef RME_ADDR_H
#define RME_ADDR_H

#include <stdbool.h>

typedef enum config_addr_kind { CONFIG_ADDR_TCP, CONFIG_ADDR_UNIX } config_addr_kind;

typedef struct config_target {
    config_addr_kind kind;
    bool tls;        /* rediss:// or valkeys:// (TCP only) */
    char host[256];  /* TCP: name or address, without brackets */
    int port;        /* TCP */
    char path[108];  /* UNIX: socket path */
    char user[128];  /* ACL user from the URL; empty = --redis.user or none */
    int db;          /* from redis://host/N; -1 when not given */
    char label[400]; /* the addr label: host:port[/db] or the socket path; no secrets */
} config_target;

/* Paths are this long at most (PATH_MAX, without pulling in limits.h everywhere). */
#define CONFIG_PATH_MAX 4096

/* TLS to Redis (tls.h): used by rediss:// targets. */
typedef struct config_tls {
    char ca_file[CONFIG_PATH_MAX];   /* "" = the system's CA store */
    char cert_file[CONFIG_PATH_MAX]; /* client certificate (mutual TLS); "" = none */
    char key_file[CONFIG_PATH_MAX];  /* its key */
    char server_name[256];           /* SNI and the name verified; "" = the target's host */
    int min_version;                 /* 0 = TLS 1.2, 1 = TLS 1.3 */
    bool insecure_skip_verify;
} config_tls;

#endif
