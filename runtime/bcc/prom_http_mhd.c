// SPDX-License-Identifier: GPL-2.0
/*
 * prom_http_mhd.c - the exporter's HTTP side in cbcc: libmicrohttpd, on its
 * own internal polling thread, with a connection limit and timeouts; see
 * prom_http.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"
#include "prom_http.h"

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct prom_server {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;	/* text, len */
	char *text;
	size_t len;
	atomic_bool scraped;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status,
			      const char *body, size_t len, bool metrics)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				metrics ? CONTENT_TYPE : "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static const char not_found[] = "only /metrics is served here\n";
	static const char bad_method[] = "only GET and HEAD\n";
	struct prom_server *s = cls;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)con_cls;
	/* A body is not read: the answer does not depend on it. */
	*upload_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method,
			      sizeof(bad_method) - 1, false);
	if (strcmp(url, "/metrics"))
		return answer(c, MHD_HTTP_NOT_FOUND, not_found,
			      sizeof(not_found) - 1, false);
	atomic_store(&s->scraped, true);
	/* A copy under the lock: the loop may publish the next one. */
	pthread_mutex_lock(&s->lock);
	ret = answer(c, MHD_HTTP_OK, s->text ? s->text : "", s->len, true);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

struct prom_server *prom_server_start(const struct sockaddr *sa,
				      socklen_t len, const char *shown)
{
	struct prom_server *s = calloc(1, sizeof(*s));
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;

	(void)len;
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	if (sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)PROM_HTTP_MAX_CONNS,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)PROM_HTTP_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)(4 * PROM_HTTP_MAX_REQUEST),
				MHD_OPTION_END);
	if (!s->d) {
		/* MHD says nothing itself; bind() is what fails in practice. */
		pr_err("--prometheus %s: cannot listen there (address in use "
		       "or not local?)", shown);
		pthread_mutex_destroy(&s->lock);
		free(s);
		errno = EADDRINUSE;
		return NULL;
	}
	return s;
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
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
