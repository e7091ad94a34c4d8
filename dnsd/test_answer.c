/* test_answer.c: DNS answers as a dig user would see them, for a catalog given as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "answer.h"
#include "catalog_view.h"

static const char catalog[] =
	"{\"Nodes\":["
	"{\"ID\":\"1\",\"Node\":\"node1\",\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\","
	" \"TaggedAddresses\":{\"lan\":\"10.0.0.1\"},\"Meta\":{\"consul-network-segment\":\"\"}},"
	"{\"ID\":\"2\",\"Node\":\"node2\",\"Address\":\"10.0.0.2\",\"Datacenter\":\"dc1\",\"Meta\":{}},"
	"{\"ID\":\"3\",\"Node\":\"node3\",\"Address\":\"10.0.0.3\",\"Datacenter\":\"dc1\"},"
	"{\"ID\":\"4\",\"Node\":\"v6node\",\"Address\":\"2001:db8::1\",\"Datacenter\":\"dc1\"}"
	"],\"Services\":["
	"{\"Node\":\"node1\",\"ServiceID\":\"web1\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v1\",\"primary\"],"
	" \"ServiceAddress\":\"\",\"ServicePort\":80,\"Status\":\"passing\"},"
	"{\"Node\":\"node2\",\"ServiceID\":\"web2\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v2\"],"
	" \"ServiceAddress\":\"\",\"ServicePort\":8080,\"Status\":\"warning\"},"
	"{\"Node\":\"node3\",\"ServiceID\":\"web3\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v1\"],"
	" \"ServiceAddress\":\"\",\"ServicePort\":80,\"Status\":\"critical\"},"
	"{\"Node\":\"node1\",\"ServiceID\":\"db1\",\"ServiceName\":\"db\",\"ServiceTags\":[],"
	" \"ServiceAddress\":\"192.168.1.5\",\"ServicePort\":5432,\"Status\":\"passing\"},"
	"{\"Node\":\"node1\",\"ServiceID\":\"consul\",\"ServiceName\":\"consul\",\"ServicePort\":8300,\"Status\":\"passing\"},"
	"{\"Node\":\"node3\",\"ServiceID\":\"dead\",\"ServiceName\":\"dead\",\"ServicePort\":1,\"Status\":\"critical\"}"
	"]}";

static struct catalog_view *view;
static struct catalog_view *big_view; /* 20 instances of "big" on nodes with long names */

static struct answer_config base_config(void)
{
	struct answer_config ac = {.domain = "consul.", .datacenter = "dc1", .node_meta_txt = true,
				   .udp_answer_limit = 3, .soa_serial = 1700000000, .seed = 42};
	return ac;
}

static int setup(void **state)
{
	char err[160];
	char *json = malloc(16384);
	size_t len = 0;
	int i;

	view = catalog_view_parse(catalog, sizeof catalog - 1, err, sizeof err);
	if (view == NULL) {
		print_error("%s\n", err);
		return -1;
	}
	len += (size_t)sprintf(json + len, "{\"Nodes\":[");
	for (i = 0; i < 20; i++)
		len += (size_t)sprintf(json + len, "%s{\"Node\":\"a-rather-long-node-name-number-%02d\",\"Address\":\"10.1.0.%d\"}",
				       i ? "," : "", i, i + 1);
	len += (size_t)sprintf(json + len, "],\"Services\":[");
	for (i = 0; i < 20; i++)
		len += (size_t)sprintf(json + len,
				       "%s{\"Node\":\"a-rather-long-node-name-number-%02d\",\"ServiceID\":\"big%d\","
				       "\"ServiceName\":\"big\",\"ServicePort\":%d,\"Status\":\"passing\"}",
				       i ? "," : "", i, i, 9000 + i);
	len += (size_t)sprintf(json + len, "]}");
	big_view = catalog_view_parse(json, len, err, sizeof err);
	free(json);
	if (big_view == NULL) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	catalog_view_free(view);
	catalog_view_free(big_view);
	return 0;
}

/* Sends a query for name/type and returns the parsed reply (caller frees). edns_size 0 means
 * a query without EDNS. *size gets the reply's length on the wire. */
