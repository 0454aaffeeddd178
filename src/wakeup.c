/* SPDX-License-Identifier: Apache-2.0 */
/* wakeup: an eventfd the loop reads. See include/wakeup.h. */
#include "wakeup.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "xalloc.h"

struct wakeup {
    int fd;
    struct event *ev;
    void (*fn)(void *);
    void *arg;
};

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    wakeup *w = arg;
    uint64_t n;
    /* one read takes every poke so far: they run the callback once */
    if (read(fd, &n, sizeof n) == (ssize_t)sizeof n) w->fn(w->arg);
}

wakeup *wakeup_new(struct event_base *base, void (*fn)(void *), void *arg)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return NULL;
    wakeup *w = xcalloc(1, sizeof *w);
    *w = (wakeup){.fd = fd, .fn = fn, .arg = arg};
    w->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, w);
    if (!w->ev || event_add(w->ev, NULL) != 0) {
        wakeup_free(w);
        return NULL;
    }
    return w;
}

void wakeup_free(wakeup *w)
{
    if (!w) return;
    if (w->ev) event_free(w->ev);
    close(w->fd);
    free(w);
}

void wakeup_poke(void *w)
{
    uint64_t one = 1;
    /* a full counter (2^64 - 2 pokes unread) already wakes the loop */
    ssize_t rc = write(((wakeup *)w)->fd, &one, sizeof one);
    (void)rc;
}
