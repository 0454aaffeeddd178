/* SPDX-License-Identifier: Apache-2.0 */
/* tls: client TLS contexts for rediss:// targets, re-read when their files change. See include/tls.h. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"
#include "safefile.h"
#include "xalloc.h"

/* How often, at most, the files are looked at again (on a new connection). */
#define RECHECK_SECONDS 1.0

enum { F_CA, F_CERT, F_KEY, N_FILES };

/* What stat() says of a file: a change of any part means it was replaced or rewritten. */
typedef struct file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool present;
} file_sig;

struct tls_client {
    const config_tls *o;
    SSL_CTX *ctx;
    file_sig sig[N_FILES];    /* of the files ctx was made from */
    file_sig failed[N_FILES]; /* of files that did not load: logged once, not retried */
    double last_check;
};

/* The --tls.min-version values (config.c's names, in the same order). */
static const int min_versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};

static const char *path_of(const config_tls *o, int i)
{
    return i == F_CA ? o->ca_file : i == F_CERT ? o->cert_file : o->key_file;
}

static void sign(const config_tls *o, file_sig sig[N_FILES])
{
    memset(sig, 0, N_FILES * sizeof *sig);
    for (int i = 0; i < N_FILES; i++) {
        struct stat st;
        if (!path_of(o, i)[0] || stat(path_of(o, i), &st) != 0) continue;
        sig[i] = (file_sig){st.st_dev, st.st_ino, st.st_size, st.st_mtim, true};
    }
}

static bool same(const file_sig a[N_FILES], const file_sig b[N_FILES])
{
    for (int i = 0; i < N_FILES; i++)
        if (a[i].present != b[i].present || a[i].dev != b[i].dev || a[i].ino != b[i].ino || a[i].size != b[i].size ||
            a[i].mtime.tv_sec != b[i].mtime.tv_sec || a[i].mtime.tv_nsec != b[i].mtime.tv_nsec)
            return false;
    return true;
}

/* The last OpenSSL error as words (the queue is emptied). */
static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

