/* Fuzz target: AWS error bodies (aws_parse_error, JSON and XML) and the
 * XML helpers behind it (xml_find, xml_text, xml_decode).
 *
 * Input: one byte for the HTTP status (400 + byte), one byte with the
 * length of an X-Amzn-ErrorType header value, that value, then the body.
 *
 * Invariants:
 * - every error gets a message and a non-empty code without "prefix#",
 *   ":suffix" or blanks around it;
 * - xml_find stays inside the document and always moves forward;
 * - xml_decode never lengthens its input, and valid UTF-8 stays valid. */
#include <ctype.h>
#include <string.h>

#include "aws.h"
#include "buf.h"
#include "fuzz.h"
#include "xml.h"

static void
check_code(const char *code)
{
	size_t n;

	FUZZ_ASSERT(code != NULL, "no error code");
	n = strlen(code);
	FUZZ_ASSERT(n > 0, "empty error code");
	FUZZ_ASSERT(!strchr(code, '#') && !strchr(code, ':'),
	    "code \"%s\" keeps its decoration", code);
	FUZZ_ASSERT(!isspace((unsigned char)code[0]) &&
		!isspace((unsigned char)code[n - 1]),
	    "code \"%s\" keeps blanks", code);
}

static void
check_find(const char *xml, size_t len, const char *tag)
{
	size_t pos = 0, last = 0;
	const char *inner;
	size_t inner_len;

	while (xml_find(xml, len, &pos, tag, &inner, &inner_len)) {
		struct buf text = BUF_INIT;

		FUZZ_ASSERT(pos > last, "xml_find did not move past %zu",
		    last);
		FUZZ_ASSERT(pos <= len, "position %zu past the end %zu", pos,
		    len);
		FUZZ_ASSERT(inner >= xml && inner + inner_len <= xml + len,
		    "<%s> text outside the document", tag);
		xml_decode(inner, inner_len, &text);
		FUZZ_ASSERT(text.len <= inner_len,
		    "decoding %zu bytes gave %zu", inner_len, text.len);
		if (fuzz_utf8_valid(inner, inner_len))
			FUZZ_ASSERT(fuzz_utf8_valid(text.data ? text.data : "",
					text.len),
			    "decoding valid UTF-8 in <%s> gave invalid UTF-8",
			    tag);
		buf_free(&text);
		last = pos;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	long status = 400 + (long)fuzz_byte(&in);
	const uint8_t *bytes;
	size_t n = fuzz_take(&in, fuzz_byte(&in), &bytes);
	char header[256];
	struct aws_error err;
	const char *body = (const char *)in.p;
	struct buf text = BUF_INIT;

	memcpy(header, bytes, n);
	header[n] = '\0';
	fuzz_allow_jq_leak(body, in.n);
	memset(&err, 0, sizeof(err));
	aws_parse_error(body, in.n, n ? header : NULL, status, &err);
	check_code(err.code);
	FUZZ_ASSERT(err.message != NULL, "no error message");
	FUZZ_ASSERT(err.status == status, "status %ld, expected %ld",
	    err.status, status);
	aws_error_is_throttling(err.code);
	aws_error_clear(&err);

	check_find(body, in.n, "Code");
	check_find(body, in.n, "Error");
	xml_text(body, in.n, "Message", &text);
	buf_reset(&text);
	xml_decode(body, in.n, &text);
	FUZZ_ASSERT(text.len <= in.n, "decoding %zu bytes gave %zu", in.n,
	    text.len);
	if (fuzz_utf8_valid(body, in.n))
		FUZZ_ASSERT(fuzz_utf8_valid(text.data ? text.data : "",
				text.len),
		    "decoding valid UTF-8 gave invalid UTF-8");
	buf_free(&text);
	fuzz_end_input();
	return 0;
}
