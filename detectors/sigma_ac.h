/* sigma_ac.h - Aho-Corasick over bytes: all literals of one field found in
 * one pass over the text, whatever their number. Built once per rule set.
 * The automaton is a full DFA over byte classes (the bytes that occur in the
 * literals, and one class for every other byte), so a step is two loads. */
#ifndef VIGIL_SIGMA_AC_H
#define VIGIL_SIGMA_AC_H

#include <stddef.h>
#include <stdint.h>

struct sigma_ac;

struct sigma_ac *sigma_ac_new(void);
/* Adds a literal; returns its id (0, 1, ...), an existing id for a duplicate,
 * or -1 on ENOMEM. Only before sigma_ac_build. */
int32_t sigma_ac_add(struct sigma_ac *a, const char *p, size_t n);
int sigma_ac_build(struct sigma_ac *a);
/* Calls hit(arg, id) for every occurrence end of every literal in t. */
void sigma_ac_scan(const struct sigma_ac *a, const char *t, size_t n,
                   void (*hit)(void *arg, int32_t id), void *arg);
size_t sigma_ac_count(const struct sigma_ac *a);
void sigma_ac_free(struct sigma_ac *a);

#endif
