/* HTTP transfers through libcurl's multi interface. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "http.h"
#include "util.h"

struct http_client {
	CURLM *multi;
	struct http_client_options opt;
	char *ca_bundle;
	struct http_request *waiting;	/* not started yet, sorted by time */
	int running;			/* handed to curl */
	long connections;
};

static int curl_ready;

struct http_client *
http_client_new(const struct http_client_options *o)
{
	struct http_client *c = xcalloc(1, sizeof(*c));
	const char *ca;

	if (!curl_ready) {
		/* Without this flag OpenSSL frees its tables at exit, which
		 * the kernel does faster when the process ends. */
		OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			die("libcurl initialisation failed");
		curl_ready = 1;
	}
	if (o)
		c->opt = *o;
	if (c->opt.connect_timeout_ms <= 0)
		c->opt.connect_timeout_ms = 10000;
	if (c->opt.timeout_ms <= 0)
		c->opt.timeout_ms = 60000;
	if (c->opt.max_response == 0)
		c->opt.max_response = (size_t)256 << 20;
	if (c->opt.max_connections <= 0)
		c->opt.max_connections = 16;
	ca = c->opt.ca_bundle;
	if (!ca || !*ca)
		ca = getenv("AWS_CA_BUNDLE");
	if (ca && *ca)
		c->ca_bundle = expand_home(ca);
	c->multi = curl_multi_init();
	if (!c->multi)
		die("libcurl: curl_multi_init failed");
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    c->opt.max_connections);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	    c->opt.max_connections);
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	free(c->ca_bundle);
	free(c);
}

static size_t
write_body(char *data, size_t size, size_t n, void *ud)
{
	struct http_request *req = ud;
	size_t len = size * n;

	if (req->on_data)
		return req->on_data(req, data, len);
	if (req->response.len + len > req->client->opt.max_response &&
	    (req->max_response == 0 ||
		req->response.len + len > req->max_response)) {
		req->too_large = 1;
		return 0;
	}
	buf_add(&req->response, data, len);
	return len;
}

static size_t
write_header(char *data, size_t size, size_t n, void *ud)
{
	struct http_request *req = ud;
	size_t len = size * n;

	/* A new status line starts a new header block (after a redirect or
	 * a 100 Continue); keep only the last one. */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0)
		buf_reset(&req->response_headers);
	buf_add(&req->response_headers, data, len);
	return len;
}

static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct http_request *req = ud;

	(void)purpose;
	req->client->connections++;
	req->connection_id = req->client->connections;
	return socket(addr->family, addr->socktype, addr->protocol);
}

static void
start(struct http_client *c, struct http_request *req)
{
	CURL *e = curl_easy_init();
	long connect_ms = req->connect_timeout_ms > 0
			      ? req->connect_timeout_ms
			      : c->opt.connect_timeout_ms;
	long total_ms = req->timeout_ms > 0 ? req->timeout_ms
					    : c->opt.timeout_ms;

	if (!e)
		die("libcurl: curl_easy_init failed");
	req->easy = e;
	req->started_ms = monotonic_ms();
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, write_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->error);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ecs-tools/" ECS_VERSION);
	if (req->receive_buffer > 0)
		curl_easy_setopt(e, CURLOPT_BUFFERSIZE,
		    (long)req->receive_buffer);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->ca_bundle)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle);
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
			    req->method);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    req->body ? req->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		die("libcurl: curl_multi_add_handle failed");
	c->running++;
}

void
http_submit(struct http_client *c, struct http_request *req)
{
	struct http_request **pp;

	req->client = c;
	req->in_flight = 1;
	req->status = 0;
	req->result = CURLE_OK;
	req->error[0] = '\0';
	req->too_large = 0;
	buf_reset(&req->response);
	buf_reset(&req->response_headers);
	if (req->not_before_ms <= monotonic_ms() && !c->waiting &&
	    c->running < c->opt.max_connections) {
		start(c, req);
		return;
	}
	pp = &c->waiting;
	while (*pp && (*pp)->not_before_ms <= req->not_before_ms)
		pp = &(*pp)->next_waiting;
	req->next_waiting = *pp;
	*pp = req;
}

static void
start_due(struct http_client *c)
{
	int64_t now = monotonic_ms();

	while (c->waiting && c->waiting->not_before_ms <= now &&
	       c->running < c->opt.max_connections) {
		struct http_request *req = c->waiting;

		c->waiting = req->next_waiting;
		req->next_waiting = NULL;
		start(c, req);
	}
}

static void
finish(struct http_client *c, CURLMsg *msg)
{
	struct http_request *req;
	CURL *e = msg->easy_handle;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
	req->result = msg->data.result;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &req->status);
	if (req->result != CURLE_OK) {
		if (req->too_large)
			snprintf(req->error, sizeof(req->error),
			    "response larger than %zu bytes",
			    req->max_response ? req->max_response
					      : c->opt.max_response);
		else if (!req->error[0])
			snprintf(req->error, sizeof(req->error), "%s",
			    curl_easy_strerror(req->result));
	}
	req->duration_ms = (double)(monotonic_ms() - req->started_ms);
	curl_multi_remove_handle(c->multi, e);
	curl_easy_cleanup(e);
	req->easy = NULL;
	c->running--;
	req->in_flight = 0;
	if (req->done)
		req->done(req);
}

int
http_run(struct http_client *c, int timeout_ms)
{
	int64_t deadline = monotonic_ms() + timeout_ms;

	for (;;) {
		int still, left, wait_ms;
		CURLMsg *msg;
		int64_t now;

		start_due(c);
		curl_multi_perform(c->multi, &still);
		while ((msg = curl_multi_info_read(c->multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				finish(c, msg);
		start_due(c);
		if (c->running == 0 && !c->waiting)
			return 0;
		now = monotonic_ms();
		if (now >= deadline)
			break;
		wait_ms = (int)(deadline - now);
		if (c->waiting && c->running < c->opt.max_connections &&
		    c->waiting->not_before_ms - now < wait_ms)
			wait_ms = (int)(c->waiting->not_before_ms - now);
		if (wait_ms < 0)
			wait_ms = 0;
		if (wait_ms > 1000)
			wait_ms = 1000;
		curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
	}
	return c->running + (c->waiting ? 1 : 0);
}

void
http_run_all(struct http_client *c)
{
	while (http_run(c, 1000) > 0)
		;
}

void
http_perform(struct http_client *c, struct http_request *req)
{
	http_submit(c, req);
	while (req->in_flight)
		http_run(c, 1000);
}

void
http_request_reset(struct http_request *req)
{
	buf_free(&req->response);
	buf_free(&req->response_headers);
}

const char *
http_response_header(struct http_request *req, const char *name,
    struct buf *out)
{
	size_t nlen = strlen(name);
	const char *p = req->response_headers.data;

	buf_reset(out);
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;
			const char *end = p + len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			buf_add(out, v, (size_t)(end - v));
			return out->data;
		}
		if (!eol)
			break;
		p = eol + 2;
	}
	return NULL;
}

long
http_connections_opened(struct http_client *c)
{
	return c->connections;
}
