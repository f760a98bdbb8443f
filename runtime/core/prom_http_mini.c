// SPDX-License-Identifier: GPL-2.0
/*
 * prom_http_mini.c - the exporter's HTTP side in cbcc-core: a small
 * HTTP/1.0 responder (one request per connection, then close) on its own
 * thread.  cbcc-core links only libc dynamically and Debian's
 * libmicrohttpd.a needs a static GnuTLS chain Debian does not ship whole
 * (libp11-kit, libunistring have no .a), so this stays in libc: poll(),
 * non-blocking sockets, a fixed connection table, a fixed request buffer
 * and one deadline per connection.  Request parsing is prom_req_parse()
 * (runtime/common/prom_req.c, fuzzed by tests/fuzz/fuzz_prom_req.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "prom_http.h"

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct conn {
	int fd;			/* -1: free slot */
	uint64_t deadline_ms;
	size_t got;
	char req[PROM_HTTP_MAX_REQUEST];
	char *out;		/* response, once the request is parsed */
	size_t out_len, sent;
};

struct prom_server {
	int lfd, stopfd;
	pthread_t thread;
	pthread_mutex_t lock;	/* text, len */
	char *text;
	size_t len;
	atomic_bool scraped;
	struct conn *conns;	/* PROM_HTTP_MAX_CONNS */
	struct pollfd pfd[PROM_HTTP_MAX_CONNS + 2];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	default: return "Request Header Fields Too Large";
	}
}

/* The whole response in one buffer: the snapshot copied under the lock. */
static int respond(struct prom_server *s, struct conn *c, int status,
		   bool head)
{
	static const char not_found[] = "only /metrics is served here\n";
	const char *body = status == 404 ? not_found : "";
	size_t blen = status == 404 ? sizeof(not_found) - 1 : 0, hlen;
	char hdr[256];

	if (status == 200) {
		atomic_store(&s->scraped, true);
		pthread_mutex_lock(&s->lock);
	}
	if (status == 200) {
		body = s->text ? s->text : "";
		blen = s->len;
	}
	hlen = snprintf(hdr, sizeof(hdr),
			"HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
			"Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
			status, reason(status),
			status == 200 ? CONTENT_TYPE : "text/plain", blen,
			status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (head)
		blen = 0;
	c->out = malloc(hlen + blen);
	if (c->out) {
		memcpy(c->out, hdr, hlen);
		memcpy(c->out + hlen, body, blen);
		c->out_len = hlen + blen;
		c->sent = 0;
	}
	if (status == 200)
		pthread_mutex_unlock(&s->lock);
	return c->out ? 0 : -ENOMEM;
}

static void on_readable(struct prom_server *s, struct conn *c)
{
	ssize_t n;
	bool head;
	int status;

	n = recv(c->fd, c->req + c->got, sizeof(c->req) - c->got,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->got += n;
	status = prom_req_parse(c->req, c->got, &head);
	if (!status)
		return;
	/* Nothing more is read: whatever follows is not looked at. */
	shutdown(c->fd, SHUT_RD);
	if (respond(s, c, status, head))
		conn_close(c);
}

static void on_writable(struct conn *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->sent, c->out_len - c->sent,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->sent += n;
	if (c->sent == c->out_len)
		conn_close(c);
}

static void on_accept(struct prom_server *s)
{
	int fd, i, n;

	/* Bounded: a flood of connections is taken a table's worth a turn. */
	for (n = 0; n < PROM_HTTP_MAX_CONNS; n++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0; i < PROM_HTTP_MAX_CONNS; i++)
			if (s->conns[i].fd < 0)
				break;
		if (i == PROM_HTTP_MAX_CONNS) {
			close(fd);	/* over the limit */
			return;
		}
		s->conns[i].fd = fd;
		s->conns[i].got = 0;
		s->conns[i].deadline_ms = now_ms() +
					  PROM_HTTP_TIMEOUT_S * 1000;
	}
}

static void *serve(void *arg)
{
	struct prom_server *s = arg;
	struct pollfd *p = s->pfd;
	int idx[PROM_HTTP_MAX_CONNS];
	int i, n;
	uint64_t now;

	for (;;) {
		p[0] = (struct pollfd){ .fd = s->stopfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		n = 2;
		now = now_ms();
		for (i = 0; i < PROM_HTTP_MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {
				conn_close(c);	/* slow or silent client */
				continue;
			}
			idx[n - 2] = i;
			p[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->out ? POLLOUT : POLLIN,
			};
		}
		if (poll(p, n, 250) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		for (i = 2; i < n; i++) {
			struct conn *c = &s->conns[idx[i - 2]];

			if (!p[i].revents)
				continue;
			if (c->out)
				on_writable(c);
			else
				on_readable(s, c);
		}
		if (p[1].revents)
			on_accept(s);
	}
	return NULL;
}

struct prom_server *prom_server_start(const struct sockaddr *sa,
				      socklen_t len, const char *shown)
{
	struct prom_server *s = calloc(1, sizeof(*s));
	int one = 1, i, err;

	if (!s)
		return NULL;
	s->lfd = s->stopfd = -1;
	s->conns = calloc(PROM_HTTP_MAX_CONNS, sizeof(*s->conns));
	if (!s->conns)
		goto fail;
	for (i = 0; i < PROM_HTTP_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->lfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, sa, len) || listen(s->lfd, 128)) {
		err = errno;
		pr_err("--prometheus %s: cannot listen there: %s", shown,
		       strerror(err));
		errno = err;
		goto fail_quiet;
	}
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0)
		goto fail;
	pthread_mutex_init(&s->lock, NULL);
	err = pthread_create(&s->thread, NULL, serve, s);
	if (err) {
		pthread_mutex_destroy(&s->lock);
		errno = err;
		goto fail;
	}
	return s;
fail:
	err = errno;
	pr_err("--prometheus %s: %s", shown, strerror(err));
	errno = err;
fail_quiet:
	err = errno;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	free(s->conns);
	free(s);
	errno = err;
	return NULL;
}

void prom_server_publish(struct prom_server *s, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = text;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

bool prom_server_scraped(struct prom_server *s)
{
	return atomic_exchange(&s->scraped, false);
}

void prom_server_stop(struct prom_server *s)
{
	uint64_t one = 1;
	int i;

	if (!s)
		return;
	if (write(s->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	for (i = 0; i < PROM_HTTP_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(&s->conns[i]);
	close(s->lfd);
	close(s->stopfd);
	pthread_mutex_destroy(&s->lock);
	free(s->conns);
	free(s->text);
	free(s);
}
