/* guard: keeps a few HTTP clients from starving the rest (slowloris, idle floods).
 *
 * Every connection is tracked from accept to close with the phase it is in and since
 * when: WAITING for a request (after accept, or after its last response), READING the
 * request's headers (its first line is in), ANSWERING (the request is complete). Each
 * phase has a deadline, whatever the client trickles; and when the connections open pass
 * max - reserve, the oldest ones without a complete request are cut, so a scraper always
 * finds a free slot. The decision is pure (guard_pick); a cut is shutdown(2) on the
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
    double waiting;      /* seconds from accept (or the last response) to a request line */
    double reading;      /* seconds from the request line to the end of the headers */
    double answering;    /* seconds from a complete request to the end of its response */
    size_t max;          /* connections the server accepts */
    size_t reserve;      /* kept free for new clients by cutting the oldest idle ones */
} guard_limits;

/* One connection as guard_pick sees it. */
typedef struct guard_entry {
    guard_phase phase;
    double since;        /* when it entered the phase */
    bool cut;            /* set by guard_pick (or already cut) */
} guard_entry;

/* Marks in e[0..n) (oldest first) the connections to cut at `now`: each one past its
 * phase's deadline, then the oldest not ANSWERING until at most max - reserve would stay
 * open. Entries already cut count as gone. Returns how many it newly marked. Pure. */
size_t guard_pick(guard_entry *e, size_t n, double now, const guard_limits *l);

typedef struct guard guard;
typedef struct guard_conn guard_conn;

/* Starts the reaper thread; NULL when it cannot start (the caller logs it). */
guard *guard_new(const guard_limits *l);
/* Stops the reaper and frees; every connection must be closed already. NULL is ignored. */
void guard_free(guard *g);
/* Tracks a new connection on socket fd (WAITING from now). */
guard_conn *guard_open(guard *g, int fd);
void guard_move(guard *g, guard_conn *c, guard_phase p);
/* Stops tracking; call before the socket is closed. NULL is ignored. */
void guard_close(guard *g, guard_conn *c);

#endif
