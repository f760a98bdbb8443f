/* SPDX-License-Identifier: GPL-2.0 */
/* bps_attach.h - where a program is attached (see bps_attach.c). */
#ifndef CBCC_BPS_ATTACH_H
#define CBCC_BPS_ATTACH_H

#include "bps_model.h"

/*
 * Each attach point of p: one JSON object ("kind": xdp, tc, cgroup,
 * link, kprobe, uprobe, tracepoint, ...) added to arr, or with arr NULL
 * one indented text line on stdout.
 */
void bps_attach_points(const struct bps_model *m, const struct bps_prog *p,
		       struct json_object *arr);

#endif /* CBCC_BPS_ATTACH_H */
