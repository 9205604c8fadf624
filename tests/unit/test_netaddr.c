/* Unit tests of netaddr, strmap and ratelimit: the server's accounting by client address. */
#include "netaddr.h"
#include "ratelimit.h"
#include "strmap.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

static bool in(const char *net, const char *addr)
{
	struct netmask m;
	struct netaddr a;
	CHECK(netmask_parse(net, &m) == 0);
	CHECK(netaddr_parse(addr, &a) == 0);
	return netmask_contains(&m, &a);
}

TEST(netaddr_networks_hold_their_addresses)
{
	CHECK(in("10.0.0.0/8", "10.200.3.4"));
	CHECK(!in("10.0.0.0/8", "11.0.0.1"));
	CHECK(in("192.168.1.7", "192.168.1.7"));
	CHECK(!in("192.168.1.7", "192.168.1.8"));
	CHECK(in("0.0.0.0/0", "8.8.8.8"));
	CHECK(in("fd00::/8", "fd12:3456::1"));
	CHECK(!in("fd00::/8", "fe80::1"));
	CHECK(in("10.1.2.0/23", "10.1.3.255"));
	CHECK(!in("10.1.2.0/23", "10.1.4.0"));
	/* an IPv4 client on an IPv6 socket is the same client */
	CHECK(in("127.0.0.1", "::ffff:127.0.0.1"));
	CHECK(!in("::1", "127.0.0.1"));
}

TEST(netaddr_refuses_what_is_not_an_address)
{
	struct netaddr a;
	struct netmask m;
	CHECK(netaddr_parse("", &a) == -1);
	CHECK(netaddr_parse("10.0.0", &a) == -1);
	CHECK(netaddr_parse("10.0.0.256", &a) == -1);
	CHECK(netaddr_parse("example.org", &a) == -1);
	CHECK(netaddr_parse("[::1]", &a) == -1);
	CHECK(netmask_parse("10.0.0.0/33", &m) == -1);
	CHECK(netmask_parse("fd00::/129", &m) == -1);
	CHECK(netmask_parse("10.0.0.0/", &m) == -1);
	CHECK(netmask_parse("10.0.0.0/8x", &m) == -1);
}

TEST(netaddr_from_a_socket_and_back_to_text)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &s6.sin6_addr);
	struct netaddr a;
	char text[NETADDR_TEXT];
	netaddr_from_sockaddr((const struct sockaddr *)&s6, &a);
	netaddr_format(&a, text);
	CHECK_STR(text, "192.0.2.9");
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(80) };
	inet_pton(AF_INET, "203.0.113.5", &s4.sin_addr);
	netaddr_from_sockaddr((const struct sockaddr *)&s4, &a);
	netaddr_format(&a, text);
	CHECK_STR(text, "203.0.113.5");
}

TEST(strmap_inserts_finds_and_removes)
{
	struct strmap *m = strmap_new();
	char key[32];
	for (intptr_t i = 1; i <= 5000; i++) {
		snprintf(key, sizeof(key), "10.0.%d.%d", (int)(i / 256), (int)(i % 256));
		*strmap_slot(m, key) = (void *)i;
	}
	CHECK_INT(strmap_count(m), 5000);
	CHECK_INT((intptr_t)strmap_get(m, "10.0.1.2"), 258);
	CHECK(strmap_get(m, "10.9.9.9") == NULL);
	for (intptr_t i = 1; i <= 5000; i += 2) {
		snprintf(key, sizeof(key), "10.0.%d.%d", (int)(i / 256), (int)(i % 256));
		strmap_remove(m, key);
	}
	CHECK_INT(strmap_count(m), 2500);
	CHECK(strmap_get(m, "10.0.0.1") == NULL);
	CHECK_INT((intptr_t)strmap_get(m, "10.0.0.2"), 2);
	strmap_free(m, NULL);
}

TEST(ratelimit_takes_a_burst_then_refills)
{
	struct ratelimit *rl = ratelimit_new(3, 60, 100);
	int64_t t = 1000000;
	CHECK_INT(ratelimit_take(rl, "a", t), 0);
	CHECK_INT(ratelimit_take(rl, "a", t), 0);
	CHECK_INT(ratelimit_take(rl, "a", t), 0);
	CHECK(ratelimit_take(rl, "a", t) >= 1);
	CHECK(ratelimit_wait(rl, "a", t) >= 1);
	/* another key is not affected */
	CHECK_INT(ratelimit_wait(rl, "b", t), 0);
	CHECK_INT(ratelimit_take(rl, "b", t), 0);
	/* one event a second comes back */
	CHECK_INT(ratelimit_wait(rl, "a", t + 1500), 0);
	CHECK_INT(ratelimit_take(rl, "a", t + 1500), 0);
	CHECK(ratelimit_take(rl, "a", t + 1500) >= 1);
	ratelimit_free(rl);
}

TEST(ratelimit_keeps_a_bounded_table)
{
	struct ratelimit *rl = ratelimit_new(2, 60, 64);
	char key[32];
	CHECK_INT(ratelimit_take(rl, "attacker", 0), 0);
	CHECK_INT(ratelimit_take(rl, "attacker", 0), 0);
	CHECK(ratelimit_take(rl, "attacker", 0) >= 1);
	/* a flood of new keys does not push out the one that is limited */
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ratelimit_wait(rl, key, 0);
		ratelimit_take(rl, key, 0);
	}
	CHECK(ratelimit_wait(rl, "attacker", 0) >= 1);
	ratelimit_free(rl);
}

TEST(netaddr_clients_are_counted_by_address_or_ipv6_64)
{
	char key[NETADDR_TEXT];
	netaddr_client_key_text("192.0.2.7", key);
	CHECK_STR(key, "192.0.2.7");
	netaddr_client_key_text("2001:db8:1:2:aaaa:bbbb:cccc:dddd", key);
	CHECK_STR(key, "2001:db8:1:2::/64");
	netaddr_client_key_text("2001:db8:1:2::9", key);
	CHECK_STR(key, "2001:db8:1:2::/64");
	netaddr_client_key_text("::ffff:192.0.2.7", key);
	CHECK_STR(key, "192.0.2.7");
	netaddr_client_key_text("unknown", key);
	CHECK_STR(key, "unknown");
}

TEST(ratelimit_gives_back_what_turned_out_right)
{
	struct ratelimit *rl = ratelimit_new(2, 1, 16);
	CHECK_INT(ratelimit_take(rl, "sato", 0), 0);
	CHECK_INT(ratelimit_take(rl, "sato", 0), 0);
	CHECK(ratelimit_wait(rl, "sato", 0) > 0);
	ratelimit_give(rl, "sato", 0);
	CHECK_INT(ratelimit_wait(rl, "sato", 0), 0);
	ratelimit_give(rl, "sato", 0);
	ratelimit_give(rl, "sato", 0);   /* never above the burst */
	CHECK_INT(ratelimit_take(rl, "sato", 0), 0);
	CHECK_INT(ratelimit_take(rl, "sato", 0), 0);
	CHECK(ratelimit_take(rl, "sato", 0) > 0);
	ratelimit_give(rl, "nobody", 0); /* a key never taken: nothing to give back */
	CHECK_INT(ratelimit_wait(rl, "nobody", 0), 0);
	ratelimit_free(rl);
}