static ldns_pkt *ask_full(const struct catalog_view *v, const struct answer_config *ac, const char *name,
			  ldns_rr_type type, uint16_t edns_size, size_t *size)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire, *resp;
	size_t wire_len, resp_len;
	ldns_pkt *r = NULL;

	assert_non_null(q);
	ldns_pkt_set_id(q, 0xbeef);
	if (edns_size)
		ldns_pkt_set_edns_udp_size(q, edns_size);
	assert_int_equal(ldns_pkt2wire(&wire, q, &wire_len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	assert_int_equal(answer_query(v, ac, wire, wire_len, &resp, &resp_len), 0);
	free(wire);
	assert_int_equal(ldns_wire2pkt(&r, resp, resp_len), LDNS_STATUS_OK);
	free(resp);
	if (size)
		*size = resp_len;
	/* every reply echoes the id, the question, and RD; and is a response */
	assert_int_equal(ldns_pkt_id(r), 0xbeef);
	assert_true(ldns_pkt_qr(r));
	assert_true(ldns_pkt_rd(r));
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(r), 0)), type);
	return r;
}

static ldns_pkt *ask(const char *name, ldns_rr_type type)
{
	struct answer_config ac = base_config();

	return ask_full(view, &ac, name, type, 0, NULL);
}

/* Presentation form of rdata field i of record k in a section ("10.0.0.1"). Caller frees. */
static char *rdata(const ldns_rr_list *l, size_t k, size_t i)
{
	assert_true(k < ldns_rr_list_rr_count(l));
	assert_true(i < ldns_rr_rd_count(ldns_rr_list_rr(l, k)));
	return ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(l, k), i));
}

static void assert_rdata(const ldns_rr_list *l, size_t k, size_t i, const char *want)
{
	char *s = rdata(l, k, i);

	assert_string_equal(s, want);
	free(s);
}

static void assert_owner(const ldns_rr_list *l, size_t k, const char *want)
{
	char *s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(l, k)));

	assert_string_equal(s, want);
	free(s);
}

static ldns_rr_type type_of(const ldns_rr_list *l, size_t k)
{
	return ldns_rr_get_type(ldns_rr_list_rr(l, k));
}

/* True if some record of the list has rdata field 0 equal to want. */
static bool has_rdata(const ldns_rr_list *l, const char *want)
{
	size_t k;

	for (k = 0; k < ldns_rr_list_rr_count(l); k++) {
		char *s = rdata(l, k, 0);
		bool eq = strcmp(s, want) == 0;

		free(s);
		if (eq)
			return true;
	}
	return false;
}

/* Consul's SOA: consul. 0 IN SOA ns.consul. hostmaster.consul. SERIAL 3600 600 86400 0 */
static void assert_soa_authority(const ldns_pkt *r)
{
	const ldns_rr_list *ns = ldns_pkt_authority(r);
	const ldns_rr *soa;

	assert_int_equal(ldns_rr_list_rr_count(ns), 1);
	soa = ldns_rr_list_rr(ns, 0);
	assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_ttl(soa), 0);
	assert_owner(ns, 0, "consul.");
	assert_rdata(ns, 0, 0, "ns.consul.");
	assert_rdata(ns, 0, 1, "hostmaster.consul.");
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 1700000000);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 3)), 3600);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 4)), 600);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 5)), 86400);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)), 0);
}

/* ---- nodes ---- */

