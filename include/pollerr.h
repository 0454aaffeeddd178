/* SPDX-License-Identifier: Apache-2.0 */
/* pollerr: the fixed set of reasons a poll can fail. Bounded on purpose: the reason is a
 * label value, and error text (addresses, ports, server messages) never becomes one. */
#ifndef RME_POLLERR_H
#define RME_POLLERR_H

#define POLLERR_REASONS(X) \
    X(CONNECT, "connect")         /* refused, unreachable, name not resolved */ \
    X(TLS, "tls")                 /* TLS handshake or record failed (certificate, name, version) */ \
    X(AUTH, "auth")               /* AUTH rejected, or NOAUTH */ \
    X(NOPERM, "noperm")           /* authenticated, but the ACL user may not run INFO */ \
    X(TIMEOUT, "timeout")         /* no complete answer within --poll.timeout */ \
    X(PROTOCOL, "protocol")       /* the bytes are not RESP, or an unexpected reply type */ \
    X(TOO_LARGE, "too_large")     /* the reply passed --poll.max-reply-bytes */ \
    X(LOADING, "loading")         /* the server is loading its dataset */ \
    X(REDIS_ERROR, "redis_error") /* any other error reply */ \
    X(CLOSED, "closed")           /* the server closed the connection mid-poll */

/* The reasons as one string literal, " connect auth ...", for HELP texts. */
#define POLLERR_WORD(id, name) " " name
#define POLLERR_LIST POLLERR_REASONS(POLLERR_WORD)

#define POLLERR_ENUM(id, name) POLLERR_##id,
typedef enum pollerr { POLLERR_NONE = -1, POLLERR_REASONS(POLLERR_ENUM) POLLERR_COUNT } pollerr;
#undef POLLERR_ENUM

/* The label value of a reason; "none" for POLLERR_NONE. */
static inline const char *pollerr_name(pollerr e)
{
#define POLLERR_NAME(id, name) name,
    static const char *const names[POLLERR_COUNT] = {POLLERR_REASONS(POLLERR_NAME)};
#undef POLLERR_NAME
    return (e >= 0 && e < POLLERR_COUNT) ? names[e] : "none";
}

#endif
