/* answer.h: Consul's DNS interface as a pure function: query bytes in, response bytes out.
 *
 *   struct answer_config ac = { .domain = "consul.", .datacenter = "dc1", .udp_answer_limit = 3,
 *                               .node_meta_txt = true, .soa_serial = now_s, .seed = rnd };
 *   uint8_t *resp; size_t resp_len;
 *   if (answer_query(view, &ac, pkt, pkt_len, &resp, &resp_len) == 0) { send(resp); free(resp); }
 *
 * No I/O, no clock, no randomness of its own: the SOA serial and the shuffle seed come in
 * the config. Names handled, as Consul does: NAME.node[.DC].DOMAIN, [TAG.]NAME.service[.DC].DOMAIN,
 * _NAME._TAG.service[.DC].DOMAIN (and _NAME._TAG.DOMAIN for SRV), HEX.addr[.DC].DOMAIN, SOA and NS
 * of the domain, and PTR under arpa. for node and service addresses. Names outside the domain
 * are REFUSED (no recursors), other datacenters are NXDOMAIN (no federation). A NULL view
 * (cache not filled yet) answers SERVFAIL.
 */
#ifndef DNSD_ANSWER_H
#define DNSD_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog_view.h"

struct answer_config {
	const char *domain;        /* "consul." */
	const char *datacenter;    /* ours, lower-case: "dc1" */
	uint32_t node_ttl_s;       /* dns_config.node_ttl */
	uint32_t service_ttl_s;    /* dns_config.service_ttl["*"] */
	bool only_passing;         /* dns_config.only_passing: leave out warning instances too */
	bool enable_truncate;      /* dns_config.enable_truncate: set TC when answers were cut */
	bool node_meta_txt;        /* dns_config.enable_additional_node_meta_txt (Consul: true) */
	uint32_t udp_answer_limit; /* dns_config.udp_answer_limit: answers in a non-EDNS UDP reply */
	uint32_t soa_serial;       /* Consul uses the current Unix time */
	uint64_t seed;             /* shuffles service instances; vary it per query */
	bool tcp;                  /* the query came over TCP (64 KiB replies, no answer limit) */
};

/* Answers one query. Returns 0 with *resp (malloc'd, the caller frees) and *resp_len; or
 * -EINVAL when the packet must be dropped (shorter than a header, or itself a response); or
 * -ENOMEM. A header that parses but a body that does not gets FORMERR, an opcode other than
 * QUERY gets NOTIMP. */
int answer_query(const struct catalog_view *view, const struct answer_config *cfg, const uint8_t *query,
		 size_t query_len, uint8_t **resp, size_t *resp_len);

#endif
