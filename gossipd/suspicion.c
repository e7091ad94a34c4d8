/* suspicion.c: Lifeguard's dynamic suspicion timeouts. */
#include "suspicion.h"

#include <string.h>

double swim_ln(double x)
{
	if (x <= 0)
		return -1e300;
	/* x = m * 2^e with m in [1, 2); ln x = e ln 2 + 2 atanh((m - 1) / (m + 1)). */
	int e = 0;
	while (x >= 2) {
		x /= 2;
		e++;
	}
	while (x < 1) {
		x *= 2;
		e--;
	}
	double t = (x - 1) / (x + 1), t2 = t * t, term = t, sum = 0;
	for (int i = 1; i < 60; i += 2) {
		sum += term / i;
		term *= t2;
	}
	return e * 0.69314718055994530942 + 2 * sum;
}

uint64_t suspicion_min_timeout_ms(uint32_t mult, uint32_t n, uint32_t interval_ms)
{
	double scale = n > 1 ? swim_ln((double)n) / swim_ln(10.0) : 0;
	if (scale < 1)
		scale = 1;
	/* memberlist keeps three decimals of the scale before multiplying */
	uint64_t scale_milli = (uint64_t)(scale * 1000);
	return (uint64_t)mult * scale_milli * interval_ms / 1000;
}

uint64_t suspicion_timeout_ms(uint32_t n, uint32_t k, uint64_t min_ms, uint64_t max_ms)
{
	if (k == 0)
		return min_ms;
	double frac = swim_ln((double)n + 1) / swim_ln((double)k + 1);
	double raw = (double)max_ms - frac * ((double)max_ms - (double)min_ms);
	if (raw < (double)min_ms)
		return min_ms;
	return (uint64_t)raw;
}

void suspicion_init(struct suspicion *sp, const char *from, uint32_t k, uint64_t min_ms, uint64_t max_ms,
		    uint64_t now_ms)
{
	if (k > SUSPICION_MAX_CONFIRM)
		k = SUSPICION_MAX_CONFIRM;
	sp->start_ms = now_ms;
	sp->min_ms = min_ms;
	sp->max_ms = max_ms;
	sp->k = k;
	sp->n = 0;
	sp->nfrom = 1;
	strncpy(sp->from[0], from, SWIM_NAME_MAX);
	sp->from[0][SWIM_NAME_MAX] = 0;
	sp->deadline_ms = now_ms + (k < 1 ? min_ms : max_ms);
}

bool suspicion_confirm(struct suspicion *sp, const char *from)
{
	if (sp->n >= sp->k)
		return false;
	for (uint32_t i = 0; i < sp->nfrom; i++)
		if (!strcmp(sp->from[i], from))
			return false;
	strncpy(sp->from[sp->nfrom], from, SWIM_NAME_MAX);
	sp->from[sp->nfrom][SWIM_NAME_MAX] = 0;
	sp->nfrom++;
	sp->n++;
	sp->deadline_ms = sp->start_ms + suspicion_timeout_ms(sp->n, sp->k, sp->min_ms, sp->max_ms);
	return true;
}
