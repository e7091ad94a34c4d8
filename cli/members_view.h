/* members_view.h: the text of `consul members`, from the /v1/agent/members body, as Consul's
 * CLI prints it: members filtered by status, servers first then by segment and name, the
 * standard columns or -detailed's tags. Pure: JSON in, text out.
 *
 *   struct members_view_opts o = {.detailed = false, .status_re = NULL, .all_segments = true};
 *   int rc = members_view(body, len, &o, stdout, err, sizeof err);  // 0, 2 (none matched), -1
 */
#ifndef CLI_MEMBERS_VIEW_H
#define CLI_MEMBERS_VIEW_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct members_view_opts {
	bool detailed;
	const regex_t *status_re; /* NULL: every status */
	bool all_segments;        /* -segment was left at "_all": servers show "<all>" */
};

/* Returns 0 after writing the table; 2 when no member matched (nothing written, the exit
 * code Consul uses so scripts can tell "none" from an error); -1 when the body is not a JSON
 * array, with the reason in err. */
int members_view(const char *body, size_t len, const struct members_view_opts *o, FILE *out, char *err,
		 size_t err_len);

/* Serf's member status names (1 alive, 2 leaving, 3 left, 4 failed). */
const char *members_status_name(long long status);

#endif
