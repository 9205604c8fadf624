/*
 * netaddr — inet_pton and a prefix comparison; IPv4-mapped IPv6 folded to IPv4.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void fold_mapped(struct netaddr *a)
{
	if (a->family == AF_INET6 && !memcmp(a->bytes, v4_mapped, 12)) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

int netaddr_parse(const char *text, struct netaddr *out)
{
	struct netaddr a = { 0 };
	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return -1;
	fold_mapped(&a);
	*out = a;
	return 0;
}

int netmask_parse(const char *text, struct netmask *out)
{
	const char *slash = strchr(text, '/');
	char addr[64];
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	struct netmask m = { 0 };
	if (netaddr_parse(addr, &m.addr))
		return -1;
	int max = m.addr.family == AF_INET ? 32 : 128;
	m.bits = max;
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || slash[1] < '0' || slash[1] > '9' || bits < 0 || bits > max)
			return -1;
		m.bits = (int)bits;
	}
	*out = m;
	return 0;
}

bool netmask_contains(const struct netmask *m, const struct netaddr *a)
{
	if (m->addr.family != a->family)
		return false;
	int full = m->bits / 8, rest = m->bits % 8;
	if (memcmp(m->addr.bytes, a->bytes, (size_t)full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (m->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

void netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		fold_mapped(out);
	}
}

void netaddr_format(const struct netaddr *a, char *out)
{
	if (!a->family || !inet_ntop(a->family, a->bytes, out, NETADDR_TEXT))
		snprintf(out, NETADDR_TEXT, "unknown");
}

void netaddr_client_key(const struct netaddr *a, char *out)
{
	if (a->family != AF_INET6) {
		netaddr_format(a, out);
		return;
	}
	struct netaddr prefix = *a;
	memset(prefix.bytes + 8, 0, 8);
	char text[INET6_ADDRSTRLEN];
	if (!inet_ntop(AF_INET6, prefix.bytes, text, sizeof(text)))
		snprintf(text, sizeof(text), "unknown");
	snprintf(out, NETADDR_TEXT, "%s/64", text);
}

void netaddr_client_key_text(const char *text, char *out)
{
	struct netaddr a;
	if (netaddr_parse(text, &a))
		snprintf(out, NETADDR_TEXT, "%s", text);
	else
		netaddr_client_key(&a, out);
}

bool netaddr_text_is_loopback(const char *text)
{
	struct netaddr a;
	if (netaddr_parse(text, &a))
		return false;
	static const uint8_t one[16] = { [15] = 1 };
	return a.family == AF_INET ? a.bytes[0] == 127 : !memcmp(a.bytes, one, sizeof(one));
}
