/* SPDX-License-Identifier: Apache-2.0 */
/* tls: the client side of TLS to Redis (rediss://), on OpenSSL.
 *
 * One tls_client holds the SSL_CTX every TLS connection starts from: the CA store (a file,
 * or the system's), the client certificate and key for mutual TLS, the minimum version
 * and whether the server is verified. Its files are checked when a connection is made (at
 * most once a second) and re-read when they changed, so a rotated certificate is used by
 * the next connection without a restart; connections already up keep theirs. A rotation
 * that does not load (a key that does not match its certificate, half a file) keeps the
 * previous context and is logged once.
 *
 * Each connection gets its own SSL from tls_client_session: SNI and hostname (or IP)
 * verification against the target's host or --tls.server-name.
 *
 * Threading: the event loop's thread only. */
#ifndef RME_TLS_H
#define RME_TLS_H

#include <stddef.h>

#include "config.h"

typedef struct ssl_st SSL;
typedef struct tls_client tls_client;

/* Loads the files o names (borrowed; must outlive the client). NULL with the reason in
 * err when they cannot be used (the reason names the file, never its content). Logs a
 * warning when verification is off. */
tls_client *tls_client_new(const config_tls *o, char *err, size_t errlen);
void tls_client_free(tls_client *t);
/* A new SSL for one connection to host (borrowed for the call), in client mode, with
 * SNI (not for IP literals) and the expected name set; owned by the caller (the
 * connection's bufferevent frees it). NULL with the reason in err. */
SSL *tls_client_session(tls_client *t, const char *host, char *err, size_t errlen);
/* Why a handshake or a TLS read failed, in words (unknown CA, name mismatch, expired,
 * protocol, the peer's alert), from the verify result of ssl and an OpenSSL error code
 * (0 = none). Never holds a secret. */
void tls_describe_failure(const SSL *ssl, unsigned long code, char *out, size_t cap);

#endif
