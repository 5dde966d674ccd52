/* Encoding and decoding of Session Manager data channel messages. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "json.h"
#include "ssmmsg.h"
#include "util.h"

/* Field offsets of the 120-byte header. */
#define OFF_TYPE 4
#define OFF_SCHEMA 36
#define OFF_CREATED 40
#define OFF_SEQUENCE 48
#define OFF_FLAGS 56
#define OFF_MESSAGE_ID 64
#define OFF_DIGEST 80
#define OFF_PAYLOAD_TYPE 112

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

/* Strips NULs, then blanks, from both ends, as the reference client does:
 * clients pad with spaces, the service pads channel_closed with NULs.
 * Returns -1 when a NUL remains inside the type. As a C string such a
 * type would pass for its first part, while the reference client sees
 * an unknown type. */
static int
read_type(const unsigned char *p, char out[SSM_TYPE_SIZE + 1])
{
	size_t start = 0, end = SSM_TYPE_SIZE;

	while (start < end && p[start] == '\0')
		start++;
	while (end > start && p[end - 1] == '\0')
		end--;
	while (start < end && (p[start] == ' ' || p[start] == '\t'))
		start++;
	while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t' ||
				  p[end - 1] == '\0'))
		end--;
	memcpy(out, p + start, end - start);
	out[end - start] = '\0';
	return memchr(out, '\0', end - start) ? -1 : 0;
}

int
ssm_msg_parse(const void *frame, size_t len, struct ssm_msg *m,
    const char **why)
{
	const unsigned char *p = frame;
	uint32_t hl;

	memset(m, 0, sizeof(*m));
	if (len < OFF_PAYLOAD_TYPE + 4) {
		*why = "frame shorter than a header";
		return -1;
	}
	hl = get_u32(p);
	if (hl < SSM_HEADER_LENGTH_SHORT || (size_t)hl + 4 > len) {
		*why = "invalid header length";
		return -1;
	}
	m->header_length = hl;
	if (read_type(p + OFF_TYPE, m->type) < 0) {
		*why = "NUL byte inside the message type";
		return -1;
	}
	m->schema_version = get_u32(p + OFF_SCHEMA);
	m->created_ms = get_u64(p + OFF_CREATED);
	m->sequence_number = (int64_t)get_u64(p + OFF_SEQUENCE);
	m->flags = get_u64(p + OFF_FLAGS);
	/* The wire carries bytes 8-15 of the UUID first, then bytes 0-7. */
	memcpy(m->message_id, p + OFF_MESSAGE_ID + 8, 8);
	memcpy(m->message_id + 8, p + OFF_MESSAGE_ID, 8);
	memcpy(m->digest, p + OFF_DIGEST, 32);
	m->payload_type = hl >= SSM_HEADER_LENGTH ? get_u32(p + OFF_PAYLOAD_TYPE)
						  : 0;
	m->payload_length = get_u32(p + hl);
	m->payload = p + hl + 4;
	m->payload_len = len - hl - 4;
	if (m->type[0] == '\0') {
		*why = "empty message type";
		return -1;
	}
	if (m->created_ms == 0) {
		*why = "zero creation date";
		return -1;
	}
	return 0;
}

int
ssm_msg_needs_digest(const struct ssm_msg *m)
{
	if (strcmp(m->type, SSM_START_PUBLICATION) == 0 ||
	    strcmp(m->type, SSM_PAUSE_PUBLICATION) == 0)
		return 0;
	return m->payload_len > 0;
}

int
ssm_msg_digest_ok(const struct ssm_msg *m)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	sha256_raw(m->payload, m->payload_len, d);
	return memcmp(d, m->digest, sizeof(d)) == 0;
}

int
ssm_msg_length_ok(const struct ssm_msg *m)
{
	return m->payload_length == m->payload_len;
}

void
ssm_msg_encode(struct buf *out, const char *type, int64_t seq,
    uint64_t flags, const unsigned char id[16], uint64_t created_ms,
    uint32_t payload_type, const void *payload, size_t len)
{
	unsigned char h[SSM_HEADER_LENGTH + 4];
	size_t tlen = strlen(type);

	if (tlen > SSM_TYPE_SIZE)
		tlen = SSM_TYPE_SIZE;
	put_u32(h, SSM_HEADER_LENGTH);
	memset(h + OFF_TYPE, ' ', SSM_TYPE_SIZE);
	memcpy(h + OFF_TYPE, type, tlen);
	put_u32(h + OFF_SCHEMA, 1);
	put_u64(h + OFF_CREATED, created_ms);
	put_u64(h + OFF_SEQUENCE, (uint64_t)seq);
	put_u64(h + OFF_FLAGS, flags);
	memcpy(h + OFF_MESSAGE_ID, id + 8, 8);
	memcpy(h + OFF_MESSAGE_ID + 8, id, 8);
	sha256_raw(len ? payload : (const void *)"", len, h + OFF_DIGEST);
	put_u32(h + OFF_PAYLOAD_TYPE, payload_type);
	put_u32(h + SSM_HEADER_LENGTH, (uint32_t)len);
	buf_add(out, h, sizeof(h));
	if (len)
		buf_add(out, payload, len);
}

