/* filter.h: Consul's ?filter= expression language (go-bexpr's grammar) as a pure parser and an
 * evaluator over JSON values, so httpd filters the reply bodies the owners already render.
 *
 *   char err[256];
 *   struct filter *f = filter_compile("Service.Tags contains \"primary\" and Node.Meta.env == prod",
 *                                     err, sizeof err);
 *   if (!f) -> 400 "Failed to create boolean expression evaluator: <err>"
 *   struct buf out; buf_init(&out);
 *   filter_apply(f, body, body_len, NULL, &out);  // arrays keep matching elements, maps matching values
 *   filter_free(f);
 *
 * Grammar: or / and / not / ( ), and match expressions
 *   Sel == V, Sel != V, Sel is empty, Sel is not empty, V in Sel, V not in Sel,
 *   Sel contains V, Sel not contains V, Sel matches V, Sel not matches V
 * where Sel is Ident(.Ident | ["key"])* and V is a "string", a `raw string`, a number or a bare
 * word. Selectors name JSON members exactly (case-sensitive). A selector that goes through an
 * array tests its elements and matches when any does (Checks.Status == critical). A member
 * that is absent makes ==, in, contains, matches and is not empty false, and their negations
 * (and is empty) true. Regular expressions are POSIX extended, without back-references.
 */
#ifndef HTTPD_FILTER_H
#define HTTPD_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "common/buf.h"

/* Longest expression accepted, and deepest nesting of parentheses and nots. */
#define FILTER_MAX_LEN 4096
#define FILTER_MAX_DEPTH 32

struct filter;

/* Parses expr (NUL-terminated). Returns the compiled filter (free with filter_free), or NULL
 * with the reason, and where, in err. */
struct filter *filter_compile(const char *expr, char *err, size_t err_len);
void filter_free(struct filter *f);
/* Both must match. Takes ownership of a and b (either may be NULL: the other is returned). */
struct filter *filter_and(struct filter *a, struct filter *b);
/* Does one element (an object) match? */
bool filter_match(const struct filter *f, yajl_val item);

/* Appends to out the body with its list filtered: the body itself when field is NULL, else
 * the member `field` of the top-level object (the "Services" of /v1/catalog/node/:node). A
 * list is an array (kept elements) or an object used as a map (kept members). Other shapes
 * are copied as they are. Returns 0, or -1 when the body is not JSON (out unchanged). */
int filter_apply(const struct filter *f, const char *body, size_t len, const char *field, struct buf *out);

#endif
