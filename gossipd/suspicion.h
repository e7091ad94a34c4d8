/* suspicion.h: Lifeguard's dynamic suspicion timeout (memberlist suspicion.go, as an idea).
 * A suspicion starts at max (or min when no confirmations can be expected) and shrinks towards
 * min, on a log scale, as k independent members confirm it. Pure: time is an argument.
 *
 *   uint64_t min = suspicion_min_timeout_ms(4, n, 1000), max = 6 * min;
 *   suspicion_init(&sp, "from-node", k, min, max, now);
 *   if (suspicion_confirm(&sp, "other", now)) rebroadcast();   // new confirmation
 *   if (now >= sp.deadline_ms) declare_dead();
 */
#ifndef GOSSIPD_SUSPICION_H
#define GOSSIPD_SUSPICION_H

#include <stdbool.h>
#include <stdint.h>

#include "swim.h"

#define SUSPICION_MAX_CONFIRM 16

struct suspicion {
	uint64_t start_ms, deadline_ms;
	uint64_t min_ms, max_ms;
	uint32_t k;              /* confirmations that bring the timeout down to min */
	uint32_t n;              /* confirmations so far */
	uint32_t nfrom;          /* names recorded in from[] (the first suspecter + confirmers) */
	char from[SUSPICION_MAX_CONFIRM + 1][SWIM_NAME_MAX + 1];
};

/* Natural logarithm, without libm (the roles do not link it). Accurate to ~1e-12 for x > 0. */
double swim_ln(double x);
/* memberlist's suspicionTimeout: mult * max(1, log10(max(1, n))) * interval, in ms. */
uint64_t suspicion_min_timeout_ms(uint32_t mult, uint32_t n, uint32_t interval_ms);
/* memberlist's remainingSuspicionTime as a total timeout from the start:
 * max - log(n + 1) / log(k + 1) * (max - min), floored to ms and never under min. */
uint64_t suspicion_timeout_ms(uint32_t n, uint32_t k, uint64_t min_ms, uint64_t max_ms);
/* Starts a suspicion raised by `from`; its deadline is start + max, or + min when k is 0. */
void suspicion_init(struct suspicion *sp, const char *from, uint32_t k, uint64_t min_ms, uint64_t max_ms,
		    uint64_t now_ms);
/* Records an independent confirmation. Returns true if it was new (and so worth gossiping on):
 * not from a member already counted and while fewer than k have confirmed. */
bool suspicion_confirm(struct suspicion *sp, const char *from);

#endif