static void test_node_a(void **state)
{
	ldns_pkt *r = ask("node1.node.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r));
	assert_false(ldns_pkt_ra(r)); /* no recursors */
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_int_equal(type_of(ldns_pkt_answer(r), 0), LDNS_RR_TYPE_A);
	assert_owner(ldns_pkt_answer(r), 0, "node1.node.consul.");
	assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.1");
	/* the node's meta as TXT in the additional section (enable_additional_node_meta_txt) */
	assert_int_equal(ldns_pkt_arcount(r), 1);
	assert_int_equal(type_of(ldns_pkt_additional(r), 0), LDNS_RR_TYPE_TXT);
	assert_rdata(ldns_pkt_additional(r), 0, 0, "\"consul-network-segment=\"");
	ldns_pkt_free(r);
}

static void test_node_with_datacenter(void **state)
{
	static const char *const names[] = {"node1.node.dc1.consul.", "node1.node.dc1.dc.consul.", "node1.node.DC1.consul."};
	size_t i;

	for (i = 0; i < 3; i++) {
		ldns_pkt *r = ask(names[i], LDNS_RR_TYPE_A);

		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
		assert_int_equal(ldns_pkt_ancount(r), 1);
		assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.1");
		ldns_pkt_free(r);
	}
}

static void test_node_other_datacenter_is_nxdomain(void **state)
{
	ldns_pkt *r = ask("node1.node.dc2.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

static void test_unknown_node_nxdomain_with_soa(void **state)
{
	ldns_pkt *r = ask("nobody.node.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_aa(r));
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

static void test_aaaa_of_ipv4_node_is_nodata(void **state)
{
	ldns_pkt *r = ask("node2.node.consul.", LDNS_RR_TYPE_AAAA);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

static void test_ipv6_node(void **state)
{
	ldns_pkt *r = ask("v6node.node.consul.", LDNS_RR_TYPE_AAAA);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_int_equal(type_of(ldns_pkt_answer(r), 0), LDNS_RR_TYPE_AAAA);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "2001:db8::1");
	ldns_pkt_free(r);

	r = ask("v6node.node.consul.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

static void test_node_any_and_txt(void **state)
{
	ldns_pkt *r = ask("node1.node.consul.", LDNS_RR_TYPE_ANY);

	assert_int_equal(ldns_pkt_ancount(r), 2);
	assert_int_equal(type_of(ldns_pkt_answer(r), 0), LDNS_RR_TYPE_A);
	assert_int_equal(type_of(ldns_pkt_answer(r), 1), LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_arcount(r), 0);
	ldns_pkt_free(r);

	r = ask("node1.node.consul.", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_int_equal(type_of(ldns_pkt_answer(r), 0), LDNS_RR_TYPE_TXT);
	ldns_pkt_free(r);
}

static void test_names_ignore_case(void **state)
{
	ldns_pkt *r = ask("NODE1.Node.CONSUL.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_owner(ldns_pkt_answer(r), 0, "NODE1.Node.CONSUL."); /* the name as asked */
	assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.1");
	ldns_pkt_free(r);

	r = ask("WEB.SERVICE.Consul.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 2);
	ldns_pkt_free(r);
}

/* ---- services ---- */

static void test_service_a_leaves_out_critical(void **state)
{
	ldns_pkt *r = ask("web.service.consul.", LDNS_RR_TYPE_A);
	const ldns_rr_list *an = ldns_pkt_answer(r);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r));
	assert_int_equal(ldns_pkt_ancount(r), 2); /* node3's instance is critical */
	assert_true(has_rdata(an, "10.0.0.1"));
	assert_true(has_rdata(an, "10.0.0.2"));
	assert_false(has_rdata(an, "10.0.0.3"));
	assert_owner(an, 0, "web.service.consul.");
	ldns_pkt_free(r);

	r = ask("web.service.dc1.consul.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(r), 2);
	ldns_pkt_free(r);
}

static void test_only_passing_leaves_out_warning(void **state)
{
	struct answer_config ac = base_config();
	ldns_pkt *r;

	ac.only_passing = true;
	r = ask_full(view, &ac, "web.service.consul.", LDNS_RR_TYPE_A, 0, NULL);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.1");
	ldns_pkt_free(r);
}

static void test_all_critical_is_nxdomain(void **state)
{
	ldns_pkt *r = ask("dead.service.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	assert_soa_authority(r);
	ldns_pkt_free(r);

	r = ask("nosuch.service.consul.", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

/* Finds the SRV answer with the given port; returns its index. */
static size_t srv_with_port(const ldns_rr_list *an, uint16_t port)
{
	size_t k;

	for (k = 0; k < ldns_rr_list_rr_count(an); k++)
		if (type_of(an, k) == LDNS_RR_TYPE_SRV &&
		    ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(an, k), 2)) == port)
			return k;
	fail_msg("no SRV with port %u", port);
	return 0;
}

static void test_service_srv(void **state)
{
	ldns_pkt *r = ask("web.service.consul.", LDNS_RR_TYPE_SRV);
	const ldns_rr_list *an = ldns_pkt_answer(r), *ar = ldns_pkt_additional(r);
	size_t k, a1 = SIZE_MAX, a2 = SIZE_MAX;

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 2);
	k = srv_with_port(an, 80);
	assert_rdata(an, k, 0, "1"); /* priority */
	assert_rdata(an, k, 1, "1"); /* weight */
	assert_rdata(an, k, 3, "node1.node.dc1.consul.");
	k = srv_with_port(an, 8080);
	assert_rdata(an, k, 3, "node2.node.dc1.consul.");
	/* the targets' addresses in the additional section (and node1's meta TXT) */
	for (k = 0; k < ldns_rr_list_rr_count(ar); k++) {
		char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ar, k)));

		if (type_of(ar, k) == LDNS_RR_TYPE_A && strcmp(owner, "node1.node.dc1.consul.") == 0)
			a1 = k;
		if (type_of(ar, k) == LDNS_RR_TYPE_A && strcmp(owner, "node2.node.dc1.consul.") == 0)
			a2 = k;
		free(owner);
	}
	assert_true(a1 != SIZE_MAX && a2 != SIZE_MAX);
	assert_rdata(ar, a1, 0, "10.0.0.1");
	assert_rdata(ar, a2, 0, "10.0.0.2");
	ldns_pkt_free(r);
}

static void test_service_address_overrides_node(void **state)
{
	ldns_pkt *r = ask("db.service.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "192.168.1.5");
	ldns_pkt_free(r);

	/* an IP ServiceAddress gives Consul's hex .addr. target */
	r = ask("db.service.consul.", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 2, "5432");
	assert_rdata(ldns_pkt_answer(r), 0, 3, "c0a80105.addr.dc1.consul.");
	assert_int_equal(type_of(ldns_pkt_additional(r), 0), LDNS_RR_TYPE_A);
	assert_owner(ldns_pkt_additional(r), 0, "c0a80105.addr.dc1.consul.");
	assert_rdata(ldns_pkt_additional(r), 0, 0, "192.168.1.5");
	ldns_pkt_free(r);
}

static void test_tag_filter(void **state)
{
	ldns_pkt *r = ask("v1.web.service.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 1); /* node3 has v1 too but is critical */
	assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.1");
	ldns_pkt_free(r);

	r = ask("V2.web.service.consul.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.2");
	ldns_pkt_free(r);

	r = ask("v9.web.service.consul.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

static void test_rfc2782_names(void **state)
{
	ldns_pkt *r = ask("_web._tcp.service.consul.", LDNS_RR_TYPE_SRV);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 2); /* _tcp filters nothing */
	ldns_pkt_free(r);

	r = ask("_web._v2.service.consul.", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 2, "8080");
	ldns_pkt_free(r);

	r = ask("_web._tcp.consul.", LDNS_RR_TYPE_SRV); /* "service" may be left out for SRV */
	assert_int_equal(ldns_pkt_ancount(r), 2);
	ldns_pkt_free(r);
}

static void test_service_aaaa_nodata(void **state)
{
	ldns_pkt *r = ask("web.service.consul.", LDNS_RR_TYPE_AAAA);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_soa_authority(r);
	ldns_pkt_free(r);
}

/* ---- truncation and shuffling ---- */

static void test_udp_answer_limit(void **state)
{
	struct answer_config ac = base_config();
	size_t size;
	ldns_pkt *r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 0, &size);

	assert_int_equal(ldns_pkt_ancount(r), 3);
	assert_false(ldns_pkt_tc(r)); /* Consul sets TC only with enable_truncate */
	assert_true(size <= 512);
	ldns_pkt_free(r);

	ac.enable_truncate = true;
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 0, NULL);
	assert_int_equal(ldns_pkt_ancount(r), 3);
	assert_true(ldns_pkt_tc(r));
	ldns_pkt_free(r);

	ac.tcp = true; /* TCP gets everything */
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 0, NULL);
	assert_int_equal(ldns_pkt_ancount(r), 20);
	assert_false(ldns_pkt_tc(r));
	ldns_pkt_free(r);

	ac.tcp = false; /* EDNS with room: the answer limit binds only plain 512-byte queries */
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 4096, NULL);
	assert_int_equal(ldns_pkt_ancount(r), 20);
	assert_int_equal(ldns_pkt_edns_udp_size(r), 4096); /* EDNS echoed */
	ldns_pkt_free(r);
}

static void test_udp_truncated_to_edns_size(void **state)
{
	struct answer_config ac = base_config();
	const ldns_rr_list *an, *ar;
	size_t size, k, j;
	ldns_pkt *r;

	ac.enable_truncate = true;
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_SRV, 1000, &size);
	an = ldns_pkt_answer(r);
	ar = ldns_pkt_additional(r);
	assert_true(size <= 1000);
	assert_true(ldns_pkt_ancount(r) > 3);
	assert_true(ldns_pkt_ancount(r) < 20);
	assert_true(ldns_pkt_tc(r));
	/* every additional record belongs to a remaining SRV target */
	for (k = 0; k < ldns_rr_list_rr_count(ar); k++) {
		bool found = false;

		for (j = 0; j < ldns_rr_list_rr_count(an); j++)
			found = found || ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(ar, k)),
							    ldns_rr_rdf(ldns_rr_list_rr(an, j), 3)) == 0;
		assert_true(found);
	}
	assert_int_equal(ldns_rr_list_rr_count(ar), ldns_pkt_ancount(r));
	ldns_pkt_free(r);

	/* no EDNS: 3 SRV at most, each with its target's A */
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_SRV, 0, &size);
	assert_true(size <= 512);
	assert_int_equal(ldns_pkt_ancount(r), 3);
	assert_int_equal(ldns_pkt_arcount(r), 3);
	ldns_pkt_free(r);
}

/* The answer order, as a string of last octets. */
static void order_of(const ldns_pkt *r, char *out, size_t cap)
{
	size_t k, len = 0;

	out[0] = '\0';
	for (k = 0; k < ldns_pkt_ancount(r); k++) {
		char *s = rdata(ldns_pkt_answer(r), k, 0);

		len += (size_t)snprintf(out + len, cap - len, "%s,", strrchr(s, '.') + 1);
		free(s);
	}
}

static void test_shuffle_follows_seed(void **state)
{
	struct answer_config ac = base_config();
	char a[128], b[128], c[128];
	ldns_pkt *r;

	ac.tcp = true;
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 0, NULL);
	order_of(r, a, sizeof a);
	ldns_pkt_free(r);
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 0, NULL);
	order_of(r, b, sizeof b);
	ldns_pkt_free(r);
	ac.seed = 43;
	r = ask_full(big_view, &ac, "big.service.consul.", LDNS_RR_TYPE_A, 0, NULL);
	order_of(r, c, sizeof c);
	ldns_pkt_free(r);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), strlen(c)); /* same records, other order */
}

