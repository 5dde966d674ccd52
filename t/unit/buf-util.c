/* Unit tests for the byte buffer and the time and encoding helpers. */
#include <math.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "util.h"

static void
test_buf(void)
{
	struct buf b = BUF_INIT;
	int i;

	buf_addf(&b, "%s-%d", "abc", 42);
	is_str(b.data, "abc-42", "buf_addf formats");
	for (i = 0; i < 1000; i++)
		buf_adds(&b, "0123456789");
	is_int((long long)b.len, 6 + 10000, "buf grows past many doublings");
	buf_consume(&b, 6);
	ok(memcmp(b.data, "0123", 4) == 0, "buf_consume drops the prefix");
	buf_reset(&b);
	buf_add_json_string(&b, "a\"b\\c\n\x01\x7f", 8);
	is_str(b.data, "\"a\\\"b\\\\c\\n\\u0001\\u007f\"",
	    "json string escapes quotes and control bytes");
	buf_free(&b);
}

static void
test_time(void)
{
	static const struct {
		const char *text;
		double epoch;
	} cases[] = {
	    {"2015-08-30T12:36:00Z", 1440938160},
	    {"2015-08-30T12:36:00UTC", 1440938160},
	    {"2015-08-30T12:36:00+00:00", 1440938160},
	    {"2015-08-30T13:36:00+01:00", 1440938160},
	    {"2015-08-30T11:36:00-0100", 1440938160},
	    {"2015-08-30T12:36:00.500Z", 1440938160.5},
	    {"2015-08-30T12:36:00", 1440938160},
	    {"2015-08-30 12:36", 1440938160},
	    {"2015-08-30", 1440892800},
	};
	static const char *bad[] = {"", "2015-8-30", "2015-08-30T25:00:00Z",
	    "2015-08-30T12:36:00Q", "yesterday", "2015-08-30T12:36:00+1"};
	char out[32];
	size_t i;
	double t;
	time_t ht;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_iso8601(cases[i].text, &t);

		ok(rc == 0 && t == cases[i].epoch, "parse_iso8601 reads %s",
		    cases[i].text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse_iso8601(bad[i], &t) != 0,
		    "parse_iso8601 rejects \"%s\"", bad[i]);
	format_iso8601(1440938160.7, out, sizeof(out));
	is_str(out, "2015-08-30T12:36:00Z", "format_iso8601");
	format_iso8601(1.7e22, out, sizeof(out));
	is_str(out, "-", "format_iso8601 of a time past year 9999");
	format_iso8601(-1e300, out, sizeof(out));
	is_str(out, "-", "format_iso8601 of a time before year 1");
	format_iso8601(NAN, out, sizeof(out));
	is_str(out, "-", "format_iso8601 of NaN");
	format_iso8601(ISO8601_MAX_SECONDS, out, sizeof(out));
	is_str(out, "9999-12-31T23:59:59Z", "format_iso8601 of the last second");
	ok(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT", &ht) == 0 &&
	       ht == 1440938160,
	    "parse_http_date reads RFC 1123");
}

static void
test_encoding(void)
{
	struct buf b = BUF_INIT;
	char hex[65];

	base64_encode((const unsigned char *)"hello!?", 7, &b);
	is_str(b.data, "aGVsbG8hPw==", "base64 encodes with padding");
	buf_reset(&b);
	ok(base64_decode("aGVsbG8hPw==", 12, &b) == 0 &&
	       strcmp(b.data, "hello!?") == 0,
	    "base64 decodes with padding");
	buf_reset(&b);
	ok(base64_decode("a$b", 3, &b) != 0, "base64 rejects '$'");
	sha256_hex("", 0, hex);
	is_str(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 of the empty string");
	sha1_hex("my-sso", 6, hex);
	is_str(hex, "0ad374308c5a4e22f723adf10145eafad7c4031c",
	    "sha1 of an SSO session name");
	buf_free(&b);
}

/* RFC 4231 cases 1, 2 and 6, and a key of exactly one block. */
static void
test_hmac(void)
{
	static const struct {
		unsigned char key_byte;
		size_t key_len;
		const char *key, *data, *want;
	} cases[] = {
	    {0x0b, 20, NULL, "Hi There",
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {0, 4, "Jefe", "what do ya want for nothing?",
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	    {0xaa, 131, NULL,
	     "Test Using Larger Than Block-Size Key - Hash Key First",
	     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	    {0x01, 64, NULL, "exactly one block of key",
	     "fb5b5afa853e4a8e91501334c3bf88af75dbbc2a651167f696e158d807ef06ea"},
	};
	unsigned char key[131], mac[32];
	char hex[65];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].key)
			memcpy(key, cases[i].key, cases[i].key_len);
		else
			memset(key, cases[i].key_byte, cases[i].key_len);
		hmac_sha256(key, cases[i].key_len, cases[i].data,
		    strlen(cases[i].data), mac);
		hex_encode(mac, sizeof(mac), hex);
		is_str(hex, cases[i].want, "HMAC-SHA256 with a %zu-byte key",
		    cases[i].key_len);
	}
}

int
main(void)
{
	test_buf();
	test_time();
	test_encoding();
	test_hmac();
	return done_testing();
}
