/* table.c: aligned columns. */
#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void table_init(struct table *t, size_t ncols)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cells = NULL;
}

int table_add(struct table *t, const char *const *row)
{
	char **cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *cells);
	if (!cells)
		return -ENOMEM;
	t->cells = cells;
	for (size_t c = 0; c < t->ncols; c++)
		cells[t->nrows * t->ncols + c] = strdup(row[c] ? row[c] : "");
	t->nrows++;
	return 0;
}

void table_print(const struct table *t, FILE *out)
{
	size_t *width = calloc(t->ncols, sizeof *width);
	if (!width)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			size_t len = cell ? strlen(cell) : 0;
			if (len > width[c])
				width[c] = len;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t last = t->ncols;
		while (last > 0 && !(t->cells[r * t->ncols + last - 1] && *t->cells[r * t->ncols + last - 1]))
			last--;
		for (size_t c = 0; c < last; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			if (c + 1 < last)
				fprintf(out, "%-*s  ", (int)width[c], cell ? cell : "");
			else
				fprintf(out, "%s", cell ? cell : "");
		}
		fputc('\n', out);
	}
	free(width);
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	table_init(t, t->ncols);
}
