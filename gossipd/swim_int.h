/* swim_int.h: helpers shared by the SWIM core's files; not for the shell. */
#ifndef GOSSIPD_SWIM_INT_H
#define GOSSIPD_SWIM_INT_H

#include "swim.h"

/* FNV-1a of a NUL-terminated name. */
uint32_t swim_hash(const char *s);
/* Appends a message of type to o, addressed to `to`. NULL on ENOMEM. */
struct swim_send *swim_out_send(struct swim_out *o, const struct swim_addr *to, bool reliable,
				enum swim_msg_type type);
/* Appends an event holding a new reference to u. 0 or -ENOMEM. */
int swim_out_event(struct swim_out *o, enum swim_event_type type, struct swim_update *u, enum swim_state st,
		   uint32_t incarnation);

#endif
