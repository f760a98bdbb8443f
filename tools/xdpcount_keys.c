// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount_keys.c - key kinds by name, and the label a counter row gets:
 * the words of the table and the "key" value of --json.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "xdpcount_tool.h"

static const char *const key_names[] = {
	[XDPCOUNT_KEY_PROTO] = "proto",
	[XDPCOUNT_KEY_SADDR] = "saddr",
	[XDPCOUNT_KEY_DADDR] = "daddr",
	[XDPCOUNT_KEY_SPORT] = "sport",
	[XDPCOUNT_KEY_DPORT] = "dport",
	[XDPCOUNT_KEY_VLAN] = "vlan",
};

#define NR_KEYS	(int)(sizeof(key_names) / sizeof(key_names[0]))

static const char *const class_names[XDPCOUNT_NR_CLASSES] = {
	[XDPCOUNT_CLASS_ARP] = "arp",
	[XDPCOUNT_CLASS_ICMP] = "icmp",
	[XDPCOUNT_CLASS_ICMPV6] = "icmpv6",
	[XDPCOUNT_CLASS_TCP] = "tcp",
	[XDPCOUNT_CLASS_UDP] = "udp",
	[XDPCOUNT_CLASS_IPV4_OTHER] = "ipv4-other",
	[XDPCOUNT_CLASS_IPV6_OTHER] = "ipv6-other",
};

int xdpcount_key_parse(const char *name)
{
	int i;

	for (i = 0; i < NR_KEYS; i++)
		if (!strcmp(name, key_names[i]))
			return i;
	return -1;
}

const char *xdpcount_key_name(int key)
{
	return key >= 0 && key < NR_KEYS ? key_names[key] : "?";
}

const char *xdpcount_class_name(int cls)
{
	return cls >= 0 && cls < XDPCOUNT_NR_CLASSES ? class_names[cls] : "?";
}

/* Labels of hash rows: the same words as the array's classes. */
static void proto_label(const struct xdpcount_key *k, char *buf,
			size_t len)
{
	const char *name;

	if (k->ethertype == 0x0806) {
		name = class_names[XDPCOUNT_CLASS_ARP];
	} else if (k->ethertype != 0x0800 && k->ethertype != 0x86dd) {
		snprintf(buf, len, "0x%04x", k->ethertype);
		return;
	} else {
		switch (k->ipproto) {
		case 6:
			name = class_names[XDPCOUNT_CLASS_TCP];
			break;
		case 17:
			name = class_names[XDPCOUNT_CLASS_UDP];
			break;
		case 1:
			name = class_names[XDPCOUNT_CLASS_ICMP];
			break;
		case 58:
			name = class_names[XDPCOUNT_CLASS_ICMPV6];
			break;
		default:
			name = class_names[k->ethertype == 0x0800 ?
					   XDPCOUNT_CLASS_IPV4_OTHER :
					   XDPCOUNT_CLASS_IPV6_OTHER];
		}
	}
	snprintf(buf, len, "%s", name);
}

void xdpcount_label(int key, const struct xdpcount_key *k,
		    struct xdpcount_row *r)
{
	r->kind = LABEL_STRING;
	switch (key) {
	case XDPCOUNT_KEY_PROTO:
		proto_label(k, r->label, sizeof(r->label));
		break;
	case XDPCOUNT_KEY_SADDR:
	case XDPCOUNT_KEY_DADDR:
		if (k->family == 4 || k->family == 6) {
			inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr,
				  r->label, sizeof(r->label));
		} else {
			snprintf(r->label, sizeof(r->label), "non-ip");
			r->kind = LABEL_NULL;
		}
		break;
	case XDPCOUNT_KEY_SPORT:
	case XDPCOUNT_KEY_DPORT:
		if (k->ipproto) {
			snprintf(r->label, sizeof(r->label), "%u", k->port);
			r->kind = LABEL_NUMBER;
			r->number = k->port;
		} else {
			snprintf(r->label, sizeof(r->label), "no-port");
			r->kind = LABEL_NULL;
		}
		break;
	case XDPCOUNT_KEY_VLAN:
		if (!k->nr_vlans)
			snprintf(r->label, sizeof(r->label), "untagged");
		else if (k->nr_vlans == 1)
			snprintf(r->label, sizeof(r->label), "%u", k->vlan[0]);
		else
			snprintf(r->label, sizeof(r->label), "%u.%u",
				 k->vlan[0], k->vlan[1]);
		break;
	}
}
