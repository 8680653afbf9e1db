/* shell_words.h - quote-aware tokenising of shell command lines.
 * Pure functions over spans: nothing allocates, every output goes to a
 * caller-provided bounded array, and every result span points into the input.
 * Quoting follows POSIX sh closely enough for logs: '...' is literal, "..."
 * and bare text honour backslash escapes, $(...) and `...` are kept whole, and
 * an unterminated quote simply runs to the end of the line (never an error).
 * Control operators (| || |& && & ; ;; and newline) separate commands. */
#ifndef VIGIL_SHELL_WORDS_H
#define VIGIL_SHELL_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "sidecar/span.h"

#define SHELL_MAX_WORDS    64   /* argv entries kept per command line */
#define SHELL_MAX_COMMANDS 32   /* pipeline entries kept per command line */

/* Splits cmd into words at unquoted blanks and newlines; each other control
 * operator is a word of its own. Stores at most max raw words (quotes kept)
 * in words and returns the number stored; *total (may be NULL) gets the
 * number seen. */
size_t shell_split_words(struct span cmd, struct span *words, size_t max, size_t *total);

/* Splits cmd into its commands at unquoted control operators; each command is
 * trimmed of blanks and empty ones are dropped. Returns the number stored (at
 * most max); *total (may be NULL) gets the number seen. */
size_t shell_split_pipeline(struct span cmd, struct span *cmds, size_t max, size_t *total);

/* Both of the above in one pass over cmd: the words (at most maxw, their
 * number in *nw) and the commands (at most maxc); returns the number of
 * commands stored. */
size_t shell_split(struct span cmd, struct span *words, size_t maxw, size_t *nw,
                   struct span *cmds, size_t maxc);

/* Removes one level of quoting from word into out (cap bytes). Returns the
 * length written (cut at cap). */
size_t shell_unquote(struct span word, char *out, size_t cap);

/* True when word has no quote or backslash, so unquoting would not change it. */
bool shell_word_is_plain(struct span word);

/* The program a command runs: skips leading VAR=value words and the wrappers
 * sudo/doas (and their options), env (options and VAR=value), nohup, time,
 * exec and nice, then returns the basename of the next word (outer quotes
 * removed); when only wrappers are present ("sudo -i") the last wrapper is
 * the program. Empty when there is none. Stops at the first control
 * operator. *index (may be NULL) gets that word's position in words (n when
 * none); *uses_sudo (may be NULL) is set when sudo or doas was a wrapper. */
struct span shell_argv0(const struct span *words, size_t n, size_t *index, bool *uses_sudo);

#endif
