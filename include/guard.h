/* SPDX-License-Identifier: Apache-2.0 */
/* guard: keeps a few HTTP clients from starving the rest (slowloris, idle floods).
 *
 * Every connection is tracked from accept to close with the phase it is in and since
 * when: WAITING for a request (after accept, or after its last response), READING the
 * request's headers (its first line is in), ANSWERING (the request is complete). Each
 * phase has a deadline, whatever the client trickles; and when the connections open pass
 * max - reserve, the oldest ones without a complete request are cut, so a scraper always
 * finds a free slot. A client address at its own limit (per_client) that opens one more
 * has its oldest connection without a complete request cut instead of the new one being
 * refused, so a scraper that sends its request promptly gets in beside an abuser on its
 * own address (NAT, a proxy, the same host). The decisions are pure (guard_pick,
 * guard_client_victim); a cut is shutdown(2) on the
 * socket, after which libmicrohttpd sees the end of the stream and closes it.
 *
 * Threading: libmicrohttpd's threads open, move and close entries; a reaper thread cuts
 * every 100 ms. One mutex guards the list; it is also held while cutting, and an entry is
 * closed (by libmicrohttpd's close notification) before its socket is, so a cut never
 * reaches a descriptor that was reused. */
#ifndef RME_GUARD_H
#define RME_GUARD_H

#include <stdbool.h>
#include <stddef.h>

typedef enum guard_phase { GUARD_WAITING, GUARD_READING, GUARD_ANSWERING } guard_phase;

typedef struct guard_limits {
    double waiting;    /* seconds from accept (or the last response) to a request line */
    double reading;    /* seconds from the request line to the end of the headers */
    double answering;  /* seconds from a complete request to the end of its response */
    size_t max;        /* connections the server accepts */
    size_t reserve;    /* kept free for new clients by cutting the oldest idle ones */
    size_t per_client; /* connections one client address may hold; 0: no limit */
} guard_limits;

/* One connection as guard_pick sees it. */
typedef struct guard_entry {
    guard_phase phase;
    double since;              /* when it entered the phase */
    bool cut;                  /* set by guard_pick (or already cut) */
    unsigned long long client; /* hash of the client's address */
} guard_entry;

/* Marks in e[0..n) (oldest first) the connections to cut at `now`: each one past its
 * phase's deadline, then the oldest not ANSWERING until at most max - reserve would stay
 * open. Entries already cut count as gone. Returns how many it newly marked. Pure. */
size_t guard_pick(guard_entry *e, size_t n, double now, const guard_limits *l);

/* When a new connection of client makes it hold more than per_client of e[0..n) (oldest
 * first, the new one not among them): the index of its oldest connection not ANSWERING and
 * not cut, to cut instead; n when there is none (the new one is cut); -1 when it is within
 * its limit. Pure. */
long guard_client_victim(const guard_entry *e, size_t n, unsigned long long client, size_t per_client);

typedef struct guard guard;
typedef struct guard_conn guard_conn;

/* Starts the reaper thread; NULL when it cannot start (the caller logs it). */
guard *guard_new(const guard_limits *l);
/* Stops the reaper and frees; every connection must be closed already. NULL is ignored. */
void guard_free(guard *g);
/* Tracks a new connection on socket fd from client (WAITING from now), making room for it
 * within the client's limit (guard_client_victim). */
guard_conn *guard_open(guard *g, int fd, const char *client);
void guard_move(guard *g, guard_conn *c, guard_phase p);
/* Stops tracking; call before the socket is closed. NULL is ignored. */
void guard_close(guard *g, guard_conn *c);

#endif
