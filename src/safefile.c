/* SPDX-License-Identifier: Apache-2.0 */
/* safefile: see include/safefile.h. */
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"

static void id_of(const struct stat *st, safefile_id *id)
{
    *id = (safefile_id){st->st_dev, st->st_ino, st->st_size, st->st_mtim, true};
}

bool safefile_same(const safefile_id *a, const safefile_id *b)
{
    return a->known && b->known && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
        a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

bool safefile_look(const char *path, safefile_id *id)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        memset(id, 0, sizeof *id);
        return false;
    }
    id_of(&st, id);
    return true;
}

/* Opens without blocking (O_NONBLOCK: a FIFO with no writer would otherwise wait for one)
 * and checks that what was opened is a regular file; -1 with the reason in err. */
static int open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fmt_error(err, errlen, "cannot read %s: %s", path, strerror(errno));
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return fmt_error(err, errlen, "%s is not a regular file", path);
    }
    /* reads of a regular file never block; the flag only mattered for open() */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

char *safefile_read(const char *path, size_t max, size_t *len, safefile_id *id, char *err, size_t errlen)
{
    struct stat before, after;
    if (id) memset(id, 0, sizeof *id);
    int fd = open_regular(path, &before, err, errlen);
    if (fd < 0) {
        if (id) safefile_look(path, id); /* a refused FIFO is remembered too */
        return NULL;
    }
    if (id) id_of(&before, id);
    if (before.st_size > (off_t)max) {
        close(fd);
        fmt_error(err, errlen, "%s: larger than %zu bytes", path, max);
        return NULL;
    }
    size_t cap = (size_t)before.st_size + 1, n = 0;
    char *text = malloc(cap + 1);
    if (!text) abort();
    /* one byte more than the size: a file that grew while being read shows it */
    while (n < cap) {
        ssize_t k = read(fd, text + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    bool stable = fstat(fd, &after) == 0 && n == (size_t)before.st_size && after.st_size == before.st_size &&
        after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec;
    close(fd);
    struct stat named;
    /* ... and the name still leads to the file that was read (not replaced meanwhile) */
    stable = stable && stat(path, &named) == 0 && named.st_ino == before.st_ino && named.st_dev == before.st_dev;
    if (!stable) {
        if (id) id->known = false; /* nothing settled was seen: look again next time */
        explicit_bzero(text, n);
        free(text);
        fmt_error(err, errlen, "%s changed while it was read: read again at the next look", path);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

FILE *safefile_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = open_regular(path, &st, err, errlen);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        fmt_error(err, errlen, "cannot read %s: %s", path, strerror(errno));
    }
    return f;
}