/* A readable file, or the reason it is not (said before OpenSSL's vaguer words). */
static int readable(const char *path, const char *what, char *err, size_t errlen)
{
    char why[600];
    FILE *f = safefile_open(path, why, sizeof why); /* a FIFO is refused, never waited on */
    if (!f) {
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    fclose(f);
    return 0;
}

static SSL_CTX *make_ctx(const config_tls *o, char *err, size_t errlen)
{
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot make a TLS context: %s", ssl_reason());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, min_versions[o->min_version]);
    /* Idle connections (one per target, thousands of targets) give their buffers back. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, o->insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (o->ca_file[0]) {
        if (readable(o->ca_file, "--tls.ca-file", err, errlen)) goto bad;
        if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
            snprintf(err, errlen, "--tls.ca-file %s: no CA certificate loaded (%s)", o->ca_file, ssl_reason());
            goto bad;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, errlen, "the system's CA store cannot be read (%s); give --tls.ca-file", ssl_reason());
        goto bad;
    }
    if (o->cert_file[0]) {
        if (readable(o->cert_file, "--tls.cert-file", err, errlen) ||
            readable(o->key_file, "--tls.key-file", err, errlen))
            goto bad;
        if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
            snprintf(err, errlen, "--tls.cert-file %s: not a PEM certificate (%s)", o->cert_file, ssl_reason());
            goto bad;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1) {
            snprintf(err, errlen, "--tls.key-file %s: cannot be used with --tls.cert-file (%s)", o->key_file,
                     ssl_reason());
            goto bad;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            snprintf(err, errlen, "--tls.key-file %s does not match --tls.cert-file %s", o->key_file, o->cert_file);
            ERR_clear_error();
            goto bad;
        }
    }
    return ctx;
bad:
    SSL_CTX_free(ctx);
    return NULL;
}

tls_client *tls_client_new(const config_tls *o, char *err, size_t errlen)
{
    tls_client *t = xcalloc(1, sizeof *t);
    t->o = o;
    sign(o, t->sig);
    t->ctx = make_ctx(o, err, errlen);
    if (!t->ctx) {
        free(t);
        return NULL;
    }
    t->last_check = clock_mono();
    if (o->insecure_skip_verify)
        log_kv(LOG_WARN,
               "TLS to Redis without verifying the server (--tls.insecure-skip-verify): anyone on the path "
               "can read the password and the data",
               NULL);
    return t;
}

void tls_client_free(tls_client *t)
{
    if (!t) return;
    SSL_CTX_free(t->ctx);
    free(t);
}

/* Files changed on disk: make a new context from them. A failure keeps the old one. */
static void refresh(tls_client *t)
{
    double now = clock_mono();
    if (now - t->last_check < RECHECK_SECONDS) return;
    t->last_check = now;
    file_sig now_sig[N_FILES];
    sign(t->o, now_sig);
    if (same(now_sig, t->sig) || same(now_sig, t->failed)) return;
    char err[600];
    SSL_CTX *ctx = make_ctx(t->o, err, sizeof err);
    if (!ctx) {
        memcpy(t->failed, now_sig, sizeof now_sig);
        log_kv(LOG_WARN, "TLS files changed but do not load; new connections keep the previous ones", "detail", err,
               NULL);
        return;
    }
    /* Sessions made from the old context hold a reference to it. */
    SSL_CTX_free(t->ctx);
    t->ctx = ctx;
    memcpy(t->sig, now_sig, sizeof now_sig);
    log_kv(LOG_INFO, "TLS files changed: re-read for new connections", NULL);
}

static bool is_ip_literal(const char *s)
{
    unsigned char b[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

SSL *tls_client_session(tls_client *t, const char *host, char *err, size_t errlen)
{
    refresh(t);
    const char *name = t->o->server_name[0] ? t->o->server_name : host;
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl) {
        snprintf(err, errlen, "cannot start TLS: %s", ssl_reason());
        return NULL;
    }
    bool ip = is_ip_literal(name);
    /* SNI carries host names only (RFC 6066); an address is checked against the
     * certificate's IP entries. */
    int ok = ip ? 1 : SSL_set_tlsext_host_name(ssl, name);
    if (ok == 1 && !t->o->insecure_skip_verify)
        ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name);
    if (ok != 1) {
        snprintf(err, errlen, "cannot set the TLS server name: %s", ssl_reason());
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

/* Certificate checks by kind: what failed, and what to do about it. */
static const char *verify_words(long v)
{
    switch (v) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "unknown CA: the server's certificate is not signed by a CA in --tls.ca-file (or the system store)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "name mismatch: the server's certificate is not for the host connected to (--tls.server-name sets "
               "the name checked)";
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return "expired: the server's certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "not yet valid: the server's certificate starts later (is this clock right?)";
    default:
        return NULL;
    }
}

/* What the peer or the protocol said, by OpenSSL reason. */
static const char *reason_words(int reason)
{
    switch (reason) {
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
        return "the server rejected the client certificate (--tls.cert-file is not signed by a CA it trusts)";
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        return "the server requires a client certificate (--tls.cert-file and --tls.key-file)";
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        return "the server rejected the client certificate: it has expired";
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
        return "protocol: the server does not speak TLS on this port (a plain port? use redis://)";
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        return "protocol: no TLS version in common (see --tls.min-version)";
    default:
        return NULL;
    }
}

void tls_describe_failure(const SSL *ssl, unsigned long code, char *out, size_t cap)
{
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    const char *w = v != X509_V_OK ? verify_words(v) : NULL;
    if (w) {
        snprintf(out, cap, "%s", w);
        return;
    }
    if (v != X509_V_OK) {
        snprintf(out, cap, "certificate rejected: %s", X509_verify_cert_error_string(v));
        return;
    }
    w = code && ERR_GET_LIB(code) == ERR_LIB_SSL ? reason_words(ERR_GET_REASON(code)) : NULL;
    if (w) snprintf(out, cap, "%s", w);
    else if (code && ERR_reason_error_string(code)) snprintf(out, cap, "protocol: %s", ERR_reason_error_string(code));
    else snprintf(out, cap, "handshake failed: the server closed the connection (not a TLS port, or it refused us)");
}
