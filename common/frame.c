/* frame.c: encode and decode the internal link framing (frame.h). */
#include "frame.h"

#include <errno.h>
#include <string.h>

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int frame_append(struct buf *out, const struct frame_hdr *hdr, const void *payload, size_t len)
{
	if (len > FRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	uint8_t h[FRAME_HDR_LEN];
	put_u32(h, (uint32_t)len);
	put_u16(h + 4, hdr->type);
	put_u16(h + 6, hdr->flags);
	put_u32(h + 8, hdr->request_id);
	put_u32(h + 12, hdr->sender);
	if (buf_reserve(out, sizeof h + len) < 0)
		return -ENOMEM;
	buf_append(out, h, sizeof h);
	buf_append(out, payload, len);
	return 0;
}

ssize_t frame_decode(const uint8_t *in, size_t avail, struct frame_hdr *hdr, const uint8_t **payload)
{
	if (avail < FRAME_HDR_LEN)
		return 0;
	uint32_t len = get_u32(in);
	uint16_t flags = get_u16(in + 6);
	if (len > FRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (flags > (FRAME_REPLY | FRAME_EVENT))
		return -EPROTO;
	if (avail - FRAME_HDR_LEN < len)
		return 0;
	hdr->len = len;
	hdr->type = get_u16(in + 4);
	hdr->flags = flags;
	hdr->request_id = get_u32(in + 8);
	hdr->sender = get_u32(in + 12);
	*payload = in + FRAME_HDR_LEN;
	return (ssize_t)(FRAME_HDR_LEN + len);
}