/* ---- the rest of the domain, and other names ---- */

static void test_outside_domain_refused(void **state)
{
	ldns_pkt *r = ask("www.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	assert_false(ldns_pkt_aa(r));
	assert_int_equal(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);

	r = ask("notconsul.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
}

static void test_bad_names_in_domain(void **state)
{
	static const char *const names[] = {"consul.", "foo.consul.", "service.consul.", "web.service.a.b.c.consul.",
					    "web.connect.consul.", "q.query.consul."};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		ldns_pkt *r = ask(names[i], LDNS_RR_TYPE_A);

		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
		assert_soa_authority(r);
		ldns_pkt_free(r);
	}
}

static void test_soa_and_ns(void **state)
{
	ldns_pkt *r = ask("consul.", LDNS_RR_TYPE_SOA);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_int_equal(type_of(ldns_pkt_answer(r), 0), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_pkt_nscount(r), 1); /* the server (the "consul" service) as NS */
	assert_rdata(ldns_pkt_authority(r), 0, 0, "node1.node.dc1.consul.");
	assert_rdata(ldns_pkt_additional(r), 0, 0, "10.0.0.1");
	ldns_pkt_free(r);

	r = ask("consul.", LDNS_RR_TYPE_NS);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_int_equal(type_of(ldns_pkt_answer(r), 0), LDNS_RR_TYPE_NS);
	assert_int_equal(ldns_pkt_arcount(r), 1);
	ldns_pkt_free(r);
}

static void test_addr_and_ptr(void **state)
{
	ldns_pkt *r = ask("0a000001.addr.dc1.consul.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "10.0.0.1");
	ldns_pkt_free(r);
	/* not hex, or not the length of an address: NXDOMAIN with the SOA, as Consul's router */
	static const char *const not_addresses[] = {"NOTHEX.addr.dc1.consul.", "zz000001.addr.dc1.consul.",
						    "0a0000.addr.consul."};
	for (size_t i = 0; i < sizeof not_addresses / sizeof not_addresses[0]; i++) {
		r = ask(not_addresses[i], LDNS_RR_TYPE_A);
		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
		assert_int_equal(ldns_pkt_ancount(r), 0);
		assert_int_equal(ldns_pkt_nscount(r), 1);
		assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(r), 0)), LDNS_RR_TYPE_SOA);
		ldns_pkt_free(r);
	}

	r = ask("1.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "node1.node.dc1.consul.");
	ldns_pkt_free(r);

	r = ask("5.1.168.192.in-addr.arpa.", LDNS_RR_TYPE_PTR); /* a ServiceAddress */
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_rdata(ldns_pkt_answer(r), 0, 0, "db.service.dc1.consul.");
	ldns_pkt_free(r);

	r = ask("9.9.9.9.in-addr.arpa.", LDNS_RR_TYPE_PTR); /* Consul would recurse; none here */
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(r);
}

