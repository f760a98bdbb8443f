/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp.h - attach an already loaded XDP program to an interface, safely.
 *
 * Engine-neutral: it takes a program fd, so cbcc (libbcc) and cbcc-core
 * (libbpf) share it, as do `cbcc run -a xdp:IFACE=PROG` and xdpcount.
 *
 * A BPF link (BPF_LINK_CREATE with BPF_XDP, kernel >= 5.9) is preferred:
 * the kernel detaches the program when the last link fd closes, so nothing
 * stays attached even when cbcc is killed with SIGKILL.  Older kernels get
 * a netlink attach with XDP_FLAGS_UPDATE_IF_NOEXIST, which xdp_detach()
 * undoes on every exit path.  CBCC_XDP_NO_LINK=1 in the environment forces
 * the netlink path (tests use it).
 */
#ifndef CBCC_XDP_H
#define CBCC_XDP_H

#include <stdbool.h>

enum xdp_mode {
	XDP_MODE_AUTO,		/* native, else generic with a note */
	XDP_MODE_NATIVE,	/* XDP_FLAGS_DRV_MODE */
	XDP_MODE_GENERIC,	/* XDP_FLAGS_SKB_MODE */
	XDP_MODE_OFFLOAD,	/* XDP_FLAGS_HW_MODE */
};

/* "auto", "native", "generic", "offload" -> *mode; -EINVAL otherwise. */
int xdp_mode_parse(const char *s, enum xdp_mode *mode);
/* How the tool spells its mode option in hints ("--mode" by default). */
void xdp_set_mode_option(const char *opt);
const char *xdp_mode_name(enum xdp_mode mode);

struct xdp_attachment;

/*
 * Attach prog_fd to ifname in the given mode.  Refuses (-EBUSY) when a
 * program is already attached, naming its id, name and mode, unless force:
 * then a netlink-attached program is replaced (a link-attached one cannot
 * be: its owner must close the link).  An explicit mode the driver refuses
 * is an error naming the mode and the driver.  Every failure prints one
 * line and returns -errno; on success *out owns the attachment.
 */
int xdp_attach(const char *ifname, int prog_fd, enum xdp_mode mode,
	       bool force, struct xdp_attachment **out);

/* The mode actually in use (never XDP_MODE_AUTO). */
enum xdp_mode xdp_attachment_mode(const struct xdp_attachment *a);
/* The interface name given to xdp_attach(). */
const char *xdp_attachment_ifname(const struct xdp_attachment *a);
/* True when attached through a BPF link (SIGKILL-safe). */
bool xdp_attachment_is_link(const struct xdp_attachment *a);

/* ifindex of the interface while it lives and holds us; 0 once gone. */
int xdp_attachment_ifindex(const struct xdp_attachment *a);

/*
 * The mode prog_fd is attached in on ifindex, for a tool that attached
 * through engine_attach() and so holds no xdp_attachment: 0 and *mode;
 * -ENODEV once the interface is gone; -ENOENT when the program is not
 * (or no longer) attached there.  Prints nothing.
 */
int xdp_prog_mode(int ifindex, int prog_fd, enum xdp_mode *mode);

/* Detach (if still attached) and free; NULL is fine. */
void xdp_detach(struct xdp_attachment *a);

#endif /* CBCC_XDP_H */
