/* SPDX-License-Identifier: Apache-2.0 */
/* webcfg: --web.config.file, in the Prometheus exporter-toolkit format, parsed with libyaml.
 *
 *   tls_server_config:   cert_file, key_file, client_auth_type, client_ca_file,
 *                        min_version, max_version, cipher_suites
 *   http_server_config:  headers (a map)
 *   basic_auth_users:    user: bcrypt hash
 *
 * Paths are relative to the file's directory. Any other key is an error that names it,
 * so a typo never silently turns TLS or authentication off. The certificate, key and CA
 * files are read here (PEM), so a loaded config is complete and can be swapped in whole.
 * No I/O beyond reading those files; no globals. */
#ifndef RME_WEBCFG_H
#define RME_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define WEBCFG_MAX_USERS 256
#define WEBCFG_MAX_HEADERS 16
#define WEBCFG_MAX_FILES 4 /* the config, cert, key, client CA: watched for changes */

typedef enum webcfg_client_auth {
    WEBCFG_NO_CLIENT_CERT,
    WEBCFG_REQUEST_CLIENT_CERT,
    WEBCFG_REQUIRE_ANY_CLIENT_CERT,
    WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN,
    WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT,
} webcfg_client_auth;

typedef struct webcfg_pair {
    char *name, *value; /* owned */
} webcfg_pair;

typedef struct webcfg {
    bool tls;
    char *cert_pem, *key_pem, *client_ca_pem; /* owned PEM texts; client_ca_pem may be NULL */
    webcfg_client_auth client_auth;
    char priorities[512]; /* GnuTLS priority string (versions, cipher suites) */
    webcfg_pair headers[WEBCFG_MAX_HEADERS];
    size_t n_headers;
    webcfg_pair users[WEBCFG_MAX_USERS]; /* name, bcrypt hash */
    size_t n_users;
    char files[WEBCFG_MAX_FILES][4096];       /* what it was read from ... */
    struct timespec mtimes[WEBCFG_MAX_FILES]; /* ... and when each was last changed */
    long long sizes[WEBCFG_MAX_FILES];
    size_t n_files;
} webcfg;

/* Reads and checks the file into c (initialised here). Returns 0, or -1 with one line in
 * err naming the key or file at fault (never a secret); c is then empty. */
int webcfg_load(const char *path, webcfg *c, char *err, size_t errlen);
/* The same from text already in memory; relative file names are taken from dir. */
int webcfg_parse(const char *text, size_t len, const char *dir, webcfg *c, char *err, size_t errlen);
void webcfg_free(webcfg *c);
/* True when one of the files it was read from has changed (or gone) since. */
bool webcfg_changed(const webcfg *c);

#endif
