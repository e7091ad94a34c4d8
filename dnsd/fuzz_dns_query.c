/* fuzz_dns_query.c: the DNS answer builder on arbitrary query bytes, against a small fixed
 * catalog, over UDP and TCP. Every reply must parse back and carry the query's id. */
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "catalog_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char catalog[] =
	"{\"Nodes\":["
	"{\"Node\":\"node1\",\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\",\"Meta\":{\"consul-network-segment\":\"\",\" k=`\":\"v`\"}},"
	"{\"Node\":\"node2\",\"Address\":\"2001:db8::2\",\"Datacenter\":\"dc1\"},"
	"{\"Node\":\"ext\",\"Address\":\"example.com\",\"Datacenter\":\"dc1\"}],"
	"\"Services\":["
	"{\"Node\":\"node1\",\"ServiceID\":\"web1\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v1\"],\"ServicePort\":80,\"Status\":\"passing\"},"
	"{\"Node\":\"node2\",\"ServiceID\":\"web2\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v2\"],\"ServicePort\":81,\"Status\":\"warning\"},"
	"{\"Node\":\"ext\",\"ServiceID\":\"web3\",\"ServiceName\":\"web\",\"ServiceAddress\":\"1.2.3.4\",\"ServicePort\":82,\"Status\":\"passing\"},"
	"{\"Node\":\"ext\",\"ServiceID\":\"x\",\"ServiceName\":\"x\",\"ServicePort\":83,\"Status\":\"passing\"},"
	"{\"Node\":\"node1\",\"ServiceID\":\"consul\",\"ServiceName\":\"consul\",\"ServicePort\":8300,\"Status\":\"passing\"}]}";

static void check(const struct catalog_view *v, const struct answer_config *ac, const uint8_t *data, size_t size)
{
	uint8_t *resp;
	size_t len;
	ldns_pkt *p = NULL;

	if (answer_query(v, ac, data, size, &resp, &len) != 0)
		return;
	if (len < 12 || resp[0] != data[0] || resp[1] != data[1] || !(resp[2] & 0x80))
		abort();
	if (!ac->tcp && len > 512 && len > 65535 - 68)
		abort();
	if (ldns_wire2pkt(&p, resp, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(p);
	free(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct catalog_view *view;
	struct answer_config ac = {.domain = "consul.", .datacenter = "dc1", .node_meta_txt = true,
				   .udp_answer_limit = 3, .soa_serial = 1, .seed = size};

	if (view == NULL) {
		view = catalog_view_parse(catalog, sizeof catalog - 1, NULL, 0);
		if (view == NULL)
			abort();
	}
	check(view, &ac, data, size);
	ac.tcp = true;
	ac.only_passing = true;
	ac.enable_truncate = true;
	check(view, &ac, data, size);
	check(NULL, &ac, data, size);
	return 0;
}
