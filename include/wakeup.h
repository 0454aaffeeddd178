/* SPDX-License-Identifier: Apache-2.0 */
/* wakeup: lets any thread make the event loop run a callback (an eventfd the loop
 * watches). Pokes that come before the loop gets to it run the callback once.
 *
 * Threading: wakeup_poke from any thread; the rest on the loop's thread. */
#ifndef RME_WAKEUP_H
#define RME_WAKEUP_H

struct event_base;
typedef struct wakeup wakeup;

/* fn(arg) runs on base's loop after a poke. NULL when no eventfd could be made. */
wakeup *wakeup_new(struct event_base *base, void (*fn)(void *), void *arg);
void wakeup_free(wakeup *w);
/* Async-signal- and thread-safe; never blocks. */
void wakeup_poke(void *w);

#endif