static void test_not_filled_is_servfail(void **state)
{
	struct answer_config ac = base_config();
	ldns_pkt *r = ask_full(NULL, &ac, "node1.node.consul.", LDNS_RR_TYPE_A, 0, NULL);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
}

/* ---- malformed queries ---- */

static void test_malformed(void **state)
{
	struct answer_config ac = base_config();
	uint8_t *resp;
	size_t len;
	/* id 0x1234, RD, QDCOUNT 1, then a name running off the end */
	uint8_t garbage[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 'a', 'b'};
	uint8_t two_questions[] = {0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
	uint8_t no_question[] = {0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t status_op[] = {0x12, 0x34, 0x10, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
	uint8_t response[] = {0x12, 0x34, 0x81, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};

	assert_int_equal(answer_query(view, &ac, garbage, 11, &resp, &len), -EINVAL); /* no header */
	assert_int_equal(answer_query(view, &ac, response, sizeof response, &resp, &len), -EINVAL);

	assert_int_equal(answer_query(view, &ac, garbage, sizeof garbage, &resp, &len), 0);
	assert_int_equal(len, 12);
	assert_int_equal(resp[0], 0x12);
	assert_int_equal(resp[1], 0x34);
	assert_int_equal(resp[2], 0x81); /* QR, RD */
	assert_int_equal(resp[3] & 0x0f, LDNS_RCODE_FORMERR);
	free(resp);

	assert_int_equal(answer_query(view, &ac, two_questions, sizeof two_questions, &resp, &len), 0);
	assert_int_equal(resp[3] & 0x0f, LDNS_RCODE_FORMERR);
	free(resp);
	assert_int_equal(answer_query(view, &ac, no_question, sizeof no_question, &resp, &len), 0);
	assert_int_equal(resp[3] & 0x0f, LDNS_RCODE_FORMERR);
	free(resp);
	assert_int_equal(answer_query(view, &ac, status_op, sizeof status_op, &resp, &len), 0);
	assert_int_equal(resp[3] & 0x0f, LDNS_RCODE_NOTIMPL);
	assert_int_equal(resp[2] & 0x78, 0x10); /* the opcode echoed */
	free(resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_a),
		cmocka_unit_test(test_node_with_datacenter),
		cmocka_unit_test(test_node_other_datacenter_is_nxdomain),
		cmocka_unit_test(test_unknown_node_nxdomain_with_soa),
		cmocka_unit_test(test_aaaa_of_ipv4_node_is_nodata),
		cmocka_unit_test(test_ipv6_node),
		cmocka_unit_test(test_node_any_and_txt),
		cmocka_unit_test(test_names_ignore_case),
		cmocka_unit_test(test_service_a_leaves_out_critical),
		cmocka_unit_test(test_only_passing_leaves_out_warning),
		cmocka_unit_test(test_all_critical_is_nxdomain),
		cmocka_unit_test(test_service_srv),
		cmocka_unit_test(test_service_address_overrides_node),
		cmocka_unit_test(test_tag_filter),
		cmocka_unit_test(test_rfc2782_names),
		cmocka_unit_test(test_service_aaaa_nodata),
		cmocka_unit_test(test_udp_answer_limit),
		cmocka_unit_test(test_udp_truncated_to_edns_size),
		cmocka_unit_test(test_shuffle_follows_seed),
		cmocka_unit_test(test_outside_domain_refused),
		cmocka_unit_test(test_bad_names_in_domain),
		cmocka_unit_test(test_soa_and_ns),
		cmocka_unit_test(test_addr_and_ptr),
		cmocka_unit_test(test_not_filled_is_servfail),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