void
ssm_uuid_format(const unsigned char id[16], char out[37])
{
	char hex[33];

	hex_encode(id, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ssm_uuid_parse(const char *s, unsigned char id[16])
{
	size_t i, n = 0;

	for (i = 0; s[i] && n < 32; i++) {
		int hi, lo;

		if (s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23))
			continue;
		hi = hex_value(s[i]);
		lo = s[i + 1] ? hex_value(s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		id[n / 2] = (unsigned char)(hi << 4 | lo);
		n += 2;
		i++;
	}
	return n == 32 && s[i] == '\0' ? 0 : -1;
}

void
ssm_uuid_random(unsigned char id[16])
{
	if (random_bytes(id, 16))
		die("getrandom failed: %s", strerror(errno));
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
}

void
ssm_ack_json(struct buf *out, const char *type, const unsigned char id[16],
    int64_t seq)
{
	char text[37];

	ssm_uuid_format(id, text);
	buf_addf(out,
	    "{\"AcknowledgedMessageType\":\"%s\","
	    "\"AcknowledgedMessageId\":\"%s\","
	    "\"AcknowledgedMessageSequenceNumber\":%lld,"
	    "\"IsSequentialMessage\":true}",
	    type, text, (long long)seq);
}

int
ssm_ack_parse(const void *payload, size_t len, int64_t *seq)
{
	jv v = json_parse(payload, len);
	jv n;
	int rc = -1;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return -1;
	}
	n = jv_object_get(v, jv_string("AcknowledgedMessageSequenceNumber"));
	/* Converting a double beyond int64_t is undefined. Past 2^53 a JSON
	 * number no longer names one integer, so such an ack is rejected. */
	if (jv_get_kind(n) == JV_KIND_NUMBER &&
	    fabs(jv_number_value(n)) <= 9007199254740992.0) {
		*seq = (int64_t)jv_number_value(n);
		rc = 0;
	}
	jv_free(n);
	return rc;
}

void
ssm_open_json(struct buf *out, const char *token, const char *client_id,
    const char *client_version)
{
	char request_id[37];

	uuid_v4(request_id);
	buf_addf(out, "{\"MessageSchemaVersion\":\"1.0\",\"RequestId\":\"%s\","
		      "\"TokenValue\":",
	    request_id);
	buf_add_json_string(out, token, strlen(token));
	buf_addf(out, ",\"ClientId\":\"%s\",\"ClientVersion\":\"%s\"}",
	    client_id, client_version);
}

static char *
dup_field(jv obj, const char *key)
{
	const char *s = json_str(obj, key);

	return xstrdup(s ? s : "");
}

int
ssm_channel_closed_parse(const void *payload, size_t len, char **output,
    char **session_id)
{
	jv v = json_parse(payload, len);

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		*output = xstrdup("");
		*session_id = xstrdup("");
		return -1;
	}
	*output = dup_field(v, "Output");
	*session_id = dup_field(v, "SessionId");
	jv_free(v);
	return 0;
}

void
ssm_size_json(struct buf *out, unsigned cols, unsigned rows)
{
	buf_addf(out, "{\"cols\":%u,\"rows\":%u}", cols, rows);
}

void
ssm_handshake_response_json(struct buf *out, const char *client_version,
    const struct ssm_action_result *actions, size_t n)
{
	size_t i;

	buf_addf(out, "{\"ClientVersion\":\"%s\",\"ProcessedClientActions\":[",
	    client_version);
	for (i = 0; i < n; i++) {
		const struct ssm_action_result *a = &actions[i];

		buf_adds(out, i ? ",{\"ActionType\":" : "{\"ActionType\":");
		buf_add_json_string(out, a->action_type,
		    strlen(a->action_type));
		buf_addf(out, ",\"ActionStatus\":%d,\"ActionResult\":%s,"
			      "\"Error\":",
		    a->status, a->result_json ? a->result_json : "null");
		buf_add_json_string(out, a->error ? a->error : "",
		    a->error ? strlen(a->error) : 0);
		buf_addc(out, '}');
	}
	buf_adds(out, "],\"Errors\":null}");
}

int
ssm_exit_code_parse(const void *payload, size_t len, int *code)
{
	static const char prefix[] = "EXIT_CODE:";
	char text[64];
	char *end;
	long v;

	if (len >= sizeof(text) || len < sizeof(prefix) - 1)
		return -1;
	memcpy(text, payload, len);
	text[len] = '\0';
	if (strncmp(text, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	errno = 0;
	v = strtol(text + sizeof(prefix) - 1, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\r')
		end++;
	if (errno || *end || end == text + sizeof(prefix) - 1)
		return -1;
	*code = (int)v;
	return 0;
}
