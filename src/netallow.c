/* SPDX-License-Identifier: Apache-2.0 */
/* netallow: where discovery may go. See include/netallow.h. */
#include "netallow.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

/* An IP literal into family and bytes; false when it is not one. */
static bool parse_ip(const char *s, uint8_t *family, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *family = 6;
        return true;
    }
    return false;
}

static bool in_net(const netallow_entry *e, uint8_t family, const uint8_t *addr)
{
    if (e->is_name || e->family != family) return false;
    unsigned full = e->prefix / 8, rest = e->prefix % 8;
    if (memcmp(e->addr, addr, full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (e->addr[full] & mask) == (addr[full] & mask);
}

bool netallow_host_ok(const char *host)
{
    uint8_t fam, b[16];
    if (parse_ip(host, &fam, b)) return true;
    size_t n = strlen(host), label = 0;
    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (ch == '.') {
            if (label == 0) return false; /* an empty label: "..", ".x" */
            label = 0;
        } else if (isalnum(ch) || ch == '-' || ch == '_') {
            if (++label > 63) return false;
        } else {
            return false; /* '/', ':', space, control bytes, ... */
        }
    }
    return true;
}

static void lower_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static int add_net(netallow *a, uint8_t family, const uint8_t addr[16], unsigned prefix)
{
    if (a->n == NETALLOW_MAX) return -1;
    netallow_entry *e = &a->e[a->n++];
    memset(e, 0, sizeof *e);
    e->family = family;
    e->prefix = (uint8_t)prefix;
    memcpy(e->addr, addr, 16);
    return 0;
}

int netallow_add(netallow *a, const char *entry, char *err, size_t errlen)
{
    if (a->n == NETALLOW_MAX) return fmt_error(err, errlen, "more than %d entries", NETALLOW_MAX);
    char ip[64];
    const char *slash = strchr(entry, '/');
    size_t iplen = slash ? (size_t)(slash - entry) : strlen(entry);
    uint8_t family, addr[16];
    if (iplen < sizeof ip) {
        memcpy(ip, entry, iplen);
        ip[iplen] = '\0';
        if (parse_ip(ip, &family, addr)) {
            unsigned max = family == 4 ? 32 : 128;
            unsigned long prefix = max;
            if (slash) {
                char *end;
                prefix = strtoul(slash + 1, &end, 10);
                if (end == slash + 1 || *end || prefix > max)
                    return fmt_error(err, errlen, "'%.64s': the prefix length must be 0-%u", entry, max);
            }
            return add_net(a, family, addr, (unsigned)prefix);
        }
    }
    if (slash) return fmt_error(err, errlen, "'%.64s' is not a network (address/prefix)", entry);
    bool wildcard = strncmp(entry, "*.", 2) == 0;
    const char *name = wildcard ? entry + 2 : entry;
    if (!netallow_host_ok(name) || strchr(name, '*'))
        return fmt_error(err, errlen, "'%.64s' is neither a network nor a host name (or *.name)", entry);
    netallow_entry *e = &a->e[a->n++];
    memset(e, 0, sizeof *e);
    e->is_name = true;
    e->wildcard = wildcard;
    lower_copy(e->name, sizeof e->name, name);
    return 0;
}

/* The networks a seed at family/addr may lead to: its own kind of network. */
static void add_scope(netallow *a, uint8_t family, const uint8_t *addr)
{
    static const struct {
        uint8_t family;
        const char *net;
        unsigned prefix;
    } loopback[] = {{4, "127.0.0.0", 8}, {6, "::1", 128}};
    static const struct {
        uint8_t family;
        const char *net;
        unsigned prefix;
    } private_nets[] = {{4, "10.0.0.0", 8},    {4, "172.16.0.0", 12}, {4, "192.168.0.0", 16},
                        {4, "100.64.0.0", 10}, {6, "fc00::", 7},      {6, "fe80::", 10}};
    uint8_t b[16], fam;
    for (size_t i = 0; i < 2; i++) {
        parse_ip(loopback[i].net, &fam, b);
        netallow_entry probe = {.family = fam, .prefix = (uint8_t)loopback[i].prefix};
        memcpy(probe.addr, b, 16);
        if (in_net(&probe, family, addr)) {
            for (size_t j = 0; j < 2; j++) {
                parse_ip(loopback[j].net, &fam, b);
                add_net(a, fam, b, loopback[j].prefix);
            }
            return;
        }
    }
    bool is_private = false;
    for (size_t i = 0; i < sizeof private_nets / sizeof private_nets[0]; i++) {
        parse_ip(private_nets[i].net, &fam, b);
        netallow_entry probe = {.family = fam, .prefix = (uint8_t)private_nets[i].prefix};
        memcpy(probe.addr, b, 16);
        is_private |= in_net(&probe, family, addr);
    }
    if (is_private) {
        for (size_t i = 0; i < sizeof private_nets / sizeof private_nets[0]; i++) {
            parse_ip(private_nets[i].net, &fam, b);
            add_net(a, fam, b, private_nets[i].prefix);
        }
        return;
    }
    add_net(a, family, addr, family == 4 ? 24 : 64); /* a public address: its own neighbours */
}

void netallow_default(netallow *a, const char *seed_host)
{
    memset(a, 0, sizeof *a);
    uint8_t family, addr[16];
    if (parse_ip(seed_host, &family, addr)) {
        add_scope(a, family, addr);
        return;
    }
    /* A name: names under its own domain, and the private and loopback networks its
     * nodes commonly announce as IP literals (pod and VPC addresses). */
    const char *dot = strchr(seed_host, '.');
    netallow_entry *e = &a->e[a->n++];
    memset(e, 0, sizeof *e);
    e->is_name = true;
    e->wildcard = dot != NULL;
    lower_copy(e->name, sizeof e->name, dot ? dot + 1 : seed_host);
    uint8_t b[16];
    parse_ip("10.0.0.1", &family, b);
    add_scope(a, family, b);
    parse_ip("127.0.0.1", &family, b);
    add_scope(a, family, b);
}

bool netallow_permits(const netallow *a, const char *host)
{
    if (!netallow_host_ok(host)) return false;
    uint8_t family, addr[16];
    bool ip = parse_ip(host, &family, addr);
    char name[NETALLOW_NAME_MAX];
    lower_copy(name, sizeof name, host);
    size_t n = strlen(name);
    for (size_t i = 0; i < a->n; i++) {
        const netallow_entry *e = &a->e[i];
        if (ip) {
            if (in_net(e, family, addr)) return true;
            continue;
        }
        if (!e->is_name) continue;
        size_t m = strlen(e->name);
        if (!e->wildcard && strcmp(name, e->name) == 0) return true;
        if (e->wildcard && n > m + 1 && name[n - m - 1] == '.' && strcmp(name + n - m, e->name) == 0) return true;
    }
    return false;
}

void netallow_describe(const netallow *a, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < a->n && used + 1 < cap; i++) {
        const netallow_entry *e = &a->e[i];
        char one[300];
        if (e->is_name) {
            snprintf(one, sizeof one, "%s%s", e->wildcard ? "*." : "", e->name);
        } else {
            char ip[INET6_ADDRSTRLEN] = "?";
            inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, ip, sizeof ip);
            snprintf(one, sizeof one, "%s/%u", ip, e->prefix);
        }
        int k = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", one);
        if (k < 0 || (size_t)k >= cap - used) break;
        used += (size_t)k;
    }
}
