/* SPDX-License-Identifier: Apache-2.0 */
/* http: the libmicrohttpd server for /metrics, / and /healthz.
 *
 * Threading: libmicrohttpd runs a pool of polling threads (epoll, one per core). Handlers take
 * a reference to the published snapshot and hand its bytes to libmicrohttpd without a
 * copy; the reference is dropped when the response is destroyed. No lock is held while
 * bytes are written and no request ever waits on Redis. */
#ifndef RME_HTTP_H
#define RME_HTTP_H

#include <stdbool.h>

#include "config.h"

typedef struct http_server http_server;

/* Starts listening; returns NULL after logging why (address in use, bad address). */
http_server *http_start(const config *cfg);
/* Reads --web.config.file again and serves with it on the same socket (TLS, users,
 * headers); when it cannot be read or is refused, the previous settings stay. Returns 0,
 * or -1 after logging why. Main thread. */
int http_reload(http_server *h);
/* True when the web config or a file it names has changed since it was read. */
bool http_config_changed(const http_server *h);
/* Stops the thread, closes the socket, frees. NULL is ignored. */
void http_stop(http_server *h);

#endif
