/* byteorder.h: big-endian integers of 1 to 8 bytes, as the wire formats here store them. */
#ifndef COMMON_BYTEORDER_H
#define COMMON_BYTEORDER_H

#include <stdint.h>

static inline void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

#endif
