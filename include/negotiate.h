/* SPDX-License-Identifier: Apache-2.0 */
/* negotiate: HTTP content negotiation for /metrics. Pure. */
#ifndef RME_NEGOTIATE_H
#define RME_NEGOTIATE_H

#include <stdbool.h>

/* True when the Accept header ranks OpenMetrics (version 1.0.0 or 0.0.1, or none given)
 * strictly above text/plain 0.0.4. NULL or empty means no preference: text. A q of 0
 * means "not acceptable". */
bool negotiate_openmetrics(const char *accept);
/* True when Accept-Encoding allows gzip (or "*") with q > 0. */
bool negotiate_gzip(const char *accept_encoding);

#endif
