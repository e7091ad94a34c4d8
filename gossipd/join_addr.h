/* join_addr.h: the addresses operators give to join ("host", "host:port", "[v6]:port"). */
#ifndef GOSSIPD_JOIN_ADDR_H
#define GOSSIPD_JOIN_ADDR_H

#include <stddef.h>

#include "swim.h"

/* Parses "host", "host:port", "[v6]" or "[v6]:port" and resolves host to a numeric address.
 * Returns 0, or -1 with the reason in err. */
int join_resolve(const char *text, int default_port, struct swim_addr *out, char *err, size_t err_len);

#endif
