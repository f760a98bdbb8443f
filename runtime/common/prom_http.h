/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom_http.h - the HTTP side of the Prometheus exporter: answers
 * GET/HEAD /metrics with the latest published snapshot, 404 elsewhere,
 * from its own thread(s), with connection limits and timeouts.
 *
 * Two implementations, one per binary: cbcc uses libmicrohttpd
 * (runtime/bcc/prom_http_mhd.c); cbcc-core, which links only libc
 * dynamically and cannot link libmicrohttpd statically (Debian's
 * libgnutls.a needs libp11-kit and libunistring, which ship no .a), uses
 * a small HTTP/1.0 responder (runtime/core/prom_http_mini.c) whose
 * request parsing is prom_req_parse() below, fuzzed.
 */
#ifndef CBCC_PROM_HTTP_H
#define CBCC_PROM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Limits both implementations keep. */
#define PROM_HTTP_MAX_CONNS	256	/* more are closed at accept */
#define PROM_HTTP_TIMEOUT_S	5	/* a whole request, from accept */
#define PROM_HTTP_MAX_REQUEST	4096	/* request line + headers */

struct prom_server;

/* NULL and errno, after one line, when the address cannot be bound. */
struct prom_server *prom_server_start(const struct sockaddr *sa,
				      socklen_t len, const char *shown);
/* Replaces the snapshot served (text is taken over, freed later). */
void prom_server_publish(struct prom_server *s, char *text, size_t len);
/* True (and reset) when a scrape came since the last call. */
bool prom_server_scraped(struct prom_server *s);
void prom_server_stop(struct prom_server *s);	/* NULL ok */

/*
 * Parses what a client sent so far (buf[0..len), len <= PROM_HTTP_MAX_REQUEST).
 * Returns 0 while the request head is incomplete and could still fit,
 * else the status to answer: 200 (GET or HEAD /metrics, any query),
 * 404 (another path), 405 (another method), 400 (malformed), 414 (the
 * request line alone is too long), 431 (the head is too long).  *head is
 * set for HEAD.
 */
int prom_req_parse(const char *buf, size_t len, bool *head);

#endif /* CBCC_PROM_HTTP_H */
