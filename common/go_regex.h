/* go_regex.h: regular expressions as Consul's users write them (Go's regexp syntax), on
 * POSIX regcomp. Go's syntax and POSIX ERE agree on the common subset; \d and \D (and \d,
 * \w, \s inside classes) are rewritten. What Go refuses, and what would make glibc's matcher
 * blow up on a pattern from the network, is refused with a reason: back-references, a
 * repetition of a repetition, more than 2 counted repetitions or counts over 100, patterns
 * over 512 bytes.
 *
 *   regex_t re; char err[160];
 *   if (go_regex_compile(&re, "^web-\\d+$", err, sizeof err) < 0) refuse(err);
 *   regexec(&re, name, 0, NULL, 0) == 0 ...; regfree(&re);
 */
#ifndef COMMON_GO_REGEX_H
#define COMMON_GO_REGEX_H

#include <regex.h>
#include <stddef.h>

/* 0 with re compiled (REG_EXTENDED | REG_NOSUB; regfree it), or -1 with the reason in err. */
int go_regex_compile(regex_t *re, const char *pattern, char *err, size_t err_len);

#endif
