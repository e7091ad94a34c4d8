/* table.h: columns aligned as Consul's CLI prints them (two spaces between columns, each
 * padded to its widest cell, no trailing spaces).
 *
 *   struct table t; table_init(&t, 3);
 *   table_add(&t, (const char *[]){"Node", "Address", "Status"});
 *   table_print(&t, stdout); table_free(&t);
 */
#ifndef CLI_TABLE_H
#define CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table {
	size_t ncols;
	size_t nrows;
	char **cells; /* nrows * ncols, owned */
};

void table_init(struct table *t, size_t ncols);
/* Copies ncols strings (NULL prints as empty). Returns 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *row);
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
