/* HTTP through libcurl's multi interface: many requests in flight, one
 * connection cache per client (so calls to the same host reuse their
 * connections), timeouts, proxies from the environment (libcurl reads
 * http_proxy, HTTPS_PROXY and no_proxy) and AWS_CA_BUNDLE.
 *
 * A struct http_request is owned by the caller; the client borrows it from
 * http_submit until its done callback has run. */
#ifndef ECS_HTTP_H
#define ECS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "buf.h"

struct http_client;
struct http_request;

typedef void (*http_done_fn)(struct http_request *req);

struct http_request {
	/* Input, borrowed until done. */
	const char *method;
	const char *url;
	struct curl_slist *headers;
	const char *body;
	size_t body_len;
	long connect_timeout_ms;	/* 0: the client's default */
	long timeout_ms;		/* total time; 0: the client's default */
	size_t max_response;		/* 0: the client's default */
	/* libcurl's receive buffer in bytes (CURLOPT_BUFFERSIZE); 0 keeps
	 * its default of 16 KiB. Larger means fewer reads for big bodies. */
	size_t receive_buffer;
	int64_t not_before_ms;		/* monotonic time to start, or 0 */
	/* Streaming: when set, body bytes go here instead of into body. */
	size_t (*on_data)(struct http_request *req, const char *data,
	    size_t len);
	http_done_fn done;
	void *data;

	/* Output, valid in the done callback. */
	long status;			/* 0 when no response arrived */
	struct buf response;		/* body */
	struct buf response_headers;	/* "name: value\r\n" lines */
	CURLcode result;
	char error[CURL_ERROR_SIZE];
	double duration_ms;
	long connection_id;		/* changes when a new connection opens */

	/* Private to http.c. */
	CURL *easy;
	struct http_client *client;
	struct http_request *next_waiting;
	int64_t started_ms;
	int too_large;
	int in_flight;
};

struct http_client_options {
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response;
	long max_connections;		/* in flight at once, total */
	const char *ca_bundle;		/* NULL: AWS_CA_BUNDLE or system */
};

struct http_client *http_client_new(const struct http_client_options *o);
void http_client_free(struct http_client *c);
/* Queues req; it starts at once, or at req->not_before_ms. */
void http_submit(struct http_client *c, struct http_request *req);
/* Runs transfers for up to timeout_ms and calls done callbacks. Returns
 * the number of requests still queued or running. */
int http_run(struct http_client *c, int timeout_ms);
/* Runs until no request is left. */
void http_run_all(struct http_client *c);
/* Submits req and runs until it is done (other requests progress too). */
void http_perform(struct http_client *c, struct http_request *req);
/* Frees the output buffers of a finished request so it can be reused. */
void http_request_reset(struct http_request *req);
/* Case-insensitive lookup in the response headers; NULL when absent.
 * The value is copied into out. */
const char *http_response_header(struct http_request *req, const char *name,
    struct buf *out);
/* Number of TCP connections opened so far (for --debug statistics). */
long http_connections_opened(struct http_client *c);

#endif
