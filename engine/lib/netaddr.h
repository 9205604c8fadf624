/*
 * netaddr — IP addresses and networks (10.0.0.0/8, fd00::/8) for the server's
 * client accounting and the config's trusted proxies. An IPv4 address that
 * arrives mapped into IPv6 (::ffff:10.0.0.1) is the IPv4 address, so one
 * client is counted once whichever socket it came in on.
 */
#ifndef TSUNAGU_NETADDR_H
#define TSUNAGU_NETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETADDR_TEXT 50          /* INET6_ADDRSTRLEN, and room for a /64 key */

struct netaddr {
	int family;                  /* AF_INET or AF_INET6; 0: none */
	uint8_t bytes[16];
};

struct netmask {
	struct netaddr addr;
	int bits;                    /* prefix length */
};

/* An address in text (no port, no brackets). 0, or -1 when it is not one. */
int netaddr_parse(const char *text, struct netaddr *out);

/* An address or a network ADDRESS/BITS; a bare address is a network of one. 0, or -1. */
int netmask_parse(const char *text, struct netmask *out);

bool netmask_contains(const struct netmask *m, const struct netaddr *a);

/* Whether an address in text is a loopback address (127.0.0.0/8, ::1). */
bool netaddr_text_is_loopback(const char *text);

/* The address of a socket's peer (its port dropped). */
void netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);

/* Writes the address as text into out (NETADDR_TEXT bytes). */
void netaddr_format(const struct netaddr *a, char *out);

/*
 * The key a client is counted and limited by, as text into out (NETADDR_TEXT
 * bytes): an IPv4 address itself, an IPv6 address's /64 ("2001:db8:1:2::/64"),
 * since one subscriber holds a whole /64 and could rotate through it.
 */
void netaddr_client_key(const struct netaddr *a, char *out);

/* The same from an address in text; text that is not an address is its own key. */
void netaddr_client_key_text(const char *text, char *out);

#endif
