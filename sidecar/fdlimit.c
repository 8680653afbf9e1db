/* fdlimit.c - the descriptor budget (fdlimit.h). */
#include "sidecar/fdlimit.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "sidecar/log.h"

/* A quarter of the limit, within [MIN, MAX]: with the common 1024 that is
 * 256 for outputs, spool segments, state writes and HTTP clients. */
static size_t reserve_of(size_t soft)
{
    size_t r = soft / 4;
    if (r < FDLIMIT_RESERVE_MIN)
        r = FDLIMIT_RESERVE_MIN;
    if (r > FDLIMIT_RESERVE_MAX)
        r = FDLIMIT_RESERVE_MAX;
    return r;
}

size_t fdlimit_files(void)
{
    struct rlimit rl;
    size_t soft = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        soft = (size_t)rl.rlim_cur;
    else if (rl.rlim_cur == RLIM_INFINITY)
        soft = (size_t)1 << 20;
    size_t r = reserve_of(soft);
    return soft > r + 16 ? soft - r : 16;
}

void fdlimit_raise(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t was = rl.rlim_cur;
    /* an unlimited hard limit still stops at fs.nr_open (1048576 by default) */
    rlim_t want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
    if (rl.rlim_cur != want && (rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur < want)) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            log_warn("descriptors: raising the soft limit from %llu to %llu failed: %s",
                     (unsigned long long)was, (unsigned long long)want, strerror(errno));
            rl.rlim_cur = was;
        }
    }
    log_info("descriptors: limit %llu (was %llu), %zu for followed files",
             (unsigned long long)rl.rlim_cur, (unsigned long long)was, fdlimit_files());
}
