/* Error reporting, allocation, time, encoding and file helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA256_Init and the other direct digest functions are deprecated in
 * OpenSSL 3 but not removed. The comment above sha256_raw gives the
 * reason for using them.
 * NOTE: an OpenSSL built with no-deprecated lacks them, and the build
 * fails there. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "text.h"
#include "util.h"

const char *program_name = "ecs-tools";

/*
 * GnuTLS comes into every program through the RTMP and LDAP libraries that
 * libcurl links, and its constructor parses its ASN.1 tables when it is
 * loaded, although nothing here uses it: libcurl is built on OpenSSL. Before
 * that work the constructor calls this function, which a program may define
 * (the Makefile exports it); a non-zero result skips the work. Code that
 * does use GnuTLS calls gnutls_global_init first, as librtmp and libldap do.
 */
int _gnutls_global_init_skip(void);

int
_gnutls_global_init_skip(void)
{
	return 1;
}

void
set_program_name(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	program_name = slash ? slash + 1 : argv0;
}

void
verror(const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	/* One write(2) per message keeps lines whole when several processes
	 * of a pipeline share stderr. */
	buf_addf(&b, "%s: ", program_name);
	buf_vaddf(&b, fmt, ap);
	if (b.len == 0 || b.data[b.len - 1] != '\n')
		buf_addc(&b, '\n');
	write_stderr_text(b.data, b.len);
	buf_free(&b);
}

void
write_stderr_text(const char *text, size_t len)
{
	struct buf shown = BUF_INIT;

	text_sanitize(text, len, 1, &shown);
	(void)write_all(STDERR_FILENO, shown.data, shown.len);
	buf_free(&shown);
}

int die_status = EXIT_RUNTIME;

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	exit(die_status);
}

void
die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    program_name);
	exit(EXIT_USAGE);
}

int
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	return -1;
}

void
warning(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_adds(&b, "warning: ");
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	error("%s", b.data);
	buf_free(&b);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory allocating %zu items of %zu bytes", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory allocating %zu bytes", n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void
secure_zero(void *p, size_t n)
{
	explicit_bzero(p, n);
}

void
free_secret(char *s)
{
	if (s) {
		secure_zero(s, strlen(s));
		free(s);
	}
}

int
str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int
str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

const char *
str_last_segment(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? slash + 1 : s;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
parse_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

int
parse_iso8601(const char *s, double *out)
{
	int year, mon, day, hour = 0, min = 0, sec = 0, oh, om;
	double frac = 0, scale = 0.1;
	struct tm tm;
	time_t t;
	const char *p = s;
	long offset = 0;

	while (*p == ' ')
		p++;
	if (parse_digits(&p, 4, &year) || *p++ != '-' ||
	    parse_digits(&p, 2, &mon) || *p++ != '-' ||
	    parse_digits(&p, 2, &day))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (parse_digits(&p, 2, &hour) || *p++ != ':' ||
		    parse_digits(&p, 2, &min))
			return -1;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					return -1;
				while (*p >= '0' && *p <= '9') {
					frac += (*p - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) {
		p += 3;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (parse_digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (parse_digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 3600L + om * 60L);
	}
	while (*p == ' ')
		p++;
	if (*p)
		return -1;
	/* timegm would silently move February 30 to March 2. */
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 && year != 1969)
		return -1;
	*out = (double)t - (double)offset + frac;
	return 0;
}

int
parse_http_date(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	*out = timegm(&tm);
	return 0;
}

void
format_iso8601(double t, char *out, size_t size)
{
	time_t secs;
	struct tm tm;

	/* Converting a double beyond time_t is undefined, and record
	 * members such as a log event's timestamp can hold any number. */
	if (!(t >= ISO8601_MIN_SECONDS && t <= ISO8601_MAX_SECONDS)) {
		snprintf(out, size, "-");
		return;
	}
	secs = (time_t)t;
	gmtime_r(&secs, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/*
 * The digests use OpenSSL's direct SHA functions rather than EVP. The first
 * EVP digest or HMAC of a process makes OpenSSL 3 load its default provider
 * and build its method store. That took 0.4 to 0.8 ms on the benchmark
 * machine, more than a program that signs one request spends on all its
 * own work. A plain HTTP request then never loads the provider, and TLS
 * still does.
 */
void
sha256_raw(const void *data, size_t len, unsigned char out[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	sha256_raw(data, len, md);
	hex_encode(md, sizeof(md), out);
}

void
sha1_hex(const void *data, size_t len, char out[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	SHA_CTX c;

	SHA1_Init(&c);
	SHA1_Update(&c, data, len);
	SHA1_Final(md, &c);
	hex_encode(md, sizeof(md), out);
}

/* HMAC as RFC 2104 defines it, over SHA-256 (block size 64). */
void
hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
    unsigned char out[32])
{
	unsigned char k[64], pad[64], inner[32];
	SHA256_CTX c;
	size_t i;

	memset(k, 0, sizeof(k));
	if (key_len > sizeof(k))
		sha256_raw(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);
	for (i = 0; i < sizeof(k); i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	SHA256_Update(&c, data, len);
	SHA256_Final(inner, &c);
	for (i = 0; i < sizeof(k); i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	/* The contexts and pads are derived from the key. */
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
}

void
base64_encode(const unsigned char *in, size_t len, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	buf_grow(out, (len + 2) / 3 * 4);
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63],
		    tab[(v >> 6) & 63], tab[v & 63]};
		buf_add(out, q, 4);
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		buf_add(out, q, 4);
	}
}

static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int
base64_decode(const char *in, size_t len, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == '=' || c == ' ' || c == '\n' || c == '\r' ||
		    c == '\t')
			continue;
		v = base64_value(c);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

int
random_bytes(void *p, size_t n)
{
	unsigned char *q = p;

	while (n > 0) {
		ssize_t r = getrandom(q, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

void
uuid_v4(char out[37])
{
	unsigned char b[16];
	char hex[33];

	if (random_bytes(b, sizeof(b)))
		die("getrandom failed: %s", strerror(errno));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	hex_encode(b, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

int
read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
	secure_zero(chunk, sizeof(chunk));
	if (n < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file_through_temp(const char *path, const void *data,
    size_t len, mode_t mode);

int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	sigset_t stop_signals, old_mask;
	int rc, saved;

	/* A signal that ends the program between mkostemp and rename would
	 * leave the temporary file behind, so SIGINT, SIGTERM, SIGHUP and
	 * SIGQUIT wait until the file is in place or removed. The caller's
	 * handlers, or the default action, then run as usual. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	sigaddset(&stop_signals, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
	rc = write_file_through_temp(path, data, len, mode);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	errno = saved;
	return rc;
}

static int
write_file_through_temp(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", path);
	int fd, saved;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, mode) || write_all(fd, data, len) || fsync(fd)) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	if (close(fd) || rename(tmp, path)) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	char *p;
	int rc = 0;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) && errno != EEXIST) {
			rc = -1;
			break;
		}
		*p = '/';
	}
	if (rc == 0 && mkdir(copy, mode) && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

char *
expand_home(const char *path)
{
	const char *home;

	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return xstrdup(path);
	home = getenv("HOME");
	if (!home || !*home)
		return xstrdup(path);
	return xasprintf("%s%s", home, path + 1);
}
