/* keyring_view.h: the text of `consul keyring -list` (or -list-primary), from the
 * /v1/operator/keyring body, as Consul's CLI prints it: per pool a blank line, the pool's
 * name ("WAN:", "dc1 (LAN):"), the members' messages, then each key with how many of the
 * pool's nodes have it ("  KEY [2/2]"). Keys are sorted, so the output is stable.
 *
 *   if (keyring_view(body, len, false, stdout, err, sizeof err) < 0) report(err);
 */
#ifndef CLI_KEYRING_VIEW_H
#define CLI_KEYRING_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* primary: print each response's PrimaryKeys instead of its Keys. Returns 0, or -1 when the
 * body is not a JSON array (err says why). */
int keyring_view(const char *body, size_t len, bool primary, FILE *out, char *err, size_t err_len);

#endif
