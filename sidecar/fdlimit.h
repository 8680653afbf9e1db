/* fdlimit.h - the descriptor budget of the process.
 * At start the soft RLIMIT_NOFILE is raised to the hard limit. A reserve is
 * kept for everything but followed files (outputs and their disk buffers,
 * checkpoint and snapshot writes, the HTTP endpoint, inotify, the event
 * loop); the rest is what the file inputs may hold open together. Past it
 * they close idle files and reopen them when they grow (inputs/tail_budget.c). */
#ifndef VIGIL_FDLIMIT_H
#define VIGIL_FDLIMIT_H

#include <stddef.h>

#define FDLIMIT_RESERVE_MIN 64       /* descriptors never given to followed files */
#define FDLIMIT_RESERVE_MAX 1024

/* Raises the soft limit to the hard one and logs the budget. */
void fdlimit_raise(void);
/* Descriptors all followed files may hold together (from the current soft limit). */
size_t fdlimit_files(void);

#endif
